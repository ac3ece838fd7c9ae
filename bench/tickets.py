"""Measure 8: the help desk's lists at 1,000,000 tickets (issue 9).

Run by bench.run once per database, on its own fresh database, with DATABASE_URL set:
    DATABASE_URL=... python -m bench.tickets --json

The data: 1,000,000 tickets over three years, opened by 20,000 requesters (plus one who files for
a whole office, 2,000 tickets) and attended by 30 technicians who hold the categories' team roles
(catalog/helpdesk.yaml); categories, impact x urgency -> priority and SLA targets from the
catalogue; subjects and descriptions in an employee's words. Most tickets are closed; the newest
are open: ~5,000 new ones in the operator's queue, ~20,000 assigned and being worked on (some
waiting for the requester or a supplier, with their SLA pause), a few returned, ~10,000 resolved,
3% cancelled. Rows are written with COPY / executemany by bench.common.bulk_load.

Timed, as the pages run them (helpdesk.lists.tickets, then Django's Paginator: the count and the
first page of 50):
- queue           the operator's queue (new tickets, oldest first), for an operator;
- mine            "Mis tickets" of a requester with ~50 tickets, and of the one with 2,000;
- assigned        "Mis tickets asignados" of a technician (~700 open tickets assigned);
and, for each, the whole page's reads ("page"): the list plus the SLA of each row
(helpdesk.lists.with_sla) and, for the assigned page, the team's other tickets.
Target: p95 <= 50 ms.
"""
from __future__ import annotations

import argparse
import os
import random
import time
from datetime import datetime, timedelta, timezone as dt_timezone

from .common import BENCH_DIR, bulk_load, emit_json, explain_queries, log, server_info, stats, timed_series
from .search import FIRST, LAST, OBJECTS, PLACES, PROBLEMS, SENTENCES

P95_TARGET_MS = 50.0
SEED = 20260409
SCALE = float(os.environ.get("BENCH_SCALE") or 1)   # e.g. 0.01 for a quick try; the measure is at 1
TICKETS = int(1_000_000 * SCALE)
REQUESTERS = max(50, int(20_000 * SCALE))
HEAVY_TICKETS = int(2_000 * SCALE)
TECHNICIANS = 30
NEW_TICKETS = int(5_000 * SCALE)
WORKING_TICKETS = int(20_000 * SCALE)
RESOLVED_TICKETS = int(10_000 * SCALE)
RETURNED_TICKETS = int(300 * SCALE)
CANCELLED_SHARE = 0.03
YEARS = 3

OPERATOR = "bench-operador"
REQUESTER = "bench-solicitante"
HEAVY = "bench-solicitante-frecuente"
TECHNICIAN = "bench-tecnico"
SLICE = 50
SERIES_BUDGET_S = 4.0
SERIES_MAX = 150
SERIES_MIN = 20
SERIES_WARMUP = 3

NOW = datetime.now(dt_timezone.utc).replace(microsecond=0)
WORKING = ("asignado", "en_atencion", "en_espera_usuario", "en_espera_proveedor")
WORKING_WEIGHTS = (0.35, 0.45, 0.12, 0.08)
CHANNELS = (("portal", 0.7), ("correo", 0.12), ("telefono", 0.12), ("presencial", 0.06))
SOLUTIONS = ["Se reinstaló el controlador y el equipo quedó operativo.", "Se restableció la contraseña del usuario.",
             "Se reemplazó el tóner y se imprimió una página de prueba.", "Se configuró el acceso solicitado.",
             "Se atendió de forma remota; el usuario confirmó que funciona."]


# --- data ------------------------------------------------------------------------------------
def _ts(epoch, suffix):
    return datetime.fromtimestamp(epoch, dt_timezone.utc).strftime("%Y-%m-%d %H:%M:%S") + suffix


