"""Directory login against a real OpenLDAP server (tests/ldap_server.py): ministry staff sign in with
their directory account on the login page and through the API, get the roles of their groups and
their unit, lose a role when they leave its group (but not the roles granted by hand), count toward
the sign-in lock, and are told in Spanish when the directory does not answer."""
import logging
import socket

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from api.models import ApiToken
from org import directory
from org.models import DirectoryAccount, Role, SignInFailure

from .ldap_server import GROUPS, PASSWORD, PEOPLE, SERVICE_DN, SERVICE_PASSWORD, group_dn, person_dn, start_ldap_server

pytestmark = pytest.mark.django_db

DOWN = "El directorio no responde; intente más tarde o use su cuenta local."
LOCKED = "Demasiados intentos fallidos; espere 15 minutos."
WRONG = "Usuario o contraseña incorrectos."


@pytest.fixture(scope="session")
def ldap_server(tmp_path_factory):
    server = start_ldap_server(tmp_path_factory.mktemp("slapd"))
    yield server
    server.stop()


GROUP_ROLES = (f"{group_dn('mesa-ayuda')}=operador-mesa-ayuda;"
               f"{group_dn('soporte-tecnico')}=soporte-tecnico;"
               f"{group_dn('coordinacion-infraestructura')}=coord-infraestructura")


@pytest.fixture
def directory_settings(settings, ldap_server, organization):
    """The ministry's settings, for an OpenLDAP directory (uid instead of AD's sAMAccountName)."""
    settings.MAPRO_LDAP_URL = ldap_server.url
    settings.MAPRO_LDAP_BIND_DN = SERVICE_DN
    settings.MAPRO_LDAP_BIND_PASSWORD = SERVICE_PASSWORD
    settings.MAPRO_LDAP_USER_BASE = PEOPLE
    settings.MAPRO_LDAP_USER_FILTER = "(uid=%(user)s)"
    settings.MAPRO_LDAP_GROUP_BASE = GROUPS
    settings.MAPRO_LDAP_GROUP_ROLES = GROUP_ROLES
    settings.MAPRO_LDAP_UNIT_ATTRIBUTE = "ou"
    settings.MAPRO_LDAP_UNIT_MAP = "Secretaría General=SG"
    return settings


def web_sign_in(username, password, client=None):
    client = client or Client()
    response = client.post("/ingresar/", {"username": username, "password": password})
    return client, response


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def api_sign_in(username, password):
    return Client().post("/api/auth/token", {"username": username, "password": password},
                         content_type="application/json")


def roles_of(username) -> set[str]:
    return set(Role.objects.filter(members__username=username).values_list("slug", flat=True))


# --- signing in ---------------------------------------------------------------------------------
def test_a_directory_user_signs_in_on_the_login_page_with_the_roles_of_their_groups_and_their_unit(directory_settings):
    client, response = web_sign_in("rquispe", PASSWORD)
    assert response.status_code == 302 and signed_in(client)
    user = get_user_model().objects.get(username="rquispe")
    assert (user.first_name, user.last_name, user.email) == ("Rosa", "Quispe Mamani", "rquispe@mindef.gob.pe")
    assert not user.has_usable_password()          # no local password: only the directory signs them in
    assert roles_of("rquispe") == {"operador-mesa-ayuda", "personal-mindef"}
    assert user.person.unit.acronym == "OGTIE"
    account = DirectoryAccount.objects.get(user=user)
    assert account.dn == person_dn("rquispe")
    assert set(account.roles.values_list("slug", flat=True)) == {"operador-mesa-ayuda", "personal-mindef"}
    page = client.get("/")
    assert page.status_code == 200 and "rquispe" in page.content.decode()


