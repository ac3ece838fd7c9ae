"""Telling people that a ticket's SLA is about to break or broke (the worker calls `warn_due`).

For each open ticket whose clock (first response, resolution) is about to break (past
MAPRO_SLA_WARNING_FRACTION of its target) or broke, the person it is assigned to and the help
desk's operators (catalog/helpdesk.yaml `desk_roles`) are notified once per ticket, clock and
state: a SlaNotice row (unique per ticket, clock and state) is inserted in the same transaction as
the notifications, so two workers never tell the same thing twice, and the notifications carry a
dedupe_key too.

Which tickets to look at: a clock can be about to break only if its deadline is at most
(1 - fraction) x target business minutes away, and business time never runs faster than the
office calendar; so only the tickets whose deadline comes before `now` plus the largest such span
on the calendar are read (an index range), and among them those not already told they broke.
"""
from __future__ import annotations

import math

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from schedules.office_calendar import office_calendar, warning_fraction

from . import sla
from .catalog import catalog
from .models import SlaNotice, Ticket

CLOCKS = {"respond": "primera respuesta", "resolve": "resolución"}


def _horizon(now):
    """The latest deadline that may already be in its warning span."""
    longest = max((max(t.respond, t.resolve) for c in catalog().categories.values() for t in c.sla.values()), default=0)
    span = math.ceil(longest * (1 - warning_fraction())) + 1
    return office_calendar().add(now, span)


def _desk_people():
    return list(get_user_model().objects.filter(is_active=True, mapro_roles__slug__in=catalog().desk_roles).distinct())


def candidates(now):
    """The open tickets, not waiting, whose clocks may be due to warn or break and are not all told."""
    horizon = _horizon(now)
    told = SlaNotice.objects.filter(ticket=OuterRef("pk"), state=sla.BREACHED)
    respond_due = Q(first_response_at__isnull=True, respond_by__lte=horizon) & ~Exists(told.filter(clock="respond"))
    resolve_due = Q(resolved_at__isnull=True, resolve_by__lte=horizon) & ~Exists(told.filter(clock="resolve"))
    statuses = [s for s in Ticket.OPEN_STATUSES if s not in Ticket.WAITING_STATUSES]
    return (Ticket.objects.filter(status__in=statuses).filter(respond_due | resolve_due)
            .select_related("assignee").order_by("pk"))


def _tell(ticket: Ticket, clock: str, state: str, people, now) -> int:
    """Insert the notice and notify; 0 if another worker (or an earlier pass) already did."""
    from notifications.actions import notify

    deadline = ticket.respond_by if clock == "respond" else ticket.resolve_by
    when = f" ({timezone.localtime(deadline):%d/%m/%Y %H:%M})" if deadline else ""
    if state == sla.BREACHED:
        title = f"{ticket.number}: venció el plazo de {CLOCKS[clock]}"
        body = f"El plazo de {CLOCKS[clock]} del ticket venció{when}."
    else:
        title = f"{ticket.number}: vence pronto el plazo de {CLOCKS[clock]}"
        body = f"El plazo de {CLOCKS[clock]} del ticket vence{when}; atiéndalo antes."
    body = f"Ticket {ticket.number} · {ticket.subject}\nPrioridad: {ticket.priority_label()}.\n\n{body}"
    url = reverse("ticket", args=[ticket.pk])
    try:
        with transaction.atomic():
            SlaNotice.objects.create(ticket=ticket, clock=clock, state=state, created_at=now)
            if state == sla.BREACHED:
                # Broken before anyone was warned: the warning is moot, never sent afterwards.
                SlaNotice.objects.get_or_create(ticket=ticket, clock=clock, state=sla.WARNING, defaults={"created_at": now})
            told = 0
            for person in people:
                if notify(person, "sla_warning", title, body, url, dedupe_key=f"ticket.sla:{ticket.pk}:{clock}:{state}"):
                    told += 1
    except IntegrityError:
        return 0
    return told


def warn_due(now=None) -> int:
    """Notify the SLA warnings and breaches due now; the number of notifications written."""
    now = now or timezone.now()
    desk = None
    written = 0
    for ticket in list(candidates(now)):
        state = sla.status(ticket, now)
        for clock, value in (("respond", state.respond), ("resolve", state.resolve)):
            if value not in (sla.WARNING, sla.BREACHED):
                continue
            if SlaNotice.objects.filter(ticket=ticket, clock=clock, state=value).exists():
                continue
            if desk is None:
                desk = _desk_people()
            people = ([ticket.assignee] if ticket.assignee_id else []) + [p for p in desk if p.pk != ticket.assignee_id]
            written += _tell(ticket, clock, value, people, now)
    return written
