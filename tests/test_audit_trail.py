"""The audit trail: every change of state, sign-in and read of personal data leaves one entry (who,
when, from where, what, before and after), written with the change; the chain sealed by the worker
proves that no entry was altered, deleted or reordered; the chief, the security specialist and
superusers read it, with personal data masked until they ask, and that is recorded too."""
import importlib
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

import audit
from audit import chain
from audit.models import AppendOnly, ChainHead, Entry
from cases import store, workflow
from cases.models import Case, Event, Task
from org.models import Role, Unit

from .api_client import Api, fill
from .test_access_rules import DNI, accounts_case  # noqa: F401  (a fixture: a case holding a DNI)

pytestmark = pytest.mark.django_db

CODE = "S04.03.04.02"
TICKET = {"asunto": "Impresora atascada", "detalle": "La impresora del piso 3 atasca el papel.",
          "categoria": "Hardware", "ubicacion": "Piso 3"}
PASSWORD = "clave-segura-123"
TRIGGERS = importlib.import_module("audit.migrations.0002_append_only")


def case_entries(case_id):
    return list(Entry.objects.filter(object_type="case", object_id=str(case_id)).order_by("id"))


def web(user):
    client = Client()
    client.force_login(user)
    return client


def verify() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def broken() -> str:
    with pytest.raises(CommandError) as failed:
        verify()
    return str(failed.value)


