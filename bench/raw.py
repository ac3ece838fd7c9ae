"""Measure 1: one raw SpiffWorkflow step with engine.runtime.ProcedureEngine, no Django.

A step is what complete_task asks of the engine: restore the serialized mid-case state,
complete one ready task and serialize the new state.
"""
from __future__ import annotations

import gc
import time

from engine.forms import validate_submission
from engine.organization import load_organization
from engine.runtime import ProcedureEngine
from engine.sheets import load_catalog

from .common import PLANS, STEP_ITERATIONS, STEP_WARMUP, at_target, decision_for, log, sample_data, stats


def _clean(sheet, n, waiting=False):
    # The persisted path validates first and hands the engine the clean data; do the same here.
    fields = () if waiting else sheet.activity(n).form
    clean, errors = validate_submission(fields, sample_data(sheet, n, waiting))
    assert not errors, (sheet.code, n, errors)
    return clean


def mid_case(engine: ProcedureEngine) -> str:
    """Walk the plan to its target activity and return the serialized state there."""
    sheet = engine.sheet
    workflow = engine.start()
    for _ in range(200):
        ready = engine.ready_tasks(workflow)
        if not ready:
            raise RuntimeError(f"{sheet.code}: the case ended before the target activity")
        if at_target(sheet.code, [r.activity for r in ready]):
            return engine.serialize(workflow)
        task = min(ready, key=lambda r: r.activity)
        engine.complete(workflow, task.id, _clean(sheet, task.activity, task.waiting),
                        decision_for(sheet, task.activity, task.waiting))
    raise RuntimeError(f"{sheet.code}: target activity not reached")


def measure(code: str, engine: ProcedureEngine, iterations=STEP_ITERATIONS, warmup=STEP_WARMUP) -> dict:
    sheet = engine.sheet
    target = PLANS[code]["target"]
    state = mid_case(engine)
    data = _clean(sheet, target)
    decision = decision_for(sheet, target)
    samples = []
    after = None
    gc.collect()
    for i in range(warmup + iterations):
        t0 = time.perf_counter_ns()
        workflow = engine.restore(state)
        task = next(r for r in engine.ready_tasks(workflow) if r.activity == target)
        engine.complete(workflow, task.id, data, decision)
        after = engine.serialize(workflow)
        elapsed = time.perf_counter_ns() - t0
        if i >= warmup:
            samples.append(elapsed)
    ready_after = sorted(r.activity for r in engine.ready_tasks(engine.restore(after)))
    result = stats(samples)
    result.update({"activity": target, "ready_after": ready_after,
                   "state_bytes_before": len(state), "state_bytes_after": len(after)})
    return result


def run_all() -> dict[str, dict]:
    organization = load_organization()
    sheets = {s.code: s for s in load_catalog()}
    results = {}
    for code in PLANS:
        engine = ProcedureEngine(sheets[code], organization)
        results[code] = measure(code, engine)
        r = results[code]
        log(f"  raw {code}: median {r['median_ms']} ms, p95 {r['p95_ms']} ms "
            f"(activity {r['activity']} -> {r['ready_after']}, state {r['state_bytes_before']} B)")
    return results


if __name__ == "__main__":
    run_all()
