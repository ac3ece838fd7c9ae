"""The validator refuses a sheet that could not run, naming the file and the activity."""
import textwrap

import pytest

from engine.organization import load_organization
from engine.sheets import SheetError, load_catalog, load_sheet
from engine.validate import validate_catalog, validate_sheet

ORG = load_organization()


def sheet_from(tmp_path, body, name="S99.00.00.01.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return load_sheet(path)


BASE = """
code: S99.00.00.01
name: Procedimiento de prueba
activities:
  - {n: 1, name: Registrar, unit: uo, roles: [personal-mindef]}
  - n: 2
    name: Evaluar
    unit: ogtie
    roles: [jefe-ogtie]
    decision:
      question: ¿Procede?
      answers: [{label: "Sí", goto: 3}, {label: "No", goto: END}]
  - {n: 3, name: Atender, unit: ogtie, roles: [soporte-tecnico], end: true}
"""


def test_the_catalog_holds_all_23_procedures_and_they_are_valid():
    sheets = load_catalog()
    assert len(sheets) == 23
    assert [s.code for s in sheets][0] == "S04.01.00.01" and sheets[-1].code == "S04.05.00.02"
    assert validate_catalog(sheets, ORG) == []


def test_a_well_formed_sheet_passes(tmp_path):
    assert validate_sheet(sheet_from(tmp_path, BASE), ORG) == []


@pytest.mark.parametrize("change, message", [
    (("goto: 3}", "goto: 7}"), "S99.00.00.01.yaml: actividad 2: destino desconocido: actividad 7"),
    (("roles: [soporte-tecnico]", "roles: [astronauta]"), "S99.00.00.01.yaml: actividad 3: rol desconocido «astronauta»"),
    (("goto: 3}", "goto: 2}"), "S99.00.00.01.yaml: actividad 2: la actividad se dirige a sí misma"),
    (("unit: ogtie, roles: [soporte", "unit: marte, roles: [soporte"), "S99.00.00.01.yaml: actividad 3: unidad desconocida «marte»"),
])
def test_a_broken_route_or_role_is_refused_with_file_and_activity(tmp_path, change, message):
    errors = validate_sheet(sheet_from(tmp_path, BASE.replace(*change)), ORG)
    assert message in errors


def test_an_unreachable_activity_is_refused(tmp_path):
    body = BASE.replace('{label: "Sí", goto: 3}', '{label: "Sí", goto: END}')
    errors = validate_sheet(sheet_from(tmp_path, body), ORG)
    assert "S99.00.00.01.yaml: actividad 3: no es alcanzable desde el inicio del procedimiento" in errors


def test_a_path_that_never_ends_is_refused(tmp_path):
    body = BASE.replace("roles: [soporte-tecnico], end: true}", "roles: [soporte-tecnico], next: 2}").replace(
        '{label: "No", goto: END}', '{label: "No", goto: 3}')
    errors = validate_sheet(sheet_from(tmp_path, body), ORG)
    assert "S99.00.00.01.yaml: actividad 2: ningún camino desde esta actividad llega al fin del procedimiento" in errors


def test_a_join_without_its_split_is_refused(tmp_path):
    body = BASE.replace("roles: [soporte-tecnico], end: true}", "roles: [soporte-tecnico], join: [1, 2], end: true}")
    errors = validate_sheet(sheet_from(tmp_path, body), ORG)
    assert any("unión" in e and e.startswith("S99.00.00.01.yaml: actividad 3") for e in errors)


def test_unreadable_yaml_names_the_file(tmp_path):
    with pytest.raises(SheetError, match="S99.00.00.01.yaml: YAML inválido"):
        sheet_from(tmp_path, "code: [unclosed")


def test_every_deviation_says_what_was_printed_and_what_the_sheet_does():
    for sheet in load_catalog():
        for deviation in sheet.deviations:
            assert deviation.printed and deviation.resolution, (sheet.code, deviation)


def test_known_mistakes_of_the_manual_are_recorded():
    sheets = {s.code: s for s in load_catalog()}
    development = sheets["S04.02.00.01"]
    assert any(d.activity == 30 and d.kind == "self-loop" for d in development.deviations)
    assert 31 in [a.goto for a in development.activity(30).decision.answers]
    assert any(d.kind == "wrong-code" for d in sheets["S04.03.01.02"].deviations)
    assert any(d.activity == 5 and d.kind == "wrong-target" for d in sheets["S04.01.00.02"].deviations)
    assert [a.n for a in sheets["S04.03.02.02"].activities] == list(range(15, 23))
    assert any(d.kind == "unit-spelling" for s in sheets.values() for d in s.deviations)
