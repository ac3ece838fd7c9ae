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


# --- what the history shows -------------------------------------------------------------------

ACCOUNT = {"modalidad_contratacion": "Régimen CAS", "detalle_solicitud": "Cuenta de correo y VPN",
           "privilegios_no_comunes": ["Trabajo remoto (VPN)", "USB"]}
TICKET = {"asunto": "Monitor", "detalle": "El monitor parpadea", "categoria": "Hardware", "ubicacion": "Piso 4"}


def _complete(case, username, staff, decision=None, **data):
    """Complete the case's open task as `username` with valid data for its form plus `data`."""
    from engine.forms import json_schema

    from .api_client import fill

    task = case.tasks.get(status="open")
    view = workflow.describe(task, staff[username])
    workflow.complete_task(task.pk, staff[username], {**fill(json_schema(view.fields)), **data}, decision)


def test_the_history_shows_several_choices_joined_and_yes_no_in_spanish(staff):
    case = workflow.start_case(staff["personal-mindef"], "S04.03.01.01", data=ACCOUNT)
    _complete(case, "operador-mesa-ayuda", staff, "Sí")
    _complete(case, "operador-mesa-ayuda", staff, "Creación de cuenta de usuario nuevo")
    _complete(case, "profesional-ogtie", staff, "No", acta_aceptacion_riesgos=True, evidencia_cibersoldado=False)
    page = login("personal-mindef").get(f"/casos/{case.pk}/").content.decode()
    history = page[page.index('class="history"'):]
    assert "Trabajo remoto (VPN), USB" in history
    assert "[&#x27;" not in history and "['" not in history
    assert "<dd>Sí</dd>" in history and "<dd>No</dd>" in history
    assert "True" not in history and "False" not in history


def stylesheet() -> str:
    from django.contrib.staticfiles import finders

    return open(finders.find("web/mapro.css"), encoding="utf-8").read()


def test_long_labels_and_values_wrap_inside_the_history_card():
    css = stylesheet()
    history_rules = " ".join(line for line in css.splitlines() if ".history" in line)
    assert "overflow-wrap" in history_rules and "minmax(0" in history_rules


# --- what each field takes --------------------------------------------------------------------

def test_a_ten_thousand_character_text_is_refused_naming_the_field(staff):
    api = login("personal-mindef")
    response = api.post("/procedimientos/S04.03.04.02/iniciar", {**TICKET, "asunto": "x" * 10_000})
    page = response.content.decode()
    assert response.status_code == 422
    assert "«Asunto» admite como máximo 200 caracteres" in page
    from cases.models import Case
    assert not Case.objects.exists()


@pytest.mark.parametrize("bad, says", [
    ("Piso 4\x00", "carácter nulo"),
    ("Piso \ud800 4", "caracteres no válidos"),
])
def test_text_with_a_nul_byte_or_a_lone_surrogate_is_refused_not_a_server_error(staff, bad, says):
    from engine.forms import validate_submission
    from engine.sheets import FormField

    from .api_client import Api

    _, errors = validate_submission((FormField("ubicacion", "Ubicación (oficina / piso)"),), {"ubicacion": bad})
    assert errors["ubicacion"].startswith("«Ubicación (oficina / piso)» ") and says in errors["ubicacion"]
    response = Api("personal-mindef").post("/api/cases", {"procedure": "S04.03.04.02", "data": {**TICKET, "ubicacion": bad}})
    assert response.status_code == 422, response.content
    if "\x00" in bad:  # a browser can send a NUL (a lone surrogate arrives as U+FFFD)
        page = login("personal-mindef").post("/procedimientos/S04.03.04.02/iniciar", {**TICKET, "ubicacion": bad})
        assert page.status_code == 422
        assert "«Ubicación (oficina / piso)» contiene un carácter nulo" in page.content.decode()
    from cases.models import Case
    assert not Case.objects.exists()


def test_each_text_type_has_a_maximum_length():
    from engine.forms import validate_submission
    from engine.sheets import FormField

    for field_type, limit in {"text": 200, "textarea": 5000, "document": 120, "user": 150}.items():
        f = FormField("campo", "Campo", field_type, assigns=1 if field_type == "user" else None)
        assert validate_submission((f,), {"campo": "a" * limit})[1] == {}
        assert "como máximo" in validate_submission((f,), {"campo": "a" * (limit + 1)})[1]["campo"]


