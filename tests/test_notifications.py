"""Notifications: people are told, in mapro and by e-mail, what waits for them and what happened to
their requests; the e-mail goes through an outbox written with the change and sent by the worker,
through a real SMTP server started by these tests (tests/smtp_server.py)."""
import re
from datetime import timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from cases import casefile, workflow
from cases.models import Case, Task
from notifications import digest, mail, outbox, overdue
from notifications.actions import notify
from notifications.models import Kind, Notification, OutboxMessage, Preference

from .api_client import Api
from .smtp_server import smtp_server, smtp_server_with_login  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

SUPPORT = "S04.03.04.02"   # the requester asks, the help desk validates and assigns, a technician attends
TICKET = {"asunto": "La impresora no imprime", "detalle": "Atasca el papel en cada hoja.", "categoria": "Hardware",
          "ubicacion": "Piso 3, oficina 302"}
LIMA = ZoneInfo("America/Lima")


@pytest.fixture
def people(staff):
    """The manual's roles, one person each (username = role slug), each with a ministry address."""
    for user in staff.values():
        user.email = f"{user.username}@mindef.gob.pe"
        user.save(update_fields=["email"])
    return staff


@pytest.fixture
def mail_to(settings):
    def point(server):
        settings.MAPRO_EMAIL_URL = server.url
        settings.MAPRO_EMAIL_FROM = "Mesa de ayuda OGTIE <mesadeayuda@mindef.gob.pe>"
        settings.MAPRO_BASE_URL = "https://mapro.mindef.gob.pe"
    return point


def ask_for_help(people, subject="La impresora no imprime") -> Case:
    return workflow.start_case(people["personal-mindef"], SUPPORT, data=dict(TICKET, asunto=subject))


def open_task(case, activity) -> Task:
    return case.tasks.get(status=Task.Status.OPEN, activity=activity)


def notes_of(user, **filters):
    return list(Notification.objects.filter(recipient=user, **filters).order_by("id"))


def test_a_task_offered_to_a_role_reaches_its_holders_with_its_mail_in_the_same_transaction(people):
    case = ask_for_help(people)
    operator = people["operador-mesa-ayuda"]
    validate = open_task(case, 2)
    [note] = notes_of(operator)
    assert note.kind == Kind.TASK_OFFERED and note.case == case and note.url == f"/tareas/{validate.pk}/"
    assert case.number in note.title and "Recibir y validar ticket" in note.title
    [mail_row] = OutboxMessage.objects.filter(notification=note)
    assert mail_row.to == "operador-mesa-ayuda@mindef.gob.pe" and mail_row.status == OutboxMessage.Status.PENDING
    # Whoever asked is not told of their own start, and nobody else holds the operator's role.
    assert Notification.objects.count() == 1

    # Validated ("Sí"): the next activity is the operator's own (it stays with them, nobody is told);
    # assigning it offers the technician's activity, unless the completion rolls back.
    workflow.complete_task(validate.pk, operator, {"prioridad": "Alta"}, "Sí")
    assign = open_task(case, 4)
    assert assign.assignee == operator and Notification.objects.count() == 1
    technician = people["soporte-tecnico"]
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.complete_task(assign.pk, operator, {"especialidad": "Hardware"}, None)
        assert len(notes_of(technician)) == 1 and OutboxMessage.objects.count() == 2   # written with the completion...
        raise RuntimeError("la transacción se revierte")
    assert notes_of(technician) == [] and OutboxMessage.objects.count() == 1           # ...and gone with it
    workflow.complete_task(assign.pk, operator, {"especialidad": "Hardware"}, None)
    [note] = notes_of(technician)
    assert note.url == f"/tareas/{open_task(case, 5).pk}/" and OutboxMessage.objects.filter(to=technician.email).count() == 1


