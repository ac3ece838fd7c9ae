"""Whatever an integration sends, the API answers JSON {error, detail} in Spanish and never a 500.

Run on SQLite and on PostgreSQL (DATABASE_URL): PostgreSQL refuses NUL characters in text, which used
to surface as a DataError and a 500."""
import json
import logging

import pytest
from django.test import Client

from cases.models import Case, Task

from .api_client import Api

pytestmark = pytest.mark.django_db

TICKET = {"asunto": "PC no enciende", "detalle": "La PC de la oficina 302 no enciende.",
          "categoria": "Hardware", "ubicacion": "Piso 3, oficina 302"}


def raw_post(api, path, text, **extra):
    """POST a body exactly as given (json.dumps could not write some of these)."""
    return api.client.post(path, text, content_type="application/json", **api._headers(True), **extra)


def assert_json_error(response, status):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"error", "detail"}
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.fixture
def ticket(staff):
    """A support case waiting for the help desk (activity 2, decision Sí/No)."""
    started = Api("personal-mindef").post("/api/cases", {"procedure": "S04.03.04.02", "data": TICKET})
    assert started.status_code == 201, started.content
    return started.json()


# --- every error is JSON ----------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/nope", "/api/cases/abc", "/api/tasks/abc/claim", "/api/tasks/1.5",
                                  "/api/procedures/S04/x"])
def test_an_integration_asking_for_a_path_that_does_not_exist_gets_a_json_404(staff, path):
    body = assert_json_error(Api("personal-mindef").get(path), 404)
    assert body["error"] == "no_encontrado"
    assert "no existe" in body["detail"].lower()


def test_the_api_description_documents_the_errors_every_operation_can_give(staff):
    spec = Api().get("/api/openapi.json", auth=False).json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if path == "/api/openapi.json":
                continue
            assert "500" in operation["responses"], (method, path)
            if "requestBody" in operation:
                assert {"413", "422"} <= set(operation["responses"]), (method, path)


