"""Mail intake: the alert mailbox, to which staff forward suspicious mail (S04.04.00.02, activity 1:
«el usuario reenviará el correo recibido»), becomes «correo sospechoso» tickets.

    ingest_maildir("/var/mail/alerta")                      # a Maildir folder (mailbox.Maildir)
    ingest_imap("imaps://alerta:clave@correo.mindef.gob.pe/INBOX")

One ticket per message, channel «correo», requester the active person whose e-mail address is the
message's From (else the desk's intake account, and the ticket says who sent it), the message
itself attached as an .eml through the ticket's attachments. A message is never ingested twice:
its Message-ID (or, without one, the SHA-256 of its bytes) is a unique MailMessage row inserted in
the ticket's transaction. A Maildir message is moved to cur/ with the flag S (seen) once handled;
an IMAP message is flagged \\Seen. A message that cannot become a ticket is reported and left
where it is, to be retried.
"""
from __future__ import annotations

import hashlib
import imaplib
import mailbox
import os
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.utils import getaddresses, parsedate_to_datetime
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from cases import procedures, workflow
from engine.forms import validate_submission

from . import actions
from .catalog import catalog
from .models import MailMessage, Ticket

CATEGORY = "correo-sospechoso"
BODY_MAX = 3000
INTAKE_USERNAME = "buzon-alerta"
INTAKE_NAME = ("Buzón de alertas", "(correo sospechoso)")


class IntakeError(Exception):
    """A mailbox that cannot be read: a wrong URL, a server that refuses, a missing folder."""


@dataclass
class Result:
    read: int = 0
    opened: list = field(default_factory=list)      # ticket numbers
    duplicates: int = 0
    failed: list = field(default_factory=list)      # (message-id or key, Spanish reason)

    def summary(self) -> str:
        text = (f"{self.read} correo(s) leído(s): {len(self.opened)} ticket(s) abierto(s)"
                f"{' (' + ', '.join(self.opened) + ')' if self.opened else ''}, {self.duplicates} ya ingresado(s)")
        if self.failed:
            text += f", {len(self.failed)} con error"
        return text + "."


def intake_url() -> str:
    return getattr(settings, "MAPRO_MAIL_INTAKE_URL", None) or os.environ.get("MAPRO_MAIL_INTAKE_URL", "")


def intake_user():
    """The desk's system account that stands as requester for mail from unknown senders; it
    cannot sign in (no usable password)."""
    username = getattr(settings, "MAPRO_MAIL_INTAKE_USER", None) or INTAKE_USERNAME
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, first_name=INTAKE_NAME[0], last_name=INTAKE_NAME[1], is_active=True)
        user.set_unusable_password()
        user.save()
    return user


# --- one message ----------------------------------------------------------------------------
def message_key(raw: bytes, msg) -> tuple[str, str]:
    """(key, message_id): the SHA-256 of the Message-ID, or of the bytes when it has none."""
    message_id = " ".join(str(msg.get("Message-ID", "") or "").split())
    basis = message_id.lower() if message_id else "sha256:" + hashlib.sha256(raw).hexdigest()
    return hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest(), message_id or basis


def _address(value) -> tuple[str, str]:
    found = getaddresses([str(value or "")])
    return found[0] if found else ("", "")


def _text_of(msg) -> str:
    part = msg.get_body(preferencelist=("plain", "html")) if msg.is_multipart() or msg.get_content_type().startswith("text/") else None
    if part is None:
        return ""
    try:
        text = part.get_content()
    except (LookupError, ValueError):
        text = part.get_payload(decode=True).decode("utf-8", "replace") if part.get_payload(decode=True) else ""
    if part.get_content_type() == "text/html":
        text = re.sub(r"<[^>]+>", " ", text)
    return text.replace("\x00", "").strip()


def _forwarded(msg):
    """The original message when it was forwarded as an attachment (message/rfc822), else None."""
    for part in msg.walk():
        if part.get_content_type() == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                return payload[0]
    return None


