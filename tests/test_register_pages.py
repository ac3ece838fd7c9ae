"""The registers' pages: the list with its search and column filters, the export of what it shows,
the entry page with its history and cases, the forms that change an entry, and a person's page.
Who may see what is cases.access's: an outsider gets "not found" everywhere."""
import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from audit.models import Entry as AuditEntry
from registers import actions
from registers.models import Entry, Version

from .api_client import Api
from .test_register_effects import vpn_user, walk_to
from .walker import Walker

pytestmark = pytest.mark.django_db
VPN = "usuarios-vpn"
DEVICES = "dispositivos-certificado"

PEOPLE = [
    ("jperez.vpn", "45678912", "Juan Pérez Rojas", "Oficina de Logística", "2026-03-02"),
    ("mrojas.vpn", "41234567", "María Rojas Díaz", "Dirección de Personal", "2026-05-14"),
    ("lquispe.vpn", "40011223", "Luis Quispe Mamani", "Oficina de Logística", "2026-08-20"),
    ("aflores.vpn", "47766554", "Ana Flores Huamán", "Secretaría General", "2026-10-01"),
]


def web(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def vpn_users(staff):
    writer = staff["tecnico-especialista"]
    for usuario, dni, nombre, unidad, alta in PEOPLE:
        actions.change(writer, VPN, "create", {"usuario": usuario},
                       {"dni": dni, "nombre": nombre, "unidad": unidad, "fecha_alta": alta})
    return {e.data["usuario"]: e for e in Entry.objects.filter(register=VPN)}


def listed(response) -> list[str]:
    """The VPN users the list page shows, in its order."""
    body = response.content.decode()
    return [u for u, *_ in sorted(PEOPLE, key=lambda p: body.find(p[0])) if u in body]


def test_the_specialist_lists_filters_by_a_column_and_searches(vpn_users, staff):
    client = web(staff["tecnico-especialista"])
    assert 'href="/registros/"' in client.get("/").content.decode()          # the menu's «Registros»
    response = client.get("/registros/")
    assert response.status_code == 200
    assert "Usuarios VPN" in response.content.decode()

    page = client.get(f"/registros/{VPN}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "4 entradas" in body and "Juan Pérez Rojas" in body and "45678912" in body   # a writer sees the DNI
    assert listed(page)[0] == "aflores.vpn"        # the newest change first

    by_unit = client.get(f"/registros/{VPN}/", {"unidad": "oficina de logistica"})   # accents and case ignored
    assert sorted(listed(by_unit)) == ["jperez.vpn", "lquispe.vpn"]

    searched = client.get(f"/registros/{VPN}/", {"q": "Perez ro"})      # every word; the last one a prefix
    assert listed(searched) == ["jperez.vpn"]
    assert listed(client.get(f"/registros/{VPN}/", {"q": "quis"})) == ["lquispe.vpn"]
    assert listed(client.get(f"/registros/{VPN}/", {"q": "mamani logistica"})) == ["lquispe.vpn"]
    assert listed(client.get(f"/registros/{VPN}/", {"q": "nadie"})) == []

    dated = client.get(f"/registros/{VPN}/", {"fecha_alta__desde": "2026-05-01", "fecha_alta__hasta": "2026-08-20"})
    assert sorted(listed(dated)) == ["lquispe.vpn", "mrojas.vpn"]
    by_person = client.get(f"/registros/{VPN}/", {"dni": "41234567"})
    assert listed(by_person) == ["mrojas.vpn"]
    # A DNI is never found by free text (only by its column, for those who see it).
    assert listed(client.get(f"/registros/{VPN}/", {"q": "41234567"})) == []

    # A closed entry leaves the list of open ones, and is found with its state.
    actions.change(staff["tecnico-especialista"], VPN, "close", {"usuario": "aflores.vpn"}, {})
    assert "aflores.vpn" not in listed(client.get(f"/registros/{VPN}/"))
    assert listed(client.get(f"/registros/{VPN}/", {"state": "eliminado"})) == ["aflores.vpn"]
    assert len(listed(client.get(f"/registros/{VPN}/", {"state": "todos"}))) == 4

    bad = client.get(f"/registros/{VPN}/", {"state": "perdido", "fecha_alta__desde": "ayer"})
    assert bad.status_code == 200
    assert "«state» desconocido" in bad.content.decode() and "fecha" in bad.content.decode()


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_chief_exports_exactly_the_filtered_rows_as_csv_and_xlsx(vpn_users, staff):
    client = web(staff["jefe-ogtie"])
    params = {"unidad": "Oficina de Logística"}
    response = client.get(f"/registros/{VPN}/exportar.csv", params)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    header, *rows = csv_rows(response)
    assert header[:3] == ["Usuario VPN", "DNI del titular", "Nombres y apellidos"] and header[-2] == "Estado"
    assert sorted(r[0] for r in rows) == ["jperez.vpn", "lquispe.vpn"]
    assert {r[1] for r in rows} == {"45678912", "40011223"}
    assert {r[-2] for r in rows} == {"Activo"}

    xlsx = client.get(f"/registros/{VPN}/exportar.xlsx", params)
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Usuario VPN"
    assert sorted(v[0] for v in values[1:]) == ["jperez.vpn", "lquispe.vpn"]

    everything = csv_rows(client.get(f"/registros/{VPN}/exportar.csv"))
    assert len(everything) == 1 + len(PEOPLE)
    assert client.get(f"/registros/{VPN}/exportar.csv", {"nocolumna": "x"}).status_code == 422


def test_an_outsider_is_answered_not_found_on_every_register_page(vpn_users, staff):
    entry = vpn_users["jperez.vpn"]
    client = web(staff["personal-mindef"])
    for path in (f"/registros/{VPN}/", f"/registros/{VPN}/exportar.csv", f"/registros/{VPN}/exportar.xlsx",
                 f"/registros/{VPN}/{entry.pk}/", f"/registros/{VPN}/{entry.pk}/editar", f"/registros/{VPN}/nuevo",
                 f"/registros/{VPN}/importar", "/registros/persona/45678912/", "/registros/no-existe/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "45678912" not in response.content.decode()
    for path in (f"/registros/{VPN}/{entry.pk}/baja", f"/registros/{VPN}/nuevo"):
        assert client.post(path, {"usuario": "x"}).status_code == 404, path
    listing = client.get("/registros/")
    assert "Usuarios VPN" not in listing.content.decode()
    assert 'href="/registros/"' not in client.get("/").content.decode()      # no menu link either
    assert Entry.objects.get(pk=entry.pk).state == "activo"
    # An entry of another register is not found under this one's address.
    device = actions.change(staff["soporte-tecnico"], DEVICES, "create", {"serie_tarjeta": "TC-1"}, {})
    assert web(staff["tecnico-especialista"]).get(f"/registros/{VPN}/{device.pk}/").status_code == 404


def test_a_reader_without_personal_data_rights_sees_the_dni_masked_and_cannot_filter_by_it(vpn_users, staff):
    reader = staff["analista-calidad"]            # office staff, no procedure that feeds the VPN register
    client = web(reader)
    page = client.get(f"/registros/{VPN}/")
    body = page.content.decode()
    assert page.status_code == 200 and "Juan Pérez Rojas" in body
    assert not any(dni in body for _, dni, *_ in PEOPLE) and "••••••" in body
    probe = client.get(f"/registros/{VPN}/", {"dni": "45678912"})
    assert "No puede filtrar por «DNI del titular»" in probe.content.decode()
    assert len(listed(probe)) == 4                # the filter is left out, not applied
    entry = client.get(f"/registros/{VPN}/{vpn_users['jperez.vpn'].pk}/")
    assert entry.status_code == 200 and "45678912" not in entry.content.decode()
    rows = csv_rows(client.get(f"/registros/{VPN}/exportar.csv"))
    assert {r[1] for r in rows[1:]} == {"••••••"}
    assert client.get("/registros/persona/45678912/").status_code == 404
    assert client.get(f"/registros/{VPN}/nuevo").status_code == 404      # reads, does not write
    assert not AuditEntry.objects.filter(action="personal_data.read", actor=reader).exists()


def test_the_entry_page_shows_its_history_with_the_case_and_activity_that_changed_it(staff):
    walker = Walker()
    case, task = walk_to(walker, 13)
    assert Api("tecnico-especialista").post(f"/api/tasks/{task['id']}/complete",
                                            {"data": {"usuario_vpn": "jperez.vpn"}}).status_code == 200
    case = walker.case(case["id"], "personal-mindef")
    walker.complete(case["open_tasks"][0], data=vpn_user())
    entry = Entry.objects.get(register=VPN)
    number = case["number"]
    writer = staff["tecnico-especialista"]
    client = web(writer)
    # An edit by hand adds a version.
    form = client.get(f"/registros/{VPN}/{entry.pk}/editar")
    assert form.status_code == 200
    saved = client.post(f"/registros/{VPN}/{entry.pk}/editar",
                        {"version": entry.version, "dni": "45678912", "nombre": "Juan Pérez Rojas",
                         "unidad": "Dirección de Logística", "fecha_alta": "2026-11-27"})
    assert saved.status_code == 302, saved.content.decode()
    stale = client.post(f"/registros/{VPN}/{entry.pk}/editar", {"version": entry.version, "unidad": "Otra"})
    assert stale.status_code == 409 and Entry.objects.get(pk=entry.pk).data["unidad"] == "Dirección de Logística"

    page = client.get(f"/registros/{VPN}/{entry.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert f'href="/casos/{case["id"]}/"' in body and number in body
    assert "actividad 15" in body and "Alta" in body and "Actualización" in body
    assert "Oficina de Logística → Dirección de Logística" in body
    assert "45678912" in body
    assert AuditEntry.objects.filter(action="personal_data.read", actor=writer, object_id=str(entry.pk)).exists()

    # A reader who may not see that case sees the history without its link.
    other = web(staff["analista-calidad"]).get(f"/registros/{VPN}/{entry.pk}/").content.decode()
    assert "Actualización" in other and f'/casos/{case["id"]}/' not in other and number not in other

    # The close button: a baja with its reason, then no more edits.
    closed = client.post(f"/registros/{VPN}/{entry.pk}/baja", {"note": "Cese del contrato"})
    assert closed.status_code == 302
    entry.refresh_from_db()
    assert entry.closed and entry.state == "eliminado"
    last = Version.objects.filter(entry=entry).order_by("-n").first()
    assert (last.action, last.note) == ("close", "Cese del contrato")
    assert client.post(f"/registros/{VPN}/{entry.pk}/editar", {"version": entry.version}).status_code == 302
    assert Version.objects.filter(entry=entry).count() == 3


def test_a_writer_registers_an_entry_and_a_refused_one_keeps_what_was_typed(staff):
    client = web(staff["soporte-tecnico"])
    assert client.get(f"/registros/{DEVICES}/nuevo").status_code == 200
    made = client.post(f"/registros/{DEVICES}/nuevo", {"serie_tarjeta": "TC-0001", "serie_lector": "LR-77",
                                                        "state": "disponible"})
    assert made.status_code == 302
    entry = Entry.objects.get(register=DEVICES)
    assert entry.data == {"serie_tarjeta": "TC-0001", "serie_lector": "LR-77"}
    again = client.post(f"/registros/{DEVICES}/nuevo", {"serie_tarjeta": "tc-0001", "serie_lector": "LR-99"})
    assert again.status_code == 422
    body = again.content.decode()
    assert "Ya existe" in body and "LR-99" in body
    bad = client.post(f"/registros/{DEVICES}/nuevo", {"serie_tarjeta": "TC-2", "dni": "123"})
    assert bad.status_code == 422 and "DNI del titular" in bad.content.decode()
    assert Entry.objects.filter(register=DEVICES).count() == 1

    # Assigned, then returned from its page.
    actions.change(staff["soporte-tecnico"], DEVICES, "assign", {"serie_tarjeta": "TC-0001"},
                   {"dni": "45678912", "nombre": "Juan Pérez Rojas"})
    page = client.get(f"/registros/{DEVICES}/{entry.pk}/").content.decode()
    assert "Registrar la devolución" in page
    assert client.post(f"/registros/{DEVICES}/{entry.pk}/devolucion", {"note": "Acta 12"}).status_code == 302
    entry.refresh_from_db()
    assert entry.state == "disponible" and entry.person == "" and "dni" not in entry.data


def test_a_persons_page_lists_what_the_registers_hold_and_the_removal_checklist(vpn_users, staff):
    dni = "45678912"
    support = staff["soporte-tecnico"]
    actions.change(support, DEVICES, "assign", {"serie_tarjeta": "TC-0042"}, {"dni": dni, "nombre": "Juan Pérez Rojas"})
    actions.change(support, DEVICES, "assign", {"serie_tarjeta": "TC-0050"}, {"dni": "41234567", "nombre": "María"})
    chief = staff["jefe-ogtie"]
    client = web(chief)
    page = client.get(f"/registros/persona/{dni}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Usuarios VPN" in body and "jperez.vpn" in body
    assert "Dispositivos para el uso del certificado digital" in body and "TC-0042" in body
    assert "TC-0050" not in body and "mrojas.vpn" not in body
    trail = AuditEntry.objects.get(action="personal_data.read", actor=chief, object_type="person")
    assert trail.object_id == dni

    checklist = client.get(f"/registros/persona/{dni}/", {"para": "baja"}).content.decode()
    assert "Devolver" in checklist and "TC-0042" in checklist
    assert "Revocar o dar de baja" in checklist and "jperez.vpn" in checklist
    assert client.get("/registros/", {"dni": dni}).status_code == 302
    assert client.get("/registros/persona/4567/").status_code == 404


def test_a_persons_page_lists_the_open_cases_whose_forms_recorded_that_dni(staff):
    walker = Walker()
    case, _ = walk_to(walker, 13)                 # activity 7 recorded the requester's DNI 45678912
    chief = web(staff["jefe-ogtie"])
    assert case["number"] in chief.get("/registros/persona/45678912/").content.decode()
    assert case["number"] not in chief.get("/registros/persona/41234567/").content.decode()
    # The office staff of the procedure see it too; a reader without personal data has no such page.
    assert case["number"] in web(staff["soporte-tecnico"]).get("/registros/persona/45678912/").content.decode()
    assert web(staff["analista-calidad"]).get("/registros/persona/45678912/").status_code == 404


@pytest.mark.django_db
def test_dates_are_shown_as_in_peru(staff, client):
    from registers import actions as register_actions

    entry = register_actions.change(staff["coord-infraestructura"], "usuarios-vpn", "create", {"usuario": "f.vpn"},
                                    {"dni": "45678912", "nombre": "Ana", "fecha_alta": "2026-03-04"})
    assert client.login(username="coord-infraestructura", password="clave-segura-123")
    assert "04/03/2026" in client.get("/registros/usuarios-vpn/").content.decode()
    assert "04/03/2026" in client.get(f"/registros/usuarios-vpn/{entry.pk}/").content.decode()
