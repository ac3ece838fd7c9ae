"""Starting a case: everything is checked before anything is written; the form keeps what was
typed; the subject says what the case is about; and the person who did an activity keeps the
next one of the same role."""
import pytest
from django.test import Client

from cases.models import Case, Task

from .api_client import Api, fill

SUPPORT = "S04.03.04.02"
SYSTEM = "S04.02.00.01"   # 1. the unit's Director(a)/Jefe(a) sends the requirement
TICKET = {"asunto": "PC no enciende", "detalle": "La PC de la oficina 302 no enciende desde ayer.",
          "categoria": "Hardware", "ubicacion": "Piso 3, oficina 302"}
pytestmark = pytest.mark.django_db


def _browser(user):
    client = Client()
    client.force_login(user)
    return client


def test_an_empty_support_request_is_refused_and_creates_nothing(staff):
    page = _browser(staff["personal-mindef"]).post(f"/procedimientos/{SUPPORT}/iniciar", {"ubicacion": "Piso 3"})
    assert page.status_code == 422
    html = page.content.decode()
    assert "«Asunto» es obligatorio." in html and "«Detalle del requerimiento» es obligatorio." in html
    assert 'value="Piso 3"' in html                       # what was typed is kept
    assert Case.objects.count() == 0 and Task.objects.count() == 0


def test_the_start_form_marks_required_fields(staff):
    html = _browser(staff["personal-mindef"]).get(f"/procedimientos/{SUPPORT}/").content.decode()
    assert 'name="asunto"' in html and "required" in html


def test_a_complete_request_starts_with_its_subject_and_goes_to_the_help_desk(staff):
    response = _browser(staff["personal-mindef"]).post(f"/procedimientos/{SUPPORT}/iniciar", TICKET)
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.subject == "PC no enciende"
    assert case.priority == Case.Priority.MEDIUM
    assert [(t.activity, t.role) for t in case.tasks.filter(status="open")] == [(2, "operador-mesa-ayuda")]


def test_an_employee_asking_for_a_system_is_not_shown_the_directors_form(staff):
    html = _browser(staff["personal-mindef"]).get(f"/procedimientos/{SYSTEM}/").content.decode()
    assert 'name="identificacion_proceso"' not in html    # the director fills it, in their own inbox
    assert 'name="subject"' in html
    # Sending the director's data anyway writes nothing.
    api = Api("personal-mindef")
    first = api.get(f"/api/procedures/{SYSTEM}").json()["activities"][0]
    refused = api.post("/api/cases", {"procedure": SYSTEM, "data": fill(first["form"])})
    assert refused.status_code == 422 and refused.json()["errors"] == {"data": "no aplicable"}
    assert Case.objects.count() == 0
    # Without data, the case starts with the subject typed and waits for the director.
    started = api.post("/api/cases", {"procedure": SYSTEM, "subject": "Sistema de control de visitas"})
    assert started.status_code == 201
    assert Case.objects.get().subject == "Sistema de control de visitas"


def test_invalid_data_through_the_api_writes_nothing(staff):
    api = Api("personal-mindef")
    for body, field in [
        ({"procedure": SUPPORT, "data": {"asunto": "Sin detalle"}}, "detalle"),
        ({"procedure": SUPPORT, "data": "texto"}, "data"),
        ({"procedure": SUPPORT, "start": ["x"]}, "start"),
        ({"procedure": SUPPORT, "subject": "x" * 201}, "subject"),
        ({"procedure": SUPPORT, "priority": "high"}, "priority"),      # requesters do not set priority
    ]:
        response = api.post("/api/cases", body)
        assert response.status_code == 422, (body, response.content)
        assert field in response.json()["errors"], (body, response.json())
    assert Case.objects.count() == 0


def test_the_office_sets_the_priority_and_it_shows_in_the_api(staff):
    api = Api("jefe-ogtie")
    case = api.post("/api/cases", {"procedure": "S04.01.00.01", "subject": "PGD 2027-2029", "priority": "high"}).json()
    assert Case.objects.get(pk=case["id"]).priority == "high"
    assert Case.objects.get(pk=case["id"]).subject == "PGD 2027-2029"


def test_a_case_without_a_subject_is_named_after_its_procedure(staff):
    case = Api("jefe-ogtie").post("/api/cases", {"procedure": "S04.01.00.01"}).json()
    assert Case.objects.get(pk=case["id"]).subject.startswith("Formulación")


def test_the_technician_who_attended_keeps_the_closing_of_the_ticket(staff, make_user):
    make_user("tecnico2", "soporte-tecnico", unit="ogtie")
    case = Api("personal-mindef").post("/api/cases", {"procedure": SUPPORT, "data": TICKET}).json()
    operator = Api("operador-mesa-ayuda")
    [task] = case["open_tasks"]
    case = operator.post(f"/api/tasks/{task['id']}/complete", {"data": fill(task["form"]), "decision": "Sí"}).json()
    [task] = case["open_tasks"]
    case = operator.post(f"/api/tasks/{task['id']}/complete", {"data": dict(fill(task["form"]), tecnico_asignado="tecnico2")}).json()
    [task] = case["open_tasks"]
    assert (task["activity"], task["assignee"]) == (5, "tecnico2")
    technician = Api("tecnico2")
    case = technician.post(f"/api/tasks/{task['id']}/complete", {"data": fill(task["form"]), "decision": "Sí"}).json()
    [task] = case["open_tasks"]
    # 6. Cerrar el ticket: same role as 5, so it stays with the technician who attended.
    assert (task["activity"], task["assignee"]) == (6, "tecnico2")
    assert Api("soporte-tecnico").get("/api/tasks", scope="available").json() == []
    # They can hand it back to the pool.
    assert technician.post(f"/api/tasks/{task['id']}/release").status_code == 200
    assert [t["activity"] for t in Api("soporte-tecnico").get("/api/tasks", scope="available").json()] == [6]
