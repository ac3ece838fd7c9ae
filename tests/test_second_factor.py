"""The second factor for administrators, the chief and the coordinators: a TOTP code from an
authenticator application after the password, on the web and for API tokens.

The rest of the suite runs with the requirement off (tests/conftest.py, second_factor_off); every
story here turns it on, as production and `make test` have it by default."""
import re
import time
from base64 import b32decode
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from org.models import SignInFailure

pytestmark = pytest.mark.django_db

PASSWORD = "clave-segura-123"
LOCKED = "Demasiados intentos fallidos; espere 15 minutos."
STEP, ENROL = "/ingresar/verificacion/", "/ingresar/activar-verificacion/"


@pytest.fixture(autouse=True)
def second_factor_on(settings):
    settings.MAPRO_OTP_REQUIRED = True


def code_for(secret: str, steps_ahead: int = 0) -> str:
    """The code an authenticator application shows for this base32 secret now (or `steps_ahead`
    periods of 30 s later: a code already used is refused, so a second sign-in within the same 30 s
    uses the next period's code, which the server accepts as clock drift of one step)."""
    totp = TOTP(b32decode(secret.replace(" ", "")), step=30, t0=0, digits=6)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def a_wrong_code(secret: str) -> str:
    valid = {code_for(secret, n) for n in (-2, -1, 0, 1, 2)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def sign_in(username, password=PASSWORD, client=None, path="/ingresar/"):
    client = client or Client()
    response = client.post(path, {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()
    return client


def enrol(client) -> str:
    """Go to the enrolment page, read the secret shown under the QR code, confirm with a first code."""
    page = client.get(ENROL)
    assert page.status_code == 200
    secret = unescape(re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', page.content.decode()).group(1))
    response = client.post(ENROL, {"code": code_for(secret), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    return secret


def test_a_coordinator_enrols_with_the_qr_secret_signs_out_and_signs_in_again_with_a_code(staff):
    client = sign_in("coord-infraestructura")
    response = client.get("/casos/")
    assert response.status_code == 302 and response["Location"] == f"{STEP}?next=%2Fcasos%2F"
    response = client.get(response["Location"])              # no device yet: enrolment first
    assert response.status_code == 302 and response["Location"] == f"{ENROL}?next=%2Fcasos%2F"
    page = client.get(response["Location"]).content.decode()
    assert "Activar la verificación en dos pasos" in page and "<svg" in page and "mapro MINDEF" in page
    # The QR code is plain SVG markup: no inline style or script, which the Content-Security-Policy forbids.
    assert "style=" not in page and "<style" not in page and not re.search(r"<script(?![^>]*\bsrc=)", page)
    device = TOTPDevice.objects.get(user=staff["coord-infraestructura"])
    assert not device.confirmed
    assert device.config_url.startswith("otpauth://totp/mapro%20MINDEF%3Acoord-infraestructura?")
    assert "issuer=mapro%20MINDEF" in device.config_url
    # Reloading the page keeps the same secret (the QR code already scanned stays valid).
    assert re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', client.get(ENROL).content.decode()).group(1) == \
        re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', page).group(1)

    secret = enrol(client)
    assert client.get("/casos/").status_code == 200
    assert TOTPDevice.objects.get(user=staff["coord-infraestructura"]).confirmed

    client.post("/salir/")
    client = sign_in("coord-infraestructura", client=client)
    response = client.get("/")
    assert response["Location"] == f"{STEP}?next=%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200 and "código de 6 dígitos" in page.content.decode()
    assert client.get(ENROL)["Location"].startswith(STEP)   # a second device cannot be added with the password alone
    response = client.post(STEP, {"code": code_for(secret, 1), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_wrong_code_is_refused_and_five_lock_the_account(staff):
    client = sign_in("jefe-ogtie")
    secret = enrol(client)
    client.post("/salir/")
    client = sign_in("jefe-ogtie")
    response = client.post(STEP, {"code": a_wrong_code(secret), "next": "/"})
    assert response.status_code == 400 and "El código no es válido" in response.content.decode()
    assert client.get("/")["Location"].startswith(STEP)
    assert client.post(STEP, {"code": "12345", "next": "/"}).status_code == 400          # not even six digits
    # The same code twice: the second time it is refused (someone saw it over the shoulder).
    used = code_for(secret, 1)
    other = sign_in("jefe-ogtie")
    assert other.post(STEP, {"code": used})["Location"] == "/"
    assert client.post(STEP, {"code": used}).status_code == 400
    # The right code forgot the two failures before it; the replayed code is the first since.
    assert SignInFailure.objects.filter(username="jefe-ogtie").count() == 1
    for _ in range(3):
        assert client.post(STEP, {"code": a_wrong_code(secret)}).status_code == 400
    response = client.post(STEP, {"code": a_wrong_code(secret)})
    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session                     # the session ended
    # Locked for passwords too, on the web and the API, even with the right password and code.
    assert LOCKED in Client().post("/ingresar/", {"username": "jefe-ogtie", "password": PASSWORD}).content.decode()
    response = Client().post("/api/auth/token", {"username": "jefe-ogtie", "password": PASSWORD,
                                                 "otp": code_for(secret, 2)}, content_type="application/json")
    assert response.status_code == 429


def test_the_administration_is_unreachable_before_the_code(make_user):
    admin = make_user("administradora")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = sign_in("administradora", path="/admin/login/")
    for path in ("/admin/", "/admin/org/role/", "/admin/auth/user/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(STEP), path
    assert client.post("/admin/auth/user/add/", {"username": "intrusa"}).status_code == 302
    assert not get_user_model().objects.filter(username="intrusa").exists()
    secret = enrol(client)
    assert client.get("/admin/").status_code == 200
    assert "Verificación en dos pasos" in client.get("/admin/").content.decode()   # where a lost device is deleted
    assert secret


def test_tokens_for_these_people_need_the_code_too(staff):
    def token(**body):
        return Client().post("/api/auth/token", {"username": "coord-infraestructura", "password": PASSWORD, **body},
                             content_type="application/json")

    response = token()
    assert response.status_code == 401 and response.json()["error"] == "otp_requerido"
    assert "web" in response.json()["detail"]                          # no device yet: enrol on the web first
    client = sign_in("coord-infraestructura")
    secret = enrol(client)
    response = token()
    assert response.status_code == 401
    assert response.json() == {"error": "otp_requerido", "detail": "Su cuenta requiere además el código de 6 dígitos "
                                                                   "de su aplicación de autenticación: envíelo en «otp»."}
    assert SignInFailure.objects.count() == 0                           # a missing code is not a guess
    response = token(otp=a_wrong_code(secret))
    assert response.status_code == 401 and response.json()["error"] == "otp_invalido"
    assert token(otp=123456).status_code == 422                        # text, like every other key
    response = token(otp=code_for(secret, 1))
    assert response.status_code == 200
    api = Client()
    assert api.get("/api/tasks", HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}").status_code == 200
    # Five wrong codes with the right password each time still lock: the password alone clears nothing.
    for _ in range(5):
        assert token(otp=a_wrong_code(secret)).status_code == 401
    assert token(otp=code_for(secret, 2)).status_code == 429


def test_a_right_code_is_announced_for_the_audit_trail_and_a_wrong_one_is_a_failed_sign_in(staff):
    from django.contrib.auth.signals import user_login_failed

    from org.second_factor import second_factor_passed

    passed, failed = [], []
    second_factor_passed.connect(lambda sender, **kw: passed.append(kw), weak=False, dispatch_uid="t-passed")
    user_login_failed.connect(lambda sender, credentials, **kw: failed.append(credentials), weak=False,
                              dispatch_uid="t-failed")
    try:
        client = sign_in("coord-gobierno-ti")
        secret = enrol(client)
        response = Client().post("/api/auth/token", {"username": "coord-gobierno-ti", "password": PASSWORD,
                                                     "otp": a_wrong_code(secret)}, content_type="application/json")
        assert response.status_code == 401
    finally:
        second_factor_passed.disconnect(dispatch_uid="t-passed")
        user_login_failed.disconnect(dispatch_uid="t-failed")
    assert [(p["user"].username, p["via"]) for p in passed] == [("coord-gobierno-ti", "web")]
    assert failed == [{"username": "coord-gobierno-ti", "otp": "********"}]


def test_an_employee_without_those_roles_never_sees_the_step(staff):
    client = sign_in("operador-mesa-ayuda")
    assert client.get("/").status_code == 200
    assert client.get(STEP)["Location"] == "/"                        # nothing to verify: on to the inbox
    response = Client().post("/api/auth/token", {"username": "personal-mindef", "password": PASSWORD},
                             content_type="application/json")
    assert response.status_code == 200
    assert not TOTPDevice.objects.exists()


def test_with_the_requirement_off_coordinators_go_straight_in(staff, settings):
    settings.MAPRO_OTP_REQUIRED = False
    assert sign_in("coord-ciberseguridad").get("/casos/").status_code == 200
    response = Client().post("/api/auth/token", {"username": "jefe-ogtie", "password": PASSWORD},
                             content_type="application/json")
    assert response.status_code == 200


def test_the_step_only_sends_back_to_this_site(staff):
    client = sign_in("coord-estadistica")
    secret = enrol(client)
    client.post("/salir/")
    client = sign_in("coord-estadistica")
    response = client.post(STEP, {"code": code_for(secret, 1), "next": "https://phishing.example/mindef"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_api_and_static_files_are_not_redirected_and_logout_works_before_the_code(staff):
    client = sign_in("jefe-ogtie")
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/favicon.ico").status_code in (200, 301, 302) and \
        not client.get("/favicon.ico").get("Location", "").startswith(STEP)
    response = client.post("/salir/")
    assert response.status_code == 302 and "_auth_user_id" not in client.session