def _attachment_names(msg) -> list[str]:
    names = []
    for part in msg.walk():
        name = part.get_filename()
        if name:
            names.append(name)
        elif part.get_content_type() == "message/rfc822":
            inner = part.get_payload()[0] if isinstance(part.get_payload(), list) and part.get_payload() else None
            names.append(f"mensaje reenviado «{inner.get('Subject', '')}»" if inner is not None else "mensaje reenviado")
    return names


def _original_sender(msg) -> str:
    """Who sent the suspicious mail: the From of the forwarded message, or the «De:» / «From:» line
    of a forward written inline; empty if neither is there."""
    inner = _forwarded(msg)
    if inner is not None:
        return _address(inner.get("From"))[1]
    found = re.search(r"^\s*(?:De|From)\s*:\s*(.+)$", _text_of(msg), re.MULTILINE | re.IGNORECASE)
    return _address(found.group(1))[1] if found else ""


def _clean_subject(subject: str) -> str:
    subject = " ".join(str(subject or "").replace("\x00", "").split())
    return subject[:150] or "(sin asunto)"


def _case_data(requester, msg, subject, sender) -> dict | None:
    """The first activity of S04.04.00.02 («Reportar el correo electrónico recibido»), from the
    message; None when it would not complete it (the requester completes it from their inbox)."""
    cat = catalog().category(CATEGORY)
    if cat is None or not cat.procedure:
        return None
    first = workflow.start_form(requester, procedures.sheet(cat.procedure), cat.start)
    if first is None:
        return None
    to = " ".join(str(msg.get_all("To", []) or "") + str(msg.get_all("Delivered-To", []) or "")).lower()
    data = {}
    for f in first.form:
        if f.key == "cuenta_reporte" and f.options:
            data[f.key] = next((o for o in f.options if o.split(" ")[0].lower() in to), f.options[0])
        elif f.key == "remitente" and sender:
            data[f.key] = sender
        elif f.key == "asunto":
            data[f.key] = subject
        elif f.key == "fecha_recepcion":
            data[f.key] = timezone.localdate(_date_of(msg)).isoformat()
    return data if not validate_submission(first.form, data)[1] else None


def _date_of(msg):
    try:
        when = parsedate_to_datetime(str(msg.get("Date")))
    except (TypeError, ValueError, IndexError):
        return timezone.now()
    return when if when.tzinfo else timezone.make_aware(when)


def ingest_message(raw: bytes, result: Result | None = None) -> Ticket | None:
    """One message as a «correo sospechoso» ticket; None if it was ingested before."""
    result = result if result is not None else Result()
    msg = message_from_bytes(raw, policy=policy.default)
    key, message_id = message_key(raw, msg)
    if MailMessage.objects.filter(key=key).exists():
        result.duplicates += 1
        return None
    name, address = _address(msg.get("From"))
    User = get_user_model()
    requester = (User.objects.filter(is_active=True, email__iexact=address).order_by("pk").first() if address else None)
    system = intake_user()
    subject = _clean_subject(msg.get("Subject"))
    sender = _original_sender(msg)
    reporter = f"{name} <{address}>" if name else (address or "remitente desconocido")
    lines = [f"Correo recibido en el buzón de alertas y registrado automáticamente.",
             f"Enviado por: {reporter}" + ("" if requester else " (no es una cuenta de mapro)"),
             f"Fecha: {timezone.localtime(_date_of(msg)):%d/%m/%Y %H:%M}",
             f"Asunto: {subject}"]
    if sender:
        lines.append(f"Remitente del correo sospechoso: {sender}")
    names = _attachment_names(msg)
    if names:
        lines.append("Adjuntos del correo: " + "; ".join(names))
    lines.append("El correo original está adjunto al ticket (.eml).")
    body = _text_of(msg)
    if body:
        lines += ["", "Texto del correo:", body[:BODY_MAX] + ("…" if len(body) > BODY_MAX else "")]
    description = "\n".join(lines)[:actions.DESCRIPTION_MAX]
    upload = SimpleUploadedFile("correo-reportado.eml", raw, content_type="message/rfc822")
    owner = requester or system
    try:
        with transaction.atomic():
            # First the Message-ID: a second worker with the same message stops here, before any file is written.
            row = MailMessage.objects.create(key=key, message_id=message_id[:998], sender=reporter[:300], subject=subject[:300])
            ticket = actions.open_ticket(system, CATEGORY, f"Correo sospechoso: {subject}"[:200], description,
                                         files={"": [upload]}, channel=Ticket.Channel.MAIL, requester=owner,
                                         data=_case_data(owner, msg, subject, sender), intake=True)
            MailMessage.objects.filter(pk=row.pk).update(ticket=ticket)
            audit.record("ticket.mail_ingested", actor=system, obj=ticket,
                         after={"message_id": message_id[:300], "from": reporter[:300], "requester": owner.username})
    except IntegrityError:
        if MailMessage.objects.filter(key=key).exists():
            result.duplicates += 1
            return None
        raise
    result.opened.append(ticket.number)
    return ticket


