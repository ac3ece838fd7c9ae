"""A ticket's history as a person reads it: each event's changes with Spanish labels and values
(«Estado: Nuevo → Asignado», «Asignado a: Ana Torres»), never the stored keys."""
from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .catalog import catalog
from .models import Ticket

LABELS = {
    "number": "Número", "category": "Categoría", "type": "Tipo", "priority": "Prioridad", "impact": "Impacto",
    "urgency": "Urgencia", "channel": "Canal", "requester": "Solicitante", "case": "Caso", "attachments": "Adjuntos",
    "status": "Estado", "assignee": "Asignado a", "team": "Equipo", "validated_at": "Validado",
    "return_reason": "Motivo de la devolución", "solution": "Solución", "resolved_at": "Resuelto",
    "closed_at": "Cerrado", "first_response_at": "Primera respuesta", "respond_by": "Responder antes de",
    "resolve_by": "Resolver antes de", "respond_minutes": "Meta de primera respuesta",
    "resolve_minutes": "Meta de resolución", "rating": "Calificación", "rating_comment": "Comentario",
    "parent": "Fusionado en", "duplicate": "Duplicado fusionado", "linked": "Relacionado con",
    "internal": "Nota interna", "minutes": "Tiempo dedicado",
}
# Kept in the event for the record, not worth a line on the page.
HIDDEN = {"message", "lock_version", "respond_minutes", "resolve_minutes"}


def _role_name(slug) -> str:
    from cases import procedures

    return next((r.name for r in procedures.organization().roles if r.slug == slug), slug)


def _when(value) -> str:
    moment = value if isinstance(value, datetime) else parse_datetime(str(value))
    return f"{timezone.localtime(moment):%d/%m/%Y %H:%M}" if moment else str(value)


def value_text(key, value, people) -> str:
    if value in (None, "", [], {}):
        return "—"
    if key == "status":
        return Ticket.Status(value).label if value in Ticket.Status.values else str(value)
    if key == "category":
        found = catalog().category(value)
        return found.name if found else str(value)
    if key == "type":
        return Ticket.Type(value).label if value in Ticket.Type.values else str(value)
    if key == "channel":
        return Ticket.Channel(value).label if value in Ticket.Channel.values else str(value)
    if key == "priority":
        return catalog().priority.get(value, value)
    if key == "impact":
        return catalog().impact.get(value, value)
    if key == "urgency":
        return catalog().urgency.get(value, value)
    if key == "team":
        return _role_name(value)
    if key in ("assignee", "requester"):
        return people.get(value, str(value))
    if key.endswith("_at") or key.endswith("_by"):
        return _when(value)
    if key == "internal":
        return "sí" if value else "no"
    if key == "minutes":
        return f"{value} min"
    if key == "rating":
        return f"{value} de 5"
    if key == "parent":
        return Ticket.objects.filter(pk=value).values_list("number", flat=True).first() or str(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _people(events) -> dict:
    names = set()
    for event in events:
        for side in (event.before or {}, event.after or {}):
            for key in ("assignee", "requester"):
                if side.get(key):
                    names.add(side[key])
    users = get_user_model().objects.filter(username__in=names) if names else []
    return {u.username: (u.get_full_name() or u.username) for u in users}


def describe(events) -> list[tuple]:
    """(event, [(label, text), ...]) for each event: the text is «before → after», or the value
    alone when there was nothing before."""
    events = list(events)
    people = _people(events)
    described = []
    for event in events:
        before, after, lines = event.before or {}, event.after or {}, []
        for key, value in after.items():
            if key in HIDDEN or (event.kind in ("replied", "note", "resumed", "resubmitted") and key == "internal"):
                continue
            if key == "minutes" and not value:
                continue
            new = value_text(key, value, people)
            if key in before and before[key] != value and before[key] not in (None, "", [], {}):
                lines.append((LABELS.get(key, key), f"{value_text(key, before[key], people)} → {new}"))
            elif value not in (None, "", [], False) or key in before:
                lines.append((LABELS.get(key, key), new))
        described.append((event, lines))
    return described
