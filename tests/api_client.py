"""A small JSON client for the API, used by the user-story tests."""
import functools
import io
import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client


class Api:
    def __init__(self, username=None, password="clave-segura-123"):
        self.client = Client()
        self.token = None
        if username:
            response = self.post("/api/auth/token", {"username": username, "password": password}, auth=False)
            assert response.status_code == 200, response.content
            self.token = response.json()["token"]

    def _headers(self, auth):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if auth and self.token else {}

    def get(self, path, auth=True, **params):
        return self.client.get(path, params, **self._headers(auth))

    def post(self, path, body=None, auth=True):
        return self.client.post(path, json.dumps(body or {}), content_type="application/json", **self._headers(auth))

    def upload(self, case_id, name="acta.pdf", content=None, internal=False, auth=True):
        """POST /api/cases/{id}/attachments, multipart, the file in the field `file`."""
        fields = {"file": SimpleUploadedFile(name, small_pdf() if content is None else content)}
        if internal:
            fields["internal"] = "true"
        return self.client.post(f"/api/cases/{case_id}/attachments", fields, **self._headers(auth))


@functools.cache
def small_pdf() -> bytes:
    """A real one-page PDF (a few hundred bytes), as a person would attach a scanned form."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=(200, 100))
    page.drawString(20, 50, "Acta de prueba")
    page.save()
    return out.getvalue()


def sample_value(field):
    """A valid value for a form field, by type."""
    return {
        "integer": 3, "number": 2.5, "boolean": True, "date": "2026-11-27", "datetime": "2026-11-27T10:30",
        "email": "usuario@mindef.gob.pe", "url": "https://www.gob.pe/mindef", "ipv4": "10.10.1.20", "port": 443,
        "ports": "443, 8080", "dni": "45678912", "document": "INFORME N° 00045-2026-MINDEF/SG-OGTIE",
        "phone": "987654321", "extension": "4321",
    }.get(field["type"] if isinstance(field, dict) else field.type, "Texto de prueba")


def fill(form_schema, api=None, case_id=None):
    """Valid data for a task's JSON-Schema form. A file field gets a small PDF uploaded to the case
    first through `api` (left out without a case to upload to)."""
    data = {}
    for key, prop in form_schema["properties"].items():
        if prop.get("format") == "username":
            continue  # who does the next activity: left to the role unless a test names someone
        if prop.get("format") == "attachment-id":
            if api is not None and case_id is not None:
                response = api.upload(case_id, f"{key}.pdf")
                assert response.status_code == 201, response.content.decode()
                data[key] = response.json()["id"]
            continue
        if "enum" in prop:
            data[key] = prop["enum"][0]
        elif prop.get("type") == "array":
            data[key] = prop["items"]["enum"][:1]
        else:
            kind = prop.get("format") or prop.get("type")
            mapping = {"date": "date", "date-time": "datetime", "email": "email", "uri": "url", "ipv4": "ipv4",
                       "integer": "integer", "number": "number", "boolean": "boolean"}
            if prop.get("pattern") == r"^\d{8}$":
                kind = "dni"
            elif prop.get("pattern", "").startswith(r"^\d{1,5}"):
                kind = "ports"
            elif prop.get("type") == "integer" and prop.get("maximum") == 65535:
                kind = "port"
            value = sample_value({"type": mapping.get(kind, kind)})
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = max(value, prop.get("minimum", value))
                value = min(value, prop.get("maximum", value))
            data[key] = value
    return data
