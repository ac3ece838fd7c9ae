"""The rules of a ticket's life: cancelled only while nobody acted (its case withdrawn with it),
returned with a reason and sent back by the requester's reply, reopened only within
MAPRO_TICKET_REOPEN_DAYS, two operators assigning at once (one wins, the other is told), numbers
without gaps, SLA paused while waiting and breaches flagged in the queue."""
from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case
from cases.workflow import Conflict
from helpdesk import actions, sla
from helpdesk.models import Ticket

from .api_client import Api
from .helpdesk_helpers import login, page_message, ticket_files  # noqa: F401

pytestmark = pytest.mark.django_db


def _ticket(staff, category="equipo"):
    return actions.open_ticket(staff["personal-mindef"], category, "Sin red", "No hay internet en el piso 4.")


def test_the_requester_cancels_while_nobody_has_acted_and_the_case_is_withdrawn(staff):
    ticket = _ticket(staff)
    employee = login("personal-mindef")
    assert "Cancelar el ticket" in employee.get(f"/mesa-de-ayuda/tickets/{ticket.pk}/").content.decode()
    response = employee.post(f"/mesa-de-ayuda/tickets/{ticket.pk}/cancelar", {"reason": "Ya funciona", "lock_version": "0"},
                             follow=True)
    assert "Ticket cancelado." in page_message(response)
    ticket.refresh_from_db()
    assert ticket.status == "cancelado" and ticket.case.status == Case.Status.WITHDRAWN


def test_once_the_desk_acted_the_ticket_can_no_longer_be_cancelled(staff):
    ticket = _ticket(staff)
    actions.validate(staff["operador-mesa-ayuda"], ticket.pk)
    employee = login("personal-mindef")
    assert "Cancelar el ticket" not in employee.get(f"/mesa-de-ayuda/tickets/{ticket.pk}/").content.decode()
    response = Api("personal-mindef").post(f"/api/tickets/{ticket.pk}/cancel", {"reason": "Ya no"})
    assert response.status_code == 409
    assert response.json()["detail"] == (f"Ya no puede cancelar el ticket {ticket.number}: ya está siendo atendido. "
                                         "Escriba un mensaje si ya no lo necesita.")
    ticket.refresh_from_db()
    assert ticket.status == "nuevo" and ticket.case.status == Case.Status.OPEN


def test_a_returned_ticket_shows_why_and_goes_back_to_the_queue_with_the_requesters_reply(staff):
    ticket = _ticket(staff, "otra-consulta")
    actions.return_ticket(staff["operador-mesa-ayuda"], ticket.pk, "Indique el número de su anexo.")
    page = login("personal-mindef").get(f"/mesa-de-ayuda/tickets/{ticket.pk}/").content.decode()
    assert "Indique el número de su anexo." in page
    actions.reply(staff["personal-mindef"], ticket.pk, "Mi anexo es 4321.")
    ticket.refresh_from_db()
    assert ticket.status == "nuevo" and ticket.return_reason == ""
    assert list(ticket.events.values_list("kind", flat=True)) == ["opened", "returned", "resubmitted"]


def _resolved(staff, days_ago):
    ticket = _ticket(staff, "otra-consulta")
    actions.assign(staff["operador-mesa-ayuda"], ticket.pk, assignee="soporte-tecnico", team="soporte-tecnico")
    actions.resolve(staff["soporte-tecnico"], ticket.pk, "Listo.")
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=days_ago))
    return ticket


