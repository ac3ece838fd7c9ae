"""Second factor: administrators (is_staff, is_superuser), the chief and the coordinators confirm each
sign-in with a 6-digit TOTP code from an authenticator application (django-otp's TOTP device).

On the web, after the right password such a person is signed in but not verified: every page sends
them to the step (web/second_factor.py) — enrolment with a QR code if they have no confirmed device
yet, otherwise the code — and the administration cannot be reached before it. The API issues them a
token only with the code (`otp` in POST /api/auth/token).

Wrong codes are failed sign-ins for org.signin (sent as user_login_failed, without the code): five in
15 minutes lock the username, for passwords and codes alike. A person's earlier failures are
forgotten only when the code is right (org.backends), so a guesser who knows the password gets five
codes, not five per password.

MAPRO_OTP_REQUIRED=0 turns the requirement off (`make demo`; the test suite by default)."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import Signal
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from . import signin

CODE_DIGITS = 6

# Sent when a right code completes a sign-in (Django's user_logged_in came earlier, with the password):
# sender=__name__, request, user, device, via ("web" or "api"). A wrong code is a user_login_failed
# whose credentials carry "otp" (masked), never the code itself.
second_factor_passed = Signal()


def required(user) -> bool:
    """Whether this account must confirm its sign-ins with a code."""
    if not settings.MAPRO_OTP_REQUIRED or user is None or not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    from cases import access   # the chief, the coordinators (catalog/organization.yaml) and superusers

    return access.leads(user)


def pending(request) -> bool:
    """Signed in with the password, but the code is still to come."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    verified = getattr(user, "is_verified", None)
    return not (verified and verified()) and required(user)


def confirmed_devices(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True)


def has_device(user) -> bool:
    return confirmed_devices(user).exists()


def clean_code(code) -> str | None:
    """The code as typed («123 456», « 123456 ») in digits, or None if it cannot be one."""
    if not isinstance(code, str):
        return None
    code = "".join(code.split())
    return code if len(code) == CODE_DIGITS and code.isascii() and code.isdigit() else None


def failed(request, user) -> None:
    """A wrong code: a failed sign-in for the lock of org.signin (and anyone else listening)."""
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username(), "otp": "********"},
                           request=request)


def check(request, user, code, devices=None):
    """The device that accepts this code (and the sign-in is complete: earlier failures forgotten),
    or None (counted as a failure)."""
    code = clean_code(code)
    if code is not None:
        for device in (devices if devices is not None else confirmed_devices(user)):
            if device.verify_token(code):
                signin.clear(user.get_username())
                via = "api" if getattr(request, "path_info", "").startswith("/api/") else "web"
                second_factor_passed.send(sender=__name__, request=request, user=user, device=device, via=via)
                return device
    failed(request, user)
    return None


def locked(request, user) -> bool:
    return bool(signin.locked_until(user.get_username(), signin.client_ip(request)))


def safe_next(request, value) -> str:
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()},
                                                 require_https=request.is_secure()):
        return value
    return reverse(settings.LOGIN_REDIRECT_URL)


class SecondFactorMiddleware:
    """Until the code is given, every page (the administration included) sends its person to the
    step. Left alone: static files, the favicon, the login and logout pages, the step's own pages,
    and the API (tokens, not sessions: the code is asked when the token is issued)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt = None

    def exempt(self, path: str) -> bool:
        if self._exempt is None:
            self._exempt = frozenset(reverse(name) for name in (
                "login", "logout", "second-factor", "second-factor-enrol", "favicon", "admin:logout"))
        static = "/" + settings.STATIC_URL.lstrip("/")
        return path in self._exempt or path.startswith((static, "/api/"))

    def __call__(self, request):
        if settings.MAPRO_OTP_REQUIRED and not self.exempt(request.path_info) and pending(request):
            target = reverse("second-factor")
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return redirect(target)
        return self.get_response(request)
