"""A case does not slow down as its history grows: the engine drops the finished past it no
longer needs (engine.runtime.compact), and that changes nothing about where a case goes."""
import random
from uuid import UUID

import pytest

from engine import runtime
from engine.organization import load_organization
from engine.runtime import ProcedureEngine
from engine.sheets import load_catalog, parse_sheet

ORG = load_organization()
SHEETS = load_catalog()
BY_CODE = {s.code: s for s in SHEETS}

# Three branches joined inside a loop: the join must wait for all three on every round.
FORK_IN_A_LOOP = """
code: S99.00.00.01
name: Tres ramas dentro de un bucle
activities:
  - {n: 1, name: Repartir, unit: ogtie, roles: [jefe-ogtie], parallel: [2, 3, 4]}
  - {n: 2, name: Rama dos, unit: ogtie, roles: [jefe-ogtie], next: 5}
  - {n: 3, name: Rama tres, unit: ogtie, roles: [jefe-ogtie], next: 5}
  - {n: 4, name: Rama cuatro, unit: ogtie, roles: [jefe-ogtie], next: 5}
  - n: 5
    name: Unir
    unit: ogtie
    roles: [jefe-ogtie]
    join: [2, 3, 4]
    decision: {question: ¿Otra vuelta?, answers: [{label: "Sí", goto: 1}, {label: "No", goto: 6}]}
  - {n: 6, name: Cerrar, unit: ogtie, roles: [jefe-ogtie], end: true}
"""


def walk(engine, pick, decide, steps=150, start=None):
    """Complete tasks through serialize/restore, as the application does; returns the ready
    activities before each step, whether the case ended and the largest state seen."""
    workflow = engine.start(start)
    seen, largest = [], 0
    for _ in range(steps):
        state = engine.serialize(workflow)
        largest = max(largest, len(state))
        workflow = engine.restore(state)
        ready = engine.ready_tasks(workflow)
        if not ready:
            break
        seen.append(sorted(r.activity for r in ready))
        task = pick(ready)
        activity = engine.sheet.activity(task.activity)
        decision = decide(activity) if activity.decision and not task.waiting else None
        engine.complete(workflow, task.id, {}, decision)
    return seen, engine.is_completed(workflow), largest


def random_policy(seed):
    rng = random.Random(seed)
    return (lambda ready: rng.choice(sorted(ready, key=lambda r: (r.activity, r.waiting))),
            lambda activity: rng.choice(activity.decision.answers).label)


@pytest.mark.parametrize("sheet", SHEETS, ids=[s.code for s in SHEETS])
def test_compaction_changes_nothing_about_where_a_case_goes(sheet, monkeypatch):
    engine = ProcedureEngine(sheet, ORG)
    entries = [key for key, _, _ in sheet.entry_points]
    for seed in range(4):
        start = entries[seed % len(entries)]
        compacted = walk(engine, *random_policy(seed), start=start)
        with monkeypatch.context() as m:
            m.setattr(runtime, "compact", lambda workflow: 0)
            kept = walk(engine, *random_policy(seed), start=start)
        assert compacted[:2] == kept[:2], (sheet.code, seed)
        assert compacted[2] <= kept[2]


def test_the_qa_loop_keeps_the_state_and_the_step_flat():
    """S04.02.00.01: activity 22 «¿Se encontraron defectos? Sí» goes back to 17, 100 times."""
    engine = ProcedureEngine(BY_CODE["S04.02.00.01"], ORG)
    answers = {3: "Sí", 8: "Alta o media", 30: "No"}
    loops, sizes = 0, {}

    def decide(activity):
        nonlocal loops
        if activity.n == 22:
            loops += 1
            return "Sí" if loops <= 100 else "No"
        return answers.get(activity.n, activity.decision.answers[0].label)

    def pick(ready):
        return min(ready, key=lambda r: r.activity)

    workflow = engine.start()
    path = []
    while ready := engine.ready_tasks(workflow):
        task = pick(ready)
        activity = engine.sheet.activity(task.activity)
        engine.complete(workflow, task.id, {"resultados_ciclo": "x" * 200},
                        decide(activity) if activity.decision else None)
        path.append(task.activity)
        if task.activity == 22 and loops in (1, 20, 100):
            sizes[loops] = (len(engine.serialize(workflow)), len(workflow.tasks))
        workflow = engine.restore(engine.serialize(workflow))
    assert engine.is_completed(workflow)
    assert path.count(17) == 101 and path.count(22) == 101 and path.count(15) == 1 and path[-1] == 45
    assert sizes[100][0] < 1.5 * sizes[1][0], sizes
    assert sizes[100][1] == sizes[1][1], sizes


def test_a_join_inside_a_loop_waits_for_every_branch_on_every_round():
    """Without compaction SpiffWorkflow counts the previous round's branches and fires the join of
    the second round after one branch; compaction drops them, so every round waits for three."""
    engine = ProcedureEngine(parse_sheet(FORK_IN_A_LOOP, "S99.yaml"), ORG)
    rounds = 0

    def decide(activity):
        nonlocal rounds
        rounds += 1
        return "Sí" if rounds < 4 else "No"

    orders = iter([min, max] * 10)
    current = [min]

    def pick(ready):
        if sorted(r.activity for r in ready) == [2, 3, 4]:
            current[0] = next(orders)
        return current[0](ready, key=lambda r: r.activity)

    seen, ended, _ = walk(engine, pick, decide)
    assert ended
    one_round = [[1], [2, 3, 4], [3, 4], [4], [5]]
    other_round = [[1], [2, 3, 4], [2, 3], [2], [5]]
    assert seen == one_round + other_round + one_round + other_round + [[6]]


def test_a_waiting_join_keeps_the_branches_that_already_arrived():
    engine = ProcedureEngine(parse_sheet(FORK_IN_A_LOOP, "S99.yaml"), ORG)
    workflow = engine.start()
    [first] = engine.ready_tasks(workflow)
    engine.complete(workflow, first.id, {})
    for activity in (2, 3):   # two of three arrive; each state goes through the database
        task = next(r for r in engine.ready_tasks(workflow) if r.activity == activity)
        engine.complete(workflow, task.id, {"rama": activity})
        workflow = engine.restore(engine.serialize(workflow))
    assert [r.activity for r in engine.ready_tasks(workflow)] == [4]
    [last] = engine.ready_tasks(workflow)
    engine.complete(workflow, last.id, {"rama": 4})
    [join] = engine.ready_tasks(workflow)
    assert join.activity == 5
    data = workflow.get_task_from_id(UUID(join.id)).data
    assert {k: v["data"] for k, v in data.items() if k in ("A2", "A3", "A4")} == {
        "A2": {"rama": 2}, "A3": {"rama": 3}, "A4": {"rama": 4}}
