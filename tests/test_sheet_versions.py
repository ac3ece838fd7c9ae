"""A case runs to its end on the sheet version it started with, after the office publishes a new
version; a sheet edited without a new version is refused instead of silently changing running cases."""
import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from cases import procedures
from cases.models import Case, SheetVersion

from .walker import Walker

SUPPORT = "S04.03.04.02"
TICKET = {"asunto": "Impresora", "detalle": "No imprime", "categoria": "Hardware", "ubicacion": "Piso 3"}
V = procedures.sheet(SUPPORT).version     # the repository's version; the tests publish V + 1
PRIORITY = "      - {key: prioridad, label: Prioridad, type: choice, options: [Baja, Media, Alta, Crítica]}"
pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(tmp_path, settings):
    """A copy of the catalog the test may edit, as the office would edit the repository."""
    copy = tmp_path / "catalog"
    shutil.copytree(settings.MAPRO_CATALOG_DIR, copy)
    settings.MAPRO_CATALOG_DIR = copy
    procedures.reload()
    yield copy / "sheets" / f"{SUPPORT}.yaml"
    procedures.reload()


def _edit(sheet_file, old, new, version=None):
    text = sheet_file.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new)
    if version is not None:
        text = text.replace(f"version: {V}\n", f"version: {version}\n", 1)
    sheet_file.write_text(text, encoding="utf-8")
    procedures.reload()   # what a deployment (a new process) does


def _open_names(walker, case):
    return [t["name"] for t in walker.case(case["id"], "personal-mindef")["open_tasks"]]


def test_a_running_case_finishes_on_its_version_while_new_cases_take_the_new_one(staff, catalog):
    walker = Walker()
    old = walker.start(SUPPORT, "personal-mindef", data=TICKET)
    assert SheetVersion.objects.filter(procedure=SUPPORT, version=V).exists()

    # Version V + 1 renames activity 2 and asks one more thing in its form.
    _edit(catalog, "name: Recibir y validar ticket de atención", "name: Recibir, validar y clasificar el ticket", version=V + 1)
    _edit(catalog, PRIORITY, PRIORITY + "\n      - {key: canal, label: Canal de ingreso, type: choice, options: [Web, Teléfono]}")

    new = walker.start(SUPPORT, "personal-mindef", data=TICKET)
    assert (Case.objects.get(pk=old["id"]).version, Case.objects.get(pk=new["id"]).version) == (V, V + 1)
    [old_task] = walker.case(old["id"], "personal-mindef")["open_tasks"]
    [new_task] = walker.case(new["id"], "personal-mindef")["open_tasks"]
    assert (old_task["name"], new_task["name"]) == ("Recibir y validar ticket de atención",
                                                    "Recibir, validar y clasificar el ticket")
    assert "canal" not in old_task["form"]["properties"] and "canal" in new_task["form"]["required"]

    operator = walker.api("operador-mesa-ayuda")
    body = {"data": {"prioridad": "Alta"}, "decision": "Sí"}
    missing = operator.post(f"/api/tasks/{new_task['id']}/complete", body)
    assert missing.status_code == 422 and "canal" in missing.json()["detail"].lower()
    done = operator.post(f"/api/tasks/{old_task['id']}/complete", body)       # version V asks no channel
    assert done.status_code == 200, done.content
    [next_task] = done.json()["open_tasks"]

    browser = Client()
    browser.force_login(staff["operador-mesa-ayuda"])
    page = browser.get(f"/tareas/{old_task['id']}/")
    assert page.status_code == 200 and "Recibir y validar ticket de atención" in page.content.decode()
    assert browser.get(f"/tareas/{next_task['id']}/").status_code == 200
    assert browser.get(f"/casos/{old['id']}/").status_code == 200


def test_a_sheet_edited_without_a_new_version_is_refused_and_running_cases_keep_the_recorded_text(staff, catalog):
    walker = Walker()
    running = walker.start(SUPPORT, "personal-mindef", data=TICKET)

    _edit(catalog, "name: Recibir y validar ticket de atención", "name: Recibir el ticket")

    refused = walker.api("personal-mindef").post("/api/cases", {"procedure": SUPPORT, "data": TICKET})
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith(f"La ficha {SUPPORT} (versión {V}) cambió su flujo o sus formularios sin cambiar de versión.")
    assert _open_names(walker, running) == ["Recibir y validar ticket de atención"]

    with pytest.raises(SystemCheckError, match=f"La ficha {SUPPORT} \\(versión {V}\\) cambió su flujo"):
        call_command("check", databases=["default"])


def test_a_description_or_a_deviation_note_can_be_edited_without_a_new_version(staff, catalog):
    walker = Walker()
    running = walker.start(SUPPORT, "personal-mindef", data=TICKET)
    _edit(catalog, "description: Recibe, a través del sistema de mesa de ayuda,",
          "description: Recibe y revisa, a través del sistema de mesa de ayuda,")
    assert walker.api("personal-mindef").post("/api/cases", {"procedure": SUPPORT, "data": TICKET}).status_code == 201
    assert procedures.sheet(SUPPORT, V).activity(2).description.startswith("Recibe y revisa")
    call_command("check", databases=["default"])
    assert _open_names(walker, running) == ["Recibir y validar ticket de atención"]


def test_the_check_passes_when_every_edited_sheet_has_a_new_version(staff, catalog):
    Walker().start(SUPPORT, "personal-mindef", data=TICKET)
    _edit(catalog, "name: Recibir y validar ticket de atención", "name: Recibir el ticket", version=V + 1)
    call_command("check", databases=["default"])
