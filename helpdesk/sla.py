"""A ticket's SLA: time to first response and to resolution, in business minutes on the office
calendar (schedules.office_calendar: office hours in America/Lima, Peru's holidays and the days
the office closes), stopped while the ticket waits for its requester or a supplier (TicketPause)
and while it stayed resolved before a reopening.

`plan` sets the deadlines (respond_by, resolve_by) stored on the ticket for lists and ordering; a
deadline is None while a pause runs (it is unknown until the pause ends). `status` tells, for a
page, whether each clock is on time, about to break (MAPRO_SLA_WARNING_FRACTION of the target used), broken or met."""
from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from schedules.business import BREACHED, MET, OK, STATUS_LABELS, WARNING
from schedules.office_calendar import office_calendar, office_clock

from .models import Ticket, TicketPause

__all__ = ["plan", "status", "Sla", "OK", "WARNING", "BREACHED", "MET", "STATUS_LABELS"]


def _pauses(ticket: Ticket) -> tuple:
    if ticket.pk is None:
        return ()
    return tuple(TicketPause.objects.filter(ticket_id=ticket.pk).order_by("started_at", "id")
                 .values_list("started_at", "ended_at"))


def plan(ticket: Ticket, now=None) -> None:
    """Set ticket.respond_by and ticket.resolve_by (unsaved) from its targets and pauses."""
    calendar, pauses = office_calendar(), _pauses(ticket)
    if ticket.first_response_at is None:
        ticket.respond_by = calendar.deadline(ticket.created_at, ticket.respond_minutes, pauses)
    ticket.resolve_by = calendar.deadline(ticket.created_at, ticket.resolve_minutes, pauses)


@dataclass(frozen=True)
class Sla:
    respond: str        # ok, warning, breached, met
    resolve: str
    paused: bool

    @property
    def worst(self) -> str:
        for state in (BREACHED, WARNING, OK, MET):
            if state in (self.respond, self.resolve):
                return state
        return OK

    @property
    def label(self) -> str:
        return "En pausa" if self.paused and self.worst not in (BREACHED,) else STATUS_LABELS[self.worst]

    @property
    def respond_label(self) -> str:
        return STATUS_LABELS[self.respond]

    @property
    def resolve_label(self) -> str:
        return STATUS_LABELS[self.resolve]


def status(ticket: Ticket, now=None, pauses=None) -> Sla:
    """The state of both clocks of the ticket now. A cancelled ticket's clocks count as met."""
    now = now or timezone.now()
    if ticket.status == Ticket.Status.CANCELLED:
        return Sla(MET, MET, False)
    pauses = _pauses(ticket) if pauses is None else tuple(pauses)
    respond = office_clock(ticket.created_at, ticket.respond_minutes, pauses, ticket.first_response_at)
    resolve = office_clock(ticket.created_at, ticket.resolve_minutes, pauses, ticket.resolved_at)
    return Sla(respond.status(now), resolve.status(now), ticket.is_waiting)
