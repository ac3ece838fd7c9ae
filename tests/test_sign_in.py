"""Signing in and staying signed in: API tokens that end with the password or a logout, a limit on
password guessing, a password policy, production settings that pass `check --deploy`, no copies of
personal pages in caches, an idle timeout, and private files for the secret key and the database."""
import hashlib
import os
import stat
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from api.models import ApiToken

from .api_client import Api

pytestmark = pytest.mark.django_db

PASSWORD = "clave-segura-123"
LOCKED = "Demasiados intentos fallidos; espere 15 minutos."
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def clock(monkeypatch):
    """Move the clock forward: clock.advance(minutes=16)."""

    class Clock:
        offset = timedelta()

        def advance(self, **delta):
            self.offset += timedelta(**delta)

    c = Clock()
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + c.offset)
    return c


def web_sign_in(username, password, client=None, **extra):
    client = client or Client()
    response = client.post("/ingresar/", {"username": username, "password": password}, **extra)
    return client, response


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def api_sign_in(username, password, **extra):
    return Api().client.post("/api/auth/token", {"username": username, "password": password},
                             content_type="application/json", **extra)


# --- API tokens -------------------------------------------------------------------------------
def test_a_token_stops_working_once_its_owner_changes_the_password(staff):
    api = Api("personal-mindef")
    assert api.get("/api/roles").status_code == 200
    user = staff["personal-mindef"]
    user.set_password("otra-clave-muy-larga-2026")
    user.save()
    response = api.get("/api/roles")
    assert response.status_code == 401 and response.json()["error"] == "no_autenticado"
    assert not ApiToken.objects.filter(user=user).exists()      # dead tokens are removed, not kept
    fresh = Api("personal-mindef", password="otra-clave-muy-larga-2026")
    assert fresh.get("/api/roles").status_code == 200


def test_a_token_stops_working_when_an_administrator_resets_the_password_or_deactivates_the_account(staff):
    api = Api("soporte-tecnico")
    user = staff["soporte-tecnico"]
    form = AdminPasswordChangeForm(user, {"password1": "Cambio por el administrador", "password2": "Cambio por el administrador"})
    assert form.is_valid(), form.errors
    form.save()
    assert api.get("/api/roles").status_code == 401
    api = Api("soporte-tecnico", password="Cambio por el administrador")
    user.refresh_from_db()
    user.is_active = False
    user.save()
    assert api.get("/api/roles").status_code == 401


def test_signing_out_of_the_api_revokes_the_token_used_and_only_that_one(staff):
    laptop, phone = Api("operador-mesa-ayuda"), Api("operador-mesa-ayuda")
    response = laptop.post("/api/auth/logout")
    assert response.status_code == 204
    assert laptop.get("/api/roles").status_code == 401
    assert laptop.post("/api/auth/logout").status_code == 401
    assert phone.get("/api/roles").status_code == 200


def test_an_owner_lists_their_tokens_without_seeing_any_secret(staff):
    first, second = Api("jefe-ogtie"), Api("jefe-ogtie")
    Api("personal-mindef")   # someone else's token is not listed
    second.get("/api/roles")
    response = second.get("/api/auth/tokens")
    assert response.status_code == 200
    tokens = response.json()
    assert len(tokens) == 2
    assert all(set(t) == {"id", "created_at", "expires_at", "last_used_at", "current"} for t in tokens)
    assert [t["current"] for t in tokens] == [True, False]                  # newest first
    assert tokens[0]["last_used_at"] is not None
    body = response.content.decode()
    for secret in (first.token, second.token):
        assert secret not in body and hashlib.sha256(secret.encode()).hexdigest() not in body


def test_tokens_are_stored_only_as_digests(staff):
    api = Api("personal-mindef")
    assert not ApiToken.objects.filter(digest=api.token).exists()
    assert ApiToken.objects.filter(digest=hashlib.sha256(api.token.encode()).hexdigest()).exists()