def test_the_form_inputs_carry_required_maxlength_and_patterns(staff):
    page = login("personal-mindef").get("/procedimientos/S04.03.04.02/").content.decode()
    asunto = re.search(r'<input id="f-asunto"[^>]*>', page).group(0)
    assert 'maxlength="200"' in asunto and " required" in asunto
    detalle = re.search(r'<textarea id="f-detalle"[^>]*>', page).group(0)
    assert 'maxlength="5000"' in detalle and " required" in detalle
    categoria = re.search(r'<select id="f-categoria"[^>]*>', page).group(0)
    assert " required" in categoria
    anexo = re.search(r'<input id="f-anexo"[^>]*>', page).group(0)
    assert 'inputmode="numeric"' in anexo and 'pattern="[0-9]{1,6}"' in anexo and 'maxlength="6"' in anexo
    assert " required" not in anexo                 # optional

    case = workflow.start_case(staff["personal-mindef"], "S04.03.01.01", data=ACCOUNT)
    _complete(case, "operador-mesa-ayuda", staff, "Sí")
    _complete(case, "operador-mesa-ayuda", staff, "Creación de cuenta de usuario nuevo")
    task = case.tasks.get(status="open")
    page = login("profesional-ogtie").get(f"/tareas/{task.pk}/").content.decode()
    dni = re.search(r'<input id="f-dni"[^>]*>', page).group(0)
    assert 'inputmode="numeric"' in dni and "pattern=" in dni and " required" in dni
    boxes = re.findall(r'<input type="checkbox"[^>]*>', page)
    assert boxes and not any(" required" in box for box in boxes)   # a checkbox is never required


# --- telephone numbers and anexos -------------------------------------------------------------

def test_the_phone_and_anexo_fields_of_the_sheets_take_digits_only():
    typed = {(s.code, f.key): f.type for s in load_catalog() for a in s.activities for f in a.form}
    assert typed[("S04.03.04.02", "anexo")] == "extension"
    assert typed[("S04.03.03.02", "anexo")] == "extension"
    assert typed[("S04.03.03.02", "numero_asignado")] == "phone"
    for (code, key), field_type in typed.items():
        if re.search(r"anexo|telefono|celular", key):
            assert field_type in ("phone", "extension"), (code, key)


def test_an_anexo_with_letters_is_refused(staff):
    response = login("personal-mindef").post("/procedimientos/S04.03.04.02/iniciar", {**TICKET, "anexo": "12ab"})
    assert response.status_code == 422
    assert "«Anexo telefónico» debe ser un anexo de 1 a 6 dígitos" in response.content.decode()


@pytest.mark.parametrize("value, ok", [
    ("987654321", True), ("+51987654321", True), ("4112233", True), ("01 4112233", False),
    ("98765432a", False), ("123456", False), ("9876543210", False), ("+1987654321", False), ("９８７６５４３２１", False),
])
def test_a_peruvian_phone_number_is_seven_to_nine_digits_with_an_optional_51(value, ok):
    from engine.forms import validate_submission
    from engine.sheets import FormField

    clean, errors = validate_submission((FormField("numero", "Número telefónico", "phone"),), {"numero": value})
    assert (errors == {}) is ok, errors
    if ok:
        assert clean["numero"] == value


@pytest.mark.parametrize("value, ok", [("4321", True), ("1", True), ("123456", True), ("1234567", False), ("12-3", False), ("", False)])
def test_an_anexo_is_one_to_six_digits(value, ok):
    from engine.forms import validate_submission
    from engine.sheets import FormField

    _, errors = validate_submission((FormField("anexo", "Anexo", "extension"),), {"anexo": value})
    assert (errors == {}) is ok, errors


def test_the_api_schema_gives_the_pattern_of_phones_and_anexos():
    from engine.forms import json_schema
    from engine.sheets import FormField

    schema = json_schema((FormField("numero", "Número", "phone"), FormField("anexo", "Anexo", "extension")))
    assert schema["properties"]["numero"]["pattern"] == r"^(\+51)?\d{7,9}$"
    assert schema["properties"]["anexo"]["pattern"] == r"^\d{1,6}$"
    assert schema["properties"]["anexo"]["maxLength"] == 6


