"""Removing a person's accounts (S04.03.01.02): the task shows what the registers still hold for
that person, as the checklist of what must be revoked or returned."""
import pytest

from cases import workflow
from registers import actions


@pytest.mark.django_db
def test_the_removal_task_lists_what_the_person_still_holds(staff, client):
    tech = staff["coord-infraestructura"]
    actions.change(tech, "cuentas-accesos", "create", {"cuenta": "jperez"}, {"dni": "45678912", "nombre": "Juan Pérez"})
    actions.change(tech, "usuarios-vpn", "create", {"usuario": "jperez.vpn"}, {"dni": "45678912", "nombre": "Juan Pérez"})
    actions.change(tech, "dispositivos-certificado", "assign", {"serie_tarjeta": "TC-0099"},
                   {"dni": "45678912", "nombre": "Juan Pérez"})
    actions.change(tech, "usuarios-vpn", "create", {"usuario": "otra.vpn"}, {"dni": "41234567", "nombre": "Otra"})
    case = workflow.start_case(staff["profesional-ogtie"], "S04.03.01.02", "eliminacion-de-cuentas-otros-acceso-o-privilegios")
    workflow.complete_task(case.tasks.get(status="open").pk, staff["profesional-ogtie"], {
        "nombre_completo": "Juan Pérez", "fecha_cese": "2026-11-27", "cuenta_usuario": "jperez"}, None)
    task = case.tasks.get(status="open")

    assert client.login(username=task.assignee.username if task.assignee_id else "profesional-ogtie",
                        password="clave-segura-123")
    page = client.get(f"/tareas/{task.pk}/").content.decode()

    assert "Lo que los registros tienen a nombre del DNI 45678912" in page
    for held in ("jperez — Juan Pérez", "jperez.vpn — Juan Pérez", "TC-0099"):
        assert held in page
    assert "otra.vpn" not in page                               # another person's
    assert "/registros/persona/45678912/?para=baja" in page


@pytest.mark.django_db
def test_an_employee_outside_the_case_sees_neither_the_task_nor_the_checklist(staff, client):
    actions.change(staff["coord-infraestructura"], "cuentas-accesos", "create", {"cuenta": "jperez"},
                   {"dni": "45678912", "nombre": "Juan Pérez"})
    case = workflow.start_case(staff["profesional-ogtie"], "S04.03.01.02", "eliminacion-de-cuentas-otros-acceso-o-privilegios")
    task = case.tasks.get(status="open")
    assert client.login(username="personal-mindef", password="clave-segura-123")
    page = client.get(f"/tareas/{task.pk}/")
    assert page.status_code == 404 and "45678912" not in page.content.decode()
