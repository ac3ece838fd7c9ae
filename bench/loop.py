"""Measure 6 of `make bench`: a case does not slow down as its history grows.

S04.02.00.01 is carried round its QA loop (activity 22 «¿Se encontraron defectos? Sí» goes back to
17) and the step that completes activity 18 is timed after 1, 20 and 100 rounds:

- raw: restore + complete + serialize with engine.runtime.ProcedureEngine, no Django (this
  process), the three rounds interleaved, and the same with the engine's compaction switched off,
  which is what the engine did before (for comparison; SpiffWorkflow then keeps every task of
  every round);
- persisted: cases.workflow.complete_task on the bench databases (`python -m bench.loop --json`,
  one subprocess per database, DATABASE_URL set by bench.run): the case is walked there through
  complete_task and cloned at each round (state, open tasks, history and search document), then
  each clone's activity 18 is completed once, the three rounds interleaved.

Target: the step after 100 rounds takes at most 1.5 times the step after 1 round (medians).
"""
from __future__ import annotations

import argparse
import gc
import time

from .common import decision_for, emit_json, log, sample_data, stats

CODE = "S04.02.00.01"
ROUNDS = (1, 20, 100)
TARGET_ACTIVITY = 18          # the first activity of a round after 17
RAW_ITERATIONS = 200
RAW_ITERATIONS_UNCOMPACTED = 40
PERSISTED_ITERATIONS = 60
RATIO_TARGET = 1.5
ANSWERS = {3: "Sí", 8: "Alta o media", 30: "No"}


def _decision(sheet, n: int, rounds_done: int, last_round: int):
    if n == 22:
        return "Sí" if rounds_done < last_round else "No"
    if n in ANSWERS:
        return ANSWERS[n]
    return decision_for(sheet, n)


# --- raw engine ------------------------------------------------------------------------------------
def _clean(sheet, n, waiting=False):
    from engine.forms import validate_submission

    clean, errors = validate_submission(() if waiting else sheet.activity(n).form, sample_data(sheet, n, waiting))
    assert not errors, (n, errors)
    return clean


def raw_states(engine) -> dict[int, str]:
    """The serialized state with activity 18 ready after each round of ROUNDS (1 = first time)."""
    sheet = engine.sheet
    workflow = engine.start()
    states, rounds = {}, 0
    while len(states) < len(ROUNDS):
        ready = engine.ready_tasks(workflow)
        task = min(ready, key=lambda r: r.activity)
        if task.activity == TARGET_ACTIVITY and not task.waiting and rounds + 1 in ROUNDS:
            states[rounds + 1] = engine.serialize(workflow)
        decision = _decision(sheet, task.activity, rounds, ROUNDS[-1]) if sheet.activity(task.activity).decision else None
        engine.complete(workflow, task.id, _clean(sheet, task.activity, task.waiting), decision)
        if task.activity == 22:
            rounds += 1
    return states


def _time_raw_steps(engine, states: dict[int, str], iterations: int) -> dict[int, dict]:
    """The step on each round's state, the rounds interleaved so that a change in the machine's
    load weighs on each alike."""
    data = _clean(engine.sheet, TARGET_ACTIVITY)
    samples = {r: [] for r in states}
    gc.collect()
    for i in range(iterations + 5):
        for r, state in states.items():
            t0 = time.perf_counter_ns()
            workflow = engine.restore(state)
            task = next(t for t in engine.ready_tasks(workflow) if t.activity == TARGET_ACTIVITY)
            engine.complete(workflow, task.id, data)
            engine.serialize(workflow)
            if i >= 5:
                samples[r].append(time.perf_counter_ns() - t0)
    return {r: stats(v) for r, v in samples.items()}


def measure_raw() -> dict:
    from engine import runtime
    from engine.organization import load_organization
    from engine.sheets import load_catalog

    sheet = next(s for s in load_catalog() if s.code == CODE)
    engine = runtime.ProcedureEngine(sheet, load_organization())
    result = {}
    for label, compact in (("compacted", runtime.compact), ("uncompacted", lambda workflow: 0)):
        original = runtime.compact
        runtime.compact = compact
        try:
            states = raw_states(engine)
            iterations = RAW_ITERATIONS if label == "compacted" else RAW_ITERATIONS_UNCOMPACTED
            timed = _time_raw_steps(engine, states, iterations)
            series = {str(r): {**timed[r], "state_bytes": len(state), "engine_tasks": len(engine.restore(state).tasks)}
                      for r, state in states.items()}
        finally:
            runtime.compact = original
        first, last = series[str(ROUNDS[0])]["median_ms"], series[str(ROUNDS[-1])]["median_ms"]
        result[label] = {"rounds": series, "ratio_last_first": round(last / first, 2)}
    result["compacted"]["meets_target"] = result["compacted"]["ratio_last_first"] <= RATIO_TARGET
    return result