def _users(rng, teams):
    """Requesters, the technicians (holders of the categories' teams), the operator; returns
    (requester ids, heavy requester id, {team: [technician ids]}, unit ids)."""
    from django.contrib.auth import get_user_model

    from org.models import Role, Unit

    User = get_user_model()
    rnd = rng.random
    roles = {r.slug: r for r in Role.objects.all()}
    teams = [t for t in teams if t in roles]
    techs = [f"tecnico-{i:02d}" for i in range(TECHNICIANS - 1)] + [TECHNICIAN]
    names = [f"solicitante-{i:05d}" for i in range(REQUESTERS - 1)] + [REQUESTER, HEAVY, OPERATOR] + techs
    User.objects.bulk_create([User(username=n, password="!", first_name=FIRST[int(rnd() * len(FIRST))],
                                   last_name=LAST[int(rnd() * len(LAST))]) for n in names], batch_size=5000)
    ids = dict(User.objects.filter(username__in=names).values_list("username", "id"))
    Members = Role.members.through
    links = [Members(role_id=roles["personal-mindef"].id, user_id=ids[n]) for n in names[:REQUESTERS + 1]]
    links.append(Members(role_id=roles["operador-mesa-ayuda"].id, user_id=ids[OPERATOR]))
    by_team: dict[str, list[int]] = {t: [] for t in teams}
    # Two thirds of the technicians in the busiest team (first support), the rest spread.
    busiest = "soporte-tecnico" if "soporte-tecnico" in by_team else teams[0]
    for i, n in enumerate(techs):
        team = busiest if n == TECHNICIAN or i < 2 * TECHNICIANS // 3 else teams[i % len(teams)]
        by_team[team].append(ids[n])
        links.append(Members(role_id=roles[team].id, user_id=ids[n]))
    for team, holders in by_team.items():
        if not holders:
            holders.append(ids[techs[int(rnd() * len(techs))]])
    Members.objects.bulk_create(links, batch_size=5000)
    requesters = [ids[n] for n in names[:REQUESTERS]]
    units = list(Unit.objects.values_list("id", flat=True))
    return requesters, ids[HEAVY], by_team, units


def _statuses(rng):
    """A status per ticket, oldest first: the open ones among the newest."""
    rnd = rng.random
    statuses = ["cerrado"] * TICKETS
    for i in range(TICKETS):
        if rnd() < CANCELLED_SHARE:
            statuses[i] = "cancelado"
    recent = list(range(max(0, TICKETS - 12 * NEW_TICKETS), TICKETS))
    newest = recent[-3 * NEW_TICKETS:] if NEW_TICKETS else []
    for i in rng.sample(newest, min(NEW_TICKETS, len(newest))):
        statuses[i] = "nuevo"
    free = [i for i in recent if statuses[i] == "cerrado"]
    picked = rng.sample(free, min(len(free), WORKING_TICKETS + RESOLVED_TICKETS + RETURNED_TICKETS))
    for k, i in enumerate(picked):
        if k < WORKING_TICKETS:
            x, acc = rnd(), 0.0
            for status, w in zip(WORKING, WORKING_WEIGHTS):
                acc += w
                if x < acc:
                    break
            statuses[i] = status
        elif k < WORKING_TICKETS + RESOLVED_TICKETS:
            statuses[i] = "resuelto"
        else:
            statuses[i] = "devuelto"
    return statuses


