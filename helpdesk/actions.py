"""Every change of a ticket: one function each, one transaction each.

Each function checks everything first (who, the ticket's status, the input), then writes the
ticket (a compare-and-set on `lock_version`: when two people change the same ticket at once,
exactly one wins and the other is told, in Spanish, what happened), its TicketEvent and its audit
entry (audit.record) in one transaction, or nothing. Who may see or handle a ticket is asked of
cases.access (the "tickets" section), never decided here.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

import audit
from cases import access, casefile, procedures, workflow
from cases.models import Case, Event
from cases.workflow import Conflict, Forbidden, Invalid, NotFound
from engine.forms import validate_submission
from notifications.actions import notify
from org.models import Role, role_slugs

from . import sla
from .catalog import catalog
from .models import Ticket, TicketAttachment, TicketEvent, TicketMessage, TicketPause, TicketSequence

S = Ticket.Status
K = TicketEvent.Kind
DESCRIPTION_MAX = 5000
REASON_MAX = 500
SOLUTION_MAX = 5000
MINUTES_MAX = 24 * 60 * 7     # time spent on one reply: at most a week


def reopen_days() -> int:
    """MAPRO_TICKET_REOPEN_DAYS (setting or environment), 7 by default."""
    value = getattr(settings, "MAPRO_TICKET_REOPEN_DAYS", None) or os.environ.get("MAPRO_TICKET_REOPEN_DAYS") or 7
    return int(value)


# --- small helpers --------------------------------------------------------------------------
def _name(user) -> str:
    return access.display_name(user)


def _status_label(status) -> str:
    return S(status).label if status in S.values else str(status)


def _plain(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "pk") and hasattr(value, "_meta"):
        return getattr(value, "username", None) or value.pk
    return value


def _next_number(now) -> str:
    """TK-<year>-<000123>: the year's sequence row is locked until the transaction ends, so a
    rollback leaves no gap and two tickets never share a number."""
    year = timezone.localdate(now).year
    sequence, _ = TicketSequence.objects.select_for_update().get_or_create(year=year)
    TicketSequence.objects.filter(pk=sequence.pk).update(last=F("last") + 1)
    sequence.refresh_from_db(fields=["last"])
    return f"TK-{year}-{sequence.last:06d}"


def _record(ticket: Ticket, user, kind, *, before=None, after=None, note="", now=None) -> TicketEvent:
    now = now or timezone.now()
    event = TicketEvent.objects.create(ticket=ticket, actor=user if user and user.is_authenticated else None, kind=kind,
                                       before=before or {}, after=after or {}, note=note[:1000], created_at=now)
    audit.record(f"ticket.{kind}", actor=user, obj=ticket, created_at=now, before=before or None,
                 after={**(after or {}), **({"note": note[:1000]} if note else {})} or None)
    return event


def _lost(ticket: Ticket, kind) -> Conflict:
    """What the loser of a race is told: who changed the ticket and how it stands now."""
    fresh = Ticket.objects.select_related("assignee").get(pk=ticket.pk)
    last = fresh.events.select_related("actor").order_by("-created_at", "-id").first()
    who = _name(last.actor) if last and last.actor_id else "otra persona"
    if kind == K.ASSIGNED and (fresh.assignee_id or fresh.team):
        to = _name(fresh.assignee) if fresh.assignee_id else f"el equipo {_role_name(fresh.team)}"
        return Conflict(f"No se guardó su asignación: {who} acaba de asignar el ticket {fresh.number} a {to}. "
                        "Revise el ticket y, si corresponde, vuelva a asignarlo.")
    return Conflict(f"No se guardó su cambio: {who} acaba de modificar el ticket {fresh.number} "
                    f"(ahora está «{_status_label(fresh.status)}»). Revise el ticket y vuelva a intentarlo.")


def _change(ticket: Ticket, user, kind, *, expected: int | None = None, note: str = "", now=None,
            event_after: dict | None = None, **changes) -> TicketEvent:
    """Write `changes` to the ticket if nobody changed it since it was read (lock_version), with its
    event and audit entry. Conflict (409) for the loser. Call inside a transaction."""
    now = now or timezone.now()
    version = ticket.lock_version if expected is None else int(expected)
    before = {k: _plain(getattr(ticket, k)) for k in changes}
    updated = Ticket.objects.filter(pk=ticket.pk, lock_version=version).update(
        **changes, updated_at=now, lock_version=F("lock_version") + 1)
    if not updated:
        raise _lost(ticket, kind)
    for key, value in changes.items():
        setattr(ticket, key, value)
    ticket.lock_version, ticket.updated_at = version + 1, now
    after = {k: _plain(v) for k, v in changes.items()}
    after.update(event_after or {})
    return _record(ticket, user, kind, before=before, after=after, note=note, now=now)


def _version(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Invalid("«lock_version» debe ser un número entero.", {"lock_version": "inválido"}) from None


def _text(value, key, what, limit, missing) -> str:
    return casefile._text(value, key, what, limit, missing)


def _need_status(ticket, allowed, verb):
    if ticket.status not in allowed:
        raise Conflict(f"El ticket {ticket.number} está «{_status_label(ticket.status)}»: no se puede {verb}.")


def _need_desk(user, what):
    if not access.runs_help_desk(user):
        raise Forbidden(f"{what} corresponde a la mesa de ayuda (operador(a), jefe(a) o coordinador(a)).")


def _need_handler(user, ticket, what):
    if not access.may_handle_ticket(user, ticket):
        raise Forbidden(f"{what} corresponde a quien atiende el ticket.")


def _role_name(slug) -> str:
    for role in procedures.organization().roles:
        if role.slug == slug:
            return role.name
    return slug


def _tell(person, actor, kind, ticket: Ticket, what: str, body: str = "", *, dedupe_key=None):
    """Notify `person` about `ticket` (in-app, and by e-mail per their preference) in the caller's
    transaction; never the person who made the change."""
    if person is None or (actor is not None and person.pk == getattr(actor, "pk", None)):
        return None
    title = f"{ticket.number}: {what}"
    lines = [f"Ticket {ticket.number} · {ticket.subject}", f"Estado: {_status_label(ticket.status)}."]
    if body:
        lines += ["", body]
    return notify(person, kind, title, "\n".join(lines), reverse("ticket", args=[ticket.pk]), dedupe_key=dedupe_key)


def _category(slug):
    found = catalog().category(slug)
    if found is None:
        options = "; ".join(f"{c.slug} ({c.name})" for c in catalog().categories.values())
        raise Invalid(f"Elija una categoría del catálogo. Opciones: {options}.", {"category": "desconocida"})
    return found


def _level(value, vocabulary: dict, key: str, what: str):
    if value in (None, ""):
        return None
    if value not in vocabulary:
        options = ", ".join(f"{k} ({label})" for k, label in vocabulary.items())
        raise Invalid(f"{what} desconocido(a) «{value}». Opciones: {options}.", {key: "desconocido"})
    return value


# --- opening --------------------------------------------------------------------------------
def _case_data(category, subject, description, data) -> dict | None:
    """The first activity's form data for the case the category starts: what the ticket says
    (the category's `prefill`) under what the person typed in `data`; None when the first
    activity is not the requester's, or the data would not complete it (the requester then
    completes it from their inbox)."""
    merged = {key: (subject if source == "subject" else description) for key, source in category.prefill.items()}
    if data:
        merged.update(data)
    return merged


def open_ticket(user, category, subject, description, *, impact=None, urgency=None, files=None,
                channel=None, data=None, requester=None, intake: bool = False) -> Ticket:
    """A new ticket: `user` asks for something of the catalogue (or the desk registers it for
    `requester`, from a call or a visit). When the category names a procedure, its case starts in
    the same transaction, with `user` (or `requester`) as its requester, and is linked.

    `files` maps a required attachment's key (or "" for others, a list) to uploaded files.
    `intake`: registered by the mail intake (helpdesk.mail_intake), the desk's own system account,
    which registers tickets received by mail for their sender without being an operator."""
    cat = _category(category)
    subject = workflow._check_subject(subject)
    if not subject:
        raise Invalid("Escriba el asunto: en pocas palabras, qué necesita.", {"subject": "obligatorio"})
    description = _text(description, "description", "La descripción", DESCRIPTION_MAX,
                        "Describa lo que necesita o lo que ocurre.")
    impact = _level(impact, catalog().impact, "impact", "Impacto") or cat.impact
    urgency = _level(urgency, catalog().urgency, "urgency", "Urgencia") or cat.urgency
    desk = access.runs_help_desk(user) or intake
    if channel in (None, ""):
        channel = Ticket.Channel.PORTAL
    if channel not in Ticket.Channel.values:
        options = ", ".join(f"{v} ({label})" for v, label in Ticket.Channel.choices)
        raise Invalid(f"Canal desconocido. Opciones: {options}.", {"channel": "desconocido"})
    if channel != Ticket.Channel.PORTAL and not desk:
        raise Forbidden("Solo la mesa de ayuda registra tickets recibidos por otro canal.")
    if requester is not None and requester != user and not desk:
        raise Forbidden("Solo la mesa de ayuda registra tickets a nombre de otra persona.")
    requester = requester or user
    if data is not None and not isinstance(data, dict):
        raise Invalid("Los datos del procedimiento deben ser un objeto.", {"data": "inválido"})
    # Files: the category's required ones, then any others.
    files = dict(files or {})
    uploads, errors = [], {}
    for needed in cat.required_attachments:
        if not files.get(needed.key):
            errors[needed.key] = f"Adjunte «{needed.label}»."
    known = {a.key for a in cat.required_attachments}
    for key, value in files.items():
        if key and key not in known:
            errors[key] = f"La categoría «{cat.name}» no pide el adjunto «{key}»."
            continue
        for uploaded in (value if isinstance(value, (list, tuple)) else [value]):
            if uploaded is None:
                continue
            try:
                uploads.append((key, casefile.check_upload(uploaded, key or "file")))
            except workflow.WorkflowError as exc:
                errors[key or "file"] = exc.detail
    if errors:
        raise Invalid(next(iter(errors.values())), errors)
    case_data = _case_data(cat, subject, description, data) if cat.procedure else None
    if cat.procedure:
        s = procedures.sheet(cat.procedure)
        first = workflow.start_form(requester, s, cat.start)
        if first is None:
            case_data = None
        elif data is None and validate_submission(first.form, case_data)[1]:
            case_data = None        # not complete: the requester completes it from their inbox
    priority = catalog().priority_of(impact, urgency)
    targets = cat.targets(priority)
    now = timezone.now()
    person = getattr(requester, "person", None)
    written = []
    try:
        with transaction.atomic():
            case = None
            if cat.procedure:
                # The case's priority is the office's to set (cases.workflow.sets_priority).
                with _opening_ticket():     # the case's `ticket: open` effect finds this ticket coming
                    case = workflow.start_case(requester, cat.procedure, cat.start, case_data, subject=subject,
                                               priority=_case_priority(priority) if workflow.sets_priority(requester) else None)
            if case is not None:    # the ticket's priority is its case's: its tasks are due by it
                workflow.set_case_priority(case, _case_priority(priority))
            ticket = Ticket.objects.create(
                number=_next_number(now), requester=requester, requester_unit=person.unit if person else None,
                category=cat.slug, type=cat.type, impact=impact, urgency=urgency, priority=priority, channel=channel,
                team="", subject=subject, description=description, case=case,
                created_at=now, updated_at=now, respond_minutes=targets.respond, resolve_minutes=targets.resolve)
            sla.plan(ticket, now)
            Ticket.objects.filter(pk=ticket.pk).update(respond_by=ticket.respond_by, resolve_by=ticket.resolve_by)
            for key, upload in uploads:
                attachment = TicketAttachment(ticket=ticket, key=key, name=upload.name, size=upload.size,
                                              content_type=upload.content_type, sha256=upload.sha256, uploaded_by=user)
                attachment.file.save(upload.name, upload.file, save=False)
                written.append(attachment)
                attachment.save()
            _record(ticket, user, K.OPENED, now=now, after={
                "number": ticket.number, "category": cat.slug, "priority": priority, "channel": channel,
                "requester": requester.username, "case": case.number if case else None,
                "attachments": [a.name for a in written]})
    except BaseException:
        for attachment in written:
            if attachment.file.name:
                attachment.file.delete(save=False)
        raise
    return ticket


def _case_priority(priority: str) -> str:
    """The case's three-level priority from the ticket's four."""
    return {"critica": Case.Priority.HIGH, "alta": Case.Priority.HIGH, "media": Case.Priority.MEDIUM}.get(
        priority, Case.Priority.LOW)


def _load(user, ticket_id) -> Ticket:
    return access.ticket_for(user, ticket_id)


def acted_on(ticket: Ticket) -> bool:
    """Whether anyone other than its requester did something to the ticket after it was opened
    (or the case it started has been acted on)."""
    others = ticket.events.exclude(kind=K.OPENED).exclude(actor_id=ticket.requester_id).exists()
    return others or bool(ticket.case_id and casefile.acted_on(ticket.case))


# --- the desk: validate, return, categorise, prioritise, assign -----------------------------
def validate(user, ticket_id, *, lock_version=None) -> Ticket:
    ticket = _load(user, ticket_id)
    _need_desk(user, "Validar un ticket")
    _need_status(ticket, (S.NEW,), "validarlo")
    if ticket.validated_at:
        raise Conflict(f"El ticket {ticket.number} ya fue validado.")
    with transaction.atomic():
        now = timezone.now()
        _change(ticket, user, K.VALIDATED, expected=_version(lock_version), now=now, validated_at=now)
    return ticket


def return_ticket(user, ticket_id, reason, *, lock_version=None) -> Ticket:
    """Back to the requester to correct or complete; their next reply puts it back in the queue."""
    ticket = _load(user, ticket_id)
    _need_desk(user, "Devolver un ticket")
    _need_status(ticket, (S.NEW, S.ASSIGNED), "devolverlo")
    reason = _text(reason, "reason", "El motivo", REASON_MAX, "Indique el motivo de la devolución: qué debe corregir o completar.")
    with transaction.atomic():
        _change(ticket, user, K.RETURNED, expected=_version(lock_version), note=reason, status=S.RETURNED,
                return_reason=reason)
        _tell(ticket.requester, user, "request_returned", ticket, "la mesa de ayuda le devolvió su ticket",
              f"Motivo: {reason}\nResponda en el ticket con lo que falta y volverá a la cola.")
    return ticket


def categorise(user, ticket_id, category, *, lock_version=None) -> Ticket:
    ticket = _load(user, ticket_id)
    _need_desk(user, "Cambiar la categoría")
    _need_status(ticket, Ticket.OPEN_STATUSES, "cambiar su categoría")
    cat = _category(category)
    if cat.slug == ticket.category:
        raise Invalid(f"El ticket ya está en la categoría «{cat.name}».", {"category": "sin cambio"})
    priority = catalog().priority_of(ticket.impact, ticket.urgency)
    targets = cat.targets(priority)
    with transaction.atomic():
        now = timezone.now()
        ticket.respond_minutes, ticket.resolve_minutes = targets.respond, targets.resolve
        sla.plan(ticket, now)
        _change(ticket, user, K.CATEGORISED, expected=_version(lock_version), now=now, category=cat.slug, type=cat.type,
                respond_minutes=targets.respond, resolve_minutes=targets.resolve,
                respond_by=ticket.respond_by, resolve_by=ticket.resolve_by)
    return ticket


def prioritise(user, ticket_id, impact, urgency, *, lock_version=None) -> Ticket:
    ticket = _load(user, ticket_id)
    _need_desk(user, "Fijar el impacto y la urgencia")
    _need_status(ticket, Ticket.OPEN_STATUSES, "cambiar su prioridad")
    impact = _level(impact, catalog().impact, "impact", "Impacto") or ticket.impact
    urgency = _level(urgency, catalog().urgency, "urgency", "Urgencia") or ticket.urgency
    priority = catalog().priority_of(impact, urgency)
    cat = catalog().category(ticket.category)
    targets = cat.targets(priority) if cat else None
    with transaction.atomic():
        now = timezone.now()
        extra = {}
        if targets:
            ticket.respond_minutes, ticket.resolve_minutes = targets.respond, targets.resolve
            sla.plan(ticket, now)
            extra = dict(respond_minutes=targets.respond, resolve_minutes=targets.resolve,
                         respond_by=ticket.respond_by, resolve_by=ticket.resolve_by)
        _change(ticket, user, K.PRIORITISED, expected=_version(lock_version), now=now, impact=impact, urgency=urgency,
                priority=priority, **extra)
        if ticket.case_id:
            workflow.set_case_priority(ticket.case, _case_priority(priority), by=user)
    return ticket


def team_roles() -> list[tuple[str, str]]:
    """(slug, name) of the roles a ticket may be assigned to as a team: the office's roles."""
    office = procedures.organization().office_roles
    return [(r.slug, r.name) for r in procedures.organization().roles if r.slug in office]