# --- DNI --------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("45678912", "45678912"), (" 45678912 ", "45678912"), ("456789124", "45678912"), ("45678912-I", "45678912"),
    ("00000000", None), ("11111111", None), ("456789125", None), ("4567891", None),
    ("４５６７８９１２", None), ("4567891a", None),
])
def test_a_dni_is_eight_ascii_digits_checked_with_stdnum(value, expected):
    from engine.forms import validate_submission
    from engine.sheets import FormField

    clean, errors = validate_submission((FormField("dni", "DNI", "dni"),), {"dni": value})
    if expected:
        assert errors == {} and clean["dni"] == expected
    else:
        assert errors["dni"].startswith("«DNI» ")


def test_the_dni_error_is_shown_once_on_the_page(staff):
    response = login("personal-mindef").post(
        "/procedimientos/S04.03.04.01/iniciar", {"dni": "00000000", "nombres_apellidos": "Ana Quispe", "with_data": "1"})
    page = response.content.decode()
    assert response.status_code == 422
    assert page.count("«DNI del solicitante»") == 1
    assert "Revise los datos marcados en el formulario." in page


# --- who a user field may name ----------------------------------------------------------------

def _assignment_task(staff):
    case = workflow.start_case(staff["personal-mindef"], "S04.03.04.02", data=TICKET)
    task = case.tasks.get(status="open")
    workflow.complete_task(task.pk, staff["operador-mesa-ayuda"], {"prioridad": "Alta"}, "Sí")
    return case.tasks.get(status="open", activity=4)


def test_the_api_lists_who_may_be_assigned_in_a_user_field(staff, make_user):
    from .api_client import Api, fill

    make_user("tecnica2", "soporte-tecnico", unit="ogtie")
    make_user("cesado", "soporte-tecnico", unit="ogtie").__class__.objects.filter(username="cesado").update(is_active=False)
    task = _assignment_task(staff)
    api = Api("operador-mesa-ayuda")
    schema = api.get(f"/api/tasks/{task.pk}").json()["form"]
    prop = schema["properties"]["tecnico_asignado"]
    assert prop["format"] == "username"
    assert [option["const"] for option in prop["oneOf"]] == ["soporte-tecnico", "tecnica2"]
    assert all(option["title"] for option in prop["oneOf"])
    assert "tecnico_asignado" not in fill(schema)      # the walker's filler still leaves it to the role
    done = api.post(f"/api/tasks/{task.pk}/complete", {"data": {**fill(schema), "tecnico_asignado": "tecnica2"}})
    assert done.status_code == 200, done.content
    assert done.json()["open_tasks"][0]["assignee"] == "tecnica2"


def test_the_task_page_offers_a_list_of_people_instead_of_a_typed_username(staff, make_user):
    make_user("tecnica2", "soporte-tecnico", unit="ogtie")
    task = _assignment_task(staff)
    page = login("operador-mesa-ayuda").get(f"/tareas/{task.pk}/").content.decode()
    select = page[page.index('<select id="f-tecnico_asignado"'):]
    select = select[:select.index("</select>")]
    assert 'value="tecnica2"' in select and 'value="soporte-tecnico"' in select
    assert 'value="operador-mesa-ayuda"' not in select
    assert '<input id="f-tecnico_asignado"' not in page


def test_json_schema_lists_choices_only_for_user_fields():
    from engine.forms import json_schema
    from engine.sheets import FormField

    fields = (FormField("tecnico", "Técnico", "user", required=False, assigns=5), FormField("nota", "Nota"))
    schema = json_schema(fields, {"tecnico": [("ana", "Ana Quispe")], "nota": [("x", "y")]})
    assert schema["properties"]["tecnico"]["oneOf"] == [{"const": "ana", "title": "Ana Quispe"}]
    assert "oneOf" not in schema["properties"]["nota"]
    assert "oneOf" not in json_schema(fields)["properties"]["tecnico"]


# --- phones, printers and the browser tab -----------------------------------------------------

def _media_blocks(css, query_pattern):
    """The bodies of the @media rules whose query matches the pattern."""
    for match in re.finditer(r"@media ([^{]+)\{", css):
        if not re.fullmatch(query_pattern, match.group(1).strip()):
            continue
        depth = 0
        for j in range(match.end() - 1, len(css)):
            depth += {"{": 1, "}": -1}.get(css[j], 0)
            if depth == 0:
                yield match.group(1).strip(), css[match.end():j]
                break


def _media_block(css, query):
    return " ".join(body for _, body in _media_blocks(css, re.escape(query)))


