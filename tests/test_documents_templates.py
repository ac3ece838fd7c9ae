"""Every template of catalog/documents.yaml, drafted for a real case of its procedure, gives a PDF
that says what the case recorded: its number, its subject, who asked and the data of its forms."""
import pytest
from django.core.management import call_command

from cases import procedures
from documents import actions
from documents.models import DocumentTemplate, catalog_templates

from .documents_helpers import case_of, documents_storage, version_text  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_catalog_names_every_kind_of_document_and_every_formato_of_the_manual():
    names = " | ".join(t["name"] for t in catalog_templates())
    for expected in ("Oficio", "Oficio múltiple", "Memorándum", "Informe técnico", "Informe de sustento",
                     "Informe de seguimiento", "Informe de baja", "Informe situacional", "Acta de reunión",
                     "Acta de entrega", "SGSI-FOR-027", "aceptación del riesgo", "SGSI-FOR-026", "SGSI-FOR-040",
                     "SGSI-FOR-002", "SGSI-FOR-003", "SGSI-FOR-006", "Registro de control de accesos físico",
                     "Acta de entrega de equipos telefónicos", "Ficha de requerimientos", "Acta de capacitación"):
        assert expected in names, expected
    s04_02_00_01 = [t for t in catalog_templates() if t["slug"].startswith("s04-02-00-01-f")]
    assert len(s04_02_00_01) == 17
    # The formatos the sheets list (catalog/sheets/*.yaml `formats:`) each have a template.
    for code, sheet in procedures.sheets().items():
        ours = [t for t in catalog_templates() if code in t["procedures"] and t["type"] == "formato"]
        assert len(ours) >= len(sheet.formats), (code, [f.name for f in sheet.formats])


def test_the_templates_are_in_the_database_and_loading_again_changes_nothing():
    assert DocumentTemplate.objects.count() == len(catalog_templates())
    call_command("load_document_templates", verbosity=0)
    assert DocumentTemplate.objects.count() == len(catalog_templates())


@pytest.mark.parametrize("code", sorted(procedures.sheets()))
def test_every_template_of_the_procedure_renders_the_case_into_its_pdf(staff, code):
    templates = [t for t in DocumentTemplate.current() if t.applies_to(code)]
    assert templates, f"{code}: ninguna plantilla"
    case = case_of(code)
    recorded = [str(v) for e in case.events.all() for v in e.data.values() if isinstance(v, str) and len(v) > 3]
    chief = staff["jefe-ogtie"]
    for template in templates:
        document = actions.draft_document(chief, case, template, {"conclusiones": "Se recomienda aprobar."})
        text = " ".join(version_text(document.current_version()).split())
        assert case.number in text, (template.slug, text[:400])
        assert " ".join(case.subject.split()) in text, template.slug
        assert document.get_classification_display() in text, template.slug
        assert any(value.split()[0] in text for value in recorded) or not recorded, (template.slug, recorded[:3])
