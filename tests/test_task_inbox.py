"""Mis tareas: assigned to me, offered to my roles, overdue first; claim, release, reassign."""
from datetime import timedelta

import pytest
from django.utils import timezone

from cases import workflow
from cases.models import Task

from .api_client import Api, fill

pytestmark = pytest.mark.django_db

TICKET = {"asunto": "Sin red", "detalle": "No hay red", "categoria": "Red e Internet", "ubicacion": "Piso 2"}


def start_ticket():
    return Api("personal-mindef").post("/api/cases", {"procedure": "S04.03.04.02", "data": TICKET}).json()


def test_offered_task_is_claimed_by_one_holder_only(staff, make_user):
    make_user("operadora2", "operador-mesa-ayuda", unit="ogtie")
    [task] = start_ticket()["open_tasks"]
    first, second = Api("operador-mesa-ayuda"), Api("operadora2")
    assert [t["id"] for t in second.get("/api/tasks", scope="available").json()] == [task["id"]]
    assert first.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    lost = second.post(f"/api/tasks/{task['id']}/claim")
    assert lost.status_code == 409 and "operador-mesa-ayuda" in lost.json()["detail"]
    assert second.get("/api/tasks", scope="available").json() == []
    assert [t["id"] for t in first.get("/api/tasks", scope="mine").json()] == [task["id"]]
    held = second.post(f"/api/tasks/{task['id']}/complete", {"data": {"prioridad": "Alta"}, "decision": "Sí"})
    assert held.status_code == 409


def test_overdue_tasks_come_first_and_filter_by_procedure(staff):
    tasks = [start_ticket()["open_tasks"][0]["id"] for _ in range(3)]
    workflow.set_due_date(tasks[2], timezone.now() - timedelta(days=2))
    operator = Api("operador-mesa-ayuda")
    listed = [t["id"] for t in operator.get("/api/tasks", scope="available").json()]
    assert listed[0] == tasks[2]
    assert operator.get("/api/tasks", scope="available", procedure="S04.01.00.01").json() == []
    assert len(operator.get("/api/tasks", scope="available", procedure="S04.03.04.02").json()) == 3


def test_coordinator_reassigns_and_others_cannot(staff, make_user):
    make_user("tecnico2", "soporte-tecnico", unit="ogtie")
    [task] = start_ticket()["open_tasks"]
    operator = Api("operador-mesa-ayuda")
    case = operator.post(f"/api/tasks/{task['id']}/complete", {"data": {"prioridad": "Media"}, "decision": "Sí"}).json()
    [assign] = case["open_tasks"]
    case = operator.post(f"/api/tasks/{assign['id']}/complete", {"data": {"especialidad": "Redes"}}).json()
    [attend] = case["open_tasks"]
    assert attend["role"] == "soporte-tecnico"
    denied = operator.post(f"/api/tasks/{attend['id']}/reassign", {"assignee": "tecnico2"})
    assert denied.status_code == 403
    coordinator = Api("coord-infraestructura")
    moved = coordinator.post(f"/api/tasks/{attend['id']}/reassign", {"assignee": "tecnico2"})
    assert moved.status_code == 200 and moved.json()["assignee"] == "tecnico2"
    wrong = coordinator.post(f"/api/tasks/{attend['id']}/reassign", {"assignee": "personal-mindef"})
    assert wrong.status_code == 422
    assert [t["id"] for t in Api("tecnico2").get("/api/tasks", scope="mine").json()] == [attend["id"]]


def test_release_returns_the_task_to_the_role(staff):
    [task] = start_ticket()["open_tasks"]
    operator = Api("operador-mesa-ayuda")
    operator.post(f"/api/tasks/{task['id']}/claim")
    assert operator.post(f"/api/tasks/{task['id']}/release").json()["assignee"] is None
    assert len(operator.get("/api/tasks", scope="available").json()) == 1


