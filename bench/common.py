"""What the benchmark parts share: the mid-case plans, sample form data and statistics.

Nothing here imports Django, so the raw engine measure runs in a Django-free process.
"""
from __future__ import annotations

import json
import math
import statistics
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
BENCH_DIR = VAR_DIR / "bench"
JSON_MARKER = "BENCH-JSON:"

# The step measured in each procedure: the decisions that lead to a mid-case state and the
# activity whose completion is timed. S04.03.04.02 after 1, 2 (Sí), 4, 5 (No), 7 (No), 9 (Sí):
# completing 13 (coordinate the warranty) moves on to 14. S04.02.00.01 after 12 activities,
# with the parallel branch 15 already done: completing 16 fires the join into 17.
PLANS = {
    "S04.03.04.02": {"answers": {2: "Sí", 5: "No", 7: "No", 9: "Sí"}, "target": 13},
    "S04.02.00.01": {"answers": {3: "Sí", 8: "Alta o media", 22: "No"}, "target": 16},
}
PROCEDURES = tuple(PLANS)

STEP_WARMUP = 30
STEP_ITERATIONS = 300
RATIO_TARGET = 3.0
INBOX_P95_TARGET_MS = 50.0


def sample_value(f):
    """A valid value for a form field, by type (what a person would type)."""
    if f.type == "choice":
        return f.options[0]
    if f.type == "multichoice":
        return list(f.options[:1])
    if f.type in ("integer", "number"):
        low = f.min if f.min is not None else 1
        return int(max(low, 3)) if f.type == "integer" else float(max(low, 2.5))
    return {
        "boolean": True, "date": "2026-11-27", "datetime": "2026-11-27T10:30",
        "email": "usuario@mindef.gob.pe", "url": "https://www.gob.pe/mindef", "ipv4": "10.10.1.20", "port": 443,
        "ports": "443, 8080", "dni": "45678912", "document": "INFORME N° 00045-2026-MINDEF/SG-OGTIE",
        "phone": "987654321", "extension": "4321",
        "textarea": "Texto de prueba para el benchmark, con algo de detalle como lo escribiría una persona.",
    }.get(f.type, "Texto de prueba")


def sample_data(sheet, activity_n: int, waiting: bool = False) -> dict:
    """Every field filled, except optional "user" fields (who does a later activity): left blank,
    the next task is offered to the role; a required one names the role's staff user (the bench
    creates one per role, username = role slug)."""
    if waiting:
        return {}
    data = {}
    for f in sheet.activity(activity_n).form:
        assigns = getattr(f, "assigns", None)
        if f.type == "user" or assigns is not None:
            if f.required and assigns is not None:
                data[f.key] = sheet.activity(assigns).role
            continue
        data[f.key] = sample_value(f)
    return data


def decision_for(sheet, activity_n: int, waiting: bool = False) -> str | None:
    activity = sheet.activity(activity_n)
    if waiting or not activity.decision:
        return None
    wanted = PLANS[sheet.code]["answers"].get(activity_n)
    if wanted is not None:
        return wanted
    forward = [a for a in activity.decision.answers if isinstance(a.goto, int) and a.goto > activity_n]
    return (forward or list(activity.decision.answers))[0].label


def at_target(code: str, ready_activities: list[int]) -> bool:
    """The plan's target is ready and nothing earlier is still pending."""
    target = PLANS[code]["target"]
    return target in ready_activities and min(ready_activities) >= target


def stats(samples_ns: list[int]) -> dict:
    ms = sorted(s / 1e6 for s in samples_ns)
    n = len(ms)
    return {
        "median_ms": round(statistics.median(ms), 3),
        "p95_ms": round(ms[max(0, math.ceil(0.95 * n) - 1)], 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "min_ms": round(ms[0], 3),
        "max_ms": round(ms[-1], 3),
        "n": n,
    }


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def emit_json(payload: dict) -> None:
    """Subprocess result on one stdout line; progress goes to stderr."""
    print(JSON_MARKER + json.dumps(payload, ensure_ascii=False), flush=True)