def assignable_people(ticket: Ticket | None = None) -> list[tuple[str, str]]:
    """(username, name) of the people a ticket may be assigned to: the active holders of the
    office's roles (the team's, when the ticket has a team). Picked from a list, never typed."""
    roles = [ticket.team] if ticket is not None and ticket.team else [slug for slug, _ in team_roles()]
    users = (get_user_model().objects.filter(is_active=True, mapro_roles__slug__in=roles).distinct()
             .order_by("first_name", "last_name", "username").only("username", "first_name", "last_name"))
    return [(u.username, _name(u)) for u in users]


def assign(user, ticket_id, *, assignee=None, team=None, lock_version=None) -> Ticket:
    """Assign to a person (a username from `assignable_people`) and/or a team (an office role)."""
    ticket = _load(user, ticket_id)
    _need_desk(user, "Asignar un ticket")
    _need_status(ticket, (S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_USER, S.WAITING_SUPPLIER), "asignarlo")
    teams = dict(team_roles())
    if team not in (None, "") and team not in teams:
        raise Invalid("Elija un equipo de la lista.", {"team": "desconocido"})
    team = team or ticket.team or ""
    person = None
    if assignee not in (None, ""):
        if not isinstance(assignee, str):
            raise Invalid("Elija a la persona de la lista.", {"assignee": "inválido"})
        person = get_user_model().objects.filter(username=assignee, is_active=True).first()
        allowed = [slug for slug in ([team] if team else teams)]
        if person is None or not Role.objects.filter(slug__in=allowed, members=person).exists():
            where = f"del equipo {teams.get(team, team)}" if team else "de la OGTIE"
            raise Invalid(f"Elija a una persona de la lista: «{assignee}» no es titular de un rol {where}.",
                          {"assignee": "no elegible"})
        if not team:
            team = next(iter(sorted(role_slugs(person) & set(teams))), "")
    if person is None and not team:
        raise Invalid("Elija a quién o a qué equipo asignar el ticket.", {"assignee": "obligatorio"})
    if person is not None and person.pk == ticket.assignee_id and team == ticket.team:
        raise Invalid(f"El ticket ya está asignado a {_name(person)}.", {"assignee": "sin cambio"})
    status = ticket.status if ticket.status in (S.IN_PROGRESS, S.WAITING_USER, S.WAITING_SUPPLIER) else S.ASSIGNED
    with transaction.atomic():
        now = timezone.now()
        changes = dict(assignee=person, team=team, status=status)
        if not ticket.validated_at:
            changes["validated_at"] = now
        _change(ticket, user, K.ASSIGNED, expected=_version(lock_version), now=now, **changes)
        _tell(person, user, "task_assigned", ticket, "se le asignó el ticket",
              f"{_name(user)} le asignó el ticket. Prioridad: {ticket.priority_label()}. Categoría: {ticket.category_name()}."
              + (f"\nResponder antes del {timezone.localtime(ticket.respond_by):%d/%m/%Y %H:%M}." if ticket.respond_by and not ticket.first_response_at else ""))
    return ticket


