"""The semiannual VPN review (S04.03.01.02): the register against the directory's export."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import Entry as AuditEntry
from registers import actions


def signed_in(client, username):
    assert client.login(username=username, password="clave-segura-123")
    return client


@pytest.fixture
def vpn(staff):
    for user, dni, name in (("jperez.vpn", "45678912", "Juan Pérez"), ("mrojas.vpn", "41234567", "María Rojas"),
                            ("lquispe.vpn", "40001234", "Luis Quispe")):
        actions.change(staff["tecnico-especialista"], "usuarios-vpn", "create", {"usuario": user}, {"dni": dni, "nombre": name})


def upload(client, text, name="directorio.csv"):
    return client.post("/registros/usuarios-vpn/conciliar",
                       {"archivo": SimpleUploadedFile(name, text.encode("utf-8"))})


@pytest.mark.django_db
def test_the_review_shows_who_is_no_longer_listed_and_who_is_not_registered(vpn, client):
    page = upload(signed_in(client, "tecnico-especialista"),
                  "Usuario VPN;Nombre\nJPEREZ.vpn;Juan Pérez\nmrojas.vpn;María Rojas\nintruso.vpn;Sin registro\n")
    assert page.status_code == 200
    result = page.context["result"]
    assert (result.rows, result.matched) == (3, 2)
    assert [e.data["usuario"] for e in result.only_in_register] == ["lquispe.vpn"]
    assert result.only_in_list == [(4, "intruso.vpn")]
    html = page.content.decode()
    assert "En el registro, no en la lista (1)" in html and "intruso.vpn" in html
    [entry] = AuditEntry.objects.filter(action="register.reconciled")
    assert entry.after["only_in_register"] == 1 and entry.after["only_in_list"] == 1


@pytest.mark.django_db
def test_a_list_of_dnis_is_matched_by_the_person(vpn, client):
    page = upload(signed_in(client, "tecnico-especialista"), "DNI del titular\n45678912\n41234567\n40001234\n")
    result = page.context["result"]
    assert (result.matched_by, result.matched, result.only_in_register, result.only_in_list) == ("dni", 3, [], [])


@pytest.mark.django_db
def test_a_list_without_the_column_is_refused_in_spanish_and_changes_nothing(vpn, client):
    page = upload(signed_in(client, "tecnico-especialista"), "Correo\njperez@mindef.gob.pe\n")
    assert page.status_code == 422
    assert "La primera fila debe tener una columna «Usuario VPN» o «DNI del titular»." in page.content.decode()
    assert not AuditEntry.objects.filter(action="register.reconciled").exists()


@pytest.mark.django_db
def test_only_the_registers_writers_may_reconcile(vpn, client):
    assert upload(signed_in(client, "personal-mindef"), "Usuario VPN\nx\n").status_code == 404
    assert signed_in(client, "analista-calidad").get("/registros/usuarios-vpn/conciliar").status_code == 404
