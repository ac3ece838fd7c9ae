"""The initial load of a register from an XLSX or CSV: checked row by row with Spanish messages that
name the row, applied all together in one transaction or not at all."""
import io

import pytest
from django.test import Client
from openpyxl import Workbook

from audit.models import Entry as AuditEntry
from registers import actions
from registers.models import Entry, FieldValue, Version

pytestmark = pytest.mark.django_db
DEVICES = "dispositivos-certificado"
VPN = "usuarios-vpn"


def web(user):
    client = Client()
    client.force_login(user)
    return client


def upload(client, register, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(f"/registros/{register}/importar", {"file": SimpleUploadedFile(name, content)})


def csv_file(*lines) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def xlsx_file(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_one_bad_row_refuses_the_whole_file_and_names_the_row(staff):
    client = web(staff["tecnico-especialista"])
    content = csv_file(
        "Usuario VPN;DNI del titular;Nombres y apellidos;Fecha de creación",
        "jperez.vpn;45678912;Juan Pérez Rojas;2026-03-02",
        "mrojas.vpn;41234567;María Rojas Díaz;14/05/2026",
        "lquispe.vpn;4001122;Luis Quispe Mamani;2026-08-20",          # a DNI of 7 digits
        "aflores.vpn;47766554;;2026-10-01",                            # no name
        "jperez.vpn;45678912;Juan Pérez Rojas;2026-03-02",             # the same user again
    )
    response = upload(client, VPN, "vpn.csv", content)
    assert response.status_code == 422
    body = response.content.decode()
    assert "no se cargó nada" in body
    assert "Fila 4: «DNI del titular»" in body
    assert "Fila 5: Falta «Nombres y apellidos»" in body
    assert "Fila 6: Usuario VPN «jperez.vpn» ya figura en la fila 2" in body
    assert "Fila 2:" not in body and "Fila 3:" not in body
    assert not Entry.objects.exists() and not Version.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="register.").exists()

    unknown = upload(client, VPN, "vpn.csv", csv_file("Usuario VPN,Color favorito", "x.vpn,azul"))
    assert unknown.status_code == 422 and "«Color favorito»" in unknown.content.decode()
    assert upload(client, VPN, "vpn.txt", b"hola").status_code == 422


def test_a_good_file_creates_each_entry_with_one_version_noted_as_the_initial_load(staff):
    writer = staff["soporte-tecnico"]
    actions.change(writer, DEVICES, "create", {"serie_tarjeta": "TC-0001"}, {"serie_lector": "LR-OLD"})
    client = web(writer)
    content = xlsx_file([
        ["N° de serie de la tarjeta criptográfica", "serie_lector", "DNI del titular", "Nombres y apellidos del titular",
         "Fecha de entrega", "Estado"],
        ["TC-0001", "LR-0001", None, None, None, None],                        # exists: updated
        ["TC-0002", "LR-0002", "45678912", "Juan Pérez Rojas", "2026-03-02", "Asignado"],
        ["TC-0003", "LR-0003", None, None, None, "disponible"],
        [None, None, None, None, None, None],                                  # an empty row is skipped
    ])
    preview = upload(client, DEVICES, "inventario.xlsx", content)
    assert preview.status_code == 200, preview.content.decode()
    body = preview.content.decode()
    assert "3 filas correctas: 2 altas y 1 actualización" in body
    assert Entry.objects.count() == 1                 # a preview writes nothing
    token = body.split('name="token" value="')[1].split('"')[0]

    applied = client.post(f"/registros/{DEVICES}/importar", {"token": token})
    assert applied.status_code == 302
    entries = {e.key: e for e in Entry.objects.filter(register=DEVICES)}
    assert set(entries) == {"tc-0001", "tc-0002", "tc-0003"}
    assert entries["tc-0001"].data["serie_lector"] == "LR-0001" and entries["tc-0001"].version == 2
    assert entries["tc-0002"].state == "asignado" and entries["tc-0002"].person == "45678912"
    assert entries["tc-0002"].data["fecha_entrega"] == "2026-03-02"
    for key in ("tc-0002", "tc-0003"):
        [version] = Version.objects.filter(entry=entries[key])
        assert (version.action, version.note, version.user) == ("create", "Carga inicial", writer)
    last = Version.objects.filter(entry=entries["tc-0001"]).order_by("-n").first()
    assert (last.action, last.note) == ("update", "Carga inicial")
    assert FieldValue.objects.filter(register=DEVICES, field="serie_lector", value="lr-0003").exists()
    imported = AuditEntry.objects.get(action="register.imported")
    assert imported.after["rows"] == 3 and imported.after["created"] == 2 and imported.after["updated"] == 1
    assert AuditEntry.objects.filter(action="register.created").count() == 3   # the first by hand, two loaded

    # The same preview applied twice: its rows are checked again, and now refused, nothing half-done.
    again = client.post(f"/registros/{DEVICES}/importar", {"token": token})
    assert again.status_code == 422 and "No se cargó nada: Fila 3" in again.content.decode()
    assert Version.objects.count() == 4
    forged = client.post(f"/registros/{DEVICES}/importar", {"token": token + "x"})
    assert forged.status_code == 422 and Version.objects.count() == 4


def test_only_writers_import(staff):
    reader = web(staff["analista-calidad"])
    assert reader.get(f"/registros/{VPN}/importar").status_code == 404
    content = csv_file("usuario,dni,nombre", "x.vpn,45678912,X")
    assert upload(reader, VPN, "vpn.csv", content).status_code == 404
    assert not Entry.objects.exists()