# --- the conversation -----------------------------------------------------------------------
def _minutes(value) -> int:
    if value in (None, ""):
        return 0
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        raise Invalid("El tiempo dedicado debe ser un número entero de minutos.", {"minutes": "inválido"}) from None
    if not 0 <= minutes <= MINUTES_MAX:
        raise Invalid(f"El tiempo dedicado debe estar entre 0 y {MINUTES_MAX} minutos.", {"minutes": "fuera de rango"})
    return minutes


def reply(user, ticket_id, body, *, internal=False, minutes=0, files=None) -> TicketMessage:
    """A public reply or an internal note. The first public reply of someone who handles it is
    the first response (SLA); the requester's reply to a returned ticket sends it back to the
    queue, and to a ticket waiting for them resumes it."""
    ticket = _load(user, ticket_id)
    internal = casefile._flag(internal, "internal")
    handler = access.may_handle_ticket(user, ticket)
    if internal and not handler:
        raise Forbidden("Las notas internas son para quienes atienden el ticket.")
    if ticket.status in (S.CLOSED, S.CANCELLED):
        raise Conflict(f"El ticket {ticket.number} está «{_status_label(ticket.status)}»: ya no recibe mensajes. "
                       "Si el problema volvió, reábralo o registre un ticket nuevo.")
    body = _text(body, "body", "El mensaje", DESCRIPTION_MAX, "Escriba el mensaje.")
    minutes = _minutes(minutes) if handler else 0
    uploads = [casefile.check_upload(f) for f in (files or []) if f is not None]
    written = []
    try:
        with transaction.atomic():
            now = timezone.now()
            message = TicketMessage.objects.create(ticket=ticket, author=user, body=body, internal=internal,
                                                   minutes_spent=minutes, created_at=now)
            for upload in uploads:
                attachment = TicketAttachment(ticket=ticket, message=message, name=upload.name, size=upload.size,
                                              content_type=upload.content_type, sha256=upload.sha256,
                                              internal=internal, uploaded_by=user)
                attachment.file.save(upload.name, upload.file, save=False)
                written.append(attachment)
                attachment.save()
            changes, kind = {}, (K.NOTE if internal else K.REPLIED)
            is_requester = ticket.requester_id == user.pk and not handler
            if not internal and not is_requester:
                if ticket.first_response_at is None:
                    changes["first_response_at"] = now
                if ticket.status == S.ASSIGNED and ticket.assignee_id == user.pk:
                    changes["status"] = S.IN_PROGRESS
            if is_requester and ticket.status == S.RETURNED:
                changes.update(status=S.ASSIGNED if ticket.assignee_id else S.NEW, return_reason="")
                kind = K.RESUBMITTED
            elif is_requester and ticket.status == S.WAITING_USER:
                _end_pause(ticket, now)
                changes["status"] = S.IN_PROGRESS
                kind = K.RESUMED
            if kind == K.RESUMED:
                sla.plan(ticket, now)
                changes.update(respond_by=ticket.respond_by, resolve_by=ticket.resolve_by)
            after = {"message": None, "internal": internal, "minutes": minutes}
            event = _change(ticket, user, kind, now=now, event_after=after, **changes)
            after["message"] = message.pk
            TicketEvent.objects.filter(pk=event.pk).update(after={**event.after, "message": message.pk})
            if not internal:
                # The other side: the requester's reply goes to whoever attends the ticket, and the
                # reply of whoever attends it goes to the requester.
                other = ticket.assignee if is_requester else ticket.requester
                _tell(other, user, "comment", ticket, f"nueva respuesta de {_name(user)}", body[:1000])
    except BaseException:
        for attachment in written:
            if attachment.file.name:
                attachment.file.delete(save=False)
        raise
    return message