def test_wide_tables_scroll_sideways_on_a_phone_instead_of_widening_the_page():
    css = stylesheet()
    phone = " ".join(body for query, body in _media_blocks(css, r"\(max-width: *\d+px\)")
                     if int(re.search(r"\d+", query).group()) >= 390)
    assert re.search(r"table\.list[^{]*\{[^}]*overflow-x:\s*auto", phone)
    assert "display:none" not in phone.replace(" ", "")       # no column is hidden from phone users


def test_printing_a_case_leaves_out_navigation_and_forms_and_fits_the_diagram_to_the_page(staff):
    css = _media_block(stylesheet(), "print")
    hidden = css[:css.index("display:none")]
    for part in ("header.top", "nav", "form", "button"):
        assert part in hidden, part
    assert re.search(r"svg\.diagram\s*\{[^}]*width:\s*100%", css)
    case = workflow.start_case(staff["personal-mindef"], "S04.03.04.02", data=TICKET)
    page = login("personal-mindef").get(f"/casos/{case.pk}/").content.decode()
    assert 'class="card diagram-wrap"' in page and 'viewBox="0 0' in page


def test_the_site_has_a_favicon(client, staff):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"          # an ICO file
    page = login("personal-mindef").get("/").content.decode()
    link = re.search(r'<link rel="icon" href="([^"]+\.svg)"', page)
    assert link
    from django.contrib.staticfiles import finders
    assert finders.find(link.group(1).split("/static/", 1)[1]).endswith("favicon.svg")


# --- the catalogue ----------------------------------------------------------------------------

def test_the_catalogue_names_each_process_once_and_lists_by_code(staff):
    page = login("personal-mindef").get("/procedimientos/").content.decode()
    headings = re.findall(r"<h2>(S04[.\d]*) ([^<]+)</h2>", page)
    codes = [code for code, _ in headings]
    assert len(codes) == len(set(codes)), headings
    assert codes == sorted(codes)
    names = dict(headings)
    assert names["S04.03.01"] == "Gestión de la operatividad informática"
    assert names["S04.04"] == "Gestión de ciberseguridad"
    listed = re.findall(r"<strong>(S04\.\d\d\.\d\d\.\d\d)</strong>", page)
    assert listed == sorted(listed) and len(listed) == 23


def test_every_sheet_of_a_process_spells_it_the_same_and_the_unification_is_recorded():
    by_code = {}
    for sheet in load_catalog():
        code, _, name = sheet.process.partition(" ")
        assert sheet.code.startswith(code.replace(".00", "")[:len(code)]), (sheet.code, sheet.process)
        by_code.setdefault(code, set()).add(name)
    assert all(len(names) == 1 for names in by_code.values()), by_code
    recorded = {s.code for s in load_catalog() for d in s.deviations if d.kind == "process-spelling"}
    assert {"S04.03.01.05", "S04.04.00.01", "S04.04.00.03"} <= recorded


# --- the diagram ------------------------------------------------------------------------------

def _segments(flow):
    points = flow.waypoints
    return list(zip(points, points[1:]))


def _shared(a, b):
    """Length two axis-parallel segments have in common."""
    (ax1, ay1), (ax2, ay2) = a
    (bx1, by1), (bx2, by2) = b
    if ay1 == ay2 == by1 == by2:
        return min(max(ax1, ax2), max(bx1, bx2)) - max(min(ax1, ax2), min(bx1, bx2))
    if ax1 == ax2 == bx1 == bx2:
        return min(max(ay1, ay2), max(by1, by2)) - max(min(ay1, ay2), min(by1, by2))
    return 0


def _graphs():
    from engine.bpmn import build_graph

    return [build_graph(sheet, ORG) for sheet in load_catalog()]


def test_no_two_lines_of_a_diagram_run_on_top_of_each_other():
    """S04.03.04.02 drew 10→11 and 13→14 on one vertical line; flows of one source or one target
    may share their trunk, unrelated flows never."""
    for graph in _graphs():
        flows = graph.flows
        for i, a in enumerate(flows):
            for b in flows[i + 1:]:
                if a.source == b.source or a.target == b.target:
                    continue
                for sa in _segments(a):
                    for sb in _segments(b):
                        assert _shared(sa, sb) <= 0.5, (graph.sheet.code, a.source, a.target, b.source, b.target)


