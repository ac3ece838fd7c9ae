"""An informe's life: drafted from the case, visto bueno (the version is frozen), numbered, signed
with a real PAdES signature (a tampered file is refused), sent; a later change writes a new
version and leaves the signed one as it was; annulment keeps the number."""
import hashlib

import pytest

from cases.workflow import Conflict, Forbidden, Invalid
from documents import actions
from documents.models import Document, DocumentTemplate
from documents.signing import LocalTestSigner

from .documents_helpers import case_of, documents_storage, version_text  # noqa: F401

pytestmark = pytest.mark.django_db
SUPPORT = "S04.03.04.02"   # Soporte técnico: its informe de baja


@pytest.fixture
def test_signer(settings, tmp_path_factory):
    settings.MAPRO_SIGNER = "local-test"
    settings.MAPRO_TEST_SIGNER_DIR = tmp_path_factory.getbasetemp() / "signer"
    return LocalTestSigner.for_person("Quispe Mamani Ana", "40506070", directory=settings.MAPRO_TEST_SIGNER_DIR)


def _read(fieldfile) -> bytes:
    with fieldfile.open("rb") as f:
        return f.read()


def test_an_informe_is_drafted_approved_numbered_signed_and_sent(staff, test_signer):
    case = case_of(SUPPORT)
    specialist, chief = staff["soporte-tecnico"], staff["jefe-ogtie"]
    template = DocumentTemplate.current().get(slug="informe-baja")
    document = actions.draft_document(specialist, case, template, {"conclusiones": "El equipo no tiene reparación."},
                                      recipients="Responsable de la coordinación de infraestructura")
    assert document.status == "proyecto" and document.number == ""
    assert "El equipo no tiene reparación." in " ".join(version_text(document.current_version()).split())

    # The specialist may not give the visto bueno; the chief does, and the version is frozen.
    with pytest.raises(Forbidden):
        actions.approve(specialist, document)
    approval = actions.approve(chief, document)
    v1 = document.current_version()
    assert v1.frozen and approval.version == v1 and approval.sha256 == v1.sha256
    document.refresh_from_db()
    assert document.status == "visado"

    # Signing before the number is refused: the signature must cover the number printed.
    with pytest.raises(Conflict):
        actions.sign(chief, document, test_signer.sign(_read(v1.pdf)))
    document = actions.issue(specialist, document)
    v2 = document.current_version()
    assert v2.n == 2 and document.number in " ".join(version_text(v2).split())

    # A signed file whose bytes were changed afterwards is refused, nothing recorded.
    signed = test_signer.sign(_read(v2.pdf), reason="Firma del informe")
    tampered = bytearray(signed)
    at = tampered.index(b"/Contents", len(tampered) // 3) if b"/Contents" in tampered[len(tampered) // 3:] else len(tampered) // 2
    tampered[at - 40] = (tampered[at - 40] + 1) % 256
    with pytest.raises(Invalid):
        actions.sign(chief, document, bytes(tampered))
    # A signature of another PDF (not the version sent to sign) is refused too.
    with pytest.raises(Invalid):
        actions.sign(chief, document, test_signer.sign(_read(v1.pdf)))
    assert not document.signatures.exists()

    signature = actions.sign(chief, document, signed)
    v2.refresh_from_db()
    assert v2.frozen and signature.version == v2
    assert signature.sha256 == hashlib.sha256(signed).hexdigest() == hashlib.sha256(_read(signature.signed_pdf)).hexdigest()
    assert "QUISPE" in signature.signer and signature.verification["dni"] == "40506070"
    document.refresh_from_db()
    assert document.status == "firmado"

    # A later change writes version 3 and takes the document back to proyecto; version 2 and its
    # signed file stay as they were.
    frozen_hash = v2.sha256
    document = actions.edit_document(specialist, document, {"conclusiones": "Corregido: procede la baja."})
    assert document.current_version().n == 3 and document.status == "proyecto"
    v2.refresh_from_db()
    assert v2.sha256 == frozen_hash == hashlib.sha256(_read(v2.pdf)).hexdigest()
    assert document.number in " ".join(version_text(document.current_version()).split())

    # Sign version 3 and send it (no document-management system configured: the register is the record).
    actions.approve(chief, document)
    actions.sign(chief, document, test_signer.sign(_read(document.current_version().pdf)))
    document = actions.send(specialist, Document.objects.get(pk=document.pk))
    assert document.status == "enviado" and document.registration == document.number and document.sent_at


def test_annulment_keeps_the_number_and_needs_a_reason(staff):
    case = case_of(SUPPORT)
    chief = staff["jefe-ogtie"]
    document = actions.draft_document(chief, case, DocumentTemplate.current().get(slug="oficio"))
    document = actions.issue(chief, document)
    with pytest.raises(Invalid):
        actions.annul(chief, document, "   ")
    with pytest.raises(Forbidden):
        actions.annul(staff["soporte-tecnico"], document, "No corresponde")
    document = actions.annul(chief, document, "Dirigido a otra unidad por error")
    assert document.status == "anulado" and document.number.startswith("OFICIO N° 00001-")
    with pytest.raises(Conflict):
        actions.annul(chief, document, "otra vez")
    with pytest.raises(Conflict):
        actions.edit_document(chief, document, {"cuerpo": "cambio"})


def test_editing_an_unfrozen_draft_rewrites_its_version(staff):
    case = case_of(SUPPORT)
    specialist = staff["soporte-tecnico"]
    document = actions.draft_document(specialist, case, DocumentTemplate.current().get(slug="oficio"))
    first = document.current_version()
    document = actions.edit_document(specialist, document, {"cuerpo": "Se solicita la baja del equipo PC-0042."},
                                     subject="Baja del equipo PC-0042")
    again = document.current_version()
    assert again.pk == first.pk and again.n == 1 and again.sha256 != first.sha256
    text = " ".join(version_text(again).split())
    assert "PC-0042" in text and "Baja del equipo PC-0042" in text
    # Only its author or a lead edits it.
    with pytest.raises(Forbidden):
        actions.edit_document(staff["operador-mesa-ayuda"], document, {"cuerpo": "x"})


def test_a_requester_may_not_draft_documents_of_their_case(staff):
    case = case_of(SUPPORT)
    with pytest.raises(Forbidden):
        actions.draft_document(case.started_by, case, DocumentTemplate.current().get(slug="oficio"))