# --- persisted -------------------------------------------------------------------------------------
def _copy_history(case, task_ids: list[int]) -> None:
    """Give each clone the case's history and search document too, so a clone after 100 rounds
    weighs what the case does (clone_cases copies only the state and the open tasks)."""
    from django.db import transaction

    from cases.models import CaseSearch, Event, Task

    from .persisted import _copy

    clone_ids = list(Task.objects.filter(pk__in=task_ids).values_list("case_id", flat=True))
    events = list(Event.objects.filter(case=case))
    document = CaseSearch.objects.filter(case=case).first()
    with transaction.atomic():
        Event.objects.bulk_create([_copy(e, case_id=clone) for clone in clone_ids for e in events], batch_size=2000)
        if document is not None:
            CaseSearch.objects.bulk_create([_copy(document, case_id=clone, number=f"{document.number}-{clone}")
                                            for clone in clone_ids])


def measure_persisted(users: dict) -> dict:
    """Walk one case to each round of ROUNDS and clone it there (state, open tasks, history, search
    document); then complete activity 18 on the clones, the three rounds interleaved, so that
    whatever else the machine does weighs on each round alike."""
    from django.db import connection

    from cases import procedures
    from cases.models import Event, Task
    from cases.workflow import complete_task, start_case

    from .persisted import clone_cases

    sheet = procedures.sheet(CODE)
    starter = users[sheet.activity(sheet.entry_points[0][2]).role]
    case = start_case(starter, CODE)
    rounds, clones, facts = 0, {}, {}
    for _ in range(2000):
        task = case.tasks.filter(status=Task.Status.OPEN).select_related("assignee").order_by("activity").first()
        if task.activity == TARGET_ACTIVITY and rounds + 1 in ROUNDS and rounds + 1 not in clones:
            case.refresh_from_db()
            clones[rounds + 1] = clone_cases(case, PERSISTED_ITERATIONS + 5, tag=f"L{rounds + 1}-",
                                             target=TARGET_ACTIVITY)
            _copy_history(case, clones[rounds + 1])
            facts[rounds + 1] = {"state_bytes": len(case.state),
                                 "events_in_case": Event.objects.filter(case=case).count()}
            if len(clones) == len(ROUNDS):
                break
        actor_of_task = task.assignee or users[task.role]
        decision = _decision(sheet, task.activity, rounds, ROUNDS[-1]) if sheet.activity(task.activity).decision else None
        case = complete_task(task.pk, actor_of_task, sample_data(sheet, task.activity, task.waiting), decision)
        if task.activity == 22:
            rounds += 1
    if connection.vendor == "postgresql":
        try:   # write out the copies now rather than in the middle of the timed completions
            with connection.cursor() as cursor:
                cursor.execute("CHECKPOINT")
        except Exception:   # not a superuser: the interleaving still shares the cost fairly
            pass
    data = sample_data(sheet, TARGET_ACTIVITY)
    actor = users[sheet.activity(TARGET_ACTIVITY).role]
    wall = {r: [] for r in ROUNDS}
    cpu = {r: [] for r in ROUNDS}
    gc.collect()
    for i in range(PERSISTED_ITERATIONS + 5):
        for r in ROUNDS:
            actor.__dict__.pop("_mapro_role_slugs", None)
            t0, c0 = time.perf_counter_ns(), time.process_time_ns()
            complete_task(clones[r][i], actor, data, None)
            if i >= 5:
                wall[r].append(time.perf_counter_ns() - t0)
                cpu[r].append(time.process_time_ns() - c0)
    series = {}
    for r in ROUNDS:
        series[str(r)] = {**stats(wall[r]), "cpu_median_ms": stats(cpu[r])["median_ms"], **facts[r]}
        log(f"  loop {CODE} round {r}: median {series[str(r)]['median_ms']} ms, state {facts[r]['state_bytes']} B, "
            f"{facts[r]['events_in_case']} events")
    done = Task.objects.filter(pk__in=[t for r in ROUNDS for t in clones[r][5:]], status=Task.Status.COMPLETED).count()
    assert done == len(ROUNDS) * PERSISTED_ITERATIONS, done
    first, last = series[str(ROUNDS[0])]["median_ms"], series[str(ROUNDS[-1])]["median_ms"]
    ratio = round(last / first, 2)
    return {"rounds": series, "ratio_last_first": ratio, "meets_target": ratio <= RATIO_TARGET}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="(persisted, in a bench database) one JSON line")
    parser.add_argument("--raw", action="store_true", help="the raw engine measure only, no database")
    args = parser.parse_args()
    if args.raw:
        print(measure_raw())
        return
    from .django_setup import setup, staff_users

    vendor = setup()
    result = measure_persisted(staff_users())
    if args.json:
        emit_json({"vendor": vendor, "results": result})
    else:
        print(result)


if __name__ == "__main__":
    main()