def lift_triggers():
    """An attacker with the database owner's rights: the append-only triggers dropped."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for sql in TRIGGERS.POSTGRESQL_REVERSE:
                cursor.execute(sql)
        else:
            for sql in TRIGGERS.SQLITE_REVERSE:
                cursor.execute(sql)


def sealed_trail(staff):
    """A small trail of real entries, sealed: a case started with data and a task claimed."""
    case = workflow.start_case(staff["personal-mindef"], CODE, data=TICKET)
    workflow.claim_task(case.tasks.get(status="open").pk, staff["operador-mesa-ayuda"])
    call_command("audit", "seal", stdout=StringIO())
    return list(Entry.objects.order_by("seq"))


# --- one entry per change ---------------------------------------------------------------------
def test_a_support_case_walked_through_the_api_leaves_one_entry_per_change_in_order(staff, make_user):
    make_user("operadora2", "operador-mesa-ayuda", unit="ogtie")
    requester, operator = Api("personal-mindef"), Api("operador-mesa-ayuda")
    case = requester.post("/api/cases", {"procedure": CODE, "data": TICKET}).json()
    [task] = case["open_tasks"]
    assert operator.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    assert operator.post(f"/api/tasks/{task['id']}/release").status_code == 200
    assert operator.post(f"/api/tasks/{task['id']}/complete", {"data": fill(task["form"]), "decision": "Sí"}).status_code == 200
    assert requester.post(f"/api/cases/{case['id']}/comments", {"body": "¿Alguna novedad?"}).status_code == 201
    uploaded = requester.upload(case["id"], "foto.pdf").json()
    assert operator.get(uploaded["url"]).status_code == 200
    lead = Api("jefe-ogtie")
    [task] = lead.get(f"/api/cases/{case['id']}").json()["open_tasks"]
    assert task["assignee"] == "operador-mesa-ayuda"    # activity 4: the same role as 2, the same person
    assert lead.post(f"/api/tasks/{task['id']}/reassign", {"assignee": "operadora2"}).status_code == 200
    assert lead.post(f"/api/cases/{case['id']}/cancel", {"reason": "Duplicado"}).status_code == 200

    entries = case_entries(case["id"])
    assert [(e.action, e.actor_name) for e in entries] == [
        ("case.started", "personal-mindef"),
        ("task.completed", "personal-mindef"),       # the requester's activity 1, filled at the start
        ("task.claimed", "operador-mesa-ayuda"),
        ("task.released", "operador-mesa-ayuda"),
        ("task.completed", "operador-mesa-ayuda"),
        ("comment.added", "personal-mindef"),
        ("attachment.added", "personal-mindef"),
        ("attachment.downloaded", "operador-mesa-ayuda"),
        ("task.reassigned", "jefe-ogtie"),
        ("case.cancelled", "jefe-ogtie"),
    ]
    number = Case.objects.get(pk=case["id"]).number
    assert all(e.ip == "127.0.0.1" and e.label == number and e.actor_id for e in entries)
    assert all(not e.sealed for e in entries)            # the worker seals them, not the writers
    started, first, claimed, released, completed = entries[:5]
    assert started.after["procedure"] == CODE and started.before is None
    assert first.after["data"]["asunto"] == "Impresora atascada" and first.after["activity"] == 1
    assert claimed.before["assignee"] is None and claimed.after["assignee"] == "operador-mesa-ayuda"
    assert released.before["assignee"] == "operador-mesa-ayuda" and released.after["assignee"] is None
    assert (completed.before["status"], completed.after["status"], completed.after["decision"]) == ("open", "completed", "Sí")
    assert entries[-2].before["assignee"] == "operador-mesa-ayuda" and entries[-2].after["assignee"] == "operadora2"
    assert entries[-1].before["status"] == "open" and entries[-1].after == {"status": "cancelled", "reason": "Duplicado"}


def test_a_withdrawal_and_a_web_comment_are_recorded_with_the_address(staff):
    case = workflow.start_case(staff["personal-mindef"], CODE, data=TICKET)
    client = web(staff["personal-mindef"])
    client.post(f"/casos/{case.pk}/comentarios", {"body": "Ya no la necesito"}, REMOTE_ADDR="10.10.1.20")
    client.post(f"/casos/{case.pk}/desistir", {"reason": "Se resolvió sola"}, REMOTE_ADDR="10.10.1.20")
    *_, comment, withdrawn = case_entries(case.pk)
    assert (comment.action, comment.ip) == ("comment.added", "10.10.1.20")
    assert (withdrawn.action, withdrawn.ip, withdrawn.after["status"]) == ("case.withdrawn", "10.10.1.20", "withdrawn")


def test_a_change_that_fails_leaves_no_entry(staff):
    before = Entry.objects.count()
    with pytest.raises(workflow.Invalid):
        workflow.start_case(staff["personal-mindef"], CODE, data={"asunto": ""})
    case = workflow.start_case(staff["personal-mindef"], CODE, data=TICKET)
    task = case.tasks.get(status="open")
    with pytest.raises(workflow.Invalid):
        workflow.complete_task(task.pk, staff["operador-mesa-ayuda"], {}, None)   # the decision is missing
    # The case started, its activity 1, and the ticket that activity opens at the help desk.
    assert sorted(Entry.objects.order_by("id")[before:].values_list("action", flat=True)) == sorted(
        ["case.started", "task.completed", "ticket.opened"])


def test_a_completion_that_loses_the_race_writes_no_audit_entry(staff):
    """The completion's entry is written by the completion's own statement (PostgreSQL) or
    transaction (SQLite): a completion that finds the task taken, or the case moved on, writes none."""
    case = workflow.start_case(staff["personal-mindef"], CODE, data=TICKET)
    task = workflow.get_task(case.tasks.get(status="open").pk)   # as read before the race
    operator = staff["operador-mesa-ayuda"]
    workflow.complete_task(task.pk, operator, {"prioridad": "Alta"}, "Sí")
    count = Entry.objects.count()
    for lost_to in ("task", "case"):
        if lost_to == "case":
            Task.objects.filter(pk=task.pk).update(status="open")   # the task is free, the case moved on
        late = store.Completion(task=task, user_id=operator.pk, case=task.case, state=task.case.state,
                                finished=False, now=task.created_at,
                                event=Event(case=task.case, task=task, kind="completed", created_at=task.created_at),
                                audit=audit.entry("task.completed", actor=operator, obj=task.case))
        with pytest.raises(store.Lost) as lost:
            store.record_completion(late)
        assert lost.value.what == lost_to
    Task.objects.filter(pk=task.pk).update(status="completed")
    assert Entry.objects.count() == count


# --- signing in ---------------------------------------------------------------------------------
def test_a_failed_and_a_successful_sign_in_are_recorded_with_the_address(staff):
    client = Client()
    client.post("/ingresar/", {"username": "personal-mindef", "password": "no-es-la-clave"}, REMOTE_ADDR="10.20.30.40")
    client.post("/ingresar/", {"username": "personal-mindef", "password": PASSWORD}, REMOTE_ADDR="10.20.30.41")
    client.post("/salir/", REMOTE_ADDR="10.20.30.41")
    failed, ok, out = Entry.objects.filter(label="personal-mindef", action__startswith="sign").order_by("id")
    assert (failed.action, failed.ip, failed.actor_id, failed.actor_name) == ("signin.failed", "10.20.30.40", None, "personal-mindef")
    assert (ok.action, ok.ip, ok.actor_id, ok.after) == ("signin.ok", "10.20.30.41", staff["personal-mindef"].pk, {"via": "web"})
    assert (out.action, out.ip) == ("signout", "10.20.30.41")


def test_the_api_token_its_revocation_and_a_lock_are_recorded(staff):
    api = Api("soporte-tecnico")
    issued = Entry.objects.get(action="token.issued", actor_name="soporte-tecnico")
    assert issued.ip == "127.0.0.1" and issued.object_type == "token"
    assert api.post("/api/auth/logout").status_code == 204
    revoked = Entry.objects.get(action="token.revoked")
    assert revoked.after == {"token": int(issued.object_id), "current": True}
    for _ in range(5):
        Api().client.post("/api/auth/token", {"username": "soporte-tecnico", "password": "mala"},
                          content_type="application/json")
    refused = Api().client.post("/api/auth/token", {"username": "soporte-tecnico", "password": PASSWORD},
                                content_type="application/json")
    assert refused.status_code == 429
    actions = list(Entry.objects.filter(label="soporte-tecnico", action__startswith="signin.")
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["signin.failed"] * 5 + ["signin.locked", "signin.refused"]
    assert Entry.objects.get(action="signin.locked").after["until"]


def test_the_second_factor_passed_or_failed_is_recorded(staff):
    from django.contrib.auth.signals import user_login_failed
    from django.test import RequestFactory

    from org.second_factor import second_factor_passed

    request = RequestFactory().post("/verificacion/", REMOTE_ADDR="10.9.9.9")
    user = staff["jefe-ogtie"]
    user_login_failed.send(sender=__name__, credentials={"username": "jefe-ogtie", "otp": "********"}, request=request)
    second_factor_passed.send(sender=__name__, request=request, user=user, device=None, via="web")
    failed, passed = Entry.objects.filter(label="jefe-ogtie", action__startswith="signin.").order_by("id")
    assert (failed.action, failed.ip, failed.after) == ("signin.failed", "10.9.9.9", {"via": "web", "second_factor": True})
    assert (passed.action, passed.actor_id, passed.after) == ("signin.second_factor", user.pk, {"via": "web"})


# --- roles and settings -------------------------------------------------------------------------
def test_granting_a_role_in_the_administration_is_recorded_with_before_and_after(admin_client, staff, make_user):
    ana = make_user("ana")
    role = Role.objects.get(slug="soporte-tecnico")
    members = list(role.members.values_list("pk", flat=True))
    response = admin_client.post(f"/admin/org/role/{role.pk}/change/", {
        "slug": role.slug, "name": role.name, "unit": role.unit_id, "members": [*members, ana.pk]},
        REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 302, response.content.decode()[:500]
    granted = Entry.objects.get(action="role.granted", label="ana", actor_name="admin")
    assert granted.ip == "10.0.0.7" and granted.object_type == "user" and granted.object_id == str(ana.pk)
    assert granted.before == {"roles": ["personal-mindef"]}
    assert granted.after == {"roles": ["personal-mindef", "soporte-tecnico"]}

    admin_client.post(f"/admin/org/role/{role.pk}/change/", {
        "slug": role.slug, "name": "Responsable de soporte técnico y redes", "unit": role.unit_id, "members": members})
    revoked = Entry.objects.get(action="role.revoked", label="ana")
    assert revoked.before == {"roles": ["personal-mindef", "soporte-tecnico"]} and revoked.after == {"roles": ["personal-mindef"]}
    renamed = Entry.objects.filter(action="role.changed", label="soporte-tecnico").latest("id")
    assert renamed.before == {"name": role.name} and renamed.after == {"name": "Responsable de soporte técnico y redes"}
    assert renamed.actor_name == "admin"


def test_a_person_moved_to_another_unit_and_a_schedule_changed_are_recorded(staff):
    from schedules.models import ScheduleSetting

    person = staff["personal-mindef"].person
    ogtie = Unit.objects.get(slug="ogtie")
    person.unit = ogtie
    person.save()
    moved = Entry.objects.filter(action="person.changed", label="personal-mindef").latest("id")
    assert moved.before == {"unit_id": Unit.objects.get(slug="uo").pk} and moved.after == {"unit_id": ogtie.pk}

    setting = ScheduleSetting.objects.create(procedure="S04.01.00.01", schedule_key="k", rule="annual", months=[1])
    day = setting.day
    setting.day, setting.enabled = day % 28 + 1, False
    setting.save()
    changed = Entry.objects.filter(action="setting.changed").latest("id")
    assert changed.before == {"day": day, "enabled": True} and changed.after == {"day": day % 28 + 1, "enabled": False}


def test_a_non_working_day_entered_and_removed_is_recorded(staff):
    from datetime import date

    from schedules import office_calendar
    from schedules.models import NonWorkingDay

    closed = NonWorkingDay.objects.create(date=date(2026, 1, 2), description="Día no laborable (D.S.)")
    entered = Entry.objects.filter(action="nonworkingday.changed").latest("id")
    assert entered.before is None and entered.after == {"date": "2026-01-02", "description": "Día no laborable (D.S.)"}
    closed.delete()
    removed = Entry.objects.filter(action="nonworkingday.changed").latest("id")
    assert removed.pk != entered.pk and removed.after is None
    office_calendar.invalidate()


# --- reads of personal data -------------------------------------------------------------------------
def test_a_technician_opening_a_case_with_a_dni_records_a_read_of_personal_data(accounts_case, staff, make_user):  # noqa: F811
    case = accounts_case
    reads = Entry.objects.filter(action="personal_data.read")
    before = reads.count()
    technician = Api("profesional-ogtie")
    assert DNI in technician.get(f"/api/cases/{case.pk}").content.decode()
    client = web(staff["profesional-ogtie"])
    assert DNI in client.get(f"/casos/{case.pk}/", REMOTE_ADDR="10.3.3.3").content.decode()
    task = case.tasks.filter(status="open").first()
    client.get(f"/tareas/{task.pk}/")
    found = list(reads.order_by("id"))[before:]
    assert [(e.actor_name, e.label, e.after) for e in found] == [("profesional-ogtie", case.number, {"fields": ["dni"]})] * 3
    assert [e.ip for e in found] == ["127.0.0.1", "10.3.3.3", "127.0.0.1"]
    # A unit's director offered a task sees the case masked: no personal data read. Nor in a case without any.
    Unit.objects.create(slug="digedoc", acronym="DIGEDOC", name="Dirección General de Documentación")
    director = make_user("director-digedoc", "director-uo", unit="digedoc")
    Task.objects.filter(pk=task.pk).update(assignee=director)
    assert Api("director-digedoc").get(f"/api/cases/{case.pk}").status_code == 200
    plain = workflow.start_case(staff["personal-mindef"], CODE, data=TICKET)
    assert Api("operador-mesa-ayuda").get(f"/api/cases/{plain.pk}").status_code == 200
    assert reads.count() == before + 3


# --- reading the trail --------------------------------------------------------------------------------
def test_the_security_specialist_reads_the_trail_masked_and_unmasking_is_recorded(accounts_case, staff):  # noqa: F811
    case = accounts_case
    client = web(staff["especialista-seguridad"])
    page = client.get("/auditoria/", {"object": case.number})
    body = page.content.decode()
    assert page.status_code == 200 and case.number in body
    assert DNI not in body and "••••••" in body
    assert "Auditoría" in client.get("/").content.decode()          # the menu's link

    completed = next(e for e in Entry.objects.filter(action="task.completed", label=case.number).order_by("-id")
                     if e.personal)
    assert completed.personal == ["data.dni"]
    shown = client.post(f"/auditoria/?object={case.number}", {"mostrar": completed.pk}, REMOTE_ADDR="10.1.1.1")
    assert DNI in shown.content.decode()
    unmasked = Entry.objects.get(action="audit.unmasked")
    assert (unmasked.actor_name, unmasked.ip, unmasked.after["entries"]) == ("especialista-seguridad", "10.1.1.1", [completed.pk])

    # Filters, the API and the exports: masked as well.
    filtered = client.get("/auditoria/", {"action": "task.completed", "actor": "profesional-ogtie"})
    assert filtered.status_code == 200 and filtered.context["page"].paginator.count == 1
    api = Api("especialista-seguridad").get("/api/audit", object=case.number, action="task.completed")
    assert api.status_code == 200 and api.json()["count"] >= 3 and DNI not in api.content.decode()
    assert {e["label"] for e in api.json()["results"]} == {case.number}
    for fmt in ("csv", "xlsx"):
        exported = client.get(f"/auditoria/exportar.{fmt}", {"object": case.number})
        assert exported.status_code == 200 and exported["Content-Disposition"].startswith("attachment")
        assert DNI.encode() not in exported.content
    assert Entry.objects.filter(action="audit.exported", actor_name="especialista-seguridad").count() == 2
    bad = Api("especialista-seguridad").get("/api/audit", action="nada")
    assert bad.status_code == 422 and bad.json()["error"] and "action" in bad.json()["errors"]


def test_the_chief_and_superusers_read_the_trail_and_everyone_else_gets_404(staff, admin_user):
    assert web(staff["jefe-ogtie"]).get("/auditoria/").status_code == 200
    assert Api("jefe-ogtie").get("/api/audit").status_code == 200
    assert web(admin_user).get("/auditoria/exportar.csv").status_code == 200
    for username in ("coord-infraestructura", "operador-mesa-ayuda", "soporte-tecnico", "personal-mindef", "ministro"):
        client = web(staff[username])
        for path in ("/auditoria/", "/auditoria/exportar.csv", "/auditoria/exportar.xlsx"):
            assert client.get(path).status_code == 404, (username, path)
        assert client.post("/auditoria/", {"mostrar": "pagina"}).status_code == 404
        assert "Auditoría" not in client.get("/").content.decode()
        response = Api(username).get("/api/audit")
        assert response.status_code == 404 and response.json()["error"] == "no_encontrado", username


def test_the_administration_shows_entries_but_cannot_add_change_or_delete_them(admin_client, staff):
    workflow.start_case(staff["personal-mindef"], CODE, data=TICKET)
    entry = Entry.objects.filter(action="case.started").latest("id")
    base = "/admin/audit/entry/"
    assert admin_client.get(base).status_code == 200
    assert admin_client.get(base + "add/").status_code == 403
    view = admin_client.get(f"{base}{entry.pk}/change/")
    assert view.status_code == 200 and 'type="submit"' not in view.content.decode().split('id="content-main"')[1]
    assert admin_client.post(f"{base}{entry.pk}/change/", {}).status_code == 403
    assert admin_client.post(f"{base}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Entry.objects.filter(pk=entry.pk).exists()


def test_a_case_corrected_in_the_administration_is_recorded_and_its_status_cannot_be_changed(admin_client, staff):
    case = workflow.start_case(staff["personal-mindef"], CODE, data=TICKET)
    url = f"/admin/cases/case/{case.pk}/change/"
    page = admin_client.get(url)
    data = {"subject": "Impresora del piso 3", "priority": "high", "requester_unit": case.requester_unit_id or "",
            "status": "completed", "lock_version": 99}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()})
        for form in formset.forms:
            data[form.add_prefix("id")], data[form.add_prefix("case")] = form.instance.pk, case.pk
    assert admin_client.post(url, data, REMOTE_ADDR="10.0.0.9").status_code == 302
    case.refresh_from_db()
    assert (case.subject, case.priority, case.status, case.lock_version) == ("Impresora del piso 3", "high", "open", 1)
    changed = Entry.objects.get(action="case.changed")
    assert (changed.actor_name, changed.ip, changed.label) == ("admin", "10.0.0.9", case.number)
    assert changed.before == {"subject": "Impresora atascada", "priority": "medium"}
    assert changed.after == {"subject": "Impresora del piso 3", "priority": "high"}


# --- append-only and the chain ----------------------------------------------------------------------
def test_the_database_refuses_to_change_or_delete_an_entry(staff):
    [first, *_] = sealed_trail(staff)
    with pytest.raises(AppendOnly):
        first.save()
    with pytest.raises(AppendOnly):
        first.delete()
    for statement in ("UPDATE audit_entry SET label = 'otro' WHERE id = %s",
                      "UPDATE audit_entry SET seq = NULL WHERE id = %s",
                      "DELETE FROM audit_entry WHERE id = %s"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [first.pk])
    # Not even an unsealed entry's content changes: only the sealer's one step is allowed.
    fresh = audit.record("comment.added", actor=staff["personal-mindef"], label="X")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute('UPDATE audit_entry SET "after" = NULL, label = %s WHERE id = %s', ["Y", fresh.pk])
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_entry")
    assert verify().startswith("Cadena de auditoría verificada")


def test_seal_then_verify_passes_and_the_worker_seals(staff):
    entries = sealed_trail(staff)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == "0" * 64 and all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:]))
    assert ChainHead.objects.get().seq == len(entries)
    assert f"verificada: {len(entries)} entradas" in verify()
    # New entries wait for the worker; a pass of `mapro worker` seals them.
    workflow.start_case(staff["personal-mindef"], CODE, data=TICKET)
    assert "aún sin sellar" in verify()
    call_command("worker", "--once", stdout=StringIO(), stderr=StringIO())
    assert not Entry.objects.filter(seq__isnull=True).exists()
    assert f"verificada: {Entry.objects.count()} entradas" in verify()
    assert chain.seal() == 0


def test_altering_an_entrys_after_json_breaks_the_chain_at_that_entry(staff):
    entries = sealed_trail(staff)
    target = next(e for e in entries if e.action == "task.completed")
    lift_triggers()
    with connection.cursor() as cursor:
        cursor.execute('UPDATE audit_entry SET "after" = %s WHERE id = %s',
                       ['{"task": 1, "activity": 1, "status": "completed", "decision": null, "data": {}}', target.pk])
    message = broken()
    assert f"entrada n.º {target.seq} (id {target.pk})" in message and "alterada" in message


def test_deleting_an_entry_breaks_the_chain_naming_the_missing_number(staff):
    entries = sealed_trail(staff)
    lift_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_entry WHERE id = %s", [entries[1].pk])
    message = broken()
    assert f"entrada n.º {entries[1].seq}:" in message and "borrada" in message and f"(id {entries[2].pk})" in message
    # Deleting the last entries is found too: the chain's head remembers how many were sealed.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_entry WHERE seq > %s", [entries[0].seq])
    message = broken()
    assert f"entrada n.º {entries[1].seq}:" in message and "final de la cadena" in message


def test_reordering_hashes_breaks_the_chain_at_the_first_entry_moved(staff):
    entries = sealed_trail(staff)
    a, b = entries[1], entries[2]
    lift_triggers()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_entry SET hash = %s, prev_hash = %s WHERE id = %s", [b.hash, b.prev_hash, a.pk])
        cursor.execute("UPDATE audit_entry SET hash = %s, prev_hash = %s WHERE id = %s", [a.hash, a.prev_hash, b.pk])
    message = broken()
    assert f"entrada n.º {a.seq} (id {a.pk})" in message and "reordenada" in message
    # Swapping the entries' numbers instead is found the same way.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_entry SET hash = %s, prev_hash = %s WHERE id = %s", [a.hash, a.prev_hash, a.pk])
        cursor.execute("UPDATE audit_entry SET hash = %s, prev_hash = %s WHERE id = %s", [b.hash, b.prev_hash, b.pk])
    assert verify().startswith("Cadena de auditoría verificada")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_entry SET seq = -1 WHERE id = %s", [a.pk])
        cursor.execute("UPDATE audit_entry SET seq = %s WHERE id = %s", [a.seq, b.pk])
        cursor.execute("UPDATE audit_entry SET seq = %s WHERE id = %s", [b.seq, a.pk])
    message = broken()
    assert f"entrada n.º {a.seq} (id {b.pk})" in message


@pytest.mark.django_db(transaction=True)
def test_two_sealers_at_once_seal_each_entry_once(staff):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: sealers cannot overlap there")
    for n in range(6):
        workflow.start_case(staff["personal-mindef"], CODE, data=dict(TICKET, asunto=f"Caso {n}"))
    total = Entry.objects.count()
    barrier = threading.Barrier(2)
    sealed, errors = [], []

    def run():
        try:
            barrier.wait()
            sealed.append(chain.seal(batch=5))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and sum(sealed) == total
    assert sorted(Entry.objects.values_list("seq", flat=True)) == list(range(1, total + 1))
    assert f"verificada: {total} entradas" in verify()
