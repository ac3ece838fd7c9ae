"""«vía SISTRADOC»: sending a document through the ministry's document-management system.

`get_adapter()` reads the settings:
- MAPRO_SISTRADOC_URL empty: `RegisterOnly` — the document register is the only record; the
  registration number is the document's own number.
- MAPRO_SISTRADOC_URL set: `HttpJson` posts the document and its metadata as JSON to that URL
  (Authorization: Bearer MAPRO_SISTRADOC_TOKEN if set; MAPRO_SISTRADOC_TIMEOUT seconds) and
  records the registration number it answers.

The request body (README «Envío vía SISTRADOC»):

    {"tipo_documento": "OFICIO", "numero": "OFICIO N° 00123-2026-MINDEF/SG-OGTIE",
     "unidad_origen": "OGTIE", "unidad_destino": "DIGEDOC", "asunto": "...", "folios": 3,
     "anexos": ["Informe técnico N° ..."], "clasificacion": "PÚBLICO",
     "archivo": {"nombre": "OFICIO-N-00123-2026-MINDEF-SG-OGTIE.pdf", "tipo": "application/pdf",
                 "sha256": "...", "contenido_base64": "JVBERi0..."}}

The answer must be JSON with the registration number in "registro" (also accepted:
"numero_registro", "registration_number"). Any failure raises SistradocError with a Spanish
message; nothing is recorded as sent unless send() returned.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Protocol

REGISTRATION_KEYS = ("registro", "numero_registro", "registration_number")


class SistradocError(Exception):
    """Sending failed; the message says why, in Spanish, for the person who sends."""

    def __init__(self, message: str, *, status: int | None = None, detail: str = ""):
        super().__init__(message)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class SendPayload:
    document_type: str          # OFICIO, MEMORÁNDUM, INFORME...
    number: str                 # OFICIO N° 00123-2026-MINDEF/SG-OGTIE
    sender_unit: str            # acronym of the issuing unit (OGTIE)
    recipient_unit: str         # acronym of the addressee unit
    subject: str
    folios: int
    pdf: bytes
    annexes: tuple[str, ...] = ()
    classification: str = ""
    filename: str = ""

    def as_json(self) -> dict:
        name = self.filename or re.sub(r"[^0-9A-Za-z_]+", "-", self.number).strip("-") + ".pdf"
        return {
            "tipo_documento": self.document_type,
            "numero": self.number,
            "unidad_origen": self.sender_unit,
            "unidad_destino": self.recipient_unit,
            "asunto": self.subject,
            "folios": int(self.folios),
            "anexos": list(self.annexes),
            "clasificacion": self.classification,
            "archivo": {
                "nombre": name,
                "tipo": "application/pdf",
                "sha256": hashlib.sha256(self.pdf).hexdigest(),
                "contenido_base64": base64.b64encode(self.pdf).decode("ascii"),
            },
        }


@dataclass(frozen=True)
class SendResult:
    registration_number: str
    adapter: str
    response: dict = field(default_factory=dict)


class Adapter(Protocol):
    name: str

    def send(self, payload: SendPayload) -> SendResult: ...


class RegisterOnly:
    """No document-management system connected: the register is the record."""

    name = "registro"

    def send(self, payload: SendPayload) -> SendResult:
        if not payload.number:
            raise SistradocError("El documento no tiene número: emítalo antes de enviarlo.")
        return SendResult(registration_number=payload.number, adapter=self.name)


class HttpJson:
    """Posts the document as JSON to SISTRADOC (or a gateway in front of it)."""

    name = "sistradoc"

    def __init__(self, url: str, token: str = "", timeout: float = 15.0):
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"MAPRO_SISTRADOC_URL «{url}»: debe empezar con http:// o https://")
        self.url = url
        self.token = token
        self.timeout = timeout

    def send(self, payload: SendPayload) -> SendResult:
        if not payload.number:
            raise SistradocError("El documento no tiene número: emítalo antes de enviarlo.")
        body = json.dumps(payload.as_json(), ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            detail = _detail(exc.read())
            kind = "rechazó el documento" if exc.code < 500 else "tuvo un error interno"
            raise SistradocError(f"SISTRADOC {kind} (HTTP {exc.code}): {detail or exc.reason}",
                                 status=exc.code, detail=detail) from exc
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SistradocError(f"No se pudo conectar con SISTRADOC ({self.url}): {reason}. "
                                 "El documento no se envió; inténtelo de nuevo más tarde.") from exc
        try:
            answer = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SistradocError("SISTRADOC respondió algo que no es JSON; no se sabe si registró el documento.",
                                 status=status, detail=raw[:300].decode("utf-8", "replace")) from exc
        number = next((str(answer[k]).strip() for k in REGISTRATION_KEYS
                       if isinstance(answer, dict) and answer.get(k) not in (None, "")), "")
        if not number:
            raise SistradocError("SISTRADOC respondió sin número de registro; no se sabe si registró el documento.",
                                 status=status, detail=json.dumps(answer, ensure_ascii=False)[:300])
        return SendResult(registration_number=number, adapter=self.name, response=answer)


def _detail(raw: bytes) -> str:
    """The server's explanation: "detail", "error" or "mensaje" of a JSON body, else its text."""
    text = raw[:2000].decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return text[:300]
    if isinstance(data, dict):
        for key in ("detail", "detalle", "mensaje", "message", "error"):
            if data.get(key):
                return str(data[key])[:300]
    return text[:300]


def get_adapter() -> Adapter:
    from django.conf import settings

    url = getattr(settings, "MAPRO_SISTRADOC_URL", "")
    if not url:
        return RegisterOnly()
    return HttpJson(url, token=getattr(settings, "MAPRO_SISTRADOC_TOKEN", ""),
                    timeout=float(getattr(settings, "MAPRO_SISTRADOC_TIMEOUT", 15)))