def test_an_owner_revokes_one_token_but_not_someone_elses(staff):
    chief, other_device, employee = Api("jefe-ogtie"), Api("jefe-ogtie"), Api("personal-mindef")
    [theirs] = employee.get("/api/auth/tokens").json()
    refused = chief.client.delete(f"/api/auth/tokens/{theirs['id']}", **chief._headers(True))
    assert refused.status_code == 404 and refused.json()["error"] == "no_encontrado"
    assert employee.get("/api/roles").status_code == 200
    mine = [t for t in chief.get("/api/auth/tokens").json() if not t["current"]]
    assert chief.client.delete(f"/api/auth/tokens/{mine[0]['id']}", **chief._headers(True)).status_code == 204
    assert other_device.get("/api/roles").status_code == 401
    assert chief.get("/api/roles").status_code == 200


def test_issuing_one_token_more_than_the_limit_revokes_the_oldest(staff, settings):
    assert settings.MAPRO_API_TOKENS_PER_USER == 10
    sessions = [Api("coord-infraestructura") for _ in range(11)]
    assert sessions[0].get("/api/roles").status_code == 401
    assert all(s.get("/api/roles").status_code == 200 for s in sessions[1:])
    assert len(sessions[-1].get("/api/auth/tokens").json()) == 10
    settings.MAPRO_API_TOKENS_PER_USER = 2
    Api("coord-infraestructura")
    assert len(ApiToken.objects.filter(user=staff["coord-infraestructura"])) == 2


def test_the_api_description_documents_token_management_and_the_lock(staff):
    spec = Api().get("/api/openapi.json", auth=False).json()
    assert "429" in spec["paths"]["/api/auth/token"]["post"]["responses"]
    assert "204" in spec["paths"]["/api/auth/logout"]["post"]["responses"]
    assert "get" in spec["paths"]["/api/auth/tokens"]
    assert set(spec["paths"]["/api/auth/tokens/{id}"]["delete"]["responses"]) >= {"204", "404"}
    assert set(spec["components"]["schemas"]["Token"]["properties"]) == {"id", "created_at", "expires_at",
                                                                          "last_used_at", "current"}


# --- password guessing ------------------------------------------------------------------------
def test_five_wrong_passwords_on_the_login_page_lock_the_username_for_15_minutes(staff, clock):
    staff["personal-mindef"].is_staff = True   # may use the admin's login too
    staff["personal-mindef"].save()
    for _ in range(5):
        client, response = web_sign_in("personal-mindef", "adivinanza")
        assert "Usuario o contraseña incorrectos." in response.content.decode()
    client, response = web_sign_in("personal-mindef", PASSWORD)
    assert not signed_in(client)
    assert LOCKED in response.content.decode()
    # The API and the admin's login answer the same.
    assert api_sign_in("personal-mindef", PASSWORD).status_code == 429
    admin_client = Client()
    admin_client.post("/admin/login/", {"username": "personal-mindef", "password": PASSWORD})
    assert not signed_in(admin_client)
    clock.advance(minutes=14)
    assert not signed_in(web_sign_in("personal-mindef", PASSWORD)[0])
    clock.advance(minutes=1, seconds=1)
    assert signed_in(web_sign_in("personal-mindef", PASSWORD)[0])


def test_five_wrong_passwords_on_the_token_endpoint_answer_429_in_json(staff, clock):
    for _ in range(5):
        response = api_sign_in("operador-mesa-ayuda", "adivinanza")
        assert response.status_code == 401
    response = api_sign_in("operador-mesa-ayuda", PASSWORD)
    assert response.status_code == 429
    assert response.json() == {"error": "demasiados_intentos", "detail": LOCKED}
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    # Trying on while locked does not extend the lock.
    for _ in range(10):
        assert api_sign_in("operador-mesa-ayuda", "adivinanza").status_code == 429
    clock.advance(minutes=15, seconds=1)
    assert api_sign_in("operador-mesa-ayuda", PASSWORD).status_code == 200


def test_failures_spread_over_more_than_15_minutes_or_cleared_by_a_success_do_not_lock(staff, clock):
    for _ in range(4):
        assert api_sign_in("soporte-tecnico", "adivinanza").status_code == 401
    clock.advance(minutes=16)
    for _ in range(4):
        assert api_sign_in("soporte-tecnico", "adivinanza").status_code == 401
    assert api_sign_in("soporte-tecnico", PASSWORD).status_code == 200
    for _ in range(4):
        assert api_sign_in("soporte-tecnico", "adivinanza").status_code == 401
    assert api_sign_in("soporte-tecnico", PASSWORD).status_code == 200


