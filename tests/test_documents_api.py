"""The documents through the API: templates, drafting from a case, the register's filters, the
detail with versions, vistos buenos and signatures, and approve / issue / sign / send / annul."""
import base64

import pytest

from documents.models import Document
from documents.signing import LocalTestSigner

from .api_client import Api
from .documents_helpers import case_of, documents_storage, pdf_text  # noqa: F401

pytestmark = pytest.mark.django_db
SUPPORT = "S04.03.04.02"


@pytest.fixture
def test_signer(settings, tmp_path_factory):
    settings.MAPRO_SIGNER = "local-test"
    settings.MAPRO_TEST_SIGNER_DIR = tmp_path_factory.getbasetemp() / "signer"
    return LocalTestSigner.for_person("Quispe Mamani Ana", "40506070", directory=settings.MAPRO_TEST_SIGNER_DIR)


def test_the_templates_are_listed_with_their_procedures(staff):
    found = Api("soporte-tecnico").get("/api/document-templates").json()
    by_slug = {t["slug"]: t for t in found}
    assert {"slug", "name", "type", "procedures"} <= set(by_slug["informe-baja"])
    assert SUPPORT in by_slug["informe-baja"]["procedures"] and by_slug["oficio"]["procedures"] == []
    assert by_slug["sgsi-for-027"]["type"] == "formato"


def test_an_informe_through_the_api_from_draft_to_sent(staff, test_signer):
    case = case_of(SUPPORT)
    specialist, chief = Api("soporte-tecnico"), Api("jefe-ogtie")
    response = specialist.post(f"/api/cases/{case.pk}/documents", {
        "template": "informe-baja", "data": {"conclusiones": "No tiene reparación."},
        "recipients": "Coordinación de infraestructura tecnológica"})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["number"] is None and created["status"] == "proyecto" and created["type"] == "informe-tecnico"
    assert created["classification"] == "PÚBLICO"
    pdf = specialist.get(created["pdf"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert case.number in " ".join(pdf_text(b"".join(pdf.streaming_content)).split())

    doc = f"/api/documents/{created['id']}"
    assert specialist.post(f"{doc}/approve").status_code == 403
    assert chief.post(f"{doc}/approve", {"note": "Conforme"}).json()["status"] == "visado"
    issued = specialist.post(f"{doc}/issue").json()
    assert issued["number"].startswith("INFORME TÉCNICO N° 00001-")
    current = b"".join(chief.get(issued["versions"][-1]["pdf"]).streaming_content)
    signed = test_signer.sign(current, reason="Firma del informe")
    # Sign as JSON (base64) — and a tampered file is refused with the reason.
    tampered = bytearray(signed)
    tampered[len(tampered) // 2] ^= 0x01
    refused = chief.post(f"{doc}/sign", {"pdf": base64.b64encode(bytes(tampered)).decode()})
    assert refused.status_code == 422 and refused.json()["error"] == "datos_invalidos"
    answer = chief.post(f"{doc}/sign", {"pdf": base64.b64encode(signed).decode()}).json()
    assert answer["status"] == "firmado" and answer["signatures"][0]["verification"]["valid"]
    assert answer["versions"][-1]["frozen"] and [a["user"] for a in answer["approvals"]] == ["jefe-ogtie"]
    sent = specialist.post(f"{doc}/send").json()
    assert sent["status"] == "enviado" and sent["registration"] == sent["number"]

    # In the register, searched by number, type and case; and in the case's own list.
    listed = chief.get("/api/documents", q=sent["number"].split()[-1], type="informe-tecnico", case=str(case.pk)).json()
    assert [d["id"] for d in listed] == [created["id"]]
    assert [d["id"] for d in chief.get(f"/api/cases/{case.pk}/documents").json()] == [created["id"]]
    annulled = chief.post(f"{doc}/annul", {"reason": "Reemplazado por otro informe"}).json()
    assert annulled["status"] == "anulado" and annulled["number"] == sent["number"]


def test_bad_input_is_answered_in_spanish_and_nothing_is_written(staff):
    case = case_of(SUPPORT)
    api = Api("soporte-tecnico")
    for body, field in (({}, "template"), ({"template": "no-existe"}, "template"),
                        ({"template": "informe-baja", "classification": "ULTRA"}, "classification"),
                        ({"template": "informe-baja", "data": ["x"]}, "data"),
                        ({"template": "sgsi-for-040"}, "template")):   # a template of another procedure
        answer = api.post(f"/api/cases/{case.pk}/documents", body)
        assert answer.status_code == 422, (body, answer.content)
        assert field in answer.json().get("errors", {}), answer.json()
    assert not Document.objects.exists()
    assert api.get("/api/documents", status="inventado").status_code == 422


def test_a_received_document_is_registered_with_its_own_number(staff):
    api = Api("operador-mesa-ayuda")
    answer = api.post("/api/documents", {"type": "oficio", "number": "OFICIO N° 00777-2026-MINDEF/SG-OGA",
                                         "sender": "OGA", "subject": "Remite inventario de bienes", "folios": 4})
    assert answer.status_code == 201, answer.content
    found = answer.json()
    assert found["status"] == "recibido" and found["direction"] == "recibido" and found["folios"] == 4
    assert Api("personal-mindef").post("/api/documents", {"type": "oficio", "number": "X", "sender": "Y",
                                                          "subject": "Z"}).status_code == 403
