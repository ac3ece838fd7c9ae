"""An activity writes the register it names, in the same transaction as its completion.

S04.03.01.01 (v3): «¿El usuario VPN ya existe?» (activity 13) is answered by the VPN register, and
activity 15 «Crear el usuario VPN solicitado» registers the new user."""
import threading

import pytest
from django.db import connection

from audit.models import Entry as AuditEntry
from cases import effects, store, workflow
from cases.models import Case, Event, Task, TaskOffer
from registers import actions
from registers.models import Entry, FieldValue, Version

from .api_client import Api
from .walker import Walker, scripted

CODE = "S04.03.01.01"
VPN = "Sí — Solicitud de acceso a VPN"
NEW = "Creación de cuenta de usuario nuevo"
ROUTE = scripted({2: ["Sí"], 4: [NEW], 7: [VPN]})


def walk_to(walker, activity, case=None):
    """Start a VPN request and complete its tasks until `activity` is the open one."""
    case = case or walker.start(CODE, "personal-mindef")
    visits = {}
    while True:
        task = case["open_tasks"][0]
        if task["activity"] == activity:
            return case, task
        visits[task["activity"]] = visits.get(task["activity"], 0) + 1
        walker.complete(task, ROUTE(task, visits) if task["decisions"] else None)
        case = walker.case(case["id"], "personal-mindef")


def vpn_user(username="jperez.vpn", **extra):
    return {"nombre_completo": "Juan Pérez Rojas", "oficina": "Oficina de Logística",
            "modalidad_contrato": "Régimen CAS", "usuario_red": "jperez", "usuario_vpn": username, **extra}


@pytest.mark.django_db
def test_creating_a_vpn_user_registers_it_with_the_case_that_did_it(staff):
    walker = Walker()
    case, task = walk_to(walker, 13)
    # Nobody has that VPN user yet: the register answers «No» without being asked.
    answer = Api("tecnico-especialista").post(f"/api/tasks/{task['id']}/complete", {"data": {"usuario_vpn": "jperez.vpn"}})
    assert answer.status_code == 200, answer.content
    case = walker.case(case["id"], "personal-mindef")
    [task] = case["open_tasks"]
    assert task["activity"] == 15
    assert Event.objects.get(case_id=case["id"], activity=13).decision == "No"

    walker.complete(task, data=vpn_user())

    entry = Entry.objects.get(register="usuarios-vpn")
    assert entry.state == "activo" and not entry.closed
    assert entry.data["usuario"] == "jperez.vpn"
    assert entry.data["nombre"] == "Juan Pérez Rojas"
    assert entry.data["unidad"] == "Oficina de Logística"
    assert entry.data["dni"] == "45678912"          # from activity 7's form, earlier in the case
    assert entry.person == "45678912"
    [version] = Version.objects.filter(entry=entry)
    assert (version.n, version.action, version.case_id, version.activity) == (1, "create", case["id"], 15)
    assert version.user.username == "tecnico-especialista"
    assert AuditEntry.objects.filter(action="register.created", object_id=str(entry.pk)).count() == 1
    # The field index finds it by any column.
    assert FieldValue.objects.filter(register="usuarios-vpn", field="usuario", value="jperez.vpn").exists()


@pytest.mark.django_db
def test_the_register_answers_the_question_and_a_different_answer_is_refused(staff):
    walker = Walker()
    actions.change(staff["tecnico-especialista"], "usuarios-vpn", "create", {"usuario": "mrojas.vpn"},
                   {"dni": "41234567", "nombre": "María Rojas"})
    case, task = walk_to(walker, 13)
    wrong = Api("tecnico-especialista").post(f"/api/tasks/{task['id']}/complete",
                                              {"data": {"usuario_vpn": "MRojas.VPN"}, "decision": "No"})
    assert wrong.status_code == 422
    assert wrong.json()["detail"] == "«¿El usuario VPN ya existe?»: el registro responde «Sí», no «No»."
    assert Task.objects.get(pk=task["id"]).status == "open"

    right = Api("tecnico-especialista").post(f"/api/tasks/{task['id']}/complete", {"data": {"usuario_vpn": "MRojas.VPN"}})
    assert right.status_code == 200
    case = walker.case(case["id"], "personal-mindef")
    assert case["open_tasks"][0]["activity"] == 14        # «Notificar ... la existencia del usuario VPN»


