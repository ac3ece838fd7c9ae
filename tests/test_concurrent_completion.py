"""Two people completing one task at once: one wins, the other gets a clear 409, the case moves once."""
import threading

import pytest
from django.db import close_old_connections

from cases import workflow
from cases.models import Event, Task

from .api_client import Api

TICKET = {"asunto": "Clave", "detalle": "Olvidé la clave", "categoria": "Software", "ubicacion": "Piso 1"}


@pytest.mark.django_db
def test_the_loser_is_told_who_completed_it(staff, make_user):
    make_user("operadora2", "operador-mesa-ayuda", unit="ogtie")
    [task] = Api("personal-mindef").post("/api/cases", {"procedure": "S04.03.04.02", "data": TICKET}).json()["open_tasks"]
    body = {"data": {"prioridad": "Alta"}, "decision": "Sí"}
    assert Api("operador-mesa-ayuda").post(f"/api/tasks/{task['id']}/complete", body).status_code == 200
    late = Api("operadora2").post(f"/api/tasks/{task['id']}/complete", body)
    assert late.status_code == 409
    assert late.json()["detail"] == "La tarea ya fue atendida por operador-mesa-ayuda."


@pytest.mark.django_db(transaction=True)
def test_simultaneous_completions_advance_the_case_once(staff, make_user):
    second = make_user("operadora2", "operador-mesa-ayuda", unit="ogtie")
    first = staff["operador-mesa-ayuda"]
    case = workflow.start_case(staff["personal-mindef"], "S04.03.04.02", data=TICKET)
    task = case.tasks.get(status="open")
    barrier = threading.Barrier(2)
    outcomes = []

    def complete(user):
        try:
            barrier.wait()
            workflow.complete_task(task.pk, user, {"prioridad": "Alta"}, "Sí")
            outcomes.append("ok")
        except workflow.Conflict as exc:
            outcomes.append(exc.detail)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=complete, args=(u,)) for u in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes)[1] == "ok" or outcomes.count("ok") == 1
    assert outcomes.count("ok") == 1
    loser = next(o for o in outcomes if o != "ok")
    assert loser.startswith("La tarea ya fue atendida por ")
    case.refresh_from_db()
    assert case.lock_version == 2  # started with 0, activity 1 then activity 2: two advances, not three
    assert Event.objects.filter(case=case, kind="completed", activity=2).count() == 1
    assert list(Task.objects.filter(case=case, status="open").values_list("activity", flat=True)) == [4]
