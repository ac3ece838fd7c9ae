"""The mail server, from MAPRO_EMAIL_URL, and sending one message with smtplib.

    smtp://host:25                         plain SMTP
    smtp://user:password@host:587?starttls=1   STARTTLS, then login
    smtps://user:password@host:465         SMTP over TLS
    ...?timeout=20                         seconds to wait for the server (default MAPRO_EMAIL_TIMEOUT, 10)

User and password are percent-encoded if they hold reserved characters (`@` is %40).
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings

FLAG_ON = ("1", "true", "yes", "si", "sí", "on")
# Bodies in quoted-printable: readable as they travel (and in a test server's log), accents and all.
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP


class MailConfigError(ValueError):
    """MAPRO_EMAIL_URL or MAPRO_EMAIL_FROM cannot be used; the message says why, in Spanish."""


@dataclass(frozen=True)
class MailServer:
    host: str
    port: int
    user: str = ""
    password: str = ""
    tls: bool = False        # smtps://: TLS from the first byte
    starttls: bool = False   # smtp:// then STARTTLS
    timeout: float = 10.0

    def __str__(self):   # never the password
        scheme = "smtps" if self.tls else "smtp"
        who = f"{self.user}@" if self.user else ""
        return f"{scheme}://{who}{self.host}:{self.port}{'?starttls=1' if self.starttls else ''}"


def parse_url(url: str, default_timeout: float | None = None) -> MailServer | None:
    """The server MAPRO_EMAIL_URL names; None when it is empty (mail stays in the outbox)."""
    url = (url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise MailConfigError(f"MAPRO_EMAIL_URL debe empezar por smtp:// o smtps:// (se recibió «{parts.scheme or url}»).")
    if not parts.hostname:
        raise MailConfigError("MAPRO_EMAIL_URL no indica el servidor de correo (smtp://servidor:puerto).")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - {"starttls", "timeout"}
    if unknown:
        raise MailConfigError(f"MAPRO_EMAIL_URL: parámetro desconocido «{sorted(unknown)[0]}» (se admiten starttls y timeout).")
    try:
        port = parts.port
    except ValueError:
        raise MailConfigError("MAPRO_EMAIL_URL: el puerto no es válido.") from None
    tls = parts.scheme == "smtps"
    starttls = query.get("starttls", "").lower() in FLAG_ON
    if tls and starttls:
        raise MailConfigError("MAPRO_EMAIL_URL: use smtps:// (TLS directo) o ?starttls=1, no ambos.")
    try:
        timeout = float(query.get("timeout") or (default_timeout if default_timeout is not None else settings.MAPRO_EMAIL_TIMEOUT))
    except ValueError:
        raise MailConfigError("MAPRO_EMAIL_URL: timeout debe ser un número de segundos.") from None
    if not 0 < timeout <= 600:
        raise MailConfigError("MAPRO_EMAIL_URL: timeout debe estar entre 0 y 600 segundos.")
    return MailServer(
        host=parts.hostname, port=port or (465 if tls else 587 if starttls else 25),
        user=unquote(parts.username or ""), password=unquote(parts.password or ""),
        tls=tls, starttls=starttls, timeout=timeout,
    )


def configured_server() -> MailServer | None:
    return parse_url(settings.MAPRO_EMAIL_URL)


def sender() -> str:
    value = (settings.MAPRO_EMAIL_FROM or "").strip()
    if "@" not in parseaddr(value)[1]:
        raise MailConfigError(f"MAPRO_EMAIL_FROM no es una dirección de correo válida: «{value}».")
    return value


def connect(server: MailServer) -> smtplib.SMTP:
    """An open, authenticated SMTP session (the caller quits it)."""
    context = ssl.create_default_context()
    if server.tls:
        smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout, context=context)
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
    try:
        smtp.ehlo()
        if server.starttls:
            smtp.starttls(context=context)
            smtp.ehlo()
        if server.user:
            smtp.login(server.user, server.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def message(to: str, subject: str, body: str, from_: str) -> Message:
    """A plain-text UTF-8 message. The subject is encoded word by word (email.header.Header): the
    newer email API folds a long accented subject leaving a doubled space where it breaks."""
    msg = MIMEText(body, "plain", _UTF8_QP)
    name, address = parseaddr(from_)
    msg["From"] = formataddr((name, address), "utf-8")
    msg["To"] = to
    msg["Subject"] = Header(subject, "utf-8")
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=address.rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"
    return msg