def messages_for(user, ticket: Ticket):
    messages = ticket.messages.select_related("author")
    return messages if access.may_handle_ticket(user, ticket) else messages.filter(internal=False)


def attachments_for(user, ticket: Ticket):
    attachments = ticket.attachments.select_related("uploaded_by")
    return attachments if access.may_handle_ticket(user, ticket) else attachments.filter(internal=False)


def attachment_for(user, attachment_id) -> TicketAttachment:
    try:
        pk = int(attachment_id)
    except (TypeError, ValueError):
        pk = 0
    attachment = TicketAttachment.objects.filter(pk=pk).first() if 0 < pk < 2**63 else None
    if attachment is None:
        raise NotFound("No existe el adjunto.")
    try:
        ticket = access.ticket_for(user, attachment.ticket_id)
    except NotFound:
        raise NotFound("No existe el adjunto.") from None
    if attachment.internal and not access.may_handle_ticket(user, ticket):
        raise NotFound("No existe el adjunto.")
    attachment.ticket = ticket
    return attachment


def downloaded(request, attachment: TicketAttachment) -> None:
    audit.record("ticket.attachment_downloaded", actor=request.user, obj=attachment.ticket, request=request,
                 after={"attachment": attachment.pk, "name": attachment.name, "sha256": attachment.sha256})


