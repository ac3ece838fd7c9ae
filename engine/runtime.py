"""Run compiled procedures on SpiffWorkflow.

Two rules the engine guarantees:
- Gateway conditions are only the declarative `<slot> == <answer>` form the compiler writes;
  the script engine never calls Python `eval`, and it is installed again after every restore
  (a restored SpiffWorkflow workflow silently falls back to the default, eval-based engine).
- Each activity's data lives under its own key (`A<n>`), so parallel branches merging at a
  join cannot overwrite each other.

SpiffWorkflow keeps every task it ever created: a case that goes round a loop 60 times carries
500 finished tasks (210 KB of state), and restoring, stepping and serializing it grow with them.
After each step the engine drops the finished past it no longer needs (`compact`); what happened
is in the case's history (its Event rows, written with the same state), not in the engine.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from uuid import UUID

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from .bpmn import START_SLOT, activity_slot, build_graph, process_id, to_bpmn_xml
from .organization import Organization
from .sheets import Sheet

CONDITION = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*==\s*([a-z0-9-]+)\s*$")


class EngineError(Exception):
    """A request the procedure cannot accept (unknown task, missing decision...)."""


class UnsafeExpression(EngineError):
    pass


class DeclaredDecisionEngine(PythonScriptEngine):
    """Evaluates only `slot == answer` against the decision recorded under `slot`."""

    def validate(self, expression):
        if not CONDITION.match(expression or ""):
            raise UnsafeExpression(f"Condición no declarativa rechazada: {expression!r}")

    def evaluate(self, task, expression, external_context=None):
        match = CONDITION.match(expression or "")
        if not match:
            raise UnsafeExpression(f"Condición no declarativa rechazada: {expression!r}")
        slot, answer = match.groups()
        recorded = task.data.get(slot)
        return isinstance(recorded, dict) and recorded.get("decision") == answer

    def execute(self, task, script, external_context=None):
        raise UnsafeExpression("Los procedimientos no ejecutan scripts.")

    def call_service(self, task, **kwargs):
        raise UnsafeExpression("Los procedimientos no llaman servicios.")


SCRIPT_ENGINE = DeclaredDecisionEngine()


@dataclass(frozen=True)
class ReadyTask:
    id: str           # the engine's task id (UUID text)
    spec: str         # Activity_<n> or Wait_<n>
    activity: int     # the manual's activity number
    waiting: bool     # True for "Se espera a ..." receptions


def _spec_activity(spec_name: str) -> tuple[int, bool] | None:
    kind, _, number = spec_name.partition("_")
    if kind in ("Activity", "Wait") and number.isdigit():
        return int(number), kind == "Wait"
    return None


class ProcedureEngine:
    """One compiled procedure; cheap to call many times, so build it once per sheet version."""

    def __init__(self, sheet: Sheet, organization: Organization):
        self.sheet = sheet
        self.graph = build_graph(sheet, organization)
        self.bpmn_xml = to_bpmn_xml(self.graph)
        parser = BpmnParser()
        parser.add_bpmn_str(self.bpmn_xml, filename=f"{sheet.code}.bpmn")
        self.spec = parser.get_spec(process_id(sheet.code))
        self._serializer = _serializer_for(self.spec)

    # --- lifecycle -------------------------------------------------------------------------
    def start(self, start_key: str | None = None, data: dict | None = None) -> BpmnWorkflow:
        entries = self.sheet.entry_points
        keys = [key for key, _, _ in entries]
        if len(entries) > 1:
            if start_key is None:
                raise EngineError("Elija por dónde iniciar: " + ", ".join(label for _, label, _ in entries))
            if start_key not in keys:
                raise EngineError(f"Inicio desconocido «{start_key}». Opciones: " + ", ".join(keys))
        elif start_key not in (None, keys[0]):
            raise EngineError(f"Este procedimiento no tiene el inicio «{start_key}».")
        workflow = BpmnWorkflow(self.spec, script_engine=SCRIPT_ENGINE)
        workflow.task_tree.data[START_SLOT] = {"decision": start_key or keys[0], "data": data or {}}
        workflow.do_engine_steps()
        return workflow

    def ready_tasks(self, workflow: BpmnWorkflow) -> list[ReadyTask]:
        ready = []
        for task in workflow.get_tasks(state=TaskState.READY, manual=True):
            parsed = _spec_activity(task.task_spec.name)
            if parsed:
                ready.append(ReadyTask(str(task.id), task.task_spec.name, parsed[0], parsed[1]))
        return ready

    def complete(self, workflow: BpmnWorkflow, task_id: str, data: dict, decision: str | None = None) -> None:
        """Record the activity's data (and decision) under its own key and move the case on."""
        try:
            task = workflow.get_task_from_id(UUID(task_id))
        except Exception:
            raise EngineError("La tarea no pertenece a este caso.") from None
        if task.state != TaskState.READY:
            raise EngineError("La tarea ya no está pendiente.")
        parsed = _spec_activity(task.task_spec.name)
        if parsed is None:
            raise EngineError("La tarea no es una actividad del procedimiento.")
        n, waiting = parsed
        activity = self.sheet.activity(n)
        slot = activity_slot(n) + ("_recepcion" if waiting else "")
        record = {"data": data}
        if activity.decision and not waiting:
            answer = activity.decision.answer(decision or "")
            if answer is None:
                options = ", ".join(a.label for a in activity.decision.answers)
                raise EngineError(f"Indique la decisión «{activity.decision.question}»: {options}.")
            record["decision"] = answer.key
        elif decision:
            raise EngineError("Esta actividad no termina en una decisión.")
        task.data[slot] = record
        task.run()
        workflow.do_engine_steps()
        compact(workflow)

    def is_completed(self, workflow: BpmnWorkflow) -> bool:
        return workflow.is_completed()

    # --- persistence -------------------------------------------------------------------------
    def serialize(self, workflow: BpmnWorkflow) -> str:
        state = self._serializer.to_dict(workflow)
        state[self._serializer.VERSION_KEY] = self._serializer.VERSION
        return json.dumps(state, separators=(",", ":"))

    def restore(self, state: str) -> BpmnWorkflow:
        dct = json.loads(state)
        self._serializer.migrate(dct)
        workflow = self._serializer.from_dict(dct)
        workflow.script_engine = SCRIPT_ENGINE
        return workflow