def test_the_worker_sends_the_mail_through_the_smtp_server_with_a_spanish_subject_and_an_absolute_link(
        people, smtp_server_with_login, mail_to):
    mail_to(smtp_server_with_login)
    case = ask_for_help(people)
    validate = open_task(case, 2)
    out = StringIO()
    call_command("worker", "--once", "--catch-up", "0", stdout=out)
    messages = [m for m in smtp_server_with_login.wait_for(1) if m["To"] == "operador-mesa-ayuda@mindef.gob.pe"]
    [msg] = messages
    assert msg["Subject"] == f"[mapro] {case.number}: Recibir y validar ticket de atención"
    assert msg["From"] == "Mesa de ayuda OGTIE <mesadeayuda@mindef.gob.pe>"
    body = msg.get_content()
    assert body.startswith("Hola, ") and "Para verlo, abra: " in body
    assert f"https://mapro.mindef.gob.pe/tareas/{validate.pk}/" in body
    assert "https://mapro.mindef.gob.pe/notificaciones/preferencias/" in body
    assert "mapro" in smtp_server_with_login.logins   # it signed in with the URL's user
    row = OutboxMessage.objects.get(to="operador-mesa-ayuda@mindef.gob.pe")
    assert (row.status, row.attempts, row.last_error) == (OutboxMessage.Status.SENT, 1, "") and row.sent_at
    # (The pass also started the day's scheduled cases, whose own notices went out too.)
    assert re.search(r"correos: [1-9]\d* enviado\(s\), 0 por reintentar, 0 fallido", out.getvalue())
    # Sent once: the next pass has nothing to send.
    assert outbox.send_due().sent == 0


def test_a_mail_server_that_is_down_blocks_nothing_and_loses_nothing(people, smtp_server, mail_to, settings):
    mail_to(smtp_server)
    smtp_server.stop()
    case = ask_for_help(people)                         # the change does not wait for the mail server
    [row] = OutboxMessage.objects.all()
    first = outbox.send_due()
    assert (first.sent, first.retrying) == (0, 1)
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.PENDING and row.attempts == 1
    assert "No se pudo conectar" in row.last_error and row.next_attempt_at > timezone.now()
    assert outbox.send_due().retrying == 0              # not due yet: it waits for its backoff
    smtp_server.start()                                 # back up
    later = outbox.send_due(now=timezone.now() + timedelta(minutes=2))
    assert later.sent == 1
    [msg] = smtp_server.wait_for(1)
    assert case.number in msg["Subject"]
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.SENT and row.attempts == 2

    # A mail that never gets through is marked failed after the last attempt, and kept.
    settings.MAPRO_EMAIL_MAX_ATTEMPTS = 2
    smtp_server.stop()
    ask_for_help(people, "Otra impresora")
    stuck = OutboxMessage.objects.get(status=OutboxMessage.Status.PENDING)
    outbox.send_due()
    assert outbox.send_due(now=timezone.now() + timedelta(minutes=5)).failed == 1
    stuck.refresh_from_db()
    assert stuck.status == OutboxMessage.Status.FAILED and stuck.attempts == 2 and stuck.last_error


def test_without_a_mail_server_the_mail_waits_and_the_worker_says_so_once(people, settings):
    settings.MAPRO_EMAIL_URL = ""
    ask_for_help(people)
    from schedules.management.commands.worker import Command

    command = Command(stdout=StringIO(), stderr=StringIO())
    command.verbosity = 1
    command._notify()
    command._notify()
    assert command.stdout.getvalue().count("MAPRO_EMAIL_URL no está definido") == 1
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.PENDING


def test_preference_off_keeps_the_notice_in_mapro_without_mail(people):
    operator = people["operador-mesa-ayuda"]
    web = Client()
    web.force_login(operator)
    page = web.get("/notificaciones/preferencias/")
    assert page.status_code == 200 and "Un resumen diario por correo" in page.content.decode()
    refused = web.post("/notificaciones/preferencias/", {"mode": "a veces"})
    assert "Elija cómo recibir los avisos" in refused.content.decode()
    assert web.post("/notificaciones/preferencias/", {"mode": "off"}).status_code == 302
    assert Preference.objects.get(user=operator).mode == Preference.Mode.OFF

    case = ask_for_help(people)
    [note] = notes_of(operator)
    assert note.mailed_at is None and not OutboxMessage.objects.exists()
    inbox = web.get("/notificaciones/").content.decode()
    assert case.number in inbox and "1 aviso sin leer" in inbox
    assert 'Avisos <span class="badge status-open">1</span>' in web.get("/").content.decode()