def test_a_locked_username_does_not_lock_out_colleagues_at_the_same_address(staff):
    for _ in range(6):
        api_sign_in("jefe-ogtie", "adivinanza")
    assert api_sign_in("jefe-ogtie", PASSWORD).status_code == 429
    assert api_sign_in("personal-mindef", PASSWORD).status_code == 200
    assert signed_in(web_sign_in("operador-mesa-ayuda", PASSWORD)[0])


def test_one_address_trying_many_usernames_is_stopped(staff, settings):
    settings.MAPRO_SIGNIN_IP_MAX_FAILURES = 6
    for username in ("ana", "beto", "carla", "dario", "elena", "fabio"):
        assert api_sign_in(username, "123456", REMOTE_ADDR="203.0.113.9").status_code == 401
    assert api_sign_in("personal-mindef", PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 429
    assert api_sign_in("personal-mindef", PASSWORD, REMOTE_ADDR="203.0.113.10").status_code == 200


def test_behind_a_proxy_the_address_the_proxy_saw_is_counted(staff, settings):
    settings.MAPRO_SIGNIN_IP_MAX_FAILURES = 3
    settings.MAPRO_BEHIND_PROXY = True
    for username in ("ana", "beto", "carla"):
        # The client forges the first entry; the proxy appends the real one.
        api_sign_in(username, "x", HTTP_X_FORWARDED_FOR=f"10.0.0.{len(username)}, 198.51.100.7")
    assert api_sign_in("personal-mindef", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
    assert api_sign_in("personal-mindef", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 200


# --- password policy --------------------------------------------------------------------------
@pytest.mark.parametrize("password, reason", [
    ("12345678", "demasiado corta"),
    ("123456789012", "numérica"),
    ("password", "demasiado común"),
    ("mindef2026", "institución"),
    ("Mindef-2026!!", "institución"),
    ("OGTIE_mindef_2025", "institución"),
    ("MinisterioDeDefensa1", "institución"),
    ("operador-mesa-ayuda", "similar"),
])
def test_an_administrator_cannot_set_a_weak_password(staff, password, reason):
    form = AdminPasswordChangeForm(staff["operador-mesa-ayuda"], {"password1": password, "password2": password})
    assert not form.is_valid()
    messages = " ".join(form.errors["password2"])
    assert reason in messages, messages


def test_a_long_passphrase_is_accepted(staff):
    form = AdminPasswordChangeForm(staff["operador-mesa-ayuda"],
                                   {"password1": "tres tigres comen trigo", "password2": "tres tigres comen trigo"})
    assert form.is_valid(), form.errors


def test_demo_users_never_print_their_password(organization, settings, monkeypatch, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.DEMO_MODE = True
    monkeypatch.delenv("MAPRO_DEMO_PASSWORD", raising=False)
    out = StringIO()
    call_command("demo_users", stdout=out)
    stored = tmp_path / "demo_password"
    password = stored.read_text().strip()
    assert password not in out.getvalue() and str(stored) in out.getvalue()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert Client().login(username="admin", password=password)
    call_command("demo_users", stdout=StringIO())   # a second `make demo` keeps the same password
    assert Client().login(username="jefe-ogtie", password=password)

    monkeypatch.setenv("MAPRO_DEMO_PASSWORD", "una clave de demostración")
    out = StringIO()
    call_command("demo_users", stdout=out)
    assert "una clave de demostración" not in out.getvalue() and "MAPRO_DEMO_PASSWORD" in out.getvalue()


def test_a_demo_password_that_breaks_the_policy_is_refused(organization, monkeypatch):
    monkeypatch.setenv("MAPRO_DEMO_PASSWORD", "mindef2026")
    with pytest.raises(CommandError, match="no cumple la política"):
        call_command("demo_users", stdout=StringIO())
    assert not get_user_model().objects.filter(username="admin").exists()


# --- sessions and caches ----------------------------------------------------------------------
def test_pages_and_answers_for_a_signed_in_person_are_never_cached(staff):
    client, _ = web_sign_in("personal-mindef", PASSWORD)
    for path in ("/", "/casos/", "/procedimientos/"):
        assert "no-store" in client.get(path)["Cache-Control"], path
    assert "no-store" in Api("personal-mindef").get("/api/tasks")["Cache-Control"]
    assert "no-store" not in Client().get("/api/openapi.json").get("Cache-Control", "")   # public, no one's data


def test_a_session_ends_after_30_idle_minutes_but_not_while_in_use(staff, clock):
    client, _ = web_sign_in("personal-mindef", PASSWORD)
    assert client.get("/").status_code == 200
    session = Session.objects.get()
    assert timedelta(minutes=29) < session.expire_date - timezone.now() <= timedelta(minutes=30)
    for _ in range(3):   # an hour of work, a page every 20 minutes
        clock.advance(minutes=20)
        assert client.get("/").status_code == 200
    clock.advance(minutes=31)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/ingresar/")


# --- production settings and files ------------------------------------------------------------
def _run(code_or_args, tmp_path, **env):
    # A clean environment: no MAPRO_* or DATABASE_URL of the test run, and no DJANGO_* either (the
    # browser tests set DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rightly warns about).
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("MAPRO_", "DATABASE_URL", "DJANGO_"))}
    environment.update({"DJANGO_SETTINGS_MODULE": "mapro.settings", "MAPRO_VAR_DIR": str(tmp_path), **env})
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else code_or_args
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


PRODUCTION = {"MAPRO_SECRET_KEY": "k3J8-Zq2Lr9Xw4Vn7Tb1Hs6Yc0Pf5Ud8Ge3Ma2Qi7Ro4Wl9Sj1Xk6Cv0Bn5Tz8Hy2Lq", "MAPRO_DEBUG": "0",
              "MAPRO_ALLOWED_HOSTS": "mapro.mindef.gob.pe"}


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    check = "import django; django.setup(); from django.core.management import call_command; " \
            "call_command('check', deploy=True, fail_level='WARNING')"
    plain = _run(check, tmp_path, **PRODUCTION)
    assert plain.returncode != 0 and "security.W004" in plain.stderr   # HSTS missing without MAPRO_HTTPS
    result = _run(check, tmp_path, **PRODUCTION, MAPRO_HTTPS="1", MAPRO_BEHIND_PROXY="1")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout + result.stderr


def test_https_settings_redirect_and_mark_cookies_secure(tmp_path):
    show = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
            "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, s.SECURE_PROXY_SSL_HEADER)")
    result = _run(show, tmp_path, **PRODUCTION, MAPRO_HTTPS="1", MAPRO_HSTS_PRELOAD="0", MAPRO_BEHIND_PROXY="1")
    assert result.stdout.split(maxsplit=6) == ["True", "True", "True", "31536000", "True", "False",
                                               "('HTTP_X_FORWARDED_PROTO', 'https')\n"]


def test_the_secret_key_and_the_database_are_readable_by_their_owner_only(tmp_path):
    # While the connection is open SQLite keeps its -wal and -shm files beside the database.
    script = ("import django, os, stat; django.setup(); from django.db import connection; "
              "connection.cursor().execute('CREATE TABLE t (x)'); connection.cursor().execute('INSERT INTO t VALUES (1)'); "
              "print({n: oct(stat.S_IMODE(os.stat(os.path.join(os.environ['MAPRO_VAR_DIR'], n)).st_mode)) "
              "for n in ('secret_key', 'mapro.sqlite3', 'mapro.sqlite3-wal', 'mapro.sqlite3-shm')})")
    result = _run(script, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str({n: "0o600" for n in ("secret_key", "mapro.sqlite3", "mapro.sqlite3-wal",
                                                               "mapro.sqlite3-shm")})
    # An installation made before the rule is tightened on the next start.
    (tmp_path / "secret_key").chmod(0o644)
    (tmp_path / "mapro.sqlite3").chmod(0o644)
    assert _run("import django; django.setup()", tmp_path).returncode == 0
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "mapro.sqlite3").stat().st_mode) == 0o600