# --- waiting, resolving, closing ------------------------------------------------------------
WAITS = {"usuario": S.WAITING_USER, "user": S.WAITING_USER, "proveedor": S.WAITING_SUPPLIER, "supplier": S.WAITING_SUPPLIER}


def _end_pause(ticket, now):
    TicketPause.objects.filter(ticket=ticket, ended_at__isnull=True).update(ended_at=now)


def wait(user, ticket_id, on, reason="", *, lock_version=None) -> Ticket:
    """Waiting for the user or a supplier: the SLA clock stops until `resume`."""
    ticket = _load(user, ticket_id)
    _need_handler(user, ticket, "Poner el ticket en espera")
    status = WAITS.get(on if isinstance(on, str) else "")
    if status is None:
        raise Invalid("Indique a quién se espera: «usuario» o «proveedor».", {"on": "desconocido"})
    _need_status(ticket, (S.ASSIGNED, S.IN_PROGRESS, S.WAITING_USER, S.WAITING_SUPPLIER), "ponerlo en espera")
    if ticket.status == status:
        raise Conflict(f"El ticket ya está «{_status_label(status)}».")
    reason = _text(reason, "reason", "El motivo", REASON_MAX, "Indique qué se espera.")
    with transaction.atomic():
        now = timezone.now()
        _end_pause(ticket, now)
        TicketPause.objects.create(ticket=ticket, status=status, started_at=now)
        sla.plan(ticket, now)
        _change(ticket, user, K.WAITING, expected=_version(lock_version), now=now, note=reason, status=status,
                respond_by=ticket.respond_by, resolve_by=ticket.resolve_by)
    return ticket


def resume(user, ticket_id, *, lock_version=None) -> Ticket:
    ticket = _load(user, ticket_id)
    _need_handler(user, ticket, "Reanudar el ticket")
    _need_status(ticket, Ticket.WAITING_STATUSES, "reanudarlo (no está en espera)")
    with transaction.atomic():
        now = timezone.now()
        _end_pause(ticket, now)
        sla.plan(ticket, now)
        _change(ticket, user, K.RESUMED, expected=_version(lock_version), now=now, status=S.IN_PROGRESS,
                respond_by=ticket.respond_by, resolve_by=ticket.resolve_by)
    return ticket


def resolve(user, ticket_id, solution, *, lock_version=None) -> Ticket:
    ticket = _load(user, ticket_id)
    _need_handler(user, ticket, "Resolver el ticket")
    _need_status(ticket, (S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_USER, S.WAITING_SUPPLIER), "resolverlo")
    solution = _text(solution, "solution", "La solución", SOLUTION_MAX, "Describa la solución aplicada.")
    with transaction.atomic():
        now = timezone.now()
        _end_pause(ticket, now)
        changes = dict(status=S.RESOLVED, solution=solution, resolved_at=now)
        if ticket.first_response_at is None:
            changes["first_response_at"] = now
        _change(ticket, user, K.RESOLVED, expected=_version(lock_version), now=now, **changes)
        _tell(ticket.requester, user, "case_completed", ticket, "su ticket fue resuelto",
              f"Solución: {solution[:1500]}\n\nAbra el ticket para calificar la atención. Si el problema continúa, "
              f"puede reabrirlo dentro de los {reopen_days()} días siguientes.")
    return ticket


def close(user, ticket_id, *, lock_version=None) -> Ticket:
    """Close a resolved ticket: who attends it, or its requester accepting the solution."""
    ticket = _load(user, ticket_id)
    if not (access.may_handle_ticket(user, ticket) or ticket.requester_id == user.pk):
        raise Forbidden("Cerrar el ticket corresponde a quien lo atiende o a quien lo solicitó.")
    _need_status(ticket, (S.RESOLVED,), "cerrarlo (primero debe estar resuelto)")
    with transaction.atomic():
        now = timezone.now()
        _change(ticket, user, K.CLOSED, expected=_version(lock_version), now=now, status=S.CLOSED, closed_at=now)
        _tell(ticket.requester, user, "case_completed", ticket, "su ticket fue cerrado",
              "Si aún no lo hizo, califique la atención en el ticket.")
    return ticket


