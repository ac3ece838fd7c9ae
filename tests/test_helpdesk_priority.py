"""A ticket's priority is its case's: the case's tasks are due by it, on the office's calendar."""
import pytest

from audit.models import Entry
from cases.models import Task
from helpdesk import actions
from schedules.office_calendar import office_calendar


def open_task(case):
    return Task.objects.filter(case=case, status="open").order_by("id").first()


@pytest.mark.django_db
def test_an_urgent_ticket_makes_its_cases_tasks_due_sooner_and_a_lower_priority_later(staff, settings):
    settings.MAPRO_TASK_DUE_DAYS, settings.MAPRO_TASK_DUE_DAYS_BY_PRIORITY = 3, {"high": 1, "low": 5}
    ticket = actions.open_ticket(staff["personal-mindef"], "equipo", "La PC no enciende",
                                 "Desde esta mañana no enciende.", impact="alto", urgency="alta")
    assert ticket.priority == "critica" and ticket.case.priority == "high"
    task = open_task(ticket.case)
    assert task.due_at == office_calendar().add_days(task.created_at, 1)
    assert Entry.objects.filter(action="case.prioritised", object_id=str(ticket.case_id)).exists()

    actions.prioritise(staff["operador-mesa-ayuda"], ticket.pk, "bajo", "baja")
    ticket.case.refresh_from_db()
    task.refresh_from_db()
    assert ticket.case.priority == "low"
    assert task.due_at == office_calendar().add_days(task.created_at, 5)
    assert all(o.due_at == task.due_at for o in task.offers.all())


@pytest.mark.django_db
def test_a_usual_ticket_keeps_the_usual_due_date(staff, settings):
    settings.MAPRO_TASK_DUE_DAYS = 3
    ticket = actions.open_ticket(staff["personal-mindef"], "equipo", "Impresora atascada", "Atasca cada hoja.",
                                 impact="medio", urgency="media")
    assert ticket.case.priority == "medium"
    task = open_task(ticket.case)
    assert task.due_at == office_calendar().add_days(task.created_at, 3)
