"""The documents' pages: a specialist drafts an informe from a task, the chief gives the visto
bueno, it is numbered and signed with the test signer, and it appears in the register with its
number and on the case's page; bad input brings the form back with what was typed."""
import pytest
from django.test import Client

from documents.models import Document

from .documents_helpers import case_of, documents_storage  # noqa: F401

pytestmark = pytest.mark.django_db
SUPPORT = "S04.03.04.02"


def _web(user):
    client = Client()
    client.force_login(user)
    return client


def test_an_informe_from_a_task_to_the_register(staff, settings, tmp_path_factory):
    settings.MAPRO_SIGNER = "local-test"
    settings.MAPRO_TEST_SIGNER_DIR = tmp_path_factory.getbasetemp() / "signer-pages"
    case = case_of(SUPPORT)
    task = case.tasks.filter(status="open").first()
    specialist, chief = _web(staff["soporte-tecnico"]), _web(staff["jefe-ogtie"])

    page = specialist.get(f"/tareas/{task.pk}/").content.decode()
    assert f"/documentos/redactar/{case.pk}/?tarea={task.pk}" in page
    form = specialist.get(f"/documentos/redactar/{case.pk}/?tarea={task.pk}").content.decode()
    assert "Informe de baja" in form and "SGSI-FOR-040" not in form    # the templates of the case's procedure

    # Bad input comes back with what was typed.
    answer = specialist.post(f"/documentos/redactar/{case.pk}/", {"tarea": task.pk, "template": "informe-baja",
                                                                 "folios": "muchos", "conclusiones": "Sin reparación."})
    assert answer.status_code == 422 and "Sin reparación." in answer.content.decode()
    answer = specialist.post(f"/documentos/redactar/{case.pk}/", {"tarea": task.pk, "template": "informe-baja",
                                                                 "folios": "2", "conclusiones": "Sin reparación."})
    document = Document.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/documentos/{document.pk}/"
    assert document.task == task and document.activity == task.activity

    page = chief.get(f"/documentos/{document.pk}/").content.decode()
    assert 'class="pdf-preview"' in page and "Dar visto bueno" in page
    assert chief.post(f"/documentos/{document.pk}/visar").status_code == 302
    assert specialist.post(f"/documentos/{document.pk}/numerar").status_code == 302
    assert chief.post(f"/documentos/{document.pk}/firmar").status_code == 302
    document.refresh_from_db()
    assert document.status == "firmado" and document.number.startswith("INFORME TÉCNICO N° 00001-")

    register = chief.get("/documentos/", {"q": "00001", "type": "informe-tecnico"}).content.decode()
    assert document.number in register and case.number in register
    assert document.number in chief.get(f"/casos/{case.pk}/").content.decode()
    xlsx = chief.get("/documentos/exportar.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    # An unknown filter is said, not ignored.
    assert chief.get("/documentos/", {"status": "perdido"}).status_code == 422

    # Annulling without a reason is refused on the page; with one the number stays.
    assert chief.post(f"/documentos/{document.pk}/anular", {"reason": ""}).status_code == 422
    chief.post(f"/documentos/{document.pk}/anular", {"reason": "Se reemplaza"})
    document.refresh_from_db()
    assert document.status == "anulado" and document.number.startswith("INFORME TÉCNICO N° 00001-")


def test_a_formato_exports_its_matrix_in_its_own_columns_and_any_document_as_docx(staff):
    import io

    from docx import Document as Docx
    from openpyxl import load_workbook

    from documents import actions
    from documents.models import DocumentTemplate

    case = case_of("S04.03.04.03")
    chief = staff["jefe-ogtie"]
    inventory = actions.draft_document(chief, case, DocumentTemplate.current().get(slug="s04-03-04-03-f02"),
                                       {"filas": [["CP-001", "Impresora", "HP", "M404", "SN123", "DIGERH", "aquispe", "Operativo"]]})
    web = _web(chief)
    sheet = load_workbook(io.BytesIO(web.get(f"/documentos/{inventory.pk}/xlsx").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Código patrimonial", "Equipo", "Marca", "Modelo", "Serie", "Unidad", "Usuario", "Estado")
    assert rows[1][0] == "CP-001" and rows[1][-1] == "Operativo"
    docx = Docx(io.BytesIO(web.get(f"/documentos/{inventory.pk}/docx").content))
    text = "\n".join(p.text for p in docx.paragraphs) + "\n".join(c.text for t in docx.tables for r in t.rows for c in r.cells)
    assert case.number in text and "CP-001" in text
    informe = actions.draft_document(chief, case, DocumentTemplate.current().get(slug="informe-tecnico"))
    assert web.get(f"/documentos/{informe.pk}/xlsx").status_code == 404      # no matrix
    assert web.get(f"/documentos/{informe.pk}/docx").status_code == 200
    # Someone who may not read the document gets «not found» for its files too.
    outsider = _web(staff["analista-calidad"])
    assert outsider.get(f"/documentos/{inventory.pk}/docx").status_code == 404
    assert outsider.get(f"/documentos/{inventory.pk}/xlsx").status_code == 404


def test_a_received_document_is_registered_from_the_register_page(staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .api_client import small_pdf

    operator = _web(staff["operador-mesa-ayuda"])
    assert "Registrar documento recibido" in operator.get("/documentos/").content.decode()
    answer = operator.post("/documentos/recibir", {"type": "oficio", "number": "", "sender": "OGA", "subject": "Inventario"})
    assert answer.status_code == 422 and "Inventario" in answer.content.decode()
    answer = operator.post("/documentos/recibir", {
        "type": "oficio", "number": "OFICIO N° 00777-2026-MINDEF/SG-OGA", "sender": "OGA", "subject": "Inventario",
        "folios": "3", "classification": "publico", "file": SimpleUploadedFile("oficio.pdf", small_pdf())})
    document = Document.objects.get()
    assert answer.status_code == 302 and document.status == "recibido" and document.folios == 3
    with document.current_version().pdf.open("rb") as f:
        assert f.read() == small_pdf()
    # A requester does not register documents: the page does not exist for them.
    assert _web(staff["personal-mindef"]).get("/documentos/recibir").status_code == 404


def test_a_document_field_of_a_task_offers_the_cases_numbered_documents(staff):
    """A `document` field (e.g. «N° de informe de baja de equipo») is no longer only typed: it offers
    the numbers of the case's issued documents the person may read, and still takes a received one."""
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from documents import actions
    from documents.models import DocumentTemplate
    from engine.sheets import FormField

    case = case_of(SUPPORT)
    specialist = staff["soporte-tecnico"]
    template = DocumentTemplate.objects.filter(slug="informe-baja").order_by("-version").first()
    numbered = actions.issue(specialist, actions.draft_document(specialist, case, template, {"conclusiones": "Sin reparación."}))
    actions.draft_document(specialist, case, template, {"conclusiones": "Borrador."})   # no number yet
    request = RequestFactory().get("/")
    request.user = specialist
    field = FormField(key="informe_baja", label="N° de informe de baja de equipo", type="document")
    html = render_to_string("web/_form_fields.html", {"fields": [field], "case": case, "values": {}, "errors": {},
                                                      "view": None}, request=request)
    assert 'list="docs-informe_baja"' in html
    assert f'<option value="{numbered.number}">' in html and html.count("<option") == 1

    request.user = staff["analista-calidad"]       # who may not read the case's documents gets no list
    html = render_to_string("web/_form_fields.html", {"fields": [field], "case": case, "values": {}, "errors": {},
                                                      "view": None}, request=request)
    assert "datalist" not in html
