"""Run compiled procedures on SpiffWorkflow.

Two rules the engine guarantees:
- Gateway conditions are only the declarative `<slot> == <answer>` form the compiler writes;
  the script engine never calls Python `eval`, and it is installed again after every restore
  (a restored SpiffWorkflow workflow silently falls back to the default, eval-based engine).
- Each activity's data lives under its own key (`A<n>`), so parallel branches merging at a
  join cannot overwrite each other.
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


def _serializer_for(spec) -> BpmnWorkflowSerializer:
    """A serializer that stores the case's state without its (large, shared) process spec."""

    class SpecFreeConverter(BpmnWorkflowConverter):
        def to_dict(self, workflow):
            dct = super().to_dict(workflow)
            dct["spec"] = spec.name
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
