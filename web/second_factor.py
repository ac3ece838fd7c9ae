"""The second step of signing in (org/second_factor.py): the code, or the enrolment of a first device."""
from base64 import b32encode

import django_otp
import segno
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_totp.models import TOTPDevice

from org import second_factor, signin


def _next(request) -> str:
    return second_factor.safe_next(request, request.POST.get("next") or request.GET.get("next"))


def _with_next(name, request) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    return reverse(name) + ("?" + urlencode({"next": target}) if target else "")


def _locked_out(request):
    """Too many wrong codes (or passwords): the session ends; the login page will say the same."""
    logout(request)
    return render(request, "web/second_factor.html", {"locked": signin.locked_message()}, status=429)


@never_cache
@sensitive_post_parameters("code")
@login_required
def verify(request):
    """Ask for the code of the person's confirmed device."""
    if not second_factor.pending(request):
        return redirect(_next(request))
    user = request.user
    if not second_factor.has_device(user):
        return redirect(_with_next("second-factor-enrol", request))
    if second_factor.locked(request, user):
        return _locked_out(request)
    error = None
    if request.method == "POST":
        device = second_factor.check(request, user, request.POST.get("code"))
        if device is not None:
            django_otp.login(request, device)
            return redirect(_next(request))
        if second_factor.locked(request, user):
            return _locked_out(request)
        error = "El código no es válido. Escriba el de 6 dígitos que muestra ahora su aplicación."
    return render(request, "web/second_factor.html", {"error": error, "next": _next(request)},
                  status=200 if error is None else 400)


@never_cache
@sensitive_post_parameters("code")
@login_required
def enrol(request):
    """A first device: the QR code (and its secret as text) for an authenticator application, and a
    first code to confirm it. Only for someone who has none yet: a confirmed device is replaced only
    by an administrator deleting it («Dispositivos TOTP»), never from here."""
    if not second_factor.pending(request):
        return redirect(_next(request))
    user = request.user
    if second_factor.has_device(user):
        return redirect(_with_next("second-factor", request))
    if second_factor.locked(request, user):
        return _locked_out(request)
    # The same secret on every visit until it is confirmed: reloading the page keeps the QR code valid.
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first() \
        or TOTPDevice.objects.create(user=user, name="mapro", confirmed=False)
    error = None
    if request.method == "POST":
        if second_factor.check(request, user, request.POST.get("code"), devices=[device]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            django_otp.login(request, device)
            return redirect(_next(request))
        if second_factor.locked(request, user):
            return _locked_out(request)
        error = "El código no es válido. Revise que la hora de su teléfono sea la correcta y escriba el código actual."
    secret = b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m")
    return render(request, "web/second_factor_enrol.html", {
        "error": error, "next": _next(request),
        "qr": qr.svg_inline(scale=4, light="#fff", title="Código QR para su aplicación de autenticación"),
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
    }, status=200 if error is None else 400)