def test_a_person_asking_for_a_page_that_does_not_exist_still_sees_the_spanish_page(staff):
    response = Client().get("/no-existe/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "No encontrado" in response.content.decode()


@pytest.mark.parametrize("method, path, allowed", [
    ("get", "/api/auth/token", "POST"),
    ("delete", "/api/cases", "POST"),
    ("put", "/api/tasks", "GET"),
    ("get", "/api/tasks/1/complete", "POST"),
])
def test_a_wrong_method_is_answered_with_json_405_naming_the_allowed_ones(staff, method, path, allowed):
    api = Api("personal-mindef")
    response = getattr(api.client, method)(path, **api._headers(True))
    body = assert_json_error(response, 405)
    assert body["error"] == "metodo_no_permitido"
    assert allowed in response["Allow"] and allowed in body["detail"]


def test_a_body_too_large_is_answered_with_json_413(staff, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    api = Api("personal-mindef")
    big = json.dumps({"procedure": "S04.03.04.02", "subject": "x" * 20_000})
    body = assert_json_error(raw_post(api, "/api/cases", big), 413)
    assert body["error"] == "demasiado_grande"
    assert not Case.objects.exists()


def test_an_unexpected_failure_is_answered_with_json_500_and_logged(staff, monkeypatch, caplog):
    from cases import procedures

    def broken():
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(procedures, "sheets", broken)
    api = Api("personal-mindef")
    api.client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = api.get("/api/procedures")
    body = assert_json_error(response, 500)
    assert body["error"] == "error_interno"
    assert "simulated failure" not in response.content.decode()   # no internals leak to the client
    assert any(r.exc_info and "simulated failure" in str(r.exc_info[1]) for r in caplog.records)


def test_an_unexpected_failure_on_a_page_still_shows_the_spanish_500_page(staff, monkeypatch):
    from cases import procedures

    monkeypatch.setattr(procedures, "sheets", lambda: 1 / 0)
    client = Client(raise_request_exception=False)
    client.force_login(staff["personal-mindef"])
    response = client.get("/procedimientos/")
    assert response.status_code == 500
    assert "Ocurrió un error en el sistema" in response.content.decode()


# --- characters a database cannot store -------------------------------------------------------
def test_a_nul_byte_in_a_query_parameter_is_refused_not_a_500(staff):
    api = Api("operador-mesa-ayuda")
    body = assert_json_error(api.client.get("/api/tasks?procedure=%00", **api._headers(True)), 422)
    assert "procedure" in body.get("errors", {})
    assert_json_error(api.client.get("/api/tasks?scope=available&procedure=S04%00", **api._headers(True)), 422)
    assert api.get("/api/tasks", procedure="S04.03.04.02").status_code == 200


def test_a_chief_cancelling_with_a_nul_in_the_reason_is_told_so_and_the_case_stays_open(ticket):
    chief = Api("jefe-ogtie")
    body = assert_json_error(chief.post(f"/api/cases/{ticket['id']}/cancel", {"reason": "Duplicado\u0000"}), 422)
    assert "reason" in body["errors"]
    assert Case.objects.get(pk=ticket["id"]).status == "open"
    assert chief.post(f"/api/cases/{ticket['id']}/cancel", {"reason": "Duplicado"}).status_code == 200


def test_a_coordinator_reassigning_to_a_lone_surrogate_is_told_so(ticket):
    [task] = ticket["open_tasks"]
    body = assert_json_error(Api("jefe-ogtie").post(f"/api/tasks/{task['id']}/reassign", {"assignee": "\ud800"}), 422)
    assert "assignee" in body["errors"]
    assert Task.objects.get(pk=task["id"]).assignee_id is None


def test_a_lone_surrogate_in_form_data_is_refused_so_the_case_page_keeps_working(staff):
    employee = Api("personal-mindef")
    bad = employee.post("/api/cases", {"procedure": "S04.03.04.02", "data": {**TICKET, "detalle": "roto \udfff"}})
    body = assert_json_error(bad, 422)
    assert "data.detalle" in body["errors"]
    assert not Case.objects.exists()
    bad_key = employee.post("/api/cases", {"procedure": "S04.03.04.02", "data": {**TICKET, "\x00": "x"}})
    assert_json_error(bad_key, 422)


def test_the_token_endpoint_refuses_a_nul_in_the_username(staff):
    response = Api().post("/api/auth/token", {"username": "personal-mindef\u0000", "password": "x"}, auth=False)
    assert response.status_code in (401, 422)
    assert_json_error(response, response.status_code)


# --- shapes JSON allows but the API does not ----------------------------------------------------
@pytest.mark.parametrize("text", [
    "[" * 100_000 + "]" * 100_000,
    '{"procedure": "S04.03.04.02", "data": ' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "}",
    '{"procedure": "S04.03.04.02", "data": {"asunto": ' + "[" * 200 + "]" * 200 + "}}",
], ids=["array-100000", "object-100000", "array-200"])
def test_deeply_nested_json_is_refused_with_a_json_error(staff, text):
    response = raw_post(Api("personal-mindef"), "/api/cases", text)
    assert response.status_code in (400, 422)
    assert_json_error(response, response.status_code)
    assert not Case.objects.exists()


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_and_are_refused(ticket, constant):
    [task] = ticket["open_tasks"]
    text = '{"decision": "Sí", "data": {"prioridad": "Media", "observaciones": %s}}' % constant
    body = assert_json_error(raw_post(Api("operador-mesa-ayuda"), f"/api/tasks/{task['id']}/complete", text), 422)
    assert constant.lstrip("-") in body["detail"]
    assert Task.objects.get(pk=task["id"]).status == "open"


def test_a_decision_sent_as_a_list_is_refused(ticket):
    [task] = ticket["open_tasks"]
    operator = Api("operador-mesa-ayuda")
    data = {"prioridad": "Media"}
    body = assert_json_error(operator.post(f"/api/tasks/{task['id']}/complete", {"decision": ["Sí"], "data": data}), 422)
    assert "decision" in body["errors"]
    assert Task.objects.get(pk=task["id"]).status == "open"
    done = operator.post(f"/api/tasks/{task['id']}/complete", {"decision": "Sí", "data": data})
    assert done.status_code == 200, done.content


@pytest.mark.parametrize("start", [["x"], {}, 7])
def test_a_start_key_that_is_not_text_is_refused(staff, start):
    body = assert_json_error(Api("personal-mindef").post("/api/cases", {"procedure": "S04.03.04.02", "start": start}), 422)
    assert "start" in body["errors"]


@pytest.mark.parametrize("credentials", [
    {"username": "nobody", "password": 123},
    {"username": ["personal-mindef"], "password": "clave-segura-123"},
    {"username": "personal-mindef", "password": None},
    {"username": {"$ne": ""}, "password": {"$ne": ""}},
])
def test_the_token_endpoint_answers_non_text_credentials_without_a_500(staff, credentials):
    response = Api().post("/api/auth/token", credentials, auth=False)
    assert response.status_code in (401, 422)
    assert_json_error(response, response.status_code)


@pytest.mark.parametrize("text", ["", "null", "[]", '"texto"', "{", "\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_refused(staff, text):
    response = raw_post(Api("personal-mindef"), "/api/cases", text.encode("latin-1"))
    assert response.status_code in (400, 422)
    assert_json_error(response, response.status_code)