def test_a_digest_is_one_mail_a_day_summarising_the_unread_notices(people, smtp_server, mail_to):
    mail_to(smtp_server)
    operator = people["operador-mesa-ayuda"]
    Preference.objects.create(user=operator, mode=Preference.Mode.DIGEST)
    first, second = ask_for_help(people, "Impresora"), ask_for_help(people, "Escáner")
    assert len(notes_of(operator)) == 2 and not OutboxMessage.objects.exists()

    today = timezone.localdate()
    early, morning = (timezone.make_aware(timezone.datetime.combine(today, timezone.datetime.min.time()), LIMA)
                      + timedelta(hours=h) for h in (5, 8))
    created = timezone.now()
    if morning <= created:      # the notices must be of the day before the digest goes out
        early, morning = early + timedelta(days=1), morning + timedelta(days=1)
    assert digest.send_digests(early) == 0              # before MAPRO_DIGEST_HOUR (7 in Lima)
    assert digest.send_digests(morning) == 1
    assert digest.send_digests(morning + timedelta(hours=3)) == 0   # once a day
    assert outbox.send_due(now=morning).sent == 1
    [msg] = smtp_server.wait_for(1)
    assert msg["To"] == operator.email and msg["Subject"].startswith("[mapro] Resumen del ")
    assert "2 avisos sin leer" in msg["Subject"]
    body = msg.get_content()
    assert first.number in body and second.number in body and "https://mapro.mindef.gob.pe/tareas/" in body
    assert all(n.mailed_at for n in notes_of(operator))


def test_a_person_cannot_read_or_mark_another_persons_notification(people):
    ask_for_help(people)
    [theirs] = notes_of(people["operador-mesa-ayuda"])
    intruder = Api("soporte-tecnico")
    assert intruder.get("/api/notifications").json()["results"] == []
    refused = intruder.post(f"/api/notifications/{theirs.pk}/read")
    assert refused.status_code == 404 and refused.json()["error"] == "no_encontrado"
    web = Client()
    web.force_login(people["soporte-tecnico"])
    assert web.post(f"/notificaciones/{theirs.pk}/leida").status_code == 404
    assert intruder.post("/api/notifications/read-all").json()["marked"] == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None

    owner = Api("operador-mesa-ayuda")
    listed = owner.get("/api/notifications").json()
    assert listed["unread"] == 1 and [n["id"] for n in listed["results"]] == [theirs.pk]
    assert listed["results"][0]["url"].startswith("http") and listed["results"][0]["kind_label"] == "Tarea disponible para su rol"
    read = owner.post(f"/api/notifications/{theirs.pk}/read")
    assert read.status_code == 200 and read.json()["read_at"]
    assert owner.get("/api/notifications").json()["unread"] == 0
    assert owner.get("/api/notifications", page="x").status_code == 422


def test_internal_notes_never_reach_the_requester_and_replies_reach_the_people_of_the_case(people):
    requester, operator = people["personal-mindef"], people["operador-mesa-ayuda"]
    case = ask_for_help(people)
    workflow.complete_task(open_task(case, 2).pk, operator, {"prioridad": "Alta"}, "Sí")
    Notification.objects.all().delete()
    casefile.add_comment(operator, case.pk, "El usuario ya reportó esto antes.", internal=True)
    assert notes_of(requester) == []
    casefile.add_comment(operator, case.pk, "¿Puede indicar el modelo de la impresora?")
    [note] = notes_of(requester)
    assert note.kind == Kind.COMMENT and "modelo de la impresora" in note.body and note.url == f"/casos/{case.pk}/"
    casefile.add_comment(requester, case.pk, "Es una HP LaserJet.")
    assert [n.body for n in notes_of(operator)] == ["Es una HP LaserJet."]
    assert len(notes_of(requester)) == 1   # not told of their own reply


