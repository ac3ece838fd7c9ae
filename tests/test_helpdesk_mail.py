"""Mail intake: staff forward suspicious mail to the alert mailbox, and `mapro mail ingest` opens one
«correo sospechoso» ticket per message (channel «correo», requester from the sender, the original
message attached); a message is never ingested twice. Against a real Maildir on disk."""
import mailbox
from email.message import EmailMessage
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audit.models import Entry
from helpdesk import mail_intake
from helpdesk.models import MailMessage, Ticket

from .helpdesk_helpers import ticket_files  # noqa: F401

pytestmark = pytest.mark.django_db


def suspicious(subject="Su cuenta será suspendida", sender="soporte@rnicrosoft-login.com") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Soporte Microsoft <{sender}>"
    msg["To"] = "jperez@mindef.gob.pe"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 02 Mar 2026 09:15:00 -0500"
    msg["Message-ID"] = "<phish-001@rnicrosoft-login.com>"
    msg.set_content("Ingrese aquí para validar su contraseña: http://rnicrosoft-login.com/validar")
    msg.add_attachment(b"%PDF-1.4 factura falsa", maintype="application", subtype="pdf", filename="factura.pdf")
    return msg


def forwarded(original: EmailMessage, by="jperez@mindef.gob.pe", message_id="<fwd-001@mindef.gob.pe>") -> EmailMessage:
    """What an employee's mail client sends to the alert mailbox: the suspicious mail attached."""
    msg = EmailMessage()
    msg["From"] = f"Juan Pérez <{by}>"
    msg["To"] = "alerta@mindef.gob.pe"
    msg["Subject"] = f"RV: {original['Subject']}"
    msg["Date"] = "Mon, 02 Mar 2026 09:40:00 -0500"
    msg["Message-ID"] = message_id
    msg.set_content("Recibí este correo, parece phishing. Adjunto el original.")
    msg.add_attachment(original)
    return msg


@pytest.fixture
def alert_box(tmp_path):
    return mailbox.Maildir(tmp_path / "alerta", create=True)


def ingest(box) -> str:
    out = StringIO()
    call_command("mail", "ingest", "--maildir", box._path, stdout=out)
    return out.getvalue()


def test_a_forwarded_suspicious_mail_becomes_one_ticket_of_its_sender(alert_box, staff, ticket_files):  # noqa: F811
    employee = staff["personal-mindef"]
    employee.email = "jperez@mindef.gob.pe"
    employee.save(update_fields=["email"])
    alert_box.add(forwarded(suspicious()))

    out = ingest(alert_box)

    ticket = Ticket.objects.get()
    assert out.strip() == f"1 correo(s) leído(s): 1 ticket(s) abierto(s) ({ticket.number}), 0 ya ingresado(s)."
    assert (ticket.category, ticket.channel, ticket.requester) == ("correo-sospechoso", "correo", employee)
    assert ticket.subject == "Correo sospechoso: RV: Su cuenta será suspendida"
    assert "Enviado por: Juan Pérez <jperez@mindef.gob.pe>" in ticket.description
    assert "Remitente del correo sospechoso: soporte@rnicrosoft-login.com" in ticket.description
    assert "mensaje reenviado «Su cuenta será suspendida»" in ticket.description
    # The original message, byte for byte, is the ticket's attachment; its requester may download it.
    [attachment] = ticket.attachments.all()
    assert attachment.name == "correo-reportado.eml" and attachment.content_type == "message/rfc822"
    stored = attachment.file.open("rb").read()
    assert stored == alert_box.get_bytes(next(iter(alert_box.keys())))
    assert b"factura.pdf" in stored
    # The case of S04.04.00.02 started with the employee's report already filled in.
    assert ticket.case.procedure == "S04.04.00.02" and ticket.case.started_by == employee
    report = ticket.case.events.filter(kind="completed").first()
    assert report is not None and report.data["remitente"] == "soporte@rnicrosoft-login.com"
    assert report.data["cuenta_reporte"].startswith("alerta@mindef.gob.pe")
    # The message is moved to cur/ and flagged as handled.
    [handled] = [alert_box.get_message(k) for k in alert_box.keys()]
    assert handled.get_subdir() == "cur" and "S" in handled.get_flags()
    assert Entry.objects.filter(action="ticket.mail_ingested", object_id=str(ticket.pk)).exists()


def test_a_message_is_never_ingested_twice(alert_box, staff, ticket_files):  # noqa: F811
    alert_box.add(forwarded(suspicious()))
    ingest(alert_box)
    # Someone marks it unread in their mail client, and the same message arrives again (a second copy).
    for key in list(alert_box.keys()):
        message = alert_box.get_message(key)
        message.set_subdir("new")
        message.set_flags("")
        alert_box[key] = message
    alert_box.add(forwarded(suspicious()))

    out = ingest(alert_box)

    assert out.strip() == "2 correo(s) leído(s): 0 ticket(s) abierto(s), 2 ya ingresado(s)."
    assert Ticket.objects.count() == 1 and MailMessage.objects.count() == 1
    assert ingest(alert_box).strip() == "0 correo(s) leído(s): 0 ticket(s) abierto(s), 0 ya ingresado(s)."


def test_mail_from_an_unknown_sender_is_the_intake_accounts_and_says_who_sent_it(alert_box, staff, ticket_files):  # noqa: F811
    alert_box.add(forwarded(suspicious(), by="externo@gmail.com", message_id="<x-1@gmail.com>"))
    plain = EmailMessage()
    plain["From"] = "oficina@mindef.gob.pe"
    plain["Subject"] = "Premio"
    plain.set_content("De: premios@loteria.example\nUsted ganó un premio.")   # no Message-ID
    alert_box.add(plain)

    ingest(alert_box)

    tickets = {t.subject: t for t in Ticket.objects.select_related("requester")}
    assert set(tickets) == {"Correo sospechoso: RV: Su cuenta será suspendida", "Correo sospechoso: Premio"}
    intake = mail_intake.intake_user()
    assert all(t.requester == intake for t in tickets.values())
    assert not intake.has_usable_password()
    assert "Enviado por: Juan Pérez <externo@gmail.com> (no es una cuenta de mapro)" in tickets[
        "Correo sospechoso: RV: Su cuenta será suspendida"].description
    assert "Remitente del correo sospechoso: premios@loteria.example" in tickets["Correo sospechoso: Premio"].description
    # Without a Message-ID the message's bytes identify it: ingesting again opens nothing.
    assert "0 ticket(s) abierto(s)" in ingest(alert_box)


def test_a_folder_that_is_not_a_maildir_is_refused_in_spanish(tmp_path):
    with pytest.raises(CommandError) as refused:
        call_command("mail", "ingest", "--maildir", str(tmp_path / "no-existe"))
    assert "no es una carpeta Maildir" in str(refused.value)
    with pytest.raises(CommandError) as missing:
        call_command("mail", "ingest")
    assert "Indique el buzón" in str(missing.value)


def test_the_worker_reads_the_alert_mailbox_in_each_pass(alert_box, staff, ticket_files, settings):  # noqa: F811
    settings.MAPRO_MAIL_INTAKE_URL = f"maildir://{alert_box._path}"
    alert_box.add(forwarded(suspicious()))
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "Buzón de alertas: 1 correo(s) leído(s): 1 ticket(s) abierto(s)" in out.getvalue()
    call_command("worker", "--once", stdout=StringIO())
    assert Ticket.objects.count() == 1
