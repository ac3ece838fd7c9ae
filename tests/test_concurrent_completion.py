"""Two people completing one task at once: one wins, the other gets a clear 409, the case moves once."""
import threading

import pytest
from django.db import connection

from cases import workflow
from cases.models import Case, Event, Task, TaskOffer

from .api_client import Api, fill
from .walker import Walker, scripted

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
            connection.close()  # the thread's own connection, or the test database cannot be dropped

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


def _at_the_parallel_branches(walker):
    """An S04.02.00.01 case with 15 and 16 (parallel branches before the join at 17) open."""
    case = walker.start("S04.02.00.01", "director-uo")
    choose = scripted({3: ["Sí"], 8: ["Alta o media"]})
    while not {t["activity"] for t in case["open_tasks"]} & {15, 16}:
        task = case["open_tasks"][0]
        walker.complete(task, choose(task, {task["activity"]: 1}) if task["decisions"] else None)
        case = walker.case(case["id"], "director-uo")
    return case, {t["activity"]: t for t in case["open_tasks"]}


def _read_before(monkeypatch, task_id):
    """Make complete_task work on the task (and its case) as read now, as a request that read
    them just before another person's completion committed would."""
    stale, read = workflow.get_task(task_id), workflow.get_task
    monkeypatch.setattr(workflow, "get_task",
                        lambda pk, user=None: stale if str(pk) == str(task_id) else read(pk, user))


@pytest.mark.django_db
def test_a_completion_that_keeps_finding_the_case_moved_on_writes_nothing(staff, monkeypatch):
    walker = Walker()
    case, open_now = _at_the_parallel_branches(walker)
    _read_before(monkeypatch, open_now[15]["id"])       # every attempt reads the case as it was
    walker.complete(open_now[16])                       # the other branch wins the case first
    moved_on = Case.objects.get(pk=case["id"])

    with pytest.raises(workflow.Conflict) as lost:
        workflow.complete_task(open_now[15]["id"], staff["analista-programador"], fill(open_now[15]["form"]), None)

    assert lost.value.detail == "El caso cambió mientras se atendía la tarea; vuelva a intentarlo."
    assert Case.objects.get(pk=case["id"]).lock_version == moved_on.lock_version
    task = Task.objects.get(pk=open_now[15]["id"])
    assert task.is_open and task.completed_by is None
    assert not Event.objects.filter(case_id=case["id"], activity=15).exists()
    assert list(TaskOffer.objects.filter(task=task).values_list("role", flat=True)) == ["analista-programador"]
    monkeypatch.undo()
    retried = walker.complete(open_now[15])             # trying again works, and the join fires once
    assert [t["activity"] for t in retried["open_tasks"]] == [17]


@pytest.mark.django_db
def test_a_completion_that_finds_the_case_moved_on_once_is_done_again_on_the_new_state(staff, monkeypatch):
    walker = Walker()
    case, open_now = _at_the_parallel_branches(walker)
    stale, read = workflow.get_task(open_now[15]["id"]), workflow.get_task
    reads = []

    def first_read_stale(pk, user=None):
        reads.append(pk)
        return stale if len(reads) == 1 else read(pk, user)

    walker.complete(open_now[16])
    monkeypatch.setattr(workflow, "get_task", first_read_stale)
    done = workflow.complete_task(open_now[15]["id"], staff["analista-programador"], fill(open_now[15]["form"]), None)

    assert len(reads) == 2
    assert sorted(done.tasks.filter(status="open").values_list("activity", flat=True)) == [17]
    assert Event.objects.filter(case_id=case["id"], kind="completed", activity=15).count() == 1


@pytest.mark.django_db
def test_a_completion_of_a_task_claimed_meanwhile_writes_nothing(staff, make_user, monkeypatch):
    colleague = make_user("programadora2", "analista-programador", unit="ogtie")
    case, open_now = _at_the_parallel_branches(Walker())
    _read_before(monkeypatch, open_now[15]["id"])
    workflow.claim_task(open_now[15]["id"], colleague)
    before = Case.objects.get(pk=case["id"]).lock_version

    with pytest.raises(workflow.Conflict) as lost:
        workflow.complete_task(open_now[15]["id"], staff["analista-programador"], fill(open_now[15]["form"]), None)

    assert lost.value.detail == "La tarea la tiene programadora2."
    assert Case.objects.get(pk=case["id"]).lock_version == before
    assert Task.objects.get(pk=open_now[15]["id"]).assignee == colleague
    assert sorted(Task.objects.filter(case_id=case["id"], status="open").values_list("activity", flat=True)) == [15, 16]


@pytest.mark.django_db(transaction=True)
def test_both_parallel_branches_completed_at_once_both_succeed_and_the_join_fires_once(staff):
    walker = Walker()
    case, open_now = _at_the_parallel_branches(walker)
    lock_before = Case.objects.get(pk=case["id"]).lock_version
    barrier = threading.Barrier(2)
    outcomes = {}

    def complete(activity, user):
        try:
            barrier.wait()
            workflow.complete_task(open_now[activity]["id"], user, fill(open_now[activity]["form"]), None)
            outcomes[activity] = "ok"
        except workflow.Conflict as exc:
            outcomes[activity] = exc.detail
        finally:
            connection.close()  # the thread's own connection, or the test database cannot be dropped

    threads = [threading.Thread(target=complete, args=(15, staff["analista-programador"])),
               threading.Thread(target=complete, args=(16, staff["analista-sistemas"]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes == {15: "ok", 16: "ok"}       # whoever found the case moved on did it again
    for activity in (15, 16):
        assert Task.objects.get(pk=open_now[activity]["id"]).status == "completed"
        assert Event.objects.filter(case_id=case["id"], kind="completed", activity=activity).count() == 1
    state = walker.case(case["id"], "director-uo")
    assert [t["activity"] for t in state["open_tasks"]] == [17]
    assert Case.objects.get(pk=case["id"]).lock_version == lock_before + 2   # each branch advanced it once
