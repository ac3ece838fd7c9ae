"""What the benchmark parts share: the mid-case plans, sample form data and statistics.

Nothing here imports Django at module level, so the raw engine measure runs in a Django-free process;
the bulk-loading and measuring helpers below import it when called.
"""
from __future__ import annotations

import json
import math
import statistics
import sys
import time
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


# --- bulk loading (Django imported inside: only the database parts call these) ----------------
def columns(model, names) -> list[str]:
    return [model._meta.get_field(n).column for n in names]


def secondary_indexes(vendor, table) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the indexes of `table` that back no constraint."""
    from django.db import connection

    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = %s::regclass AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)", [table])
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                           "AND sql IS NOT NULL", [table])
        return cursor.fetchall()


def write_rows(vendor, model, fields, rows) -> None:
    """COPY (PostgreSQL) or executemany (SQLite) of `rows`, tuples in the order of `fields`."""
    from django.db import connection

    table = model._meta.db_table
    cols = columns(model, fields)
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        raw = connection.connection
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        raw.executemany(sql, rows)


def bulk_load(vendor, writes) -> dict:
    """Write [(model, fields, rows)] as fast as the database allows and leave the schema exactly as
    migrated: the tables' secondary indexes are dropped and created again from their own
    definitions afterwards (one sort instead of millions of B-tree inserts), foreign keys are not
    checked row by row (the rows are consistent by construction), the id sequences are moved past
    the rows written (PostgreSQL) and the database is analyzed as autovacuum soon would
    (PostgreSQL; SQLite gets no ANALYZE because the application never runs it). Closes the
    connection (its loading settings die with it). Returns the seconds taken and the index count."""
    from django.db import connection, models, transaction

    tables = list(dict.fromkeys(model._meta.db_table for model, _, _ in writes))
    indexes = [ix for table in tables for ix in secondary_indexes(vendor, table)]
    with connection.cursor() as cursor:   # settings of this loading connection only; closed below
        if vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")   # no FK triggers per row
            cursor.execute("SET maintenance_work_mem = '256MB'")
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -262144")
    t0 = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        for model, fields, rows in writes:
            write_rows(vendor, model, fields, rows)
        t1 = time.perf_counter()
        with connection.cursor() as cursor:
            for _, definition in indexes:
                cursor.execute(definition)
    t2 = time.perf_counter()
    if vendor == "postgresql":
        serial = [model._meta.db_table for model, _, _ in writes
                  if isinstance(model._meta.pk, models.AutoField) and model._meta.pk.column == "id"]
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            for table in dict.fromkeys(serial):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cursor.execute("VACUUM ANALYZE")
    connection.close()
    t3 = time.perf_counter()
    return {"write_s": round(t1 - t0, 1), "indexes_s": round(t2 - t1, 1), "maintenance_s": round(t3 - t2, 1),
            "indexes": len(indexes)}


def server_info(vendor) -> dict:
    """The database server's version and the settings that weigh on the plans."""
    from django.db import connection

    with connection.cursor() as cursor:
        if vendor == "postgresql":
            info = {}
            for setting in ("server_version", "shared_buffers", "work_mem", "effective_cache_size", "random_page_cost"):
                cursor.execute(f"SHOW {setting}")
                info[setting] = cursor.fetchone()[0]
            return info
        cursor.execute("SELECT sqlite_version()")
        return {"sqlite_version": cursor.fetchone()[0]}


def explain_queries(vendor, run) -> str:
    """EXPLAIN (ANALYZE on PostgreSQL) of every SELECT that `run()` sends, with its SQL and time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run()
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    parts = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql)
            rows = cursor.fetchall()
        plan = "\n".join(r[0] if vendor == "postgresql" else " ".join(str(c) for c in r) for r in rows)
        parts.append(f"-- {query['time']} s as run:\n{sql}\n{plan}")
    return "\n\n".join(parts)


def timed_series(run, *, budget_s: float, warmup: int = 3, min_n: int = 20, max_n: int = 150, before=None):
    """Time run() until max_n samples, or min_n samples and budget_s seconds; `before()` runs
    untimed before each call (as a new request: forget what the last one cached). Returns
    (samples ns, the last result)."""
    samples, result = [], None
    started = time.perf_counter()
    i = 0
    while True:
        if before is not None:
            before()
        t0 = time.perf_counter_ns()
        result = run()
        elapsed = time.perf_counter_ns() - t0
        if i >= warmup:
            samples.append(elapsed)
        i += 1
        n = len(samples)
        if n >= max_n or (n >= min_n and time.perf_counter() - started > budget_s):
            return samples, result
