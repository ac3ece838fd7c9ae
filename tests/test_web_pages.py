"""The pages staff use every day, in Spanish, server-rendered."""
import pytest
from django.test import Client

from cases import workflow

pytestmark = pytest.mark.django_db

TICKET = {"asunto": "Monitor", "detalle": "El monitor parpadea", "categoria": "Hardware", "ubicacion": "Piso 4"}


def login(username):
    client = Client()
    assert client.login(username=username, password="clave-segura-123")
    return client


def test_anonymous_users_are_sent_to_login(organization):
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"].startswith("/ingresar/")
    assert "Ingresar" in Client().get("/ingresar/").content.decode()


def test_employee_starts_a_support_case_from_the_catalogue(staff):
    employee = login("personal-mindef")
    catalogue = employee.get("/procedimientos/").content.decode()
    assert "S04.03.04.02" in catalogue and "Atención de requerimientos de soporte técnico" in catalogue
    page = employee.get("/procedimientos/S04.03.04.02/").content.decode()
    for part in ("Objetivo", "Base normativa", "Actividades del procedimiento", "Productos", "Control de cambios", "<svg"):
        assert part in page
    response = employee.post("/procedimientos/S04.03.04.02/iniciar", {**TICKET, "with_data": "1"}, follow=True)
    assert "iniciado" in response.content.decode()
    operator = login("operador-mesa-ayuda").get("/?scope=available").content.decode()
    assert "Recibir y validar ticket de atención" in operator


def test_task_page_shows_the_activity_form_decision_history_and_diagram(staff):
    case = workflow.start_case(staff["personal-mindef"], "S04.03.04.02", data=TICKET)
    task = case.tasks.get(status="open")
    page = login("operador-mesa-ayuda").get(f"/tareas/{task.pk}/").content.decode()
    assert "2. Recibir y validar ticket de atención" in page
    assert "Recibe, a través del sistema de mesa de ayuda" in page          # description
    assert "OGTIE" in page and "Operador(a) de mesa de ayuda" in page        # unit and role
    assert 'name="prioridad"' in page                                        # form
    assert "¿Cumple con los requisitos?" in page and 'value="Sí"' in page and 'value="No"' in page
    assert "Ingresar ticket de atención" in page and "personal-mindef" in page   # history
    assert 'class="task current" data-activity="2"' in page                  # highlighted activity
    assert 'class="task done" data-activity="1"' in page


def test_bad_input_keeps_what_was_typed_and_says_why_in_spanish(staff):
    case = workflow.start_case(staff["personal-mindef"], "S04.03.04.02", data=TICKET)
    task = case.tasks.get(status="open")
    response = login("operador-mesa-ayuda").post(f"/tareas/{task.pk}/atender", {"observaciones": "Falta el piso", "decision": "Sí"})
    page = response.content.decode()
    assert response.status_code == 422
    assert "«Prioridad» es obligatorio." in page
    assert "Falta el piso" in page
    task.refresh_from_db()
    assert task.status == "open"


def test_a_second_person_sees_who_completed_the_task(staff, make_user):
    make_user("operadora2", "operador-mesa-ayuda", unit="ogtie")
    case = workflow.start_case(staff["personal-mindef"], "S04.03.04.02", data=TICKET)
    task = case.tasks.get(status="open")
    slow = login("operadora2")
    slow.get(f"/tareas/{task.pk}/")
    login("operador-mesa-ayuda").post(f"/tareas/{task.pk}/atender", {"prioridad": "Alta", "decision": "Sí"})
    response = slow.post(f"/tareas/{task.pk}/atender", {"prioridad": "Baja", "decision": "No"})
    assert response.status_code == 409
    assert "ya fue atendida por operador-mesa-ayuda" in response.content.decode()


def test_case_page_and_inbox_filter(staff):
    case = workflow.start_case(staff["personal-mindef"], "S04.03.04.02", data=TICKET)
    page = login("personal-mindef").get(f"/casos/{case.pk}/").content.decode()
    assert case.number in page and "En curso" in page
    operator = login("operador-mesa-ayuda")
    filtered = operator.get("/?scope=available&procedure=S04.01.00.01", HTTP_HX_REQUEST="true").content.decode()
    assert "No hay tareas pendientes" in filtered and "<html" not in filtered


def test_static_assets_ship_with_the_project(organization):
    from django.contrib.staticfiles import finders

    assert finders.find("web/htmx.min.js") and finders.find("web/mapro.css")


def test_procedure_page_says_who_may_start_it(staff):
    page = login("jefe-ogtie").get("/procedimientos/S04.03.01.02/").content.decode()
    assert "Sus roles no le permiten iniciar este procedimiento" in page
    assert "Operador(a) de mesa de ayuda" in page
    assert 'action="/procedimientos/S04.03.01.02/iniciar"' not in page


def test_missing_pages_answer_in_spanish(staff):
    response = login("personal-mindef").get("/tareas/999999/")
    assert response.status_code == 404
    assert "No encontrado" in response.content.decode()
