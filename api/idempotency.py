"""`Idempotency-Key` for the API's POSTs that do work (starting a case, completing a task).

A client that sent a request and lost the response cannot tell whether it was done. Sent again
with the same key, the request is not run a second time: the first answer is given back, status
and body, byte for byte. The key belongs to the user (two people may use the same key) and lives
MAPRO_IDEMPOTENCY_HOURS (24) hours.

1. The key is claimed with an "in progress" row (IdempotencyKey, unique on user and key), written
   and committed before the work starts: of two concurrent retries, the one whose insert wins runs;
   the other sees the row and answers 409 "La solicitud con esta clave aún se está procesando."
   (or the stored answer, if the first finished meanwhile).
2. The work and the storing of its answer are one transaction: either both are written or neither
   is. A crash in between leaves the key "in progress" with no work done; after
   MAPRO_IDEMPOTENCY_STALE_SECONDS (120) a retry takes the key over and runs the request. The
   request it took the key from, should it still be running, can no longer store its answer (the
   row names another owner) and its work is rolled back: the work is done at most once.
3. Only successful answers (2xx) are stored. An error did no work; the key is released so that a
   retry runs the request again (the task may have been released, the data corrected...).
4. The same key with a different request (method, path or body) is refused with 422: it is a
   client bug, and answering with the other request's response would hide it.
"""
import hashlib
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# Expired rows are deleted at most this often per process (one indexed DELETE).
PURGE_EVERY_SECONDS = 600
_last_purge = 0.0


def ttl() -> timedelta:
    return timedelta(hours=getattr(settings, "MAPRO_IDEMPOTENCY_HOURS", 24))


def stale_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "MAPRO_IDEMPOTENCY_STALE_SECONDS", 120))


def _error(status: int, code: str, detail: str, errors: dict | None = None) -> JsonResponse:
    body = {"error": code, "detail": detail}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status)


def key_of(request) -> str | None:
    """The request's Idempotency-Key (quotes of the structured-header form removed), or None."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    return key


def _valid(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and all(" " <= c <= "~" for c in key)


def fingerprint(request) -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.get_full_path().encode(), request.body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _purge(now) -> None:
    global _last_purge
    if time.monotonic() - _last_purge < PURGE_EVERY_SECONDS:
        return
    _last_purge = time.monotonic()
    IdempotencyKey.objects.filter(created_at__lte=now - ttl()).delete()


def _replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(row.response, status=row.status, content_type=row.content_type or "application/json")
    response["Idempotent-Replayed"] = "true"
    return response


def _in_progress() -> JsonResponse:
    response = _error(409, "en_proceso", "La solicitud con esta clave aún se está procesando.")
    response["Retry-After"] = "1"
    return response


class _Stop(Exception):
    """Roll the work back and answer `response` instead."""

    def __init__(self, response):
        super().__init__()
        self.response = response


def _claim(request, key: str, print_: str):
    """("run", row) when this request holds the key now; ("answer", response) when it must not run."""
    user = request.user
    for _ in range(5):   # a row that expires or is released between our reads: look again
        now = timezone.now()
        owner = secrets.token_hex(16)
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(user=user, key=key, fingerprint=print_, owner=owner, created_at=now)
            return "run", row
        except IntegrityError:
            pass
        row = IdempotencyKey.objects.filter(user=user, key=key).first()
        if row is None:
            continue
        if row.created_at <= now - ttl():   # expired: the key is free again
            IdempotencyKey.objects.filter(pk=row.pk, created_at=row.created_at).delete()
            continue
        if row.fingerprint != print_:
            return "answer", _error(
                422, "clave_reutilizada",
                "La clave Idempotency-Key ya se usó con otra solicitud (otra dirección o cuerpo); "
                "use una clave nueva para cada solicitud distinta.", {HEADER: "usada con otra solicitud"})
        if row.status is not None:
            return "answer", _replay(row)
        if row.created_at > now - stale_after():
            return "answer", _in_progress()
        # Still "in progress" long after any request would have ended: the one that held it died.
        taken = IdempotencyKey.objects.filter(pk=row.pk, owner=row.owner, status__isnull=True).update(
            owner=owner, created_at=now)
        if taken:
            row.owner, row.created_at = owner, now
            return "run", row
    return "answer", _in_progress()


def run(request, respond) -> HttpResponse:
    """Answer `request` (a POST carrying Idempotency-Key) with `respond()` at most once per key."""
    key = key_of(request)
    if not _valid(key):
        return _error(422, "clave_invalida",
                      f"La cabecera {HEADER} debe tener entre 1 y {MAX_KEY_LENGTH} caracteres ASCII visibles.",
                      {HEADER: "inválida"})
    _purge(timezone.now())
    outcome, value = _claim(request, key, fingerprint(request))
    if outcome == "answer":
        return value
    row = value
    try:
        with transaction.atomic():
            response = respond()
            if not 200 <= response.status_code < 300:
                raise _Stop(response)
            stored = IdempotencyKey.objects.filter(pk=row.pk, owner=row.owner, status__isnull=True).update(
                status=response.status_code, content_type=response.get("Content-Type", ""),
                response=response.content.decode("utf-8"))
            if not stored:   # taken over as stale meanwhile: that request does the work, not this one
                raise _Stop(_in_progress())
    except _Stop as stop:
        _release(row)
        return stop.response
    except BaseException:
        _release(row)
        raise
    return response


def _release(row: IdempotencyKey) -> None:
    """Free the key of a request that did no work, so that a retry runs it. If the database is gone,
    the row stays "in progress" and is taken over once stale."""
    try:
        IdempotencyKey.objects.filter(pk=row.pk, owner=row.owner, status__isnull=True).delete()
    except DatabaseError:
        pass
