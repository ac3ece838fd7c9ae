"""The annual cronograma of backups (SGSI-FOR-026) starts the backup work on its dates."""
from datetime import date

import pytest
from django.core.management import call_command

from cases.models import Case
from registers import actions, cronograma
from registers.models import Entry, Version


@pytest.fixture
def planned(staff):
    def plan(element, day):
        return actions.change(staff["coord-infraestructura"], "cronograma-respaldos", "create",
                              {"elemento": element, "fecha_programada": day}, {"anio": 2026, "tipo": "BD"})
    return plan


@pytest.mark.django_db
def test_each_date_of_the_cronograma_starts_its_case_once(planned):
    due = planned("Base de datos SISTRADOC", "2026-03-02")
    later = planned("Servidor de correo", "2026-09-01")

    call_command("worker", "--once", "--at", "2026-03-02T09:00", "--catch-up", "0")

    due.refresh_from_db()
    assert due.state == "iniciado"
    version = Version.objects.get(entry=due, n=2)
    case = version.case
    assert case.procedure == "S04.03.02.01" and case.start_key == "copia-de-respaldo-programada-en-el-cronograma"
    assert case.subject == "Base de datos SISTRADOC"
    assert case.started_by.username == "sistema"
    assert Entry.objects.get(pk=later.pk).state == "programado"       # its date has not come

    # Another pass (or a second worker) starts nothing again.
    call_command("worker", "--once", "--at", "2026-03-02T10:00", "--catch-up", "0")
    assert Case.objects.filter(procedure="S04.03.02.01", start_key=case.start_key).count() == 1


@pytest.mark.django_db
def test_an_entry_started_by_another_worker_meanwhile_is_not_started_twice(planned):
    entry = planned("Servidor de archivos", "2026-03-02")
    stale = Entry.objects.get(pk=entry.pk)
    r = cronograma.cronogramas()[0] if cronograma.cronogramas()[0].slug == "cronograma-respaldos" else \
        next(x for x in cronograma.cronogramas() if x.slug == "cronograma-respaldos")
    from cases.workflow import NotFound  # noqa: F401 - the module the worker uses
    from schedules.scheduler import system_user

    first = cronograma.start_entry(r, Entry.objects.get(pk=entry.pk), system_user())
    second = cronograma.start_entry(r, stale, system_user())   # read before the first one wrote
    assert first is not None and second is None
    assert Case.objects.filter(procedure="S04.03.02.01").count() == 1
    assert cronograma.due_entries(r, date(2026, 12, 31)) == []


@pytest.mark.django_db
def test_the_case_a_date_started_marks_that_date_executed_when_it_reports_the_status(planned):
    from .walker import Walker

    entry = planned("Carpetas compartidas", "2026-03-02")
    other = planned("Servidor de correo", "2026-03-02")
    call_command("worker", "--once", "--at", "2026-03-02T09:00", "--catch-up", "0")
    case_id = Version.objects.get(entry=entry, n=2).case_id
    walker = Walker()
    answers = {3: "Copia de información común", 6: "No"}
    case = walker.case(case_id, "jefe-ogtie")
    while case["status"] == "open":
        task = case["open_tasks"][0]
        walker.complete(task, answers.get(task["activity"]))
        case = walker.case(case_id, "jefe-ogtie")

    entry.refresh_from_db()
    assert (entry.state, entry.closed) == ("ejecutado", True)
    assert Version.objects.get(entry=entry, n=3).activity == 11
    other.refresh_from_db()
    assert other.state == "iniciado"      # its own case has not reported yet


@pytest.mark.django_db
def test_a_case_started_by_hand_marks_no_cronograma_date(staff, planned):
    from .walker import Walker

    entry = planned("Carpetas compartidas", "2026-03-02")
    walker = Walker()
    case = walker.start("S04.03.02.01", "profesional-ogtie", start="copia-de-respaldo-programada-en-el-cronograma")
    answers = {3: "Copia de información común", 6: "No"}
    while case["status"] == "open":
        task = case["open_tasks"][0]
        walker.complete(task, answers.get(task["activity"]))
        case = walker.case(case["id"], "jefe-ogtie")
    entry.refresh_from_db()
    assert entry.state == "programado"
