"""The daily digest: one e-mail a day per person who chose it, listing the day's unread notifications
that were not mailed. Sent from MAPRO_DIGEST_HOUR (Lima time, 7 by default). A worker takes a
person's digest by moving their Preference.last_digest_on to today (one UPDATE that only one worker
wins), in the same transaction as the outbox row it writes."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from .actions import SUBJECT_PREFIX, absolute
from .models import Notification, Preference
from .outbox import enqueue

WINDOW = timedelta(days=1)


def _not_taken(today) -> Q:
    return Q(last_digest_on__isnull=True) | Q(last_digest_on__lt=today)


def send_digests(now=None) -> int:
    """Write today's digests to the outbox; the number written."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < settings.MAPRO_DIGEST_HOUR:
        return 0
    today = local.date()
    written = 0
    due = Preference.objects.filter(_not_taken(today), mode=Preference.Mode.DIGEST).select_related("user")
    for preference in due:
        with transaction.atomic():
            taken = Preference.objects.filter(_not_taken(today), pk=preference.pk, mode=Preference.Mode.DIGEST).update(
                last_digest_on=today)
            if not taken:
                continue   # another worker took it, or the person changed their mind
            notes = Notification.objects.filter(recipient_id=preference.user_id, mailed_at__isnull=True,
                                                created_at__gt=now - WINDOW, created_at__lte=now)
            listed = list(notes.filter(read_at__isnull=True).order_by("created_at", "id"))
            notes.update(mailed_at=now)
            person = preference.user
            if not listed or not person.email or not person.is_active:
                continue
            count = len(listed)
            subject = f"{SUBJECT_PREFIX}Resumen del {today:%d/%m/%Y}: {count} aviso{'s' if count != 1 else ''} sin leer"
            body = render_to_string("notifications/email/digest.txt", {
                "name": person.get_full_name() or person.username,
                "day": today, "count": count,
                "items": [(n, absolute(n.url)) for n in listed],
                "list": absolute("/notificaciones/"),
                "preferences": absolute("/notificaciones/preferencias/"),
            })
            enqueue(person.email, subject, body)
            written += 1
    return written
