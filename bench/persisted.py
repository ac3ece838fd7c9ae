"""Measure 2: the raw step's task completion through cases.workflow.complete_task.

Run by bench.run once per database, with DATABASE_URL pointing at a fresh bench database:
    DATABASE_URL=... python -m bench.persisted --json

Each timed completion works on its own case, all in the same mid-case state: one case is walked
there through start_case/complete_task, then cloned (case row + open task rows; the engine ids
inside the state stay valid because they are per case). The engine's raw step is timed again
here, interleaved with the persisted one, so the ratio compares the two under the same machine
load (other processes share the CPU).
"""
from __future__ import annotations

import argparse
import gc
import time

from .common import (PLANS, STEP_ITERATIONS, STEP_WARMUP, at_target, decision_for, emit_json, log,
                     sample_data, stats)
from .django_setup import setup, staff_users


def _actor(task, users):
    return task.assignee or users[task.role]


def walk_to_target(code: str, users: dict):
    from cases import procedures
    from cases.models import Task
    from cases.workflow import complete_task, start_case

    sheet = procedures.sheet(code)
    first = sheet.activity(sheet.entry_points[0][2])
    starter = users[first.role]
    case = start_case(starter, code)
    for _ in range(200):
        open_tasks = list(case.tasks.filter(status=Task.Status.OPEN).select_related("assignee").order_by("activity"))
        if not open_tasks:
            raise RuntimeError(f"{code}: the case ended before the target activity")
        if at_target(code, [t.activity for t in open_tasks]):
            return case
        task = open_tasks[0]
        case = complete_task(task.pk, _actor(task, users), sample_data(sheet, task.activity, task.waiting),
                             decision_for(sheet, task.activity, task.waiting))
    raise RuntimeError(f"{code}: target activity not reached")


def _copy(obj, **changes):
    """An unsaved copy of a model instance: every concrete field but the primary key."""
    model = type(obj)
    values = {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields if not f.primary_key}
    values.update(changes)
    return model(**values)


def clone_cases(case, count: int, tag: str = "C", target: int | None = None) -> list[int]:
    """`count` copies of `case` (state and open tasks); returns the id of each copy's task for the
    `target` activity (by default the plan's).

    Per-task rows that hang off an open task (extra roles, offers... whatever the schema has;
    history events excepted) are copied with it, so each copy is what the completion wrote."""
    from django.db import transaction

    from cases.models import Case, Event, Task

    target = target or PLANS[case.procedure]["target"]
    open_tasks = list(case.tasks.filter(status=Task.Status.OPEN))
    dependents = [rel for rel in Task._meta.related_objects
                  if rel.one_to_many and rel.related_model is not Event]
    children = {rel: list(rel.related_model.objects.filter(**{rel.field.name + "__in": open_tasks}))
                for rel in dependents}
    with transaction.atomic():
        copies = Case.objects.bulk_create([_copy(case, number=f"{case.number}-{tag}{i:05d}") for i in range(count)])
        new_tasks = [_copy(t, case_id=copy.pk) for copy in copies for t in open_tasks]
        Task.objects.bulk_create(new_tasks)
        for rel, rows in children.items():
            fk = rel.field.attname
            rel.related_model.objects.bulk_create([
                _copy(row, **{fk: new.pk})
                for new, old in zip(new_tasks, open_tasks * len(copies))
                for row in rows if getattr(row, fk) == old.pk
            ])
    return [t.pk for t in new_tasks if t.activity == target]


BREAKDOWN_ITERATIONS = 60


