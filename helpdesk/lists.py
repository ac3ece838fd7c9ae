"""The help desk's lists and the coordinators' dashboard. Every list starts from
cases.access.visible_tickets, and each scope reads one index (helpdesk.models.Ticket.Meta):

- mine:      the requester's own tickets, newest first       (requester, created_at)
- queue:     new and returned-then-corrected tickets, oldest first (status, created_at)
- assigned:  the open tickets assigned to the person         (assignee, status, created_at)
- team:      the open tickets of the person's teams          (team, status, created_at)
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone

from cases import access, export
from org.models import role_slugs

from . import sla
from .catalog import catalog
from . import models
from .models import Ticket, TicketPause

SCOPES = ("mine", "queue", "assigned", "team")
LISTED = ("requester", "assignee", "requester_unit")
WORKING = models.WORKING     # the exact tuple the partial index ticket_working_team names
# SQLite uses a partial index only when the query states its condition with the same literal values
# (a parameter does not match: 25 ms instead of 0.3 ms at 1,000,000 tickets). The statuses are this
# module's constants, never input.
WORKING_SQL = f"{Ticket._meta.db_table}.status IN ({', '.join(repr(s) for s in WORKING)})"


def tickets(user, scope: str = "mine"):
    if scope == "mine":
        # A requester always sees their own tickets (cases.access.visible_tickets); asking for exactly
        # those reads the (requester, created_at) index, where the OR of visible_tickets misleads the planner.
        if not user or not user.is_authenticated:
            return Ticket.objects.none()
        return Ticket.objects.filter(requester=user).select_related(*LISTED).order_by("-created_at", "-id")
    visible = access.visible_tickets(user).select_related(*LISTED)
    if scope == "queue":
        if not access.runs_help_desk(user):
            return visible.none()
        return visible.filter(status=Ticket.Status.NEW).order_by("created_at", "id")
    if scope == "assigned":
        return visible.filter(assignee=user, status__in=WORKING).order_by("created_at", "id")
    if scope == "team":
        # The holders of a team's role see its tickets (cases.access.visible_tickets): asked for exactly
        # those, the partial index ticket_working_team answers without the OR of visible_tickets.
        return (Ticket.objects.filter(team__in=sorted(role_slugs(user))).extra(where=[WORKING_SQL])
                .select_related(*LISTED).order_by("created_at", "id"))
    raise ValueError(scope)


def with_sla(rows, now=None):
    """The rows with `.sla` (helpdesk.sla.Sla) set, for a page to flag warnings and breaches."""
    now = now or timezone.now()
    rows = list(rows)
    pauses = defaultdict(list)    # every row's pauses in one query, not one per row
    for ticket_id, started, ended in (TicketPause.objects.filter(ticket_id__in=[t.pk for t in rows])
                                      .order_by("ticket_id", "started_at", "id")
                                      .values_list("ticket_id", "started_at", "ended_at")):
        pauses[ticket_id].append((started, ended))
    for ticket in rows:
        ticket.sla = sla.status(ticket, now, pauses=pauses.get(ticket.pk, ()))
    return rows


# --- the dashboard --------------------------------------------------------------------------
AGE_BUCKETS = ((1, "Menos de 1 día"), (3, "1 a 3 días"), (7, "3 a 7 días"), (30, "1 a 4 semanas"), (None, "Más de 30 días"))


def dashboard(user, now=None) -> dict:
    """Backlog by status, ageing of open tickets, SLA compliance of the tickets resolved in the
    last 90 days, workload per person, and open tickets by category and by requesting unit."""
    now = now or timezone.now()
    visible = access.visible_tickets(user)
    open_q = visible.filter(status__in=Ticket.OPEN_STATUSES)
    backlog = dict(open_q.values_list("status").annotate(n=Count("id")).order_by())
    ages = Counter()
    for created in open_q.values_list("created_at", flat=True).iterator():
        days = (now - created).total_seconds() / 86400
        ages[next(label for limit, label in AGE_BUCKETS if limit is None or days < limit)] += 1
    recent = visible.filter(resolved_at__gte=now - timezone.timedelta(days=90)).select_related(None)
    met = defaultdict(int)
    total = 0
    for ticket in recent.iterator():
        state = sla.status(ticket, now)
        total += 1
        met["respond"] += state.respond == sla.MET
        met["resolve"] += state.resolve == sla.MET
    workload = (open_q.filter(assignee__isnull=False).values("assignee__username", "assignee__first_name", "assignee__last_name")
                .annotate(n=Count("id")).order_by("-n"))
    by_category = dict(open_q.values_list("category").annotate(n=Count("id")).order_by())
    by_unit = (open_q.values("requester_unit__acronym").annotate(n=Count("id")).order_by("-n"))
    names = {c.slug: c.name for c in catalog().categories.values()}
    return {
        "backlog": [(Ticket.Status(s).label, backlog.get(s, 0)) for s in Ticket.OPEN_STATUSES],
        "open_total": sum(backlog.values()),
        "ages": [(label, ages.get(label, 0)) for _, label in AGE_BUCKETS],
        "resolved_total": total,
        "respond_pct": round(100 * met["respond"] / total) if total else None,
        "resolve_pct": round(100 * met["resolve"] / total) if total else None,
        "workload": [((" ".join(filter(None, (w["assignee__first_name"], w["assignee__last_name"]))) or w["assignee__username"]), w["n"])
                     for w in workload],
        "by_category": sorted(((names.get(k, k), n) for k, n in by_category.items()), key=lambda x: -x[1]),
        "by_unit": [(u["requester_unit__acronym"] or "Sin unidad", u["n"]) for u in by_unit],
    }


# --- export ---------------------------------------------------------------------------------
HEADERS = ("Número", "Asunto", "Categoría", "Tipo", "Estado", "Prioridad", "Canal", "Solicitante", "Unidad solicitante",
           "Asignado a", "Equipo", "Caso", "Registrado", "Primera respuesta", "Resuelto", "Cerrado", "SLA respuesta",
           "SLA resolución", "Calificación")
WIDTHS = (16, 50, 30, 14, 20, 10, 12, 28, 18, 28, 24, 24, 17, 17, 17, 17, 14, 14, 12)
EXPORT_LIMIT = export.EXPORT_LIMIT


def _local(value) -> datetime | None:
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def export_tickets(user, fmt: str, now=None) -> export.Export:
    """Every ticket the user may see (newest first, at most EXPORT_LIMIT), as CSV or XLSX, through
    cases.export's writers (formula-safe cells, Spanish headers)."""
    if fmt not in export.FORMATS:
        raise ValueError(fmt)
    now = now or timezone.now()
    names = {c.slug: c.name for c in catalog().categories.values()}
    rows = []
    query = access.visible_tickets(user).select_related(*LISTED, "case").order_by("-created_at", "-id")[:EXPORT_LIMIT + 1]
    for t in query:
        state = sla.status(t, now)
        rows.append((t.number, t.subject, names.get(t.category, t.category), t.get_type_display(), t.get_status_display(),
                     t.priority_label(), t.get_channel_display(), access.display_name(t.requester),
                     t.requester_unit.acronym if t.requester_unit_id else "",
                     access.display_name(t.assignee) if t.assignee_id else "", t.team, t.case.number if t.case_id else "",
                     _local(t.created_at), _local(t.first_response_at), _local(t.resolved_at), _local(t.closed_at),
                     state.respond_label, state.resolve_label, t.rating or ""))
    truncated = len(rows) > EXPORT_LIMIT
    rows = rows[:EXPORT_LIMIT]
    content = export.to_csv(rows, HEADERS) if fmt == "csv" else export.to_xlsx(rows, HEADERS, "Tickets", WIDTHS)
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    return export.Export(content, export.FORMATS[fmt], f"tickets-{stamp}.{fmt}", len(rows), truncated)