FINISHED = TaskState.COMPLETED | TaskState.CANCELLED


def compact(workflow: BpmnWorkflow) -> int:
    """Drop the finished tasks the engine no longer needs; returns how many were dropped.

    Kept: the root (it holds the entry point chosen), every unfinished task (ready, waiting,
    predicted, in error) with its descendants, and the ancestors of those up to the parent of
    their lowest common ancestor, which becomes the root's only child. Every other task is
    finished and off the paths still running: earlier loop iterations, branches not taken.

    Joins: a parallel gateway fires when each of its inputs has a finished instance of the join
    below it (`ParallelGateway._check_threshold_unstructured` reads `task.parent.state`), and a
    waiting instance cancels the earlier waiting ones. So while a join has an unfinished instance,
    its finished instances below the common ancestor (the same split) stay, with their parents;
    those of earlier iterations lie above it and go. Data is not lost: a task holds all the data
    it inherited, and the kept top task is serialized whole against the root (the serializer
    stores each task's data as changes from its parent's).

    Nothing here reads or writes history: the case's events record what was done."""
    tasks, root = workflow.tasks, workflow.task_tree
    live = [t for t in tasks.values() if t is not root and not t.has_state(FINISHED)]
    if not live:
        return 0   # the case has ended: it is never stepped again
    # Lowest common ancestor of the unfinished tasks: walk up from each into the first one's path.
    path = []
    node = live[0]
    while node is not None:
        path.append(node)
        node = node.parent
    path.reverse()                                  # root ... live[0]
    depth_of = {t.id: i for i, t in enumerate(path)}
    lowest = len(path) - 1
    for task in live[1:]:
        node = task
        while node.id not in depth_of:
            node = node.parent
        lowest = min(lowest, depth_of[node.id])
    top = path[max(lowest - 1, 0)]                  # the common ancestor's parent (or the root)
    keep = {root.id, top.id}

    def keep_up_to_top(task):
        while task.id not in keep:
            keep.add(task.id)
            task = task.parent

    pending_joins = {t.task_spec.name for t in live if isinstance(t.task_spec, UnstructuredJoin)}
    below_top = [top]
    for task in below_top:                          # the subtree under `top`, breadth first
        if not task.has_state(FINISHED) or task.task_spec.name in pending_joins:
            keep_up_to_top(task)
        below_top.extend(task.children)
    for task in live:                               # unfinished tasks keep all they lead to
        keep_up_to_top(task)
    dropped = len(tasks) - len(keep)
    if not dropped:
        return 0
    for task_id in [i for i in tasks if i not in keep]:
        del tasks[task_id]
    for task in tasks.values():
        task._children = [c for c in task._children if c in keep]
    if top is not root and top._parent != root.id:
        top._parent = root.id
        root._children = [top.id]
    if workflow.last_task is not None and workflow.last_task.id not in keep:
        workflow.last_task = None
    return dropped


def _serializer_for(spec) -> BpmnWorkflowSerializer:
    """A serializer that stores the case's state without its (large, shared) process spec."""

    class SpecFreeConverter(BpmnWorkflowConverter):
        def to_dict(self, workflow):
            # BpmnWorkflowConverter.to_dict without converting the spec (two thirds of the time of
            # a serialization, all of it thrown away): the case's state names it instead.
            dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
            dct["spec"] = spec.name
            dct["subprocess_specs"] = self.mapping_to_dict(workflow.subprocess_specs)
            dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
            dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
            return dct

        def from_dict(self, dct):
            if dct.get("spec") != spec.name:
                raise EngineError(f"El estado guardado es de otro procedimiento ({dct.get('spec')}).")
            dct["spec"] = None
            original = self.registry.restore
            self.registry.restore = lambda value, **kw: spec if value is None else original(value, **kw)
            try:
                return super().from_dict(dct)
            finally:
                self.registry.restore = original

    config = dict(DEFAULT_CONFIG)
    config[BpmnWorkflow] = SpecFreeConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