def test_the_operator_assigns_the_ticket_to_a_named_technician(staff, make_user):
    make_user("tecnico2", "soporte-tecnico", unit="ogtie")
    [task] = start_ticket()["open_tasks"]
    operator = Api("operador-mesa-ayuda")
    [assign] = operator.post(f"/api/tasks/{task['id']}/complete", {"data": {"prioridad": "Alta"}, "decision": "Sí"}).json()["open_tasks"]
    wrong = operator.post(f"/api/tasks/{assign['id']}/complete", {"data": {"especialidad": "Redes", "tecnico_asignado": "personal-mindef"}})
    assert wrong.status_code == 422 and "tecnico_asignado" in wrong.json()["errors"]
    case = operator.post(f"/api/tasks/{assign['id']}/complete", {"data": {"especialidad": "Redes", "tecnico_asignado": "tecnico2"}}).json()
    [attend] = case["open_tasks"]
    assert (attend["activity"], attend["assignee"]) == (5, "tecnico2")
    assert Api("soporte-tecnico").get("/api/tasks", scope="available").json() == []


def test_a_task_for_several_roles_is_offered_to_each_until_one_takes_it(staff):
    from cases.procedures import sheet

    from .walker import prepare_registers

    first = sheet("S04.01.00.02").activity(1)
    starter = Api(first.role)
    case = starter.post("/api/cases", {"procedure": "S04.01.00.02"}).json()
    [task] = case["open_tasks"]
    data = fill(task["form"])
    prepare_registers(task, data, None)     # the PGD period it follows up is in the portfolio register
    case = starter.post(f"/api/tasks/{task['id']}/complete", {"data": data}).json()
    [shared] = case["open_tasks"]
    assert len(shared["roles"]) > 1
    statistics, innovation = Api("coord-estadistica"), Api("coord-innovacion")
    assert [t["id"] for t in statistics.get("/api/tasks", scope="available").json()] == [shared["id"]]
    assert [t["id"] for t in innovation.get("/api/tasks", scope="available").json()] == [shared["id"]]
    assert innovation.post(f"/api/tasks/{shared['id']}/claim").status_code == 200
    assert statistics.get("/api/tasks", scope="available").json() == []


def test_a_coordinator_annuls_a_case_with_a_reason_and_its_tasks_leave_the_inboxes(staff):
    case = start_ticket()
    denied = Api("operador-mesa-ayuda").post(f"/api/cases/{case['id']}/cancel", {"reason": "Duplicado"})
    assert denied.status_code == 403
    coordinator = Api("coord-infraestructura")
    assert coordinator.post(f"/api/cases/{case['id']}/cancel", {}).status_code == 422
    annulled = coordinator.post(f"/api/cases/{case['id']}/cancel", {"reason": "Ticket duplicado"}).json()
    assert annulled["status"] == "cancelled" and annulled["open_tasks"] == []
    assert Api("operador-mesa-ayuda").get("/api/tasks", scope="available").json() == []
    again = coordinator.post(f"/api/cases/{case['id']}/cancel", {"reason": "otra vez"})
    assert again.status_code == 409


def test_available_pages_merge_every_role_in_due_order_and_list_a_shared_task_once(staff, make_user):
    multi = make_user("multirol", "operador-mesa-ayuda", "coord-infraestructura", "coord-innovacion", unit="ogtie")
    tickets = [start_ticket()["open_tasks"][0]["id"] for _ in range(5)]
    # S04.01.00.03 starts at an activity of the four team coordinators: offered to two of this user's roles.
    shared = [workflow.start_case(staff["coord-estadistica"], "S04.01.00.03").tasks.get().pk for _ in range(3)]
    now = timezone.now()
    for days, task_id in zip((5, -3, 2, 9, 0, -1, 7, 4), tickets + shared):
        workflow.set_due_date(task_id, now + timedelta(days=days))

    expected = [t.pk for t in Task.objects.filter(pk__in=tickets + shared).order_by("due_at", "pk")]
    offered = workflow.inbox(multi, "available")
    assert offered.count() == 8
    assert [t.pk for t in offered[0:3]] + [t.pk for t in offered[3:6]] + [t.pk for t in offered[6:9]] == expected
    assert [t.pk for t in offered[0:50]] == expected
