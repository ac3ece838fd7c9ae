"""The JSON API contract that integrations and acceptance tests rely on."""
import pytest

from .api_client import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def employee(staff):
    return Api("personal-mindef")


def test_token_is_issued_for_valid_credentials_only(staff):
    anonymous = Api()
    bad = anonymous.post("/api/auth/token", {"username": "personal-mindef", "password": "mala"}, auth=False)
    assert bad.status_code == 401
    assert bad.json()["detail"] == "Usuario o contraseña incorrectos."
    assert anonymous.get("/api/procedures").status_code == 401
    assert "Bearer" in anonymous.get("/api/procedures").json()["detail"]


def test_roles_list_every_role_of_the_manual(employee):
    roles = employee.get("/api/roles").json()
    slugs = {r["slug"] for r in roles}
    assert {"operador-mesa-ayuda", "soporte-tecnico", "jefe-ogtie", "personal-mindef"} <= slugs
    assert all(set(r) == {"slug", "name", "unit"} for r in roles)


def test_procedures_say_which_the_caller_may_start(employee, staff):
    procedures = employee.get("/api/procedures").json()
    assert len(procedures) == 23
    by_code = {p["code"]: p for p in procedures}
    assert set(by_code["S04.03.04.02"]) == {"code", "version", "name", "startable"}
    assert by_code["S04.03.04.02"]["startable"] is True       # any employee asks for support
    assert by_code["S04.01.00.01"]["startable"] is False      # the PGD is started by the Jefe(a)
    assert {p["code"]: p for p in Api("jefe-ogtie").get("/api/procedures").json()}["S04.01.00.01"]["startable"]


def test_procedure_detail_lists_every_way_the_caller_may_start(employee, make_user):
    # Each entry point (the two «Inicio:» blocks and the semiannual reconciliation) belongs to a role.
    assert [s["key"] for s in Api("operador-mesa-ayuda").get("/api/procedures/S04.03.01.02").json()["start"]] == [
        "eliminacion-de-accesos-vpn"]
    assert employee.get("/api/procedures/S04.03.01.02").json()["start"] == []
    make_user("tres-roles", "profesional-ogtie", "operador-mesa-ayuda", "coord-infraestructura", unit="ogtie")
    sheet = Api("tres-roles").get("/api/procedures/S04.03.01.02").json()
    assert [(s["key"], s["label"], s["activity"]) for s in sheet["start"]] == [
        ("eliminacion-de-cuentas-otros-acceso-o-privilegios", "Eliminación de cuentas, otros acceso o privilegios", 1),
        ("eliminacion-de-accesos-vpn", "Eliminación de accesos VPN", 5),
        ("conciliacion-semestral-de-altas-y-bajas", "Conciliación semestral de altas y bajas", 11),
    ]
    assert [s["schedule"] for s in sheet["start"]] == [False, False, True]
    # Each key is accepted by POST /api/cases.
    for entry in sheet["start"]:
        started = Api("tres-roles").post("/api/cases", {"procedure": "S04.03.01.02", "start": entry["key"]})
        assert started.status_code == 201, started.content
        assert [t["activity"] for t in started.json()["open_tasks"]] == [entry["activity"]]
    assert [a["n"] for a in sheet["activities"]][:3] == [1, 2, 3]
    assert employee.get("/api/procedures/S04.99.99.99").status_code == 404


def test_case_creation_picks_the_inicio_branch_by_label(staff):
    api = Api("operador-mesa-ayuda")
    response = api.post("/api/cases", {"procedure": "S04.03.01.02", "start": "Eliminación de accesos VPN"})
    assert response.status_code == 201, response.content
    case = response.json()
    assert set(case) == {"id", "number", "procedure", "version", "status", "open_tasks"}
    assert [t["activity"] for t in case["open_tasks"]] == [5]
    missing = api.post("/api/cases", {"procedure": "S04.03.01.02"})
    assert missing.status_code == 422 and "Elija" in missing.json()["detail"]


def test_a_task_carries_its_form_schema_and_decisions(employee):
    case = employee.post("/api/cases", {"procedure": "S04.03.04.02"}).json()
    [task] = case["open_tasks"]
    assert set(task) >= {"id", "case", "procedure", "activity", "name", "role", "assignee", "status", "decisions", "form", "due_at"}
    assert task["assignee"] == "personal-mindef" and task["activity"] == 1
    assert task["form"]["properties"]["categoria"]["enum"][0] == "Hardware"
    assert "asunto" in task["form"]["required"]


def test_invalid_data_is_422_naming_the_field_and_loses_nothing(employee):
    case = employee.post("/api/cases", {"procedure": "S04.03.04.02"}).json()
    [task] = case["open_tasks"]
    response = employee.post(f"/api/tasks/{task['id']}/complete", {"data": {"asunto": "Impresora", "categoria": "Teléfonos"}})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "datos_invalidos"
    assert "categoria" in body["errors"] and "detalle" in body["errors"]
    assert "Categoría" in body["errors"]["categoria"]
    again = employee.get(f"/api/cases/{case['id']}").json()
    assert again["open_tasks"][0]["id"] == task["id"] and again["history"] == []


def test_wrong_role_is_403_and_missing_decision_is_422(staff):
    employee = Api("personal-mindef")
    case = employee.post("/api/cases", {"procedure": "S04.03.04.02", "data": {
        "asunto": "a", "detalle": "b", "categoria": "Software", "ubicacion": "c"}}).json()
    [task] = case["open_tasks"]
    forbidden = Api("soporte-tecnico").post(f"/api/tasks/{task['id']}/complete", {"data": {"prioridad": "Alta"}, "decision": "Sí"})
    assert forbidden.status_code == 403 and forbidden.json()["error"] == "prohibido"
    operator = Api("operador-mesa-ayuda")
    no_decision = operator.post(f"/api/tasks/{task['id']}/complete", {"data": {"prioridad": "Alta"}})
    assert no_decision.status_code == 422 and "¿Cumple con los requisitos?" in no_decision.json()["detail"]
    bad_json = operator.client.post(f"/api/tasks/{task['id']}/complete", "{no es json", content_type="application/json",
                                    HTTP_AUTHORIZATION=f"Bearer {operator.token}")
    assert bad_json.status_code == 422 and bad_json.json()["detail"] == "El cuerpo de la solicitud no es JSON válido."


def test_openapi_describes_the_contract(employee):
    spec = Api().get("/api/openapi.json", auth=False).json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/auth/token", "/api/roles", "/api/procedures", "/api/procedures/{code}", "/api/cases",
                 "/api/cases/{id}", "/api/tasks", "/api/tasks/{id}/claim", "/api/tasks/{id}/complete"):
        assert path in spec["paths"], path