def test_a_directory_user_gets_an_api_token_and_works_with_it(directory_settings):
    response = api_sign_in("jtorres", PASSWORD)
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    assert ApiToken.valid(token).user.username == "jtorres"
    tasks = Client().get("/api/tasks?scope=available", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert tasks.status_code == 200
    assert roles_of("jtorres") == {"soporte-tecnico", "personal-mindef"}
    # The same person again, with the name typed in capitals: the same account.
    assert api_sign_in("JTorres", PASSWORD).status_code == 200
    assert get_user_model().objects.filter(username__iexact="jtorres").count() == 1


def test_the_unit_attribute_is_mapped_to_a_unit_and_a_person_without_groups_is_an_employee(directory_settings):
    client, _ = web_sign_in("lhuaman", PASSWORD)
    assert signed_in(client)
    user = get_user_model().objects.get(username="lhuaman")
    assert user.person.unit.acronym == "SG"             # «Secretaría General» through MAPRO_LDAP_UNIT_MAP
    assert roles_of("lhuaman") == {"personal-mindef"}
    assert user.first_name == "Lucía" and user.last_name == "Huamán Rojas"


def test_leaving_a_group_removes_its_role_at_the_next_sign_in_but_roles_granted_by_hand_stay(directory_settings,
                                                                                             ldap_server):
    assert signed_in(web_sign_in("mflores", PASSWORD)[0])
    assert roles_of("mflores") == {"operador-mesa-ayuda", "soporte-tecnico", "personal-mindef"}
    user = get_user_model().objects.get(username="mflores")
    Role.objects.get(slug="analista-sistemas").members.add(user)    # granted by hand in the administration
    ldap_server.change_member("soporte-tecnico", "mflores", add=False)
    try:
        assert signed_in(web_sign_in("mflores", PASSWORD)[0])
        assert roles_of("mflores") == {"operador-mesa-ayuda", "analista-sistemas", "personal-mindef"}
        # Back in the group: the role comes back with it.
        ldap_server.change_member("soporte-tecnico", "mflores", add=True)
        assert api_sign_in("mflores", PASSWORD).status_code == 200
        assert roles_of("mflores") == {"operador-mesa-ayuda", "soporte-tecnico", "analista-sistemas",
                                       "personal-mindef"}
    finally:
        ldap_server.change_member("soporte-tecnico", "mflores", add=True) if "soporte-tecnico" not in roles_of(
            "mflores") else None


def test_an_account_made_by_hand_without_a_password_is_taken_over_and_keeps_its_hand_granted_roles(directory_settings):
    user = get_user_model().objects.create_user("rquispe")            # made in the administration, no password
    assert not user.has_usable_password()
    for slug in ("operador-mesa-ayuda", "especialista-seguridad"):  # one the directory also grants, one it does not
        Role.objects.get(slug=slug).members.add(user)
    assert signed_in(web_sign_in("rquispe", PASSWORD)[0])
    assert roles_of("rquispe") == {"operador-mesa-ayuda", "especialista-seguridad", "personal-mindef"}
    user.refresh_from_db()
    assert user.directory_account.roles.filter(slug="operador-mesa-ayuda").count() == 0   # it was the administration's


def test_a_local_account_with_the_same_name_is_never_signed_in_by_the_directory(directory_settings, make_user):
    make_user("jtorres")                                  # a local account, password clave-segura-123
    assert not signed_in(web_sign_in("jtorres", PASSWORD)[0])
    assert signed_in(web_sign_in("jtorres", "clave-segura-123")[0])
    assert not DirectoryAccount.objects.exists()


def test_a_deactivated_directory_account_cannot_sign_in(directory_settings):
    assert signed_in(web_sign_in("rquispe", PASSWORD)[0])
    get_user_model().objects.filter(username="rquispe").update(is_active=False)
    assert not signed_in(web_sign_in("rquispe", PASSWORD)[0])
    assert api_sign_in("rquispe", PASSWORD).status_code == 401


def test_binding_directly_with_a_dn_template_instead_of_a_service_account(directory_settings):
    directory_settings.MAPRO_LDAP_BIND_DN = directory_settings.MAPRO_LDAP_BIND_PASSWORD = ""
    directory_settings.MAPRO_LDAP_USER_DN_TEMPLATE = f"uid=%(user)s,{PEOPLE}"
    assert signed_in(web_sign_in("jtorres", PASSWORD)[0])
    assert roles_of("jtorres") == {"soporte-tecnico", "personal-mindef"}
    assert not signed_in(web_sign_in("jtorres", "otra clave")[0])


def test_groups_may_be_given_in_json_and_dns_are_compared_whatever_their_spacing_and_case(directory_settings):
    directory_settings.MAPRO_LDAP_GROUP_ROLES = (
        '{"CN=Mesa-Ayuda, OU=Grupos, DC=mindef, DC=gob, DC=pe": ["operador-mesa-ayuda", "profesional-ogtie"]}')
    assert signed_in(web_sign_in("rquispe", PASSWORD)[0])
    assert roles_of("rquispe") == {"operador-mesa-ayuda", "profesional-ogtie", "personal-mindef"}
    assert directory.group_roles(GROUP_ROLES) == directory.group_roles(
        {group_dn("mesa-ayuda"): "operador-mesa-ayuda", group_dn("soporte-tecnico"): ["soporte-tecnico"],
         group_dn("coordinacion-infraestructura"): "coord-infraestructura"})


# --- failures -----------------------------------------------------------------------------------
def test_a_wrong_password_fails_and_five_lock_the_username(directory_settings):
    for _ in range(5):
        client, response = web_sign_in("rquispe", "no es mi clave")
        assert not signed_in(client) and WRONG in response.content.decode()
    assert SignInFailure.objects.filter(username="rquispe").count() == 5
    client, response = web_sign_in("rquispe", PASSWORD)
    assert not signed_in(client) and LOCKED in response.content.decode()
    assert api_sign_in("rquispe", PASSWORD).status_code == 429
    assert not get_user_model().objects.filter(username="rquispe").exists()


def test_unknown_people_and_filter_tricks_are_refused(directory_settings):
    for username in ("nadie", "*", "rquispe)(uid=*", "*)(objectClass=*"):
        assert api_sign_in(username, PASSWORD).status_code == 401, username
    # An empty password would be an anonymous bind, which the directory accepts.
    assert api_sign_in("rquispe", "").status_code == 401
    assert not get_user_model().objects.exists()


def test_a_stopped_directory_says_so_in_spanish_and_does_not_count_as_a_wrong_password(directory_settings,
                                                                                       ldap_server, make_user):
    make_user("jefa-local", password="clave-local-segura")
    with ldap_server.stopped():
        client, response = web_sign_in("rquispe", PASSWORD)
        assert not signed_in(client)
        assert DOWN in response.content.decode() and WRONG not in response.content.decode()
        response = api_sign_in("rquispe", PASSWORD)
        assert response.status_code == 503
        assert response.json() == {"error": "directorio_no_disponible", "detail": DOWN}
        for _ in range(6):
            web_sign_in("jtorres", PASSWORD)
        assert not SignInFailure.objects.exists()
        # Local accounts go on working, and their wrong passwords still count.
        assert signed_in(web_sign_in("jefa-local", "clave-local-segura")[0])
        assert WRONG in web_sign_in("jefa-local", "adivinanza")[1].content.decode()
        assert SignInFailure.objects.filter(username="jefa-local").count() == 1
    assert signed_in(web_sign_in("jtorres", PASSWORD)[0])     # up again: not locked by the attempts while down


def test_a_directory_that_accepts_connections_but_never_answers_times_out(directory_settings):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    try:
        directory_settings.MAPRO_LDAP_URL = f"ldap://127.0.0.1:{silent.getsockname()[1]}"
        directory_settings.MAPRO_LDAP_TIMEOUT = 1
        response = api_sign_in("rquispe", PASSWORD)
        assert response.status_code == 503 and response.json()["detail"] == DOWN
    finally:
        silent.close()


def test_a_refused_service_account_is_a_directory_problem_not_a_wrong_password(directory_settings, caplog):
    directory_settings.MAPRO_LDAP_BIND_PASSWORD = "clave vieja de la cuenta de servicio"
    response = api_sign_in("rquispe", PASSWORD)
    assert response.status_code == 503
    assert not SignInFailure.objects.exists()
    assert "service account" in caplog.text


def test_the_password_is_never_logged(directory_settings, caplog):
    from ldap3.utils.log import EXTENDED, OFF, set_library_log_detail_level

    set_library_log_detail_level(EXTENDED)   # even ldap3's own protocol log
    try:
        with caplog.at_level(logging.DEBUG):
            web_sign_in("rquispe", PASSWORD)
            web_sign_in("rquispe", "Otra clave secreta 99")
            directory_settings.MAPRO_LDAP_BIND_PASSWORD = "cuenta de servicio vieja"
            web_sign_in("jtorres", PASSWORD)
    finally:
        set_library_log_detail_level(OFF)
    assert caplog.records
    for secret in (PASSWORD, "Otra clave secreta 99", SERVICE_PASSWORD, "cuenta de servicio vieja"):
        assert secret not in caplog.text


def test_a_mistake_in_the_settings_is_reported_by_check(directory_settings):
    directory_settings.MAPRO_LDAP_GROUP_ROLES = f"{group_dn('mesa-ayuda')}=operador-de-mesa"
    with pytest.raises(SystemCheckError, match="operador-de-mesa"):
        call_command("check")
    directory_settings.MAPRO_LDAP_GROUP_ROLES = "mesa-ayuda"
    with pytest.raises(SystemCheckError, match="CLAVE=VALOR"):
        call_command("check")


def test_a_directory_coordinator_still_confirms_with_a_second_factor(directory_settings):
    directory_settings.MAPRO_OTP_REQUIRED = True
    client, response = web_sign_in("cvargas", PASSWORD)
    assert signed_in(client)
    assert roles_of("cvargas") == {"coord-infraestructura", "personal-mindef"}
    page = client.get("/casos/")
    assert page.status_code == 302 and page["Location"].startswith("/ingresar/verificacion/")
    assert client.get(page["Location"], follow=True).redirect_chain[-1][0].startswith("/ingresar/activar-verificacion/")
    response = api_sign_in("cvargas", PASSWORD)
    assert response.status_code == 401 and response.json()["error"] == "otp_requerido"