def may_reopen(user, ticket: Ticket, now=None) -> bool:
    now = now or timezone.now()
    return (ticket.status in (S.RESOLVED, S.CLOSED) and ticket.resolved_at is not None
            and (ticket.requester_id == user.pk or access.may_handle_ticket(user, ticket))
            and now <= ticket.resolved_at + timezone.timedelta(days=reopen_days()))


def reopen(user, ticket_id, reason, *, lock_version=None) -> Ticket:
    """Reopen a resolved or closed ticket, within MAPRO_TICKET_REOPEN_DAYS of its resolution. The
    time it stayed resolved does not count against the SLA."""
    ticket = _load(user, ticket_id)
    if not (ticket.requester_id == user.pk or access.may_handle_ticket(user, ticket)):
        raise Forbidden("Reabrir el ticket corresponde a quien lo solicitó o a quien lo atiende.")
    _need_status(ticket, (S.RESOLVED, S.CLOSED), "reabrirlo")
    now = timezone.now()
    if not may_reopen(user, ticket, now):
        raise Conflict(f"Ya no se puede reabrir el ticket {ticket.number}: pasaron más de {reopen_days()} días desde que "
                       "se resolvió. Registre un ticket nuevo y mencione este número.")
    reason = _text(reason, "reason", "El motivo", REASON_MAX, "Indique por qué reabre el ticket.")
    with transaction.atomic():
        TicketPause.objects.create(ticket=ticket, status=S.RESOLVED, started_at=ticket.resolved_at, ended_at=now)
        sla.plan(ticket, now)
        _change(ticket, user, K.REOPENED, expected=_version(lock_version), now=now, note=reason,
                status=S.ASSIGNED if ticket.assignee_id or ticket.team else S.NEW,
                resolved_at=None, closed_at=None, solution="", rating=None, rating_comment="",
                respond_by=ticket.respond_by, resolve_by=ticket.resolve_by)
        _tell(ticket.assignee, user, "other", ticket, f"{_name(user)} reabrió el ticket", f"Motivo: {reason}")
    return ticket


def may_cancel(user, ticket: Ticket) -> bool:
    return (ticket.status in (S.NEW, S.RETURNED) and not acted_on(ticket)
            and (ticket.requester_id == user.pk or access.runs_help_desk(user)))


def cancel(user, ticket_id, reason, *, lock_version=None) -> Ticket:
    """Cancel a ticket while nobody but its requester has acted on it (nor on its case); its case,
    if any, ends with it (withdrawn by the requester, annulled by the desk)."""
    ticket = _load(user, ticket_id)
    if ticket.requester_id != user.pk and not access.runs_help_desk(user):
        raise Forbidden("Solo quien solicitó el ticket o la mesa de ayuda pueden cancelarlo.")
    _need_status(ticket, (S.NEW, S.RETURNED), "cancelarlo")
    reason = _text(reason, "reason", "El motivo", REASON_MAX, "Indique por qué cancela el ticket.")
    with transaction.atomic():
        # Hold the ticket: an assignment arriving now waits, then finds it cancelled.
        Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk", flat=True).first()
        if acted_on(ticket):
            raise Conflict(f"Ya no puede cancelar el ticket {ticket.number}: ya está siendo atendido. "
                           "Escriba un mensaje si ya no lo necesita.")
        now = timezone.now()
        if ticket.case_id and ticket.case.status == Case.Status.OPEN:
            by_requester = ticket.case.started_by_id == user.pk
            with _ending_here(ticket.pk):   # this function cancels the ticket itself, below
                workflow.close_case(ticket.case, user, Case.Status.WITHDRAWN if by_requester else Case.Status.CANCELLED,
                                    Event.Kind.WITHDRAWN if by_requester else Event.Kind.CANCELLED,
                                    f"Ticket {ticket.number} cancelado: {reason}")
        _end_pause(ticket, now)
        _change(ticket, user, K.CANCELLED, expected=_version(lock_version), now=now, note=reason,
                status=S.CANCELLED, closed_at=now)
        _tell(ticket.requester, user, "case_cancelled", ticket, "su ticket fue cancelado", f"Motivo: {reason}")
    return ticket


# --- duplicates, links, rating --------------------------------------------------------------
def _other(user, other) -> Ticket:
    if isinstance(other, str) and other.upper().startswith("TK-"):
        found = Ticket.objects.filter(number=other.upper().strip()).values_list("pk", flat=True).first()
        other = found or 0
    try:
        return access.ticket_for(user, other)
    except NotFound:
        raise Invalid(f"No existe el ticket «{other}».", {"other": "desconocido"}) from None


def merge(user, ticket_id, into, *, lock_version=None) -> Ticket:
    """`ticket_id` duplicates `into`: it ends cancelled, pointing to the ticket that stays."""
    ticket = _load(user, ticket_id)
    _need_desk(user, "Fusionar tickets duplicados")
    target = _other(user, into)
    if target.pk == ticket.pk:
        raise Invalid("Un ticket no puede fusionarse consigo mismo.", {"other": "el mismo"})
    _need_status(ticket, Ticket.OPEN_STATUSES, "fusionarlo")
    if not target.is_open:
        raise Conflict(f"El ticket {target.number} está «{_status_label(target.status)}»: fusione en un ticket abierto.")
    if target.parent_id:
        raise Conflict(f"El ticket {target.number} ya fue fusionado en otro.")
    with transaction.atomic():
        now = timezone.now()
        _end_pause(ticket, now)
        _change(ticket, user, K.MERGED, expected=_version(lock_version), now=now,
                note=f"Duplicado de {target.number}", status=S.CANCELLED, parent=target, closed_at=now)
        _record(target, user, K.MERGED, now=now, note=f"Se fusionó aquí el ticket {ticket.number}",
                after={"duplicate": ticket.number})
        _tell(ticket.requester, user, "case_cancelled", ticket, f"su ticket se unió al ticket {target.number}",
              f"La mesa de ayuda lo atiende junto con el ticket {target.number}, que trata el mismo pedido.")
    return ticket


