"""A real SMTP server for the tests (aiosmtpd, in a thread), and the fixture that starts it.

    def test_mail_arrives(smtp_server, settings):
        settings.MAPRO_EMAIL_URL = smtp_server.url
        ... the worker sends ...
        [msg] = smtp_server.wait_for(1)
        assert msg["Subject"] == "..."

`smtp_server.stop()` takes it down (a connection is refused, as with a mail server that is down) and
`smtp_server.start()` brings it back on the same port. With `user`/`password` it requires AUTH LOGIN
or PLAIN (without TLS: a test server on the loopback interface).
"""
from __future__ import annotations

import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_DATA(self, smtp, session, envelope):
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.server.lock:
            self.server.messages.append(msg)
            self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.server.logins.append(getattr(session, "auth_data", None))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, user: str = "", password: str = "", port: int | None = None):
        self.host, self.port = "127.0.0.1", port or free_port()
        self.user, self.password = user, password
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list = []
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        who = f"{self.user}:{self.password}@" if self.user else ""
        return f"smtp://{who}{self.host}:{self.port}?timeout=5"

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == self.user and auth_data.password.decode() == self.password
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login.decode() if ok else None)

    def start(self) -> SmtpServer:
        options = {}
        if self.user:
            options = {"authenticator": self._authenticate, "auth_required": True, "auth_require_tls": False}
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port, ready_timeout=10, **options)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """The messages received, once there are at least `count` (fails after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"se esperaban {count} correos; llegaron {len(self.messages)}")


@pytest.fixture
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server_with_login():
    server = SmtpServer(user="mapro", password="clave-del-correo").start()
    yield server
    server.stop()