def test_a_resolved_ticket_is_reopened_within_the_window_and_not_after(staff, settings):
    recent = _resolved(staff, days_ago=6)
    reopened = Api("personal-mindef").post(f"/api/tickets/{recent.pk}/reopen", {"reason": "Volvió a fallar"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "asignado"
    assert reopened.json()["solution"] is None

    old = _resolved(staff, days_ago=8)
    page = login("personal-mindef").get(f"/mesa-de-ayuda/tickets/{old.pk}/").content.decode()
    assert "Reabrir" not in page
    refused = Api("personal-mindef").post(f"/api/tickets/{old.pk}/reopen", {"reason": "Volvió a fallar"})
    assert refused.status_code == 409
    assert refused.json()["detail"] == (f"Ya no se puede reabrir el ticket {old.number}: pasaron más de 7 días desde que "
                                        "se resolvió. Registre un ticket nuevo y mencione este número.")
    settings.MAPRO_TICKET_REOPEN_DAYS = 10
    assert Api("personal-mindef").post(f"/api/tickets/{old.pk}/reopen", {"reason": "Volvió"}).status_code == 200


def test_two_operators_assign_at_once_one_wins_and_the_other_is_told(staff, make_user):
    ticket = _ticket(staff)
    make_user("operadora-dos", "operador-mesa-ayuda", unit="ogtie")
    first, second = login("operador-mesa-ayuda"), login("operadora-dos")
    # Both open the ticket's page: both forms carry the version they saw.
    for client in (first, second):
        assert 'name="lock_version" value="0"' in client.get(f"/mesa-de-ayuda/tickets/{ticket.pk}/").content.decode()
    won = first.post(f"/mesa-de-ayuda/tickets/{ticket.pk}/asignar",
                     {"team": "soporte-tecnico", "assignee": "soporte-tecnico", "lock_version": "0"}, follow=True)
    lost = second.post(f"/mesa-de-ayuda/tickets/{ticket.pk}/asignar",
                       {"team": "tecnico-especialista", "assignee": "tecnico-especialista", "lock_version": "0"}, follow=True)
    assert "Ticket asignado." in page_message(won)
    assert page_message(lost) == (f"No se guardó su asignación: operador-mesa-ayuda acaba de asignar el ticket "
                                  f"{ticket.number} a soporte-tecnico. Revise el ticket y, si corresponde, vuelva a asignarlo.")
    ticket.refresh_from_db()
    assert ticket.assignee.username == "soporte-tecnico" and ticket.events.filter(kind="assigned").count() == 1
    # Through the API too: a stale version is a 409 with the same explanation.
    stale = Api("operadora-dos").post(f"/api/tickets/{ticket.pk}/assign", {"assignee": "tecnico-especialista",
                                                                            "team": "tecnico-especialista", "lock_version": 0})
    assert stale.status_code == 409 and stale.json()["error"] == "conflicto"


def test_ticket_numbers_have_no_gaps_even_when_an_opening_fails(staff):
    year = timezone.localdate().year
    first = _ticket(staff)
    # A ticket that fails inside its transaction (the manual's procedure refuses the start) takes no number.
    with pytest.raises(Exception):
        actions.open_ticket(staff["ministro"], "incidente-seguridad", "x", "y",
                            requester=staff["ministro"], channel="portal", data={"fecha_deteccion": "no es fecha"})
    second = _ticket(staff)
    assert (first.number, second.number) == (f"TK-{year}-000001", f"TK-{year}-000002")


def test_waiting_stops_the_sla_clock_and_a_breach_is_flagged_in_the_queue(staff):
    ticket = _ticket(staff, "otra-consulta")
    resolve_by = ticket.resolve_by
    assert resolve_by is not None and ticket.respond_by <= resolve_by
    actions.assign(staff["operador-mesa-ayuda"], ticket.pk, team="soporte-tecnico")
    actions.wait(staff["soporte-tecnico"], ticket.pk, "usuario", "Que indique su anexo")
    ticket.refresh_from_db()
    assert ticket.resolve_by is None and sla.status(ticket).paused
    actions.reply(staff["personal-mindef"], ticket.pk, "Anexo 4321")     # the requester's answer resumes it
    ticket.refresh_from_db()
    assert ticket.status == "en_atencion" and ticket.resolve_by >= resolve_by
    # Opened long ago, never answered: the queue flags the breach.
    late = _ticket(staff, "otra-consulta")
    Ticket.objects.filter(pk=late.pk).update(created_at=timezone.now() - timedelta(days=30))
    assert sla.status(Ticket.objects.get(pk=late.pk)).respond == sla.BREACHED
    queue = login("operador-mesa-ayuda").get("/mesa-de-ayuda/cola/").content.decode()
    assert 'class="badge sla-breached">Vencido<' in queue