def test_the_requester_is_told_when_the_case_is_annulled_or_concluded(people):
    requester = people["personal-mindef"]
    case = ask_for_help(people)
    workflow.cancel_case(case.pk, people["jefe-ogtie"], "Solicitud duplicada del caso anterior")
    [note] = notes_of(requester)
    assert note.kind == Kind.CASE_CANCELLED and note.title == f"Su solicitud {case.number} fue anulada"
    assert "Solicitud duplicada" in note.body
    # Returned at validation ("No"): the operator returns it and closes the ticket; the case concludes.
    case = ask_for_help(people, "Segunda")
    operator = people["operador-mesa-ayuda"]
    workflow.complete_task(open_task(case, 2).pk, operator, {"prioridad": "Baja"}, "No")
    workflow.complete_task(open_task(case, 3).pk, operator, {"observaciones_a_subsanar": "Falta el código patrimonial"}, None)
    assert Case.objects.get(pk=case.pk).status == Case.Status.COMPLETED
    assert [n.title for n in notes_of(requester, kind=Kind.CASE_COMPLETED)] == [f"Su solicitud {case.number} fue concluida"]


def test_a_requesters_activity_after_the_start_is_told_to_the_requester_never_to_the_whole_ministry(staff):
    from .walker import Walker

    walker = Walker()
    case = walker.start("S04.03.04.01", "personal-mindef")
    for _ in range(8):
        [task] = case["open_tasks"]
        if task["activity"] == 6:
            break
        walker.complete(task, "Sí" if task["decisions"] else None)
        case = walker.case(case["id"], "personal-mindef")
    [task] = case["open_tasks"]
    assert task["activity"] == 6
    [note] = Notification.objects.filter(kind=Kind.REQUEST_RETURNED)
    assert note.recipient.username == "personal-mindef" and note.url == f"/tareas/{task['id']}/"
    assert "su solicitud requiere su atención" in note.title
    # Everyone holds the requester's role; nobody but the requester hears of this task.
    assert Notification.objects.filter(url=f"/tareas/{task['id']}/").count() == 1


def test_an_overdue_task_is_told_once_to_whoever_must_do_it(people):
    case = ask_for_help(people)
    operator = people["operador-mesa-ayuda"]
    task = open_task(case, 2)
    assert overdue.notify_overdue() == 0
    Task.objects.filter(pk=task.pk).update(due_at=timezone.now() - timedelta(hours=1))
    assert overdue.notify_overdue() == 1
    [note] = notes_of(operator, kind=Kind.TASK_OVERDUE)
    assert "venció el" in note.title and note.url == f"/tareas/{task.pk}/"
    assert overdue.notify_overdue() == 0 and len(notes_of(operator, kind=Kind.TASK_OVERDUE)) == 1


def test_other_apps_notify_through_one_function_once_per_fact_and_only_people_who_see_the_case(people):
    case = ask_for_help(people)
    operator, outsider = people["operador-mesa-ayuda"], people["secretario-general"]
    first = notify(operator, Kind.SLA_WARNING, f"{case.number}: vence el plazo de respuesta", "Quedan 2 horas hábiles.",
                   f"/casos/{case.pk}/", case=case, dedupe_key=f"sla.respond:{case.pk}")
    again = notify(operator, Kind.SLA_WARNING, "otra vez", "", "", case=case, dedupe_key=f"sla.respond:{case.pk}")
    assert first is not None and again is None
    assert notify(outsider, Kind.SLA_WARNING, case.number, "", "", case=case) is None
    assert not Notification.objects.filter(recipient=outsider).exists()


def test_the_mail_url_names_the_server_its_tls_and_its_login():
    assert mail.parse_url("") is None
    plain = mail.parse_url("smtp://correo.mindef.gob.pe")
    assert (plain.host, plain.port, plain.tls, plain.starttls, plain.user) == ("correo.mindef.gob.pe", 25, False, False, "")
    tls = mail.parse_url("smtps://mapro%40mindef.gob.pe:cl%40ve@correo.mindef.gob.pe")
    assert (tls.port, tls.tls, tls.user, tls.password) == (465, True, "mapro@mindef.gob.pe", "cl@ve")
    assert "cl@ve" not in str(tls)
    start = mail.parse_url("smtp://u:p@correo:2525?starttls=1&timeout=3")
    assert (start.port, start.starttls, start.timeout) == (2525, True, 3.0)
    for wrong, says in (("http://correo", "smtp://"), ("smtp://", "servidor"), ("smtp://correo?tls=1", "desconocido"),
                        ("smtps://correo?starttls=1", "no ambos")):
        with pytest.raises(mail.MailConfigError, match=says):
            mail.parse_url(wrong)
