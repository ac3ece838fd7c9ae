"""`mapro manual`: the whole MAPRO S04 regenerated from the sheets as one PDF."""
import re
import shutil
import subprocess

import pytest
from django.core.management import call_command

from documents.manual_pdf import Text, build_manual, level_codes, load_fonts, plan_diagram, term_meaning
from engine.bpmn import build_graph
from engine.organization import load_organization
from engine.sheets import default_catalog_dir, load_catalog

PDFTOTEXT = shutil.which("pdftotext")


def _pdf_text(path, raw_search: bool) -> str:
    """The PDF's text: pdftotext if installed; else the uncompressed content streams (Helvetica
    strings are written as they are), with the PDF string escapes undone."""
    if not raw_search:
        return subprocess.run([PDFTOTEXT, "-layout", str(path), "-"], check=True, capture_output=True).stdout.decode()
    data = path.read_bytes()
    strings = re.findall(rb"\((.*?)(?<!\\)\)\s*Tj", data)
    text = b"\n".join(strings).replace(b"\\(", b"(").replace(b"\\)", b")").replace(b"\\\\", b"\\")
    text = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), text)
    return text.decode("cp1252", "replace")


@pytest.fixture(scope="module")
def manual(tmp_path_factory):
    raw = PDFTOTEXT is None
    path = tmp_path_factory.mktemp("manual") / "manual.pdf"
    # Without pdftotext the PDF is written uncompressed with a standard font, so that its text can be
    # read straight from the file.
    result = build_manual(path, fonts="base" if raw else "auto", compress=not raw)
    return result, _pdf_text(path, raw)


def test_manual_is_a_pdf_with_every_procedure(manual):
    result, text = manual
    sheets = load_catalog()
    assert result.path.read_bytes().startswith(b"%PDF")
    assert result.procedures == len(sheets) == 23
    assert result.pages > 23
    flat = re.sub(r"\s+", " ", text)
    for title in ("MANUAL DE PROCEDIMIENTOS (MAPRO)", "Contenido", "Inventario de Procesos",
                  "FICHA DE PROCEDIMIENTOS", "Actividades del procedimiento", "Diagrama de flujo del procedimiento",
                  "Desviaciones respecto del texto impreso", "Gestión de infraestructura tecnológica"):
        assert title in flat, title
    for sheet in sheets:
        assert sheet.code in flat, sheet.code
    for name in ("Derivar expediente", "Cerrar el ticket", "Solicitar reporte de avance del PGD"):
        assert name in flat, name


def test_activity_names_of_every_sheet_appear(manual):
    _, text = manual
    flat = re.sub(r"\s+", " ", text)
    for sheet in load_catalog():
        # The first words of each activity's name (short enough to sit on one line of the table).
        for activity in sheet.activities[:3]:
            words = " ".join(activity.name.split()[:3])
            assert words in flat, (sheet.code, activity.n, words)


def test_level_codes_from_procedure_codes():
    assert level_codes("S04.03.01.02") == ("S04.03", "S04.03.01")
    assert level_codes("S04.01.00.01") == ("S04.01", None)


def test_definitions_with_unquoted_commas_are_put_back_together():
    entry = {"term": "Backup", "meaning": "Es la copia archivos", "log o base de datos": None, "a fin de": None}
    assert term_meaning(entry) == ("Backup", "Es la copia archivos, log o base de datos, a fin de")


def test_text_outside_latin1_is_replaced_for_standard_fonts():
    text = Text(load_fonts("base"))
    assert text.plain("Ñandú – ó ° “x” → ≥ \u2011") == "Ñandú – ó ° “x” -> >= -"
    assert text("a < b & c") == "a &lt; b &amp; c"


def test_every_diagram_part_fits_the_landscape_page():
    from documents.manual_pdf import LANDSCAPE, MIN_SCALE, WIDE_MARGIN_BOTTOM, WIDE_MARGIN_TOP, WIDE_MARGIN_X, CAPTION, LABEL_COLUMN

    width = LANDSCAPE[0] - 2 * WIDE_MARGIN_X
    height = LANDSCAPE[1] - WIDE_MARGIN_TOP - WIDE_MARGIN_BOTTOM - 4
    organization = load_organization()
    for sheet in load_catalog():
        graph = build_graph(sheet, organization)
        scale, windows = plan_diagram(graph, width, height)
        assert scale >= MIN_SCALE
        for w in windows:
            assert (w.x1 - w.x0) * scale <= width - LABEL_COLUMN + 0.5
            assert (w.y1 - w.y0) * scale <= height - CAPTION + 0.5
        # Every node of the drawing is on some part.
        for node in graph.nodes.values():
            cx, cy = node.x + node.size[0] / 2, node.y + node.size[1] / 2
            assert any(w.x0 <= cx <= w.x1 and w.y0 <= cy <= w.y1 for w in windows), (sheet.code, node.id)


def test_manual_command(tmp_path, capsys):
    # A catalog of two sheets keeps this quick; the whole manual is built once, by the fixture above.
    catalog = tmp_path / "catalog"
    (catalog / "sheets").mkdir(parents=True)
    source = default_catalog_dir()
    shutil.copy(source / "organization.yaml", catalog / "organization.yaml")
    for code in ("S04.03.01.02", "S04.03.02.02"):
        shutil.copy(source / "sheets" / f"{code}.yaml", catalog / "sheets" / f"{code}.yaml")
    path = tmp_path / "out" / "manual.pdf"
    call_command("manual", "--output", str(path), "--catalog", str(catalog), "--fonts", "base")
    out = capsys.readouterr().out
    assert path.read_bytes().startswith(b"%PDF")
    assert "2 procedimientos" in out and "páginas" in out