def link(user, ticket_id, other) -> Ticket:
    ticket = _load(user, ticket_id)
    _need_handler(user, ticket, "Relacionar tickets")
    target = _other(user, other)
    if target.pk == ticket.pk:
        raise Invalid("Un ticket no se relaciona consigo mismo.", {"other": "el mismo"})
    if ticket.links.filter(pk=target.pk).exists():
        raise Invalid(f"Los tickets ya están relacionados.", {"other": "ya relacionado"})
    with transaction.atomic():
        now = timezone.now()
        ticket.links.add(target)
        _record(ticket, user, K.LINKED, now=now, after={"linked": target.number})
        _record(target, user, K.LINKED, now=now, after={"linked": ticket.number})
    return ticket


def rate(user, ticket_id, rating, comment="") -> Ticket:
    """The requester rates the service (1 to 5) once the ticket is resolved; rating a resolved
    ticket accepts the solution and closes it."""
    ticket = _load(user, ticket_id)
    if ticket.requester_id != user.pk:
        raise Forbidden("Solo quien solicitó el ticket lo califica.")
    _need_status(ticket, (S.RESOLVED, S.CLOSED), "calificarlo todavía (se califica cuando está resuelto)")
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise Invalid("Califique con un número del 1 (muy malo) al 5 (excelente).", {"rating": "fuera de rango"})
    comment = "" if comment in (None, "") else _text(comment, "comment", "El comentario", 1000, "")
    if ticket.rating is not None:
        raise Conflict(f"El ticket {ticket.number} ya fue calificado.")
    with transaction.atomic():
        now = timezone.now()
        changes = dict(rating=rating, rating_comment=comment)
        if ticket.status == S.RESOLVED:
            changes.update(status=S.CLOSED, closed_at=now)
        _change(ticket, user, K.RATED, now=now, **changes)
    return ticket


# --- the case's ticket: what the sheets' `ticket:` effects do (helpdesk.effects) ---------------
# These run inside a task completion (or a case's closing), whose permission check is the
# authority: whoever may complete «Asignar ticket de atención» assigns the case's ticket. They
# check nothing about the person, only the input (helpdesk.effects refuses bad input, naming the
# form field, before anything is written).
_opening: ContextVar[bool] = ContextVar("helpdesk_opening_ticket", default=False)
_ending: ContextVar[frozenset] = ContextVar("helpdesk_ending_tickets", default=frozenset())


@contextmanager
def _opening_ticket():
    token = _opening.set(True)
    try:
        yield
    finally:
        _opening.reset(token)


@contextmanager
def _ending_here(ticket_pk):
    token = _ending.set(_ending.get() | {ticket_pk})
    try:
        yield
    finally:
        _ending.reset(token)


def opening_ticket() -> bool:
    """Whether the case being started is started by a ticket (open_ticket), which is its ticket."""
    return _opening.get()


def case_ticket(case) -> Ticket | None:
    """The case's own ticket: the one that started it (portal, mail, desk) or that its first
    activity opened; not the internal tickets the case generated."""
    return case.tickets.exclude(channel=Ticket.Channel.INTERNAL).order_by("id").first() if case.pk else None


def linked_ticket(case, link: str) -> Ticket | None:
    """The latest internal ticket the case generated under `link` (a sheet's `ticket: create`)."""
    return (case.tickets.filter(channel=Ticket.Channel.INTERNAL, events__kind=K.OPENED, events__after__link=link)
            .order_by("-id").first())


def category_for_procedure(code: str):
    """The help-desk category whose procedure is `code` (the first in catalog/helpdesk.yaml)."""
    return next((c for c in catalog().categories.values() if c.procedure == code), None)


def eligible(username, team: str):
    """The active person named `username` holding the role `team` (any office role when ""), or
    Invalid saying why not."""
    teams = dict(team_roles())
    person = get_user_model().objects.filter(username=str(username), is_active=True).first()
    allowed = [team] if team else list(teams)
    if person is None or not Role.objects.filter(slug__in=allowed, members=person).exists():
        where = f"del equipo {teams.get(team, _role_name(team))}" if team else "de la OGTIE"
        raise Invalid(f"«{username}» no es titular de un rol {where}: elija a una persona de ese equipo.",
                      {"assignee": "no elegible"})
    return person


def _fresh(ticket: Ticket) -> Ticket:
    # Locks the ticket row only (select_related's outer join to the assignee cannot be locked on PostgreSQL).
    return Ticket.objects.select_for_update(of=("self",)).select_related("requester").get(pk=ticket.pk)


def _new_ticket(user, requester, cat, *, subject, description, channel, case, now, team="", assignee=None,
                after=None) -> Ticket:
    impact, urgency = cat.impact, cat.urgency
    priority = catalog().priority_of(impact, urgency)
    targets = cat.targets(priority)
    person = getattr(requester, "person", None)
    status = S.ASSIGNED if (assignee is not None or team) else S.NEW
    ticket = Ticket.objects.create(
        number=_next_number(now), requester=requester, requester_unit=person.unit if person else None,
        category=cat.slug, type=cat.type, impact=impact, urgency=urgency, priority=priority, channel=channel,
        status=status, assignee=assignee, team=team, subject=subject[:200], description=description or subject,
        case=case, created_at=now, updated_at=now, validated_at=now if status == S.ASSIGNED else None,
        respond_minutes=targets.respond, resolve_minutes=targets.resolve)
    sla.plan(ticket, now)
    Ticket.objects.filter(pk=ticket.pk).update(respond_by=ticket.respond_by, resolve_by=ticket.resolve_by)
    _record(ticket, user, K.OPENED, now=now, after={
        "number": ticket.number, "category": cat.slug, "priority": priority, "channel": channel,
        "requester": requester.username, "case": case.number, **(after or {})})
    return ticket


