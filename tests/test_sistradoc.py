"""Sending a document «vía SISTRADOC»: posted as JSON to the configured URL (a real HTTP server
started here), its registration number recorded; every failure is a clear Spanish error."""
import base64
import hashlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from documents.sistradoc import HttpJson, RegisterOnly, SendPayload, SistradocError, get_adapter

PDF = b"%PDF-1.4\n% oficio de prueba\n%%EOF\n"


def payload(**changes) -> SendPayload:
    values = dict(document_type="OFICIO", number="OFICIO N° 00123-2026-MINDEF/SG-OGTIE", sender_unit="OGTIE",
                  recipient_unit="DIGEDOC", subject="Remite informe técnico de baja de equipos", folios=3,
                  annexes=("INFORME N° 00045-2026-MINDEF/SG-OGTIE",), classification="PÚBLICO", pdf=PDF)
    values.update(changes)
    return SendPayload(**values)


class FakeSistradoc:
    """A real HTTP server on 127.0.0.1; `reply` is (status, body bytes) and requests are kept."""

    def __init__(self):
        self.requests = []
        self.reply = (201, json.dumps({"registro": "SISTRADOC-2026-000123"}).encode())
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status, answer = outer.reply
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/documentos"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sistradoc(settings):
    server = FakeSistradoc()
    settings.MAPRO_SISTRADOC_URL = server.url
    settings.MAPRO_SISTRADOC_TOKEN = "token-de-prueba"
    settings.MAPRO_SISTRADOC_TIMEOUT = 5
    yield server
    server.close()


def test_without_a_url_the_register_is_the_record(settings):
    settings.MAPRO_SISTRADOC_URL = ""
    adapter = get_adapter()
    assert isinstance(adapter, RegisterOnly)
    result = adapter.send(payload())
    assert result.registration_number == "OFICIO N° 00123-2026-MINDEF/SG-OGTIE"
    assert result.adapter == "registro"


def test_document_is_posted_as_json_and_the_registration_number_recorded(sistradoc):
    adapter = get_adapter()
    assert isinstance(adapter, HttpJson)
    result = adapter.send(payload())
    assert result.registration_number == "SISTRADOC-2026-000123"
    assert result.adapter == "sistradoc"
    [request] = sistradoc.requests
    assert request["path"] == "/api/documentos"
    assert request["headers"]["Authorization"] == "Bearer token-de-prueba"
    assert request["headers"]["Content-Type"].startswith("application/json")
    sent = json.loads(request["body"].decode("utf-8"))
    assert sent["tipo_documento"] == "OFICIO"
    assert sent["numero"] == "OFICIO N° 00123-2026-MINDEF/SG-OGTIE"
    assert sent["unidad_origen"] == "OGTIE" and sent["unidad_destino"] == "DIGEDOC"
    assert sent["asunto"] == "Remite informe técnico de baja de equipos"
    assert sent["folios"] == 3
    assert sent["anexos"] == ["INFORME N° 00045-2026-MINDEF/SG-OGTIE"]
    assert base64.b64decode(sent["archivo"]["contenido_base64"]) == PDF
    assert sent["archivo"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert sent["archivo"]["nombre"] == "OFICIO-N-00123-2026-MINDEF-SG-OGTIE.pdf"


def test_server_down_is_a_clear_error(settings):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MAPRO_SISTRADOC_URL = f"http://127.0.0.1:{port}/api/documentos"
    with pytest.raises(SistradocError, match="No se pudo conectar con SISTRADOC") as error:
        get_adapter().send(payload())
    assert "no se envió" in str(error.value)


def test_server_error_carries_its_detail(sistradoc):
    sistradoc.reply = (500, json.dumps({"detail": "Base de datos de trámite no disponible"}).encode())
    with pytest.raises(SistradocError) as error:
        get_adapter().send(payload())
    assert error.value.status == 500
    assert "HTTP 500" in str(error.value) and "Base de datos de trámite no disponible" in str(error.value)


def test_rejection_carries_its_detail(sistradoc):
    sistradoc.reply = (422, json.dumps({"mensaje": "La unidad de destino DIGEDOC no existe"}).encode())
    with pytest.raises(SistradocError, match="rechazó el documento .*HTTP 422.*DIGEDOC no existe"):
        get_adapter().send(payload())


@pytest.mark.parametrize("answer", [b'{"estado": "ok"}', b"<html>ok</html>", b'{"registro": ""}', b"[1, 2]"])
def test_answer_without_a_registration_number_is_an_error(sistradoc, answer):
    sistradoc.reply = (200, answer)
    with pytest.raises(SistradocError, match="no se sabe si registró el documento"):
        get_adapter().send(payload())


def test_a_document_without_number_is_not_sent(sistradoc):
    with pytest.raises(SistradocError, match="no tiene número"):
        get_adapter().send(payload(number=""))
    assert sistradoc.requests == []
