"""The registers in the JSON API: the same rules as the pages. GET /api/registers, the list with
?q=&field=value, an entry with its history; POST to register and to change an entry, refusals as
422 naming the field; an outsider gets 404."""
import pytest

from registers import actions
from registers.models import Entry, Version

from .api_client import Api

pytestmark = pytest.mark.django_db
VPN = "usuarios-vpn"


@pytest.fixture
def vpn_users(staff):
    writer = staff["tecnico-especialista"]
    actions.change(writer, VPN, "create", {"usuario": "jperez.vpn"},
                   {"dni": "45678912", "nombre": "Juan Pérez Rojas", "unidad": "Oficina de Logística"})
    actions.change(writer, VPN, "create", {"usuario": "mrojas.vpn"},
                   {"dni": "41234567", "nombre": "María Rojas Díaz", "unidad": "Dirección de Personal"})
    return {e.data["usuario"]: e for e in Entry.objects.filter(register=VPN)}


def test_a_specialist_reads_the_registers_lists_filters_and_searches(vpn_users, staff):
    api = Api("tecnico-especialista")
    registers = api.get("/api/registers").json()
    vpn = next(r for r in registers if r["slug"] == VPN)
    assert vpn["open_entries"] == 2 and vpn["writable"] and vpn["personal_data"]
    assert {"key": "dni", "personal": True} .items() <= next(f for f in vpn["fields"] if f["key"] == "dni").items()

    listed = api.get(f"/api/registers/{VPN}").json()
    assert listed["count"] == 2 and listed["count_exact"]
    assert [e["data"]["usuario"] for e in listed["results"]] == ["mrojas.vpn", "jperez.vpn"]
    by_column = api.get(f"/api/registers/{VPN}", unidad="OFICINA DE LOGISTICA").json()
    assert [e["data"]["usuario"] for e in by_column["results"]] == ["jperez.vpn"]
    searched = api.get(f"/api/registers/{VPN}", q="rojas di").json()
    assert [e["data"]["usuario"] for e in searched["results"]] == ["mrojas.vpn"]
    assert api.get(f"/api/registers/{VPN}", person="45678912").json()["count"] == 1

    bad = api.get(f"/api/registers/{VPN}", unidadd="x")
    assert bad.status_code == 422 and bad.json()["error"] == "datos_invalidos" and "unidadd" in bad.json()["errors"]
    assert api.get(f"/api/registers/{VPN}", state="perdido").status_code == 422


def test_the_api_registers_changes_and_closes_an_entry_and_names_the_refused_field(vpn_users, staff):
    api = Api("tecnico-especialista")
    made = api.post(f"/api/registers/{VPN}", {"data": {"usuario": "lquispe.vpn", "dni": "40011223",
                                                       "nombre": "Luis Quispe Mamani"}})
    assert made.status_code == 201, made.content
    entry = made.json()
    assert entry["state"] == "activo" and entry["data"]["dni"] == "40011223"

    again = api.post(f"/api/registers/{VPN}", {"data": {"usuario": "LQuispe.VPN", "dni": "40011223", "nombre": "Otro"}})
    assert again.status_code == 422 and again.json()["errors"] == {"usuario": again.json()["detail"]}
    bad_dni = api.post(f"/api/registers/{VPN}", {"data": {"usuario": "otro.vpn", "dni": "12", "nombre": "Otro"}})
    assert bad_dni.status_code == 422 and "dni" in bad_dni.json()["errors"]
    missing = api.post(f"/api/registers/{VPN}", {"data": {"usuario": "otro2.vpn"}})
    assert missing.status_code == 422 and "dni" in missing.json()["errors"]

    updated = api.post(f"/api/registers/{VPN}/{entry['id']}", {"action": "update", "version": 1,
                                                               "data": {"unidad": "Secretaría General"}})
    assert updated.status_code == 200, updated.content
    assert updated.json()["data"]["unidad"] == "Secretaría General" and updated.json()["version"] == 2
    stale = api.post(f"/api/registers/{VPN}/{entry['id']}", {"action": "update", "version": 1, "data": {"unidad": "X"}})
    assert stale.status_code == 409
    rekey = api.post(f"/api/registers/{VPN}/{entry['id']}", {"data": {"usuario": "nuevo.vpn"}})
    assert rekey.status_code == 422 and "usuario" in rekey.json()["errors"]
    closed = api.post(f"/api/registers/{VPN}/{entry['id']}", {"action": "close", "note": "Cese"})
    assert closed.status_code == 200 and closed.json()["closed"] and closed.json()["state"] == "eliminado"
    assert api.post(f"/api/registers/{VPN}/{entry['id']}", {"action": "update", "data": {}}).status_code == 409

    detail = api.get(f"/api/registers/{VPN}/{entry['id']}").json()
    assert [v["action"] for v in detail["history"]] == ["close", "update", "create"]
    assert detail["history"][1]["changes"]["unidad"] == [None, "Secretaría General"]
    assert detail["history"][0]["note"] == "Cese" and detail["history"][0]["user"] == "tecnico-especialista"
    assert Version.objects.filter(entry_id=entry["id"]).count() == 3


def test_a_reader_sees_personal_fields_masked_and_may_not_write(vpn_users, staff):
    api = Api("analista-calidad")
    listed = api.get(f"/api/registers/{VPN}").json()
    assert {e["data"]["dni"] for e in listed["results"]} == {"••••••"}
    assert "45678912" not in api.get(f"/api/registers/{VPN}/{vpn_users['jperez.vpn'].pk}").content.decode()
    assert api.get(f"/api/registers/{VPN}", dni="45678912").status_code == 422
    refused = api.post(f"/api/registers/{VPN}", {"data": {"usuario": "x.vpn", "dni": "40011223", "nombre": "X"}})
    assert refused.status_code == 403 and refused.json()["error"] == "prohibido"
    assert Entry.objects.filter(register=VPN).count() == 2


def test_an_outsider_gets_not_found_on_every_register_endpoint(vpn_users, staff):
    api = Api("personal-mindef")
    assert api.get("/api/registers").json() == []
    entry = vpn_users["jperez.vpn"]
    for path in (f"/api/registers/{VPN}", f"/api/registers/{VPN}/{entry.pk}", "/api/registers/no-existe"):
        for response in (api.get(path), api.post(path, {"action": "close"})):
            assert response.status_code == 404, path
            assert response.json()["error"] == "no_encontrado"
    assert Entry.objects.get(pk=entry.pk).state == "activo"
    assert Api().get(f"/api/registers/{VPN}").status_code == 401


@pytest.mark.django_db
def test_an_optional_field_sent_empty_is_emptied_and_a_required_one_is_refused(staff):
    from registers import actions as register_actions

    entry = register_actions.change(staff["coord-infraestructura"], "usuarios-vpn", "create", {"usuario": "x.vpn"},
                                    {"dni": "45678912", "nombre": "Ana", "unidad": "OGA"})
    api = Api("coord-infraestructura")
    answer = api.post(f"/api/registers/usuarios-vpn/{entry.pk}", {"action": "update", "data": {"unidad": ""}})
    assert answer.status_code == 200, answer.content
    entry.refresh_from_db()
    assert "unidad" not in entry.data and entry.data["nombre"] == "Ana"
    refused = api.post(f"/api/registers/usuarios-vpn/{entry.pk}", {"action": "update", "data": {"nombre": ""}})
    assert refused.status_code == 422 and "nombre" in refused.json()["errors"]
