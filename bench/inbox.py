"""Measure 3: "Mis tareas" (cases.workflow.inbox) on 1,000,000 tasks, 100,000 of them open.

Run by bench.run once per database, after bench.persisted, with DATABASE_URL set:
    DATABASE_URL=... python -m bench.inbox --json

The data follow the catalog: each case is a random walk along its procedure's routes (support
tickets weigh most), every task row carries its activity's name and roles as cases.workflow._plan_tasks plans
them (see build() for the schema's role/offer tables), and requester activities are assigned to
the case's starter. Unassigned open tasks are claimed by a holder of the role 30% of the time. The rows are
written with executemany (SQLite) or COPY (PostgreSQL), not through the ORM, to build in minutes.
"""
from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timedelta, timezone as dt_timezone

from .common import (INBOX_P95_TARGET_MS, BENCH_DIR, bulk_load, emit_json, log, secondary_indexes, server_info,
                     stats, write_rows)

# Shared with bench.search (which imports them from here); the code lives in bench.common.
_secondary_indexes, _write, _server = secondary_indexes, write_rows, server_info

TOTAL_TASKS = 1_000_000
OPEN_TASKS = 100_000
MAX_TASKS_PER_CASE = 9            # uniform 1..9 steps, cut short where the walk reaches the end
CLAIMED_SHARE = 0.30
REQUESTERS = 5_000
SEED = 20260401

PROCEDURE_WEIGHTS = {              # support work dominates a ministry's IT office
    "S04.03.04.02": 35, "S04.03.04.01": 10, "S04.03.04.03": 8, "S04.04.00.03": 6, "S04.03.01.01": 5,
    "S04.03.02.02": 4, "S04.04.00.02": 4,
}
OTHER_WEIGHT = 2
HOLDERS = {                        # staff per role; roles not listed get DEFAULT_HOLDERS
    "soporte-tecnico": 30, "operador-mesa-ayuda": 10, "tecnico-especialista": 8, "profesional-ogtie": 8,
    "profesional-redes": 6, "analista-sistemas": 6, "analista-programador": 8, "analista-calidad": 4,
    "jefe-ogtie": 1, "secretario-general": 1, "ministro": 1,
}
DEFAULT_HOLDERS = 3

# The users whose inbox is timed: one, two and three roles.
BENCH_USERS = {
    "bench-1-rol": ["soporte-tecnico"],
    "bench-2-roles": ["operador-mesa-ayuda", "personal-mindef"],
    "bench-3-roles": ["responsable-infraestructura", "responsable-base-datos", "coord-infraestructura"],
}
SCOPES = ("mine", "available")
SLICE = 50
SERIES_MAX_ITERATIONS = 200
SERIES_MIN_ITERATIONS = 20
SERIES_BUDGET_S = 8.0
SERIES_WARMUP = 5

NOW = datetime.now(dt_timezone.utc).replace(microsecond=0)


# --- data --------------------------------------------------------------------------------------
def _users(rng):
    """Requesters and staff (bulk, unusable passwords); returns (requester ids, holders by role)."""
    from django.contrib.auth import get_user_model

    from org.models import Role

    User = get_user_model()
    roles = {r.slug: r for r in Role.objects.all()}
    staff = {slug: [f"{slug}-{i:02d}" for i in range(HOLDERS.get(slug, DEFAULT_HOLDERS))]
             for slug, role in roles.items() if not role.requester}
    names = [f"solicitante-{i:05d}" for i in range(REQUESTERS)] + [u for us in staff.values() for u in us] + list(BENCH_USERS)
    User.objects.bulk_create([User(username=n, password="!", first_name=n[:150]) for n in names], batch_size=2000)
    ids = dict(User.objects.filter(username__in=names).values_list("username", "id"))
    Members = Role.members.through
    links = []
    requesters = [ids[f"solicitante-{i:05d}"] for i in range(REQUESTERS)]
    for uid in requesters:
        links.append(Members(role_id=roles["personal-mindef"].id, user_id=uid))
        if rng.random() < 0.1:
            links.append(Members(role_id=roles["director-uo"].id, user_id=uid))
    holders = {slug: [ids[n] for n in us] for slug, us in staff.items()}
    for slug, us in staff.items():
        links += [Members(role_id=roles[slug].id, user_id=ids[n]) for n in us]
    for name, slugs in BENCH_USERS.items():
        for slug in slugs:
            links.append(Members(role_id=roles[slug].id, user_id=ids[name]))
            if slug == "personal-mindef":
                requesters.append(ids[name])
            else:
                holders.setdefault(slug, []).append(ids[name])
    Members.objects.bulk_create(links, batch_size=5000)
    return requesters, holders


