"""The help desk's API: the catalogue, opening a ticket (with the attachments its category
requires), the lists by scope, one ticket with its conversation and history, its actions; a
requester sees only their own tickets: others' are "not found"."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from helpdesk.models import Ticket

from .api_client import Api, small_pdf
from .helpdesk_helpers import ticket_files  # noqa: F401

pytestmark = pytest.mark.django_db


def _open(api, **body):
    return api.post("/api/tickets", {"category": "equipo", "subject": "Sin red", "description": "No hay internet.", **body})


def test_the_catalogue_and_a_ticket_opened_through_the_api(staff):
    employee = Api("personal-mindef")
    categories = employee.get("/api/helpdesk/categories").json()
    by_slug = {c["slug"]: c for c in categories}
    assert by_slug["equipo"]["procedure"] == "S04.03.04.02" and by_slug["equipo"]["name"] == "No funciona mi equipo"
    assert by_slug["certificado-digital"]["required_attachments"][0]["key"] == "declaracion_jurada"
    assert {"slug", "name", "procedure", "required_attachments"} <= set(categories[0])

    created = _open(employee, impact="alto", urgency="alta")
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) == {"id", "number", "status", "priority", "case", "sla"}
    assert body["status"] == "nuevo" and body["priority"] == "critica" and body["case"]
    assert set(body["sla"]) == {"respond_by", "resolve_by"} and body["sla"]["respond_by"] < body["sla"]["resolve_by"]

    detail = employee.get(f"/api/tickets/{body['id']}").json()
    assert detail["number"] == body["number"] and detail["history"][0]["kind"] == "opened"
    assert [t["id"] for t in employee.get("/api/tickets", scope="mine").json()["results"]] == [body["id"]]
    operator = Api("operador-mesa-ayuda")
    assert [t["number"] for t in operator.get("/api/tickets", scope="queue").json()["results"]] == [body["number"]]
    assigned = operator.post(f"/api/tickets/{body['id']}/assign", {"assignee": "soporte-tecnico", "team": "soporte-tecnico"})
    assert assigned.status_code == 200 and assigned.json()["assignee"]["username"] == "soporte-tecnico"
    technician = Api("soporte-tecnico")
    assert [t["id"] for t in technician.get("/api/tickets", scope="assigned").json()["results"]] == [body["id"]]
    note = technician.post(f"/api/tickets/{body['id']}/reply", {"body": "Cable suelto", "internal": True, "minutes": 15})
    assert note.status_code == 200
    waiting = technician.post(f"/api/tickets/{body['id']}/wait", {"on": "proveedor", "reason": "Repuesto del switch"})
    assert waiting.json()["status"] == "en_espera_proveedor" and waiting.json()["sla"]["resolve_by"] is None
    assert technician.post(f"/api/tickets/{body['id']}/resume").json()["status"] == "en_atencion"
    resolved = technician.post(f"/api/tickets/{body['id']}/resolve", {"solution": "Se conectó el cable."})
    assert resolved.json()["status"] == "resuelto"
    # The requester's view: no internal note, in the conversation or in the history.
    mine = employee.get(f"/api/tickets/{body['id']}").json()
    assert mine["conversation"] == [] and "note" not in [e["kind"] for e in mine["history"]]
    assert employee.post(f"/api/tickets/{body['id']}/close").json()["status"] == "cerrado"


def test_a_requester_never_sees_another_persons_ticket(staff, make_user):
    ticket = _open(Api("personal-mindef")).json()
    make_user("otra-persona")
    other = Api("otra-persona")
    for path in (f"/api/tickets/{ticket['id']}",):
        response = other.get(path)
        assert response.status_code == 404 and response.json() == {"error": "no_encontrado", "detail": "No existe el ticket."}
    for action in ("reply", "cancel", "close", "reopen", "assign", "resolve", "wait", "return"):
        response = other.post(f"/api/tickets/{ticket['id']}/{action}", {"body": "hola", "reason": "x", "solution": "x"})
        assert response.status_code == 404, action
    assert other.get("/api/tickets", scope="mine").json()["results"] == []
    assert other.get("/api/tickets", scope="queue").json()["results"] == []
    # An employee cannot act as the desk on their own ticket either.
    refused = Api("personal-mindef").post(f"/api/tickets/{ticket['id']}/assign", {"assignee": "soporte-tecnico"})
    assert refused.status_code == 403 and "mesa de ayuda" in refused.json()["detail"]


def test_a_category_that_requires_an_attachment_refuses_the_ticket_without_it(staff):
    employee = Api("personal-mindef")
    refused = employee.post("/api/tickets", {"category": "certificado-digital", "subject": "Token", "description": "Nuevo"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"declaracion_jurada": "Adjunte «Formato de declaración jurada de identificación del usuario»."}
    assert not Ticket.objects.exists()
    fields = {"category": "certificado-digital", "subject": "Token", "description": "Necesito mi token.",
              "declaracion_jurada": SimpleUploadedFile("dj.pdf", small_pdf())}
    created = employee.client.post("/api/tickets", fields, **employee._headers(True))
    assert created.status_code == 201, created.content
    detail = employee.get(f"/api/tickets/{created.json()['id']}").json()
    assert [(a["name"], a["key"]) for a in detail["attachments"]] == [("dj.pdf", "declaracion_jurada")]
    # A file that is not what it claims is refused by its content.
    fields["declaracion_jurada"] = SimpleUploadedFile("dj.pdf", b"\x00\x01binario")
    refused = employee.client.post("/api/tickets", fields, **employee._headers(True))
    assert refused.status_code == 422 and "no es un tipo de archivo admitido" in refused.json()["detail"]


def test_bad_input_gets_a_clear_spanish_answer(staff):
    employee = Api("personal-mindef")
    unknown = employee.post("/api/tickets", {"category": "nada", "subject": "x", "description": "y"})
    assert unknown.status_code == 422 and unknown.json()["errors"] == {"category": "desconocida"}
    assert "No funciona mi equipo" in unknown.json()["detail"]
    bad = _open(employee, impact="enorme")
    assert bad.status_code == 422 and "Impacto" in bad.json()["detail"] and "alto (Alto)" in bad.json()["detail"]
    channel = _open(employee, channel="telefono")
    assert channel.status_code == 403
    assert employee.get("/api/tickets", scope="todo").status_code == 422
