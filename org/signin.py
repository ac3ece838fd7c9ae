"""Password guessing: after MAPRO_SIGNIN_MAX_FAILURES (5) failed sign-ins for one username within
MAPRO_SIGNIN_LOCK_MINUTES (15), that username is refused for the next 15 minutes, even with the right
password; one client address gets MAPRO_SIGNIN_IP_MAX_FAILURES (50) across all usernames, since
many people sign in from behind the ministry's one outgoing address.

The check sits in the authentication backend (org.backends), so every way in — the login page, the
admin's login, POST /api/auth/token — is covered by the one rule; failures are counted from Django's
`user_login_failed` signal. Our own table rather than django-axes: this is about sixty lines, with
our Spanish messages and the API's 429, where axes would add its own middleware, lockout handler,
settings and a dependency to follow for a rule this small.

Refused attempts while locked are not counted, so the lock ends 15 minutes after the failure that
set it, however often the guesser keeps trying. Nor are attempts the directory could not answer
(org.directory). Wrong second-factor codes (org.second_factor) are counted like wrong passwords."""
from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from .models import SignInFailure

KEEP = timedelta(days=1)


def locked_message() -> str:
    return f"Demasiados intentos fallidos; espere {settings.MAPRO_SIGNIN_LOCK_MINUTES} minutos."


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind a proxy (MAPRO_BEHIND_PROXY) the address the
    proxy appended last to X-Forwarded-For (earlier entries are whatever the client sent)."""
    if request is None:
        return None
    meta = getattr(request, "META", {})
    address = meta.get("REMOTE_ADDR", "")
    if settings.MAPRO_BEHIND_PROXY and meta.get("HTTP_X_FORWARDED_FOR"):
        address = meta["HTTP_X_FORWARDED_FOR"].split(",")[-1]
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def _key(username) -> str:
    return str(username).strip().lower()[:150]


def _lock_end(times: list[datetime], threshold: int, window: timedelta) -> datetime | None:
    """The latest end of a lock: `threshold` failures within `window` lock until `window` after the
    last of them."""
    times = sorted(times)
    ends = [times[i] + window for i in range(threshold - 1, len(times)) if times[i] - times[i - threshold + 1] <= window]
    return max(ends, default=None)


def locked_until(username, ip: str | None) -> datetime | None:
    """When the lock on this username or address ends, or None if neither is locked now."""
    now = timezone.now()
    window = timedelta(minutes=settings.MAPRO_SIGNIN_LOCK_MINUTES)
    recent = SignInFailure.objects.filter(at__gt=now - 2 * window)
    ends = [_lock_end(list(recent.filter(username=_key(username)).values_list("at", flat=True)),
                      settings.MAPRO_SIGNIN_MAX_FAILURES, window)]
    if ip:
        ends.append(_lock_end(list(recent.filter(ip=ip).values_list("at", flat=True)),
                              settings.MAPRO_SIGNIN_IP_MAX_FAILURES, window))
    end = max((e for e in ends if e), default=None)
    return end if end and end > now else None


def record_failure(username, ip: str | None) -> None:
    now = timezone.now()
    SignInFailure.objects.filter(at__lt=now - KEEP).delete()
    SignInFailure.objects.create(username=_key(username), ip=ip, at=now)


def clear(username) -> None:
    """A successful sign-in forgets the username's earlier failures."""
    SignInFailure.objects.filter(username=_key(username)).delete()


@receiver(user_login_failed, dispatch_uid="mapro.signin.count_failure")
def _count_failure(sender, credentials, request=None, **kwargs):
    if getattr(request, "mapro_signin_locked", None):
        return  # refused while locked: not a guess that reached the password
    if getattr(request, "mapro_directory_down", None):
        return  # the directory did not answer (org.directory): nobody checked the password
    username = credentials.get("username")
    if username is not None:
        record_failure(username, client_ip(request))


class SignInForm(AuthenticationForm):
    """The login page's form: our Spanish messages, and the lock named when it is the reason."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Usuario o contraseña incorrectos.",
        "inactive": "Esta cuenta está desactivada.",
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "mapro_signin_locked", None):
                raise forms.ValidationError(locked_message(), code="locked") from None
            if getattr(self.request, "mapro_directory_down", None):
                from .directory import DIRECTORY_DOWN

                raise forms.ValidationError(DIRECTORY_DOWN, code="directory_down") from None
            raise
