"""The outbox: e-mails written in the transaction of the change, sent by the worker after commit.

`send_due()` takes the rows due (a claim column, `claimed_until`, held for a few minutes; on
PostgreSQL the rows are picked with SELECT ... FOR UPDATE SKIP LOCKED, on SQLite the write
transaction is exclusive), sends them outside any transaction, and records each outcome. A failure
retries later with exponential backoff (1, 2, 4 ... minutes, at most 6 hours); after
MAPRO_EMAIL_MAX_ATTEMPTS the row is "failed", kept and visible in the administration. A mail
server that is down never blocks a change and loses nothing: the rows wait.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import mail
from .models import OutboxMessage

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
BATCH = 100


@dataclass
class Result:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    disabled: str = ""   # why nothing was sent (no MAPRO_EMAIL_URL, a wrong setting)
    waiting: int = 0     # then, the e-mails waiting in the outbox


def enqueue(to: str, subject: str, body: str, *, notification=None) -> OutboxMessage:
    """One e-mail to send, in the caller's transaction."""
    now = timezone.now()
    return OutboxMessage.objects.create(to=to, subject=subject[:250], body=body, notification=notification,
                                        created_at=now, next_attempt_at=now)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: 1 minute, doubling, at most MAX_BACKOFF."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _claim(now, limit) -> list[OutboxMessage]:
    with transaction.atomic():
        due = (OutboxMessage.objects
               .filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
               .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
               .order_by("next_attempt_at", "id"))
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        rows = list(due[:limit])
        if rows:
            OutboxMessage.objects.filter(pk__in=[r.pk for r in rows]).update(claimed_until=now + LEASE)
    return rows


def _sent(row) -> None:
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=OutboxMessage.Status.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1,
        claimed_until=None, last_error="")


def _failed(row, error: str, now) -> bool:
    """Record a failed attempt; True if the row will be tried again."""
    attempts = row.attempts + 1
    again = attempts < settings.MAPRO_EMAIL_MAX_ATTEMPTS
    OutboxMessage.objects.filter(pk=row.pk).update(
        attempts=attempts, claimed_until=None, last_error=error[:2000],
        status=OutboxMessage.Status.PENDING if again else OutboxMessage.Status.FAILED,
        next_attempt_at=now + backoff(attempts))
    return again


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def send_due(now=None, limit: int = BATCH) -> Result:
    """Send the outbox rows that are due. Never raises for the mail server's state."""
    result = Result()
    try:
        server = mail.configured_server()
        from_ = mail.sender() if server else ""
    except mail.MailConfigError as exc:
        result.disabled = str(exc)
    else:
        if server is None:
            result.disabled = "MAPRO_EMAIL_URL no está definido: los correos quedan en la bandeja de salida."
    if result.disabled:
        result.waiting = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).count()
        return result
    now = now or timezone.now()
    rows = _claim(now, limit)
    smtp, down = None, ""
    try:
        for row in rows:
            if down:   # the server did not answer: the rest of this batch waits for the next pass
                if _failed(row, down, now):
                    result.retrying += 1
                else:
                    result.failed += 1
                continue
            try:
                if smtp is None:
                    smtp = mail.connect(server)
            except Exception as exc:  # noqa: BLE001 - refused, timeout, TLS, login: all wait for a retry
                down = f"No se pudo conectar con {server}: {_describe(exc)}"
                if _failed(row, down, now):
                    result.retrying += 1
                else:
                    result.failed += 1
                continue
            try:
                smtp.send_message(mail.message(row.to, row.subject, row.body, from_))
            except Exception as exc:  # noqa: BLE001 - a refused recipient, a dropped connection
                if _failed(row, _describe(exc), now):
                    result.retrying += 1
                else:
                    result.failed += 1
                try:
                    smtp.quit()
                except Exception:  # noqa: BLE001
                    pass
                smtp = None   # reconnect for the next message
                continue
            _sent(row)
            result.sent += 1
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except Exception:  # noqa: BLE001
                pass
    return result