def generate(rng, requesters, heavy, by_team, units, suffix=""):
    """Rows for tickets and SLA pauses."""
    from helpdesk.catalog import catalog

    rnd = rng.random
    cat = catalog()
    categories = [c for c in cat.categories.values() if c.team in by_team]
    weights = [30 if c.team == "soporte-tecnico" else 4 for c in categories]
    cumulative, total = [], 0
    for w in weights:
        total += w
        cumulative.append(total)
    from bisect import bisect

    statuses = _statuses(rng)
    now = int(NOW.timestamp())
    start = now - YEARS * 365 * 86400
    span = now - 3600 - start
    heavy_every = max(1, TICKETS // max(1, HEAVY_TICKETS))
    tickets, pauses = [], []
    sequence: dict[int, int] = {}
    for i in range(TICKETS):
        created = start + (span * i) // TICKETS + int(rnd() * 600)
        year = datetime.fromtimestamp(created, dt_timezone.utc).year
        sequence[year] = sequence.get(year, 0) + 1
        number = f"TK-{year}-{sequence[year]:06d}"
        status = statuses[i]
        c = categories[bisect(cumulative, rnd() * total)]
        impact, urgency = c.impact, c.urgency
        if rnd() < 0.15:
            impact = ("alto", "medio", "bajo")[int(rnd() * 3)]
        priority = cat.priority_of(impact, urgency)
        targets = c.targets(priority)
        requester = heavy if i % heavy_every == 0 else requesters[int(rnd() * len(requesters))]
        x, acc, channel = rnd(), 0.0, "portal"
        for name, w in CHANNELS:
            acc += w
            if x < acc:
                channel = name
                break
        subject = f"{PROBLEMS[int(rnd() * len(PROBLEMS))]} {OBJECTS[int(rnd() * len(OBJECTS))]} — {PLACES[int(rnd() * len(PLACES))]}"
        description = " ".join(SENTENCES[int(rnd() * len(SENTENCES))] for _ in range(1 + int(rnd() * 2)))
        assigned = status not in ("nuevo", "devuelto") and not (status == "cancelado" and rnd() < 0.5)
        holders = by_team[c.team]
        assignee = holders[int(rnd() * len(holders))] if assigned else None
        validated = created + 600 + int(rnd() * 7200) if status != "nuevo" else None
        responded = validated + int(rnd() * 3 * 3600) if validated and assigned else None
        done = status in ("resuelto", "cerrado")
        resolved = (responded or created) + int(rnd() * 3 * 86400) if done else None
        if resolved and resolved > now - 60:
            resolved = now - 60
        closed = resolved + 3 * 86400 if status == "cerrado" else (created + 86400 if status == "cancelado" else None)
        if closed and closed > now - 60:
            closed = now - 60
        updated = max(t for t in (created, validated, responded, resolved, closed) if t)
        rating = 1 + min(4, int(rnd() * 5.6)) if status == "cerrado" and rnd() < 0.3 else None
        tickets.append((i + 1, number, requester, units[int(rnd() * len(units))] if units else None, c.slug, c.type,
                        impact, urgency, priority, channel, status, assignee, c.team if assigned else "", subject,
                        description, "Falta el anexo solicitado." if status == "devuelto" else "",
                        SOLUTIONS[int(rnd() * len(SOLUTIONS))] if done else "", _ts(created, suffix),
                        _ts(updated, suffix), _ts(validated, suffix) if validated else None,
                        _ts(responded, suffix) if responded else None, _ts(resolved, suffix) if resolved else None,
                        _ts(closed, suffix) if closed else None, targets.respond, targets.resolve,
                        _ts(created + 2 * 60 * targets.respond, suffix),
                        _ts(created + 2 * 60 * targets.resolve, suffix), rating, "", 0))
        if status in ("en_espera_usuario", "en_espera_proveedor"):
            pauses.append((i + 1, status, _ts(updated + 600, suffix), None))
        elif done and rnd() < 0.05:
            began = (responded or created) + 600
            pauses.append((i + 1, "en_espera_usuario", _ts(began, suffix), _ts(began + 4 * 3600, suffix)))
    return tickets, pauses


TICKET_FIELDS = ["id", "number", "requester", "requester_unit", "category", "type", "impact", "urgency", "priority",
                 "channel", "status", "assignee", "team", "subject", "description", "return_reason", "solution",
                 "created_at", "updated_at", "validated_at", "first_response_at", "resolved_at", "closed_at",
                 "respond_minutes", "resolve_minutes", "respond_by", "resolve_by", "rating", "rating_comment",
                 "lock_version"]
PAUSE_FIELDS = ["ticket", "status", "started_at", "ended_at"]


def build(vendor) -> dict:
    """Write the users, 1,000,000 tickets and their SLA pauses."""
    from helpdesk.catalog import catalog
    from helpdesk.models import Ticket, TicketPause

    rng = random.Random(SEED)
    t0 = time.perf_counter()
    teams = sorted({c.team for c in catalog().categories.values()})
    requesters, heavy, by_team, units = _users(rng, teams)
    tickets, pauses = generate(rng, requesters, heavy, by_team, units, suffix="+00" if vendor == "postgresql" else "")
    writes = [(Ticket, TICKET_FIELDS, tickets), (TicketPause, PAUSE_FIELDS, pauses)]
    t1 = time.perf_counter()
    log(f"  tickets {vendor}: " + ", ".join(f"{len(rows):,} {model.__name__}" for model, _, rows in writes)
        + f" generated in {t1 - t0:.1f} s; writing...")
    counts = {model._meta.db_table: len(rows) for model, _, rows in writes}
    by_status: dict[str, int] = {}
    for row in tickets:
        by_status[row[10]] = by_status.get(row[10], 0) + 1
    counts["tickets_by_status"] = by_status
    counts["technicians_by_team"] = {team: len(ids) for team, ids in by_team.items()}
    loaded = bulk_load(vendor, writes)
    del tickets, pauses, writes
    log(f"  tickets {vendor}: rows written in {loaded['write_s']} s, {loaded['indexes']} indexes in "
        f"{loaded['indexes_s']} s, maintenance {loaded['maintenance_s']} s")
    return {**counts, "generate_s": round(t1 - t0, 1), "write_s": loaded["write_s"],
            "indexes_s": loaded["indexes_s"], "maintenance_s": loaded["maintenance_s"]}


# --- measure ---------------------------------------------------------------------------------
# (series name, user, scope)
SERIES = (("queue", OPERATOR, "queue"), ("mine", REQUESTER, "mine"), ("mine_heavy", HEAVY, "mine"),
          ("assigned", TECHNICIAN, "assigned"))


def _forget(user):
    for attr in ("_mapro_role_slugs", "_mapro_unit_id"):
        user.__dict__.pop(attr, None)


def _list(user, scope):
    """The list as its page reads it: Paginator(lists.tickets(user, scope), 50).get_page(1)."""
    from django.core.paginator import Paginator

    from helpdesk import lists

    page = Paginator(lists.tickets(user, scope), SLICE).get_page(1)
    return page.paginator.count, list(page.object_list)


def _page(user, scope):
    """Everything the page reads: the list, each row's SLA and, on the assigned page, the team's
    other tickets (helpdesk.views.my_tickets / queue / assigned)."""
    from helpdesk import lists

    count, rows = _list(user, scope)
    rows = lists.with_sla(rows)
    if scope == "assigned":
        lists.with_sla(lists.tickets(user, "team").exclude(assignee=user)[:SLICE])
    return count, rows


def measure(vendor) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from helpdesk.models import Ticket

    users = {u.username: u for u in get_user_model().objects.filter(username__in=[s[1] for s in SERIES])}
    results = {"counts": {"tickets": Ticket.objects.count()}, "server": server_info(vendor), "series": {}}
    explains = []
    for name, username, scope in SERIES:
        user = users[username]
        for kind, run in (("list", _list), ("page", _page)):
            samples, (count, rows) = timed_series(lambda: run(user, scope), before=lambda: _forget(user),
                                                  budget_s=SERIES_BUDGET_S, warmup=SERIES_WARMUP,
                                                  min_n=SERIES_MIN, max_n=SERIES_MAX)
            result = stats(samples)
            result.update({"user": username, "scope": scope, "matching": count, "rows": len(rows)})
            result["meets_target"] = result["p95_ms"] <= P95_TARGET_MS
            _forget(user)
            plan = explain_queries(vendor, lambda: run(user, scope))
            explains.append(f"== {vendor} {name} {kind} ({result['p95_ms']} ms p95)\n{plan}\n")
            if not result["meets_target"]:
                result["explain"] = plan
            results["series"][f"{name}.{kind}"] = result
            log(f"  tickets {vendor} {name:10} {kind}: p50 {result['median_ms']} ms, p95 {result['p95_ms']} ms "
                f"({len(rows)} rows of {count:,})")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    (BENCH_DIR / f"explain-tickets-{vendor}.txt").write_text("\n".join(explains), encoding="utf-8")
    results["meets_target"] = all(v["meets_target"] for v in results["series"].values())
    connection.close()
    return results


def main():
    from .django_setup import setup

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    parser.add_argument("--measure-only", action="store_true",
                        help="measure a database this module built before (kept with bench.run --keep)")
    parser.add_argument("--build-only", action="store_true", help="build the data and stop")
    args = parser.parse_args()
    vendor = setup()
    built = {} if args.measure_only else build(vendor)
    if args.build_only:
        return
    results = measure(vendor)
    results["build"] = built
    if args.json:
        emit_json({"vendor": vendor, "results": results})


if __name__ == "__main__":
    main()
