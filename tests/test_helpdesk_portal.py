"""An employee asks for help on the portal in their own words; the ticket starts the procedure of
the manual (S04.03.04.02) and both move together; the operator assigns a technician picked from a
list; the technician resolves; the employee rates the service."""
import pytest
from django.utils import timezone

from helpdesk.models import Ticket, TicketEvent

from .helpdesk_helpers import login, ticket_files  # noqa: F401

pytestmark = pytest.mark.django_db


def test_an_employee_asks_for_help_and_follows_the_ticket_to_its_rating(staff):
    employee = login("personal-mindef")
    inbox = employee.get("/").content.decode()
    assert "¿Qué necesita de la OGTIE?" in inbox and "/mesa-de-ayuda/nuevo/equipo/" in inbox   # on top of their inbox
    portal = employee.get("/mesa-de-ayuda/").content.decode()
    for words in ("No funciona mi equipo", "Necesito una cuenta o un acceso", "Certificado digital",
                  "Restaurar información", "Equipo telefónico", "Reportar un correo sospechoso",
                  "Reportar un incidente de seguridad", "Solicitar un sistema o un cambio"):
        assert words in portal, words

    # Bad input keeps what was typed and says why.
    refused = employee.post("/mesa-de-ayuda/nuevo/equipo/", {"subject": "La impresora no imprime", "description": "  "})
    assert refused.status_code == 422
    body = refused.content.decode()
    assert "Describa lo que necesita o lo que ocurre." in body and 'value="La impresora no imprime"' in body
    assert not Ticket.objects.exists()

    response = employee.post("/mesa-de-ayuda/nuevo/equipo/", {
        "subject": "La impresora no imprime", "description": "Desde ayer la impresora del piso 4 atasca el papel."})
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/mesa-de-ayuda/tickets/{ticket.pk}/"
    assert ticket.number == f"TK-{timezone.localdate().year}-000001"
    assert (ticket.status, ticket.type, ticket.channel, ticket.requester_unit.slug) == ("nuevo", "incidente", "portal", "uo")
    case = ticket.case
    assert case.procedure == "S04.03.04.02" and case.started_by == staff["personal-mindef"]
    page = employee.get(response["Location"]).content.decode()
    assert f'href="/casos/{case.pk}/"' in page and case.number in page
    assert employee.get(f"/casos/{case.pk}/").status_code == 200
    # The case's first activity (its form asks more than the ticket did) waits in the employee's inbox.
    assert "Tiene 1 tarea pendiente" in employee.get("/mesa-de-ayuda/").content.decode()

    # The operator finds it in the queue and assigns a technician picked from the list.
    operator = login("operador-mesa-ayuda")
    assert ticket.number in operator.get("/mesa-de-ayuda/cola/").content.decode()
    page = operator.get(f"/mesa-de-ayuda/tickets/{ticket.pk}/").content.decode()
    assert '<select id="assignee" name="assignee">' in page and '<option value="soporte-tecnico"' in page
    assert '<option value="soporte-tecnico" selected>' in page          # the category's team, proposed
    response = operator.post(f"/mesa-de-ayuda/tickets/{ticket.pk}/asignar",
                             {"team": "soporte-tecnico", "assignee": "soporte-tecnico", "lock_version": "0"}, follow=True)
    assert "Ticket asignado." in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee.username, ticket.team) == ("asignado", "soporte-tecnico", "soporte-tecnico")
    assert ticket.number not in operator.get("/mesa-de-ayuda/cola/").content.decode()
    # Nobody can be typed in: a person who holds no role of the team is refused.
    typed = operator.post(f"/mesa-de-ayuda/tickets/{ticket.pk}/asignar",
                          {"team": "soporte-tecnico", "assignee": "personal-mindef"}, follow=True).content.decode()
    assert "Elija a una persona de la lista" in typed

    # The technician sees it among their tickets, notes the time spent, replies and resolves.
    technician = login("soporte-tecnico")
    assert ticket.number in technician.get("/mesa-de-ayuda/asignados/").content.decode()
    technician.post(f"/mesa-de-ayuda/tickets/{ticket.pk}/responder",
                    {"body": "Revisé el rodillo: está gastado.", "internal": "1", "minutes": "20"})
    technician.post(f"/mesa-de-ayuda/tickets/{ticket.pk}/responder", {"body": "Voy a su oficina a las 3 p. m."})
    response = technician.post(f"/mesa-de-ayuda/tickets/{ticket.pk}/resolver",
                               {"solution": "Se cambió el rodillo de arrastre.", "lock_version": "3"}, follow=True)
    assert "Ticket resuelto." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "resuelto" and ticket.first_response_at is not None

    # The employee sees the public reply and the solution, never the internal note, and rates.
    page = employee.get(f"/mesa-de-ayuda/tickets/{ticket.pk}/").content.decode()
    assert "Voy a su oficina" in page and "Se cambió el rodillo" in page and "rodillo: está gastado" not in page
    assert "Califique la atención" in page
    response = employee.post(f"/mesa-de-ayuda/tickets/{ticket.pk}/calificar", {"rating": "5", "comment": "Muy rápido"},
                             follow=True)
    assert "Gracias por calificar la atención." in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.rating, ticket.rating_comment) == ("cerrado", 5, "Muy rápido")
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds == ["opened", "assigned", "note", "replied", "resolved", "rated"]
    assigned = ticket.events.get(kind=TicketEvent.Kind.ASSIGNED)
    assert assigned.before["assignee"] is None and assigned.after["assignee"] == "soporte-tecnico"
    from audit.models import Entry
    assert Entry.objects.filter(action__startswith="ticket.", object_id=str(ticket.pk)).count() == 6


def test_the_coordinators_dashboard_and_its_exports(staff):
    employee = login("personal-mindef")
    employee.post("/mesa-de-ayuda/nuevo/otra-consulta/", {"subject": "¿Cómo cambio mi clave?", "description": "No sé cómo."})
    chief = login("jefe-ogtie")
    page = chief.get("/mesa-de-ayuda/tablero/").content.decode()
    assert "Pendientes (1)" in page and "Otra consulta" in page and "U.O." in page
    csv = chief.get("/mesa-de-ayuda/tablero/exportar.csv")
    assert csv["Content-Type"].startswith("text/csv") and "¿Cómo cambio mi clave?" in csv.content.decode("utf-8-sig")
    xlsx = chief.get("/mesa-de-ayuda/tablero/exportar.xlsx")
    assert xlsx.content[:2] == b"PK"
    # Not for an employee: the page does not exist for them.
    assert employee.get("/mesa-de-ayuda/tablero/").status_code == 404
    assert employee.get("/mesa-de-ayuda/cola/").status_code == 404