def open_for_case(case, user, cat, *, description="", now=None) -> Ticket | None:
    """The case's ticket, opened for its requester when the case was started without one (from
    the procedure's page or the API). None when it has one already."""
    if case_ticket(case) is not None:
        return None
    now = now or timezone.now()
    # The subject as the completion just wrote it (the form's «Asunto» becomes the case's subject).
    subject = Case.objects.filter(pk=case.pk).values_list("subject", flat=True).first() or case.subject
    return _new_ticket(user, case.started_by, cat, subject=subject or cat.name, now=now,
                       description=description or f"Registrado al iniciar el caso {case.number}.",
                       channel=Ticket.Channel.PORTAL, case=case)


def create_for_case(case, user, cat, *, link, subject, description="", team="", assignee=None, now=None) -> Ticket:
    """An internal ticket the case generates (a QA request, a pase a producción...), requested by
    whoever completes the activity, assigned as the sheet says, related to the case's ticket."""
    now = now or timezone.now()
    ticket = _new_ticket(user, user, cat, subject=subject, now=now, channel=Ticket.Channel.INTERNAL, case=case,
                         description=description or f"Generado en el caso {case.number}.", team=team,
                         assignee=assignee, after={"link": link, "team": team,
                                                   "assignee": assignee.username if assignee else None})
    own = case_ticket(case)
    if own is not None:
        ticket.links.add(own)
        _record(own, user, K.LINKED, now=now, after={"linked": ticket.number})
    _tell(assignee, user, "task_assigned", ticket, "se le asignó el ticket",
          f"Generado en el caso {case.number} ({case.subject}).")
    return ticket


def assign_for_case(ticket: Ticket, user, *, person=None, team="", now=None) -> Ticket:
    ticket = _fresh(ticket)
    if ticket.status not in Ticket.OPEN_STATUSES or (person is None and not team):
        return ticket
    if ticket.assignee_id == getattr(person, "pk", None) and ticket.team == team:
        return ticket
    now = now or timezone.now()
    status = ticket.status if ticket.status in (S.IN_PROGRESS, S.WAITING_USER, S.WAITING_SUPPLIER) else S.ASSIGNED
    changes = dict(assignee=person, team=team or ticket.team, status=status)
    if status == S.ASSIGNED and ticket.status == S.RETURNED:
        changes["return_reason"] = ""
    if not ticket.validated_at:
        changes["validated_at"] = now
    _change(ticket, user, K.ASSIGNED, now=now, **changes)
    _tell(person, user, "task_assigned", ticket, "se le asignó el ticket",
          f"{_name(user)} le asignó el ticket. Prioridad: {ticket.priority_label()}. Categoría: {ticket.category_name()}.")
    return ticket


def return_for_case(ticket: Ticket, user, reason: str, now=None) -> Ticket:
    ticket = _fresh(ticket)
    if ticket.status not in Ticket.OPEN_STATUSES or ticket.status == S.RETURNED:
        return ticket
    reason = (reason or "Devuelto para que subsane las observaciones.")[:REASON_MAX]
    _end_pause(ticket, now or timezone.now())
    _change(ticket, user, K.RETURNED, now=now, note=reason, status=S.RETURNED, return_reason=reason)
    _tell(ticket.requester, user, "request_returned", ticket, "se le devolvió su solicitud", f"Motivo: {reason}")
    return ticket


def resolve_for_case(ticket: Ticket, user, solution: str, *, close: bool = False, now=None, tell=True) -> Ticket:
    """Resolve (or, with `close`, resolve and close) the ticket with `solution`; a ticket already
    done stays as it is, a resolved one is closed when `close`."""
    ticket = _fresh(ticket)
    now = now or timezone.now()
    if ticket.status in (S.CLOSED, S.CANCELLED) or (ticket.status == S.RESOLVED and not close):
        return ticket
    changes = {}
    if ticket.status != S.RESOLVED:
        _end_pause(ticket, now)
        changes.update(solution=(solution or ticket.solution)[:SOLUTION_MAX], resolved_at=now)
        if ticket.first_response_at is None:
            changes["first_response_at"] = now
    if close:
        changes.update(status=S.CLOSED, closed_at=now)
        _change(ticket, user, K.CLOSED, now=now, note=(solution or "")[:1000], **changes)
        tell and _tell(ticket.requester, user, "case_completed", ticket, "su ticket fue cerrado",
              (f"Solución: {solution[:1500]}\n\n" if solution else "") + "Si aún no lo hizo, califique la atención en el ticket.")
    else:
        changes["status"] = S.RESOLVED
        _change(ticket, user, K.RESOLVED, now=now, **changes)
        _tell(ticket.requester, user, "case_completed", ticket, "su ticket fue resuelto",
              f"Solución: {solution[:1500]}\n\nAbra el ticket para calificar la atención.")
    return ticket


def end_with_case(case, status, by) -> None:
    """The case ended: its tickets still open end with it (in the closing's transaction). A case
    concluded closes them; an annulled or withdrawn case cancels them."""
    skip = _ending.get()
    now = timezone.now()
    for ticket in case.tickets.exclude(status__in=(S.CLOSED, S.CANCELLED)).exclude(pk__in=skip).order_by("id"):
        if status == Case.Status.COMPLETED:
            resolve_for_case(ticket, by, f"Atendido: concluyó el caso {case.number}.", close=True, now=now, tell=False)
        elif ticket.status != S.RESOLVED:
            ticket = _fresh(ticket)
            verb = "retirado por su solicitante" if status == Case.Status.WITHDRAWN else "anulado"
            _end_pause(ticket, now)
            _change(ticket, by, K.CANCELLED, now=now, note=f"El caso {case.number} fue {verb}.",
                    status=S.CANCELLED, closed_at=now)
