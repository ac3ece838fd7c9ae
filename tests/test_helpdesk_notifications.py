"""Tickets tell people what happened: the technician a ticket is assigned to, the requester when
someone replies or the ticket is resolved (by e-mail, through a real SMTP server, with the link to
the ticket), the technician when the requester replies or reopens, and the technician and the desk,
once, when the SLA is about to break and when it breaks (the worker's helpdesk.sla_watch)."""
import pytest
from django.test import Client

from helpdesk import actions, sla_watch
from helpdesk.models import SlaNotice
from notifications import outbox
from notifications.models import Notification, OutboxMessage, Preference
from schedules.office_calendar import office_calendar

from .helpdesk_helpers import ticket_files  # noqa: F401
from .smtp_server import smtp_server  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(staff):
    for user in staff.values():
        user.email = f"{user.username}@mindef.gob.pe"
        user.save(update_fields=["email"])
    return staff


def open_and_assign(people):
    ticket = actions.open_ticket(people["personal-mindef"], "otra-consulta", "No puedo imprimir",
                                 "La impresora del piso 4 no responde.")
    actions.assign(people["operador-mesa-ayuda"], ticket.pk, assignee="soporte-tecnico", team="soporte-tecnico")
    ticket.refresh_from_db()
    return ticket


def test_the_technician_is_told_of_an_assignment_in_mapro_and_by_email(people):
    ticket = open_and_assign(people)

    [note] = Notification.objects.filter(recipient=people["soporte-tecnico"])
    assert note.kind == "task_assigned"
    assert note.title == f"{ticket.number}: se le asignó el ticket"
    assert note.url == f"/mesa-de-ayuda/tickets/{ticket.pk}/"
    [mail] = OutboxMessage.objects.filter(to="soporte-tecnico@mindef.gob.pe")
    assert mail.subject == f"[mapro] {ticket.number}: se le asignó el ticket" and mail.notification == note
    # The operator who assigned it is not told of their own change.
    assert not Notification.objects.filter(recipient=people["operador-mesa-ayuda"]).exists()
    # The technician sees it in their list of notices.
    client = Client()
    client.force_login(people["soporte-tecnico"])
    assert f"{ticket.number}: se le asignó el ticket" in client.get("/notificaciones/").content.decode()


def test_the_requester_gets_the_resolution_by_email_with_the_link_to_the_ticket(people, smtp_server, settings):  # noqa: F811
    settings.MAPRO_EMAIL_URL = smtp_server.url
    settings.MAPRO_BASE_URL = "https://mapro.mindef.gob.pe"
    ticket = open_and_assign(people)

    actions.resolve(people["soporte-tecnico"], ticket.pk, "Se reinstaló el controlador de la impresora.")
    assert outbox.send_due().sent == 2          # the assignment and the resolution

    mail = next(m for m in smtp_server.wait_for(2) if m["To"] == "personal-mindef@mindef.gob.pe")
    assert mail["Subject"] == f"[mapro] {ticket.number}: su ticket fue resuelto"
    body = mail.get_content()
    assert "Solución: Se reinstaló el controlador de la impresora." in body
    assert f"https://mapro.mindef.gob.pe/mesa-de-ayuda/tickets/{ticket.pk}/" in body
    assert "califique" in body.lower() or "calificar" in body.lower()


def test_replies_go_to_the_other_side_and_internal_notes_to_nobody(people):
    ticket = open_and_assign(people)
    requester, technician = people["personal-mindef"], people["soporte-tecnico"]

    actions.reply(technician, ticket.pk, "Revisé el registro: falta papel.", internal=True)
    assert not Notification.objects.filter(recipient=requester).exists()

    actions.reply(technician, ticket.pk, "¿Puede indicar el modelo de la impresora?")
    [told] = Notification.objects.filter(recipient=requester)
    assert (told.kind, told.title) == ("comment", f"{ticket.number}: nueva respuesta de soporte-tecnico")
    assert "¿Puede indicar el modelo de la impresora?" in told.body

    actions.reply(requester, ticket.pk, "Es una HP LaserJet 400.")
    assert Notification.objects.filter(recipient=technician, kind="comment").count() == 1