def _routes(sheet):
    """Entry activities and {activity: [(goto, parallel)]}, precomputed for fast random walks."""
    entries = [n for _, _, n in sheet.entry_points]
    routes = {a.n: [(r.goto if isinstance(r.goto, int) else None, r.parallel) for r in sheet.routes(a.n)]
              for a in sheet.activities}
    return entries, routes


def _walk(entries, routes, rnd, length):
    """Activity numbers along a random route, at most `length`; True if it reached the end."""
    n = entries[int(rnd() * len(entries))]
    path = []
    while len(path) < length:
        path.append(n)
        out = routes[n]
        goto = out[0][0] if out[0][1] else out[int(rnd() * len(out))][0]
        if goto is None:
            return path, True
        n = goto
    return path, False


class _Clock:
    """UTC text timestamps from epoch seconds, by table lookup (strftime is too slow for 3M values)."""

    def __init__(self, suffix: str):
        self.epoch0 = int((NOW - timedelta(days=800)).replace(hour=0, minute=0, second=0).timestamp())
        start = datetime.fromtimestamp(self.epoch0, dt_timezone.utc)
        self.days = [(start + timedelta(days=d)).strftime("%Y-%m-%d ") for d in range(900)]
        self.hms = [f"{h:02d}:{m:02d}:{s:02d}{suffix}" for h in range(24) for m in range(60) for s in range(60)]

    def __call__(self, epoch: int) -> str:
        offset = epoch - self.epoch0
        return self.days[offset // 86400] + self.hms[offset % 86400]


def generate(rng, requesters, holders, first_task_id, first_case_id, suffix=""):
    """Rows for cases, tasks (last column: all roles, comma-separated), extra roles (task, role) and
    offers of open unclaimed tasks (task, role, procedure, due_at); timestamps as UTC text + `suffix`."""
    from bisect import bisect
    from itertools import accumulate

    from django.conf import settings

    from cases import procedures
    from org.models import Unit

    rnd = rng.random
    unit_id = Unit.objects.get(slug="uo").pk   # the requesters' unit: the inbox lists it
    sheets = procedures.sheets()
    codes = sorted(sheets)
    cumulative = list(accumulate(PROCEDURE_WEIGHTS.get(c, OTHER_WEIGHT) for c in codes))
    walks = {code: _routes(sheet) for code, sheet in sheets.items()}
    requester_roles = procedures.requester_roles()
    default_due = settings.MAPRO_TASK_DUE_DAYS
    info = {}   # (code, n) -> (name, role, all roles, waiting, requester?, due seconds, holders)
    for code, sheet in sheets.items():
        for a in sheet.activities:
            name = (f"Se espera a {a.wait.party}: {a.wait.awaited}".strip().rstrip(":") if a.wait else a.name)[:300]
            requester = bool(set(a.roles) & requester_roles)
            info[code, a.n] = (name, a.role, tuple(a.roles), bool(a.wait), requester,
                               86400 * (a.due_days or default_due), None if requester else holders[a.role])

    paths = []   # (code, [activities], ended)
    total = 0
    while total < TOTAL_TASKS:
        code = codes[bisect(cumulative, rnd() * cumulative[-1])]
        entries, routes = walks[code]
        path, ended = _walk(entries, routes, rnd, 1 + int(rnd() * MAX_TASKS_PER_CASE))
        path = path[:TOTAL_TASKS - total]
        paths.append((code, path, ended))
        total += len(path)
    # Open cases: those whose walk did not reach the end are candidates; their last task is open.
    candidates = [i for i, (_, _, ended) in enumerate(paths) if not ended]
    if len(candidates) < OPEN_TASKS:
        candidates = list(range(len(paths)))
    open_cases = set(rng.sample(candidates, OPEN_TASKS))

    ts = _Clock(suffix)
    now = int(NOW.timestamp())
    step = 20 * 3600
    cases, tasks, extra, offers = [], [], [], []
    task_id = first_task_id
    n_requesters = len(requesters)
    for index, (code, path, _) in enumerate(paths):
        case_id = first_case_id + index
        starter = requesters[int(rnd() * n_requesters)]
        is_open = index in open_cases
        if is_open:   # open cases are recent: the last step arrived within the last 20 days
            created = now - int(rnd() * 20 * 86400) - step * (len(path) - 1)
        else:         # closed ones are spread over two years
            created = now - int(rnd() * 730 * 86400) - step * len(path)
        at = created
        last = len(path) - 1
        for k, n in enumerate(path):
            name, role, roles, waiting, requester, due, pool = info[code, n]
            actor = starter if requester else pool[int(rnd() * len(pool))]
            if is_open and k == last:
                claimed = not requester and rnd() < CLAIMED_SHARE
                assignee = actor if requester or claimed else None
                due_at = ts(at + due)
                tasks.append((task_id, case_id, code, f"00000000-0000-4000-8000-{task_id:012d}", n, waiting, name,
                              role, assignee, "open", ts(at), ts(at + 3600) if claimed else None, None, None,
                              due_at, ",".join(roles)))
                if assignee is None:
                    offers += [(task_id, r, code, due_at) for r in roles]
            else:
                tasks.append((task_id, case_id, code, f"00000000-0000-4000-8000-{task_id:012d}", n, waiting, name,
                              role, actor, "completed", ts(at), None, ts(at + step), actor, ts(at + due),
                              ",".join(roles)))
            if len(roles) > 1:
                extra += [(task_id, r) for r in roles[1:]]
            task_id += 1
            at += step
        updated = ts(at - step)
        # Case.state is a short placeholder: the inbox never reads a case's engine state. The
        # subject, priority and requesting unit are what the inbox shows of the case.
        cases.append((case_id, f"{code}-BENCH-{case_id:07d}", code, 1, "", "open" if is_open else "completed",
                      starter, unit_id, ts(created), updated, None if is_open else updated, "{}", len(path),
                      SUBJECTS[case_id % len(SUBJECTS)], PRIORITIES[case_id % len(PRIORITIES)]))
    return cases, tasks, extra, offers


CASE_FIELDS = ["id", "number", "procedure", "version", "start_key", "status", "started_by", "requester_unit",
               "created_at", "updated_at", "completed_at", "state", "lock_version", "subject", "priority"]
SUBJECTS = ["La PC no enciende — piso 3", "Sin acceso al correo institucional", "Impresora atascada en mesa de partes",
            "Instalación del antivirus corporativo", "Cuenta de usuario bloqueada", "Lentitud en el SIGA",
            "Configuración de la VPN para trabajo remoto", "Reemplazo del monitor de la oficina 502"]
PRIORITIES = ["medium", "medium", "high", "low", "medium"]
TASK_FIELDS = ["id", "case", "procedure", "engine_id", "activity", "waiting", "name", "role", "assignee", "status",
               "created_at", "claimed_at", "completed_at", "completed_by", "due_at"]
TASKROLE_FIELDS = ["task", "role"]
TASKOFFER_FIELDS = ["task", "role", "procedure", "due_at"]


def _model(name):
    """cases.<name>, or None where the schema has no such model (the schema evolves)."""
    from django.apps import apps

    try:
        return apps.get_model("cases", name)
    except LookupError:
        return None


def _has_field(model, name) -> bool:
    return any(f.name == name for f in model._meta.concrete_fields)


def build(vendor) -> dict:
    """Write users, cases, tasks and their roles or offers as fast as the database allows.

    The schema decides what is written: Task.roles when the model has it, TaskRole rows (every
    task's further roles) when that model exists, TaskOffer rows (one per role of each open,
    unclaimed task) when that model exists.

    Loading only: the secondary indexes are dropped and created again afterwards from their own
    definitions (one sort instead of a million B-tree inserts), and foreign keys are not checked
    row by row (the rows are consistent by construction). The schema ends exactly as migrated.
    """
    from django.db.models import Max

    from cases.models import Case, Task

    TaskRole, TaskOffer = _model("TaskRole"), _model("TaskOffer")

    rng = random.Random(SEED)
    t0 = time.perf_counter()
    requesters, holders = _users(rng)
    first_case = (Case.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    first_task = (Task.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    cases, tasks, extra, offers = generate(rng, requesters, holders, first_task, first_case,
                                           suffix="+00" if vendor == "postgresql" else "")
    task_fields = TASK_FIELDS + ["roles"]
    if not _has_field(Task, "roles"):
        task_fields = TASK_FIELDS
        tasks = [row[:-1] for row in tasks]
    writes = [(Case, CASE_FIELDS, cases), (Task, task_fields, tasks)]
    if TaskRole is not None:
        writes.append((TaskRole, TASKROLE_FIELDS, extra))
    if TaskOffer is not None:
        writes.append((TaskOffer, TASKOFFER_FIELDS, offers))
    t1 = time.perf_counter()
    log(f"  inbox {vendor}: " + ", ".join(f"{len(rows):,} {model.__name__}" for model, _, rows in writes)
        + f" generated in {t1 - t0:.1f} s; writing...")
    counts = {model._meta.db_table: len(rows) for model, _, rows in writes}
    loaded = bulk_load(vendor, writes)
    del cases, tasks, extra, offers, writes
    log(f"  inbox {vendor}: rows written in {loaded['write_s']} s, {loaded['indexes']} indexes in "
        f"{loaded['indexes_s']} s, maintenance {loaded['maintenance_s']} s")
    return {**counts, "generate_s": round(t1 - t0, 1), "write_s": loaded["write_s"],
            "indexes_s": loaded["indexes_s"], "maintenance_s": loaded["maintenance_s"]}


# --- measure -----------------------------------------------------------------------------------
def _explain_page(vendor, user, scope) -> str:
    """EXPLAIN every query that reading one page runs (however inbox() builds it)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.workflow import inbox

    user.__dict__.pop("_mapro_role_slugs", None)
    with CaptureQueriesContext(connection) as captured:
        list(inbox(user, scope)[:SLICE])
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


def _series(user, scope, budget_s=SERIES_BUDGET_S):
    """Time inbox(user, scope)[:50] as a request runs it; returns (samples ns, last page)."""
    from cases.workflow import inbox

    samples, page = [], []
    started = time.perf_counter()
    i = 0
    while True:
        # As in a request: the user's roles are looked up once, then the page is read.
        user.__dict__.pop("_mapro_role_slugs", None)
        t0 = time.perf_counter_ns()
        page = list(inbox(user, scope)[:SLICE])
        elapsed = time.perf_counter_ns() - t0
        if i >= SERIES_WARMUP:
            samples.append(elapsed)
        i += 1
        n = len(samples)
        if n >= SERIES_MAX_ITERATIONS or (n >= SERIES_MIN_ITERATIONS and time.perf_counter() - started > budget_s):
            return samples, page


def _pool(results_series: dict, pooled: dict) -> dict:
    out = {}
    for scope in SCOPES:   # all users of the scope together
        series = [v for k, v in results_series.items() if k.startswith(scope + ".")]
        out[scope] = stats(pooled[scope])
        out[scope]["worst_user_p95_ms"] = max(v["p95_ms"] for v in series)
        out[scope]["meets_target"] = all(v["p95_ms"] <= INBOX_P95_TARGET_MS for v in series)
    return out


def _real_state() -> str:
    """A real mid-case engine state (S04.03.04.02 at activity 13, as the raw step uses)."""
    from cases import procedures

    from .raw import mid_case

    sheet = procedures.sheet("S04.03.04.02")
    return mid_case(procedures.engine(sheet.code, sheet.version))


def measure(vendor) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from cases.models import Case, Task
    from cases.workflow import inbox

    counts = {"tasks": Task.objects.count(), "open": Task.objects.filter(status=Task.Status.OPEN).count()}
    results = {"counts": counts, "server": _server(vendor), "series": {}}
    pooled = {scope: [] for scope in SCOPES}
    explains = []
    listed_cases = set()
    users = {name: get_user_model().objects.get(username=name) for name in BENCH_USERS}
    for username, user in users.items():
        for scope in SCOPES:
            samples, page = _series(user, scope)
            listed_cases |= {t.case_id for t in page}
            pooled[scope] += samples
            qs = inbox(user, scope)
            result = stats(samples)
            result.update({"user": username, "roles": BENCH_USERS[username], "rows": len(page), "matching": qs.count()})
            result["meets_target"] = result["p95_ms"] <= INBOX_P95_TARGET_MS
            plan = _explain_page(vendor, user, scope)
            explains.append(f"== {vendor} {scope} {username} ({result['p95_ms']} ms p95)\n{plan}\n")
            if not result["meets_target"]:
                result["explain"] = plan
            results["series"][f"{scope}.{username}"] = result
            log(f"  inbox {vendor} {scope:9} {username:13}: p50 {result['median_ms']} ms, p95 {result['p95_ms']} ms "
                f"({len(page)} rows of {result['matching']:,})")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    (BENCH_DIR / f"explain-{vendor}.txt").write_text("\n".join(explains), encoding="utf-8")
    results.update(_pool(results["series"], pooled))

    # The placeholder Case.state understates one cost: select_related("case") reads every column
    # of the case, the engine state (~8 KB) included. Give the cases the pages list a real state
    # and time the same queries again (shorter series).
    state = _real_state()
    Case.objects.filter(pk__in=listed_cases).update(state=state)
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE cases_case")
    series, pooled = {}, {scope: [] for scope in SCOPES}
    for username, user in users.items():
        for scope in SCOPES:
            samples, _ = _series(user, scope, budget_s=SERIES_BUDGET_S / 2)
            pooled[scope] += samples
            series[f"{scope}.{username}"] = {**stats(samples), "user": username}
    results["with_real_state"] = {"state_bytes": len(state), "cases_updated": len(listed_cases),
                                  **_pool(series, pooled), "series": series}
    for scope in SCOPES:
        r = results["with_real_state"][scope]
        log(f"  inbox {vendor} {scope:9} with real Case.state ({len(state)} B): p50 {r['median_ms']} ms, "
            f"p95 {r['p95_ms']} ms")
    connection.close()
    return results


def main():
    from .django_setup import setup

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args()
    vendor = setup()
    built = build(vendor)
    results = measure(vendor)
    results["build"] = built
    if args.json:
        emit_json({"vendor": vendor, "results": results})


if __name__ == "__main__":
    main()
