"""The engine evaluates only declared decisions and keeps each activity's data apart."""
import pytest
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.util.task import TaskState

from engine.organization import load_organization
from engine.runtime import DeclaredDecisionEngine, EngineError, ProcedureEngine, UnsafeExpression
from engine.sheets import load_catalog

ORG = load_organization()
SHEETS = {s.code: s for s in load_catalog()}


def engine(code):
    return ProcedureEngine(SHEETS[code], ORG)


class FakeTask:
    data = {"A2": {"decision": "si"}}


def test_only_declarative_conditions_are_evaluated():
    script_engine = DeclaredDecisionEngine()
    assert script_engine.evaluate(FakeTask(), "A2 == si") is True
    assert script_engine.evaluate(FakeTask(), "A2 == no") is False
    for hostile in ("__import__('os').system('id')", "A2 == si or True", "open('/etc/passwd')"):
        with pytest.raises(UnsafeExpression):
            script_engine.evaluate(FakeTask(), hostile)
    with pytest.raises(UnsafeExpression):
        script_engine.execute(FakeTask(), "x = 1")


def test_a_restored_workflow_gets_the_restricted_engine_back():
    support = engine("S04.03.04.02")
    workflow = support.start()
    restored = support.restore(support.serialize(workflow))
    assert isinstance(restored.script_engine, DeclaredDecisionEngine)
    assert type(restored.script_engine) is not PythonScriptEngine


def test_a_decision_must_be_one_of_the_declared_answers():
    support = engine("S04.03.04.02")
    workflow = support.start()
    [first] = support.ready_tasks(workflow)
    support.complete(workflow, first.id, {"asunto": "x"})
    [validation] = support.ready_tasks(workflow)
    with pytest.raises(EngineError, match="¿Cumple con los requisitos?"):
        support.complete(workflow, validation.id, {}, "Quizás")
    support.complete(workflow, validation.id, {}, "No")
    assert [t.activity for t in support.ready_tasks(workflow)] == [3]


def test_parallel_branches_keep_their_own_data_through_the_join():
    development = engine("S04.02.00.01")
    workflow = development.start()
    decisions = {3: "Sí"}
    for _ in range(40):
        ready = development.ready_tasks(workflow)
        if {t.activity for t in ready} >= {15, 16}:
            break
        task = ready[0]
        activity = SHEETS["S04.02.00.01"].activity(task.activity)
        answer = decisions.get(task.activity) or (activity.decision.answers[0].label if activity.decision else None)
        development.complete(workflow, task.id, {}, answer)
    branches = {t.activity: t for t in development.ready_tasks(workflow)}
    development.complete(workflow, branches[15].id, {"rama": "desarrollo"})
    assert [t.activity for t in development.ready_tasks(workflow)] == [16]  # the join waits
    development.complete(workflow, branches[16].id, {"rama": "monitoreo"})
    [after_join] = [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.name == "Activity_17"]
    assert after_join.data["A15"]["data"] == {"rama": "desarrollo"}
    assert after_join.data["A16"]["data"] == {"rama": "monitoreo"}


def test_an_inicio_block_requires_a_choice():
    elimination = engine("S04.03.01.02")
    with pytest.raises(EngineError, match="Elija por dónde iniciar"):
        elimination.start()
    workflow = elimination.start("eliminacion-de-accesos-vpn")
    assert [t.activity for t in elimination.ready_tasks(workflow)] == [5]
