"""Issue #7: what people see (history, catalogue, tables, print, diagram, admin) and what they may
type (lengths, phones, DNI, people to assign), told as the stories of the people who hit them."""
import re
import textwrap

import pytest
from django.test import Client

from cases import workflow
from engine.organization import load_organization
from engine.sheets import load_catalog, load_sheet
from engine.validate import validate_sheet
from engine.vocabularies import load_vocabularies

ORG = load_organization()


def login(username):
    client = Client()
    assert client.login(username=username, password="clave-segura-123")
    return client


def sheet_from(tmp_path, body, name="S99.00.00.01.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return load_sheet(path)


SMALL_SHEET = """
code: S99.00.00.01
name: Procedimiento de prueba
schedules:
  - {label: Revisión, activity: 1, rule: RULE}
activities:
  - n: 1
    name: Registrar
    unit: uo
    roles: [personal-mindef]
    form:
      - {key: detalle, label: Detalle, type: FIELD_TYPE}
    end: true
deviations:
  - {activity: 1, kind: KIND, printed: "texto", resolution: "arreglo"}
"""


def small_sheet(tmp_path, rule="monthly", field_type="text", kind="other"):
    body = SMALL_SHEET.replace("RULE", rule).replace("FIELD_TYPE", field_type).replace("KIND", kind)
    return sheet_from(tmp_path, body)


# --- vocabularies in one place ----------------------------------------------------------------

def test_every_key_the_sheets_use_is_in_the_vocabulary_with_a_spanish_label():
    vocabularies = load_vocabularies()
    for sheet in load_catalog():
        for d in sheet.deviations:
            assert d.kind in vocabularies.deviation_kinds, (sheet.code, d.kind)
        for s in sheet.schedules:
            assert s.rule in vocabularies.schedule_rules, (sheet.code, s.rule)
        for a in sheet.activities:
            for f in a.form:
                assert f.type in vocabularies.field_types, (sheet.code, f.key, f.type)
    assert vocabularies.deviation_kinds.label("unrouted-loop") != "unrouted-loop"
    assert [vocabularies.schedule_rules.label(r) for r in vocabularies.schedule_rules] == [
        "Diario", "Semanal", "Mensual", "Trimestral", "Semestral", "Anual"]
    assert vocabularies.field_types.label("phone") == "Teléfono"


def test_a_sheet_with_a_key_outside_the_vocabulary_is_refused_naming_the_file(tmp_path):
    assert validate_sheet(small_sheet(tmp_path), ORG) == []
    errors = validate_sheet(small_sheet(tmp_path, kind="typo"), ORG)
    assert any(e.startswith("S99.00.00.01.yaml: ") and "«typo»" in e and "desviación" in e for e in errors), errors
    errors = validate_sheet(small_sheet(tmp_path, rule="fortnightly"), ORG)
    assert any(e.startswith("S99.00.00.01.yaml: ") and "«fortnightly»" in e for e in errors), errors
    errors = validate_sheet(small_sheet(tmp_path, field_type="colour"), ORG)
    assert any(e.startswith("S99.00.00.01.yaml: ") and "«colour»" in e for e in errors), errors


def test_the_errata_table_prints_each_kind_by_its_spanish_name(staff):
    page = login("personal-mindef").get("/procedimientos/S04.02.00.01/").content.decode()
    errata = page[page.index("Desviaciones respecto del texto impreso"):]
    assert "unit-spelling" not in errata and "unrouted-loop" not in errata
    assert "Nombre de la unidad" in errata
    assert "Corrección descrita sin ruta de regreso" in errata


def test_the_regenerated_manual_uses_the_same_labels():
    from documents import manual_pdf

    assert manual_pdf.DEVIATION_KINDS.label("unrouted-loop") == load_vocabularies().deviation_kinds.label("unrouted-loop")
    assert manual_pdf.SCHEDULE_RULES.label("semiannual") == "Semestral"
