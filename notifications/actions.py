"""Writing notifications: one function each, run in the caller's transaction.

    from notifications.actions import notify
    notify(user, "sla_warning", "TK-2026-000123: vence el plazo de respuesta", "…", "/casos/12/",
           case=case, dedupe_key="sla.respond:123")

A notification is stored for the person (the list and the unread count), and, if their preference is
"immediately" and they have an e-mail address, one outbox row with the e-mail, in the same
transaction: a change that rolls back leaves neither. Whoever may not see the case is never told
about it (cases.access.may_view). Preferences and mail never make these raise.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from cases import access
from cases.workflow import Invalid, NotFound

from .models import Kind, Notification, OutboxMessage, Preference

TITLE_MAX = Notification._meta.get_field("title").max_length
URL_MAX = Notification._meta.get_field("url").max_length
SUBJECT_PREFIX = "[mapro] "


@dataclass
class Note:
    """A notification to write: who, what, and where to look."""
    recipient: Any
    kind: str
    title: str
    body: str = ""
    url: str = ""
    case: Any = None
    dedupe_key: str | None = None


def absolute(url: str) -> str:
    """The link as a person opens it from an e-mail (settings.MAPRO_BASE_URL + the path)."""
    if not url or "://" in url:
        return url
    return settings.MAPRO_BASE_URL.rstrip("/") + "/" + url.lstrip("/")


def notify(user, kind, title, body, url, *, case=None, dedupe_key=None) -> Notification | None:
    """Notify one person, in the caller's transaction. None if nothing was written: the person is
    inactive, may not see the case, or was already told (same `dedupe_key`)."""
    if kind not in Kind.values:
        raise ValueError(f"tipo de notificación desconocido: {kind}")
    written = deliver([Note(user, kind, title, body, url, case, dedupe_key)])
    return written[0] if written else None


def deliver(notes: list[Note]) -> list[Notification]:
    """Write the notes (and their e-mails) that pass: active recipient, allowed to see the case,
    not notified before under the same key. Returns the notifications written."""
    notes = _allowed(notes)
    if not notes:
        return []
    keyed = [n for n in notes if n.dedupe_key]
    if keyed:
        done = set(Notification.objects.filter(
            recipient_id__in={n.recipient.pk for n in keyed}, dedupe_key__in={n.dedupe_key for n in keyed},
        ).values_list("recipient_id", "dedupe_key"))
        notes = [n for n in notes if not n.dedupe_key or (n.recipient.pk, n.dedupe_key) not in done]
    if not notes:
        return []
    now = timezone.now()
    modes = dict(Preference.objects.filter(user_id__in={n.recipient.pk for n in notes}).values_list("user_id", "mode"))
    rows, mails = [], []
    for note in notes:
        mailed = modes.get(note.recipient.pk, Preference.Mode.IMMEDIATE) == Preference.Mode.IMMEDIATE and bool(note.recipient.email)
        row = Notification(recipient=note.recipient, kind=note.kind, title=note.title[:TITLE_MAX], body=note.body or "",
                           url=(note.url or "")[:URL_MAX], case=note.case, created_at=now, dedupe_key=note.dedupe_key or None,
                           mailed_at=now if mailed else None)
        rows.append(row)
        if mailed:
            mails.append(row)
    rows = _insert(rows)
    OutboxMessage.objects.bulk_create([
        OutboxMessage(to=row.recipient.email, subject=(SUBJECT_PREFIX + row.title)[:250], body=email_body(row),
                      notification=row, created_at=now, next_attempt_at=now)
        for row in mails if row.pk is not None
    ])
    return rows


def _allowed(notes: list[Note]) -> list[Note]:
    """One note per person and fact; only active people who may see the case."""
    seen, kept, verdicts = set(), [], {}
    for note in notes:
        person = note.recipient
        if person is None or not person.is_active:
            continue
        key = (person.pk, note.dedupe_key or id(note))
        if key in seen:
            continue
        seen.add(key)
        if note.case is not None:
            which = (person.pk, note.case.pk)
            if which not in verdicts:
                verdicts[which] = access.may_view(person, note.case)
            if not verdicts[which]:
                continue
        kept.append(note)
    return kept


def _insert(rows: list[Notification]) -> list[Notification]:
    """Insert the rows; one that another transaction notified meanwhile (same key) is left out."""
    if not any(r.dedupe_key for r in rows):
        return Notification.objects.bulk_create(rows)
    try:
        with transaction.atomic():
            return Notification.objects.bulk_create(rows)
    except IntegrityError:
        pass
    written = []
    for row in rows:
        row.pk = None
        try:
            with transaction.atomic():
                row.save(force_insert=True)
            written.append(row)
        except IntegrityError:
            continue
    return written


def email_body(notification: Notification) -> str:
    person = notification.recipient
    return render_to_string("notifications/email/notification.txt", {
        "name": person.get_full_name() or person.username,
        "notification": notification,
        "kind": notification.get_kind_display(),
        "link": absolute(notification.url),
        "preferences": absolute("/notificaciones/preferencias/"),
    })


# --- reading and marking ------------------------------------------------------------------------
def notifications_of(user):
    """The person's notifications, unread first, newest first."""
    from django.db.models import F

    return (Notification.objects.filter(recipient=user)
            .order_by(F("read_at").asc(nulls_first=True), "-created_at", "-id"))


def unread_count(user) -> int:
    if not user or not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_for(user, notification_id) -> Notification:
    """The person's own notification; anyone else's is "not found", as if it did not exist."""
    try:
        pk = int(notification_id)
    except (TypeError, ValueError):
        pk = 0
    found = Notification.objects.filter(pk=pk, recipient=user).first() if 0 < pk < 2**63 and user.is_authenticated else None
    if found is None:
        raise NotFound("No existe la notificación.")
    return found


def mark_read(user, notification_id) -> Notification:
    notification = notification_for(user, notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def mark_all_read(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def set_mode(user, mode) -> Preference:
    """The person's choice of e-mails: immediately, a daily digest, or none."""
    if mode not in Preference.Mode.values:
        choices = ", ".join(f"«{value}» ({label.lower()})" for value, label in Preference.Mode.choices)
        raise Invalid(f"Elija cómo recibir los avisos por correo: {choices}.", {"mode": "valor no válido"})
    preference, _ = Preference.objects.update_or_create(user=user, defaults={"mode": mode})
    return preference