@pytest.mark.django_db
def test_a_write_the_register_refuses_leaves_the_case_and_the_register_as_they_were(staff):
    walker = Walker()
    case, task = walk_to(walker, 13)
    Api("tecnico-especialista").post(f"/api/tasks/{task['id']}/complete", {"data": {"usuario_vpn": "jperez.vpn"}})
    case = walker.case(case["id"], "personal-mindef")
    [task] = case["open_tasks"]
    # Meanwhile someone else registers the same VPN user by hand.
    actions.change(staff["coord-infraestructura"], "usuarios-vpn", "create", {"usuario": "JPEREZ.vpn"},
                   {"dni": "40000001", "nombre": "Otra persona"})
    before = (Case.objects.get(pk=case["id"]).lock_version, Version.objects.count(), Event.objects.count())

    refused = Api("tecnico-especialista").post(f"/api/tasks/{task['id']}/complete", {"data": vpn_user()})

    assert refused.status_code == 422
    body = refused.json()
    assert body["detail"] == "Ya existe en «Usuarios VPN» una entrada vigente con Usuario VPN «jperez.vpn»."
    assert "usuario_vpn" in body["errors"]                  # the form field, not the register's column
    assert Task.objects.get(pk=task["id"]).status == "open"
    assert (Case.objects.get(pk=case["id"]).lock_version, Version.objects.count(), Event.objects.count()) == before
    assert Entry.objects.get(register="usuarios-vpn").data["nombre"] == "Otra persona"


@pytest.mark.django_db
def test_an_effect_failing_after_the_completion_is_written_rolls_the_completion_back(staff):
    """The hook's contract: a write that raises runs inside the completion's transaction."""
    walker = Walker()
    case = walker.start("S04.03.04.02", "personal-mindef")
    [task] = case["open_tasks"]
    counts = (Task.objects.count(), TaskOffer.objects.count(), Event.objects.count(), AuditEntry.objects.count())

    class Failing:
        def plan(self, ctx):
            def write():
                assert Task.objects.get(pk=task["id"]).status == "completed"   # the completion is written...
                raise effects.Refused("asunto", "El registro rechazó el cambio.")
            return [write]

    effects.register(Failing())
    try:
        answer = walker.api(walker.actor(task)).post(f"/api/tasks/{task['id']}/complete", {"data": {
            "asunto": "Clave", "detalle": "Olvidé la clave", "categoria": "Software", "ubicacion": "Piso 1"}})
    finally:
        effects._providers.remove(next(p for p in effects._providers if isinstance(p, Failing)))
    assert answer.status_code == 422 and answer.json()["errors"] == {"asunto": "El registro rechazó el cambio."}
    # ...and rolled back with it.
    assert Task.objects.get(pk=task["id"]).status == "open"
    assert (Task.objects.count(), TaskOffer.objects.count(), Event.objects.count(), AuditEntry.objects.count()) == counts


@pytest.mark.django_db(transaction=True)
def test_two_technicians_registering_the_same_vpn_user_at_once_one_wins(staff, make_user):
    second = make_user("tecnico2", "tecnico-especialista", unit="ogtie")
    walker = Walker()
    tasks = []
    for username in ("tecnico-especialista", "tecnico2"):   # each does activity 13, so 15 is theirs
        case, task = walk_to(walker, 13)
        Api(username).post(f"/api/tasks/{task['id']}/complete", {"data": {"usuario_vpn": "jperez.vpn"}})
        tasks.append(walker.case(case["id"], "personal-mindef")["open_tasks"][0]["id"])
    barrier = threading.Barrier(2)
    outcomes = []

    def complete(task_id, user):
        try:
            barrier.wait()
            workflow.complete_task(task_id, user, vpn_user(), None)
            outcomes.append("ok")
        except workflow.Invalid as exc:
            outcomes.append(exc.errors)
        finally:
            connection.close()

    threads = [threading.Thread(target=complete, args=(t, u)) for t, u in zip(tasks, (staff["tecnico-especialista"], second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes.count("ok") == 1
    [refused] = [o for o in outcomes if o != "ok"]
    assert list(refused) == ["usuario_vpn"]
    assert Entry.objects.filter(register="usuarios-vpn").count() == 1
    assert sorted(Task.objects.filter(pk__in=tasks).values_list("status", flat=True)) == ["completed", "open"]


def test_the_completion_writer_takes_its_columns_from_the_models():
    """cases.store writes whole rows: every column of Task, Event, TaskOffer and the audit entry."""
    from audit.models import Entry as Audit

    for model, columns in ((Task, store.TASK_COLUMNS), (Event, store.EVENT_COLUMNS), (TaskOffer, store.OFFER_COLUMNS),
                           (Audit, store.AUDIT_COLUMNS)):
        assert set(columns) == {f.column for f in model._meta.concrete_fields if not f.primary_key}, model
    assert set(store.OFFER_FROM_TASK) <= set(store.TASK_COLUMNS)


@pytest.mark.django_db
def test_the_task_page_says_the_register_answers_the_question(staff, client):
    case, task = walk_to(Walker(), 13)
    assert client.login(username="tecnico-especialista", password="clave-segura-123")
    page = client.get(f"/tareas/{task['id']}/").content.decode()
    assert "¿El usuario VPN ya existe?" in page
    assert "La responde el registro «Usuarios VPN»" in page
    assert 'name="decision" value="Sí"' not in page         # nobody picks the answer by hand
    # The form posts without a decision; the register answers «No» and the case goes to activity 15.
    answer = client.post(f"/tareas/{task['id']}/atender", {"usuario_vpn": "nuevo.vpn"})
    assert answer.status_code in (200, 302)
    assert Task.objects.get(pk=task["id"]).status == "completed"
    assert Event.objects.get(case_id=case["id"], activity=13).decision == "No"