def test_no_line_of_a_diagram_runs_through_a_box():
    for graph in _graphs():
        for flow in graph.flows:
            for (x1, y1), (x2, y2) in _segments(flow):
                for node_id, node in graph.nodes.items():
                    if node_id in (flow.source, flow.target):
                        continue
                    w, h = node.size
                    across = (y1 == y2 and node.y < y1 < node.y + h and min(x1, x2) < node.x + w and max(x1, x2) > node.x) or \
                             (x1 == x2 and node.x < x1 < node.x + w and min(y1, y2) < node.y + h and max(y1, y2) > node.y)
                    assert not across, (graph.sheet.code, flow.source, flow.target, node_id)


def test_lane_names_are_written_in_full():
    from engine.bpmn import LANE_HEADER, LANE_LABEL_CHAR, LANE_LABEL_LINES, lane_label_lines
    from engine.diagram import render_svg

    for graph in _graphs():
        svg = render_svg(graph)
        drawn = re.findall(r'class="lane-label">([^<]*)</text>', svg)
        assert "…" not in "".join(drawn), graph.sheet.code
        for slug, name in graph.lanes:
            _, height = graph.lane_bounds[slug]
            lines = lane_label_lines(name, height)
            assert " ".join(lines) == name and len(lines) <= LANE_LABEL_LINES, (graph.sheet.code, name)
            assert max(len(line) for line in lines) * LANE_LABEL_CHAR < height
        assert LANE_LABEL_LINES * 12 <= LANE_HEADER
    longest = "Profesional técnico en administración de redes y comunicaciones de datos para la OGTIE"
    assert any(longest == name for graph in _graphs() for _, name in graph.lanes)


# --- the administration -----------------------------------------------------------------------

@pytest.fixture
def admin_client(staff):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("admin", "admin@mindef.gob.pe", "clave-segura-123")
    return login("admin")


def test_the_administration_is_in_spanish(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert "Administración de Django" not in page and "Django administration" not in page
    assert "Administración de mapro" in page
    for name in ("Historial de los casos", "Tareas", "Casos", "Unidades de organización", "Programaciones"):
        assert name in page, name


# Field names whose Spanish is the same word.
SAME_IN_SPANISH = {("cases.Task", "roles")}


def test_every_model_and_field_has_a_spanish_name():
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.app_label not in ("org", "cases", "schedules", "api"):
            continue
        label = model._meta.label
        assert model._meta.verbose_name.replace(" ", "") != model._meta.object_name.lower(), label
        for f in model._meta.get_fields():
            if f.auto_created or not hasattr(f, "verbose_name") or (label, f.name) in SAME_IN_SPANISH:
                continue
            assert f.verbose_name != f.name.replace("_", " "), (label, f.name)


def test_history_and_engine_state_cannot_be_edited_in_the_administration(admin_client, staff):
    from cases.models import Attachment, Comment, Event, Task

    case = workflow.start_case(staff["personal-mindef"], "S04.03.04.02", data=TICKET)
    event = case.events.first()
    task = case.tasks.first()
    comment = Comment.objects.create(case=case, author=staff["personal-mindef"], body="¿Hay novedades?")
    for model, obj in ((Event, event), (Task, task), (Comment, comment), (Attachment, None)):
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert admin_client.get(base).status_code == 200, base
        assert admin_client.get(base + "add/").status_code == 403, base
        if obj is not None:
            view = admin_client.get(f"{base}{obj.pk}/change/")
            assert view.status_code == 200 and 'type="submit"' not in view.content.decode().split('id="content-main"')[1]
            assert admin_client.post(f"{base}{obj.pk}/change/", {}).status_code == 403
            assert admin_client.post(f"{base}{obj.pk}/delete/", {"post": "yes"}).status_code == 403
            assert model.objects.filter(pk=obj.pk).exists()

    page = admin_client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    assert 'name="status"' not in page and 'name="lock_version"' not in page and 'name="state"' not in page
    assert admin_client.get("/admin/cases/case/add/").status_code == 403
    assert admin_client.post(f"/admin/cases/case/{case.pk}/delete/", {"post": "yes"}).status_code == 403


def test_the_scheduler_names_its_rules_from_the_same_vocabulary():
    from schedules import calendar
    from schedules.models import ScheduleSetting

    rules = load_vocabularies().schedule_rules
    assert calendar.RULE_LABELS == rules.as_dict() and tuple(calendar.RULES) == rules.keys
    assert dict(ScheduleSetting._meta.get_field("rule").choices) == rules.as_dict()
    assert calendar.describe("daily", [], None, None).startswith("Diario:")
