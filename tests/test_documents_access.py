"""Who reads a document: whoever sees its case, as far as its classification allows (PÚBLICO:
everyone who sees the case; RESERVADO: the office's staff of the procedure and the leads;
CONFIDENCIAL: the leads and the people of the document; SECRETO: the chief, its author and its
signers). Everyone else gets «not found», on the page, its PDF, the API and the register."""
import pytest
from django.test import Client

from cases import access
from documents import actions
from documents.models import DocumentTemplate

from .api_client import Api
from .documents_helpers import case_of, documents_storage  # noqa: F401

pytestmark = pytest.mark.django_db
SUPPORT = "S04.03.04.02"


def _web(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def documents(staff):
    case = case_of(SUPPORT, subject="Laptop del despacho con información sensible")
    author = staff["soporte-tecnico"]
    oficio = DocumentTemplate.current().get(slug="oficio")
    made = {level: actions.draft_document(author, case, oficio, classification=level, subject=f"Documento {level}")
            for level in ("publico", "reservado", "confidencial", "secreto")}
    return case, made


READERS = {
    # role: the levels it reads
    "jefe-ogtie": {"publico", "reservado", "confidencial", "secreto"},
    "coord-infraestructura": {"publico", "reservado", "confidencial"},
    "soporte-tecnico": {"publico", "reservado", "confidencial", "secreto"},   # the author
    "operador-mesa-ayuda": {"publico", "reservado"},                         # office staff of the procedure
    "personal-mindef": {"publico"},                                           # the requester
    "analista-calidad": set(),                                                # sees not the case
    "ministro": set(),
}


def test_each_role_reads_the_levels_its_rule_allows_and_nothing_else(staff, documents):
    case, made = documents
    for role, levels in READERS.items():
        user = staff[role]
        web, api = _web(user), Api(role)
        visible = set(access.visible_documents(user).filter(case=case).values_list("classification", flat=True))
        assert visible == levels, role
        for level, document in made.items():
            expected = 200 if level in levels else 404
            assert web.get(f"/documentos/{document.pk}/").status_code == expected, (role, level)
            assert web.get(f"/documentos/{document.pk}/pdf").status_code == expected, (role, level)
            answer = api.get(f"/api/documents/{document.pk}")
            assert answer.status_code == expected, (role, level)
            if expected == 404:
                assert answer.json()["error"] == "no_encontrado"
                # Acting on it is "not found" too, whatever the body.
                assert api.post(f"/api/documents/{document.pk}/annul", {"reason": "x"}).status_code == 404
        register = web.get("/documentos/").content.decode()
        listed = {level for level, d in made.items() if f"Documento {level}" in register}
        assert listed == levels, role
        exported = web.get("/documentos/exportar.csv").content.decode("utf-8-sig")
        assert {level for level in made if f"Documento {level}" in exported} == levels, role


def test_the_pdf_is_shown_inline_on_the_site_only_and_never_cached(staff, documents):
    _, made = documents
    response = _web(staff["jefe-ogtie"]).get(f"/documentos/{made['publico'].pk}/pdf")
    assert response["Content-Disposition"].startswith("inline;")
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"] and response["X-Frame-Options"] == "SAMEORIGIN"
    saved = _web(staff["jefe-ogtie"]).get(f"/documentos/{made['publico'].pk}/pdf?descargar=1")
    assert saved["Content-Disposition"].startswith("attachment;")


def test_the_requester_cannot_draft_and_the_case_page_shows_the_documents_section(staff, documents):
    case, made = documents
    requester = _web(staff["personal-mindef"])
    page = requester.get(f"/casos/{case.pk}/").content.decode()
    assert "Documento publico" in page and "Documento reservado" not in page and "Redactar documento" not in page
    assert requester.post(f"/documentos/redactar/{case.pk}/", {"template": "oficio"}).status_code == 404
    chief_page = _web(staff["jefe-ogtie"]).get(f"/casos/{case.pk}/").content.decode()
    assert "Redactar documento" in chief_page and "Documento secreto" in chief_page