def _breakdown(engine, task_ids, actor, data, decision) -> dict:
    """Where a persisted step's time goes (a separate, instrumented series; medians in ms)."""
    import statistics

    from django.db import connection

    from cases.workflow import complete_task

    spent = {}

    def add(part, ns):
        spent[part] = spent.get(part, 0) + ns

    def timed(part, fn):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter_ns()
            try:
                return fn(*args, **kwargs)
            finally:
                add(part, time.perf_counter_ns() - t0)
        return wrapper

    def sql(execute, sql_text, params, many, context):
        t0 = time.perf_counter_ns()
        try:
            return execute(sql_text, params, many, context)
        finally:
            add("sql", time.perf_counter_ns() - t0)

    samples = {k: [] for k in ("total", "engine", "sql", "commit", "python")}
    connection.ensure_connection()
    patched = {name: getattr(engine, name) for name in ("restore", "complete", "serialize")}
    for name, fn in patched.items():
        setattr(engine, name, timed("engine", fn))
    connection._commit = timed("commit", connection._commit)
    try:
        with connection.execute_wrapper(sql):
            for task_id in task_ids:
                actor.__dict__.pop("_mapro_role_slugs", None)
                spent.clear()
                t0 = time.perf_counter_ns()
                complete_task(task_id, actor, data, decision)
                total = time.perf_counter_ns() - t0
                parts = {k: spent.get(k, 0) for k in ("engine", "sql", "commit")}
                samples["total"].append(total)
                for k, v in parts.items():
                    samples[k].append(v)
                samples["python"].append(total - sum(parts.values()))
    finally:
        del connection._commit
        for name in patched:
            delattr(engine, name)
    return {k: round(statistics.median(v) / 1e6, 3) for k, v in samples.items()}


def measure(code: str, users: dict, iterations=STEP_ITERATIONS, warmup=STEP_WARMUP) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases import procedures
    from cases.models import Case, Task
    from cases.workflow import complete_task
    from engine.forms import validate_submission

    sheet = procedures.sheet(code)
    engine = procedures.engine(sheet.code, sheet.version)
    target = PLANS[code]["target"]
    mid = walk_to_target(code, users)
    task_ids = clone_cases(mid, warmup + iterations + 1)
    data = sample_data(sheet, target)
    decision = decision_for(sheet, target)
    actor = users[sheet.activity(target).role]
    # complete_task hands the engine the validated data; the interleaved engine step does too.
    engine_data, errors = validate_submission(sheet.activity(target).form, data)
    assert not errors, errors

    # One untimed completion to count its queries and check the outcome.
    with CaptureQueriesContext(connection) as queries:
        case = complete_task(task_ids.pop(), actor, data, decision)
    ready_after = sorted(case.tasks.filter(status=Task.Status.OPEN).values_list("activity", flat=True))

    persisted, raw = [], []
    gc.collect()
    for i, task_id in enumerate(task_ids):
        # A request loads its user afresh: forget the roles complete_task looked up last time.
        actor.__dict__.pop("_mapro_role_slugs", None)
        t0 = time.perf_counter_ns()
        complete_task(task_id, actor, data, decision)
        t1 = time.perf_counter_ns()
        # The same engine work alone (restore + complete + serialize), right after, same load.
        workflow = engine.restore(mid.state)
        ready = next(r for r in engine.ready_tasks(workflow) if r.activity == target)
        engine.complete(workflow, ready.id, engine_data, decision)
        engine.serialize(workflow)
        t2 = time.perf_counter_ns()
        if i >= warmup:
            persisted.append(t1 - t0)
            raw.append(t2 - t1)
    breakdown = _breakdown(engine, clone_cases(mid, BREAKDOWN_ITERATIONS, tag="B"), actor, data, decision)
    done = Task.objects.filter(pk__in=task_ids, status=Task.Status.COMPLETED).count()
    assert done == len(task_ids), f"{code}: {done} of {len(task_ids)} tasks completed"
    result = stats(persisted)
    paired = stats(raw)
    result.update({
        "activity": target, "ready_after": ready_after, "queries": len(queries),
        "paired_raw": paired,
        "ratio_median_paired": round(result["median_ms"] / paired["median_ms"], 2),
        "ratio_p95_paired": round(result["p95_ms"] / paired["p95_ms"], 2),
        "cases_in_db": Case.objects.count(),
        "breakdown_median_ms": breakdown,
    })
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    parser.add_argument("--iterations", type=int, default=STEP_ITERATIONS)
    parser.add_argument("--warmup", type=int, default=STEP_WARMUP)
    args = parser.parse_args()
    vendor = setup()
    users = staff_users()
    results = {}
    for code in PLANS:
        r = results[code] = measure(code, users, args.iterations, args.warmup)
        log(f"  persisted {vendor} {code}: median {r['median_ms']} ms, p95 {r['p95_ms']} ms, "
            f"{r['queries']} SQL statements (BEGIN/COMMIT included); interleaved engine step {r['paired_raw']['median_ms']} ms "
            f"(x{r['ratio_median_paired']}); breakdown {r['breakdown_median_ms']}")
    if args.json:
        emit_json({"vendor": vendor, "results": results})


if __name__ == "__main__":
    main()