def _ingest(raw: bytes, label: str, result: Result) -> bool:
    """True if the message is handled (a ticket, or ingested before); False to leave it and retry."""
    result.read += 1
    try:
        ingest_message(raw, result)
    except workflow.WorkflowError as exc:
        result.failed.append((label, exc.detail))
        return False
    return True


# --- mailboxes ------------------------------------------------------------------------------
def ingest_maildir(path) -> Result:
    """Every message of a Maildir not handled yet (in new/, or in cur/ without the flag S)."""
    if not os.path.isdir(os.path.join(str(path), "new")) or not os.path.isdir(os.path.join(str(path), "cur")):
        raise IntakeError(f"«{path}» no es una carpeta Maildir (debe tener las subcarpetas new/, cur/ y tmp/).")
    box = mailbox.Maildir(str(path), factory=None, create=False)
    result = Result()
    for key in sorted(box.keys()):
        message = box.get_message(key)
        if message.get_subdir() == "cur" and "S" in message.get_flags():
            continue
        if _ingest(box.get_bytes(key), key, result):
            message.set_subdir("cur")
            message.add_flag("S")
            box[key] = message
    return result


def _imap_parts(url: str):
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise IntakeError("La dirección del buzón debe ser imaps://usuario:clave@servidor/CARPETA (o imap:// "
                          "con ?starttls=1) o una carpeta Maildir.")
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return parts, folder


def ingest_imap(url: str, timeout: float = 30) -> Result:
    """The messages of an IMAP folder not yet flagged \\Seen; each one flagged once handled."""
    parts, folder = _imap_parts(url)
    port = parts.port or (993 if parts.scheme == "imaps" else 143)
    try:
        if parts.scheme == "imaps":
            server = imaplib.IMAP4_SSL(parts.hostname, port, timeout=timeout)
        else:
            server = imaplib.IMAP4(parts.hostname, port, timeout=timeout)
            if "starttls=1" in (parts.query or ""):
                server.starttls()
        server.login(unquote(parts.username or ""), unquote(parts.password or ""))
    except (OSError, imaplib.IMAP4.error) as exc:
        raise IntakeError(f"No se pudo ingresar al buzón {parts.hostname}:{port}: {exc}") from None
    result = Result()
    try:
        status, _ = server.select(_quote(folder))
        if status != "OK":
            raise IntakeError(f"No existe la carpeta «{folder}» en el buzón.")
        status, found = server.uid("SEARCH", None, "UNSEEN")
        for uid in (found[0].split() if status == "OK" and found and found[0] else []):
            status, data = server.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((item[1] for item in data or [] if isinstance(item, tuple)), None)
            if status != "OK" or raw is None:
                result.failed.append((uid.decode(), "No se pudo leer el mensaje."))
                continue
            if _ingest(raw, uid.decode(), result):
                server.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    finally:
        try:
            server.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    return result


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ingest(source: str) -> Result:
    """A Maildir path (or maildir:///path) or an imap(s):// URL."""
    if source.startswith(("imap://", "imaps://")):
        return ingest_imap(source)
    if source.startswith("maildir://"):
        source = unquote(urlsplit(source).path)
    return ingest_maildir(source)