def test_the_requester_is_told_of_a_return_a_cancellation_and_the_technician_of_a_reopening(people):
    requester, technician, operator = people["personal-mindef"], people["soporte-tecnico"], people["operador-mesa-ayuda"]
    returned = actions.open_ticket(requester, "otra-consulta", "Anexo", "Necesito un anexo.")
    actions.return_ticket(operator, returned.pk, "Indique su unidad.")
    actions.cancel(operator, actions.open_ticket(requester, "otra-consulta", "Otro", "Ya no.").pk, "Duplicado del anterior")
    ticket = open_and_assign(people)
    actions.resolve(technician, ticket.pk, "Listo.")
    Preference.objects.create(user=technician, mode=Preference.Mode.OFF)   # in mapro only, no e-mail
    actions.reopen(requester, ticket.pk, "Volvió a fallar")

    kinds = list(Notification.objects.filter(recipient=requester).order_by("id").values_list("kind", flat=True))
    assert kinds == ["request_returned", "case_cancelled", "case_completed"]
    reopened = Notification.objects.filter(recipient=technician).order_by("id").last()
    assert reopened.title == f"{ticket.number}: personal-mindef reabrió el ticket" and "Volvió a fallar" in reopened.body
    assert reopened.mailed_at is None and not OutboxMessage.objects.filter(notification=reopened).exists()


def test_a_failed_change_tells_nobody(people):
    ticket = open_and_assign(people)
    before = Notification.objects.count()
    with pytest.raises(actions.Conflict):
        actions.assign(people["operador-mesa-ayuda"], ticket.pk, assignee="tecnico-especialista",
                       team="tecnico-especialista", lock_version=0)   # someone changed it since
    assert Notification.objects.count() == before


def test_the_sla_warning_and_the_breach_are_told_once_to_the_technician_and_the_desk(people):
    ticket = open_and_assign(people)
    calendar = office_calendar()
    technician, operator = people["soporte-tecnico"], people["operador-mesa-ayuda"]

    # 90 % of the time to the first response used: about to break.
    almost = calendar.add(ticket.created_at, int(ticket.respond_minutes * 0.9))
    assert sla_watch.warn_due(almost) == 2
    for person in (technician, operator):
        [note] = Notification.objects.filter(recipient=person, kind="sla_warning")
        assert note.title == f"{ticket.number}: vence pronto el plazo de primera respuesta"
        assert note.url == f"/mesa-de-ayuda/tickets/{ticket.pk}/"
    assert sla_watch.warn_due(almost) == 0          # the next pass of the worker: nothing new

    # Both clocks broken: one notice per clock; the resolution's warning is moot and never sent.
    late = calendar.add(ticket.created_at, ticket.resolve_minutes + 60)
    assert sla_watch.warn_due(late) == 4
    assert sla_watch.warn_due(late) == 0
    titles = set(Notification.objects.filter(recipient=technician, kind="sla_warning").values_list("title", flat=True))
    assert titles == {f"{ticket.number}: vence pronto el plazo de primera respuesta",
                      f"{ticket.number}: venció el plazo de primera respuesta",
                      f"{ticket.number}: venció el plazo de resolución"}
    assert SlaNotice.objects.filter(ticket=ticket).count() == 4
    # The requester is never told about the SLA.
    assert not Notification.objects.filter(recipient=people["personal-mindef"], kind="sla_warning").exists()


def test_a_ticket_waiting_for_its_requester_is_not_warned(people):
    ticket = open_and_assign(people)
    actions.wait(people["soporte-tecnico"], ticket.pk, "usuario", "Que indique el modelo")
    late = office_calendar().add(ticket.created_at, ticket.resolve_minutes * 3)
    assert sla_watch.warn_due(late) == 0
