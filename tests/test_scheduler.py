"""The scheduler: calendar rules, the `mapro worker` command, one start per date, the Programación page."""
import threading
from datetime import date, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from cases import workflow
from cases.models import Case, Task
from schedules import scheduler
from schedules.calendar import RuleError, default_months, describe, next_occurrences, occurrences
from schedules.models import Occurrence, ScheduleSetting

CONCILIATION = ("S04.03.01.02", "conciliacion-semestral-de-altas-y-bajas")
BACKUP_MONITORING = ("S04.03.02.01", "monitoreo-diario-de-copias-de-respaldo-de-base-de-datos-en-discos-locales")


# --- calendar (pure) --------------------------------------------------------------------------
def test_semiannual_defaults_to_january_and_july():
    assert default_months("semiannual") == (1, 7)
    assert occurrences("semiannual", [], 1, None, date(2025, 1, 1), date(2026, 12, 31)) == [
        date(2025, 1, 1), date(2025, 7, 1), date(2026, 1, 1), date(2026, 7, 1),
    ]


def test_semiannual_with_the_offices_months_and_day():
    assert occurrences("semiannual", [3, 9], 15, None, date(2025, 3, 16), date(2026, 3, 15)) == [
        date(2025, 9, 15), date(2026, 3, 15),
    ]


def test_annual_defaults_to_january_and_honours_the_sheets_month():
    assert occurrences("annual", (), 1, None, date(2024, 6, 1), date(2027, 6, 1)) == [
        date(2025, 1, 1), date(2026, 1, 1), date(2027, 1, 1),
    ]
    assert occurrences("annual", [12], 1, None, date(2025, 1, 1), date(2026, 12, 31)) == [
        date(2025, 12, 1), date(2026, 12, 1),
    ]


def test_quarterly_defaults_to_january_april_july_october():
    assert occurrences("quarterly", None, 10, None, date(2025, 1, 1), date(2025, 12, 31)) == [
        date(2025, 1, 10), date(2025, 4, 10), date(2025, 7, 10), date(2025, 10, 10),
    ]


def test_monthly_every_month_on_day_one_by_default():
    result = occurrences("monthly", [], None, None, date(2025, 1, 1), date(2025, 12, 31))
    assert result == [date(2025, m, 1) for m in range(1, 13)]


def test_day_past_the_end_of_the_month_falls_on_its_last_day():
    assert occurrences("monthly", [], 31, None, date(2024, 1, 1), date(2024, 6, 30)) == [
        date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31), date(2024, 6, 30),
    ]
    assert occurrences("semiannual", [2, 8], 30, None, date(2025, 1, 1), date(2025, 12, 31)) == [
        date(2025, 2, 28), date(2025, 8, 30),
    ]


def test_daily_is_every_day_in_the_range_inclusive():
    assert occurrences("daily", [], None, None, date(2024, 2, 27), date(2024, 3, 2)) == [
        date(2024, 2, 27), date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1), date(2024, 3, 2),
    ]
    assert occurrences("daily", [], None, None, date(2025, 5, 5), date(2025, 5, 5)) == [date(2025, 5, 5)]
    assert occurrences("daily", [], None, None, date(2025, 5, 5), date(2025, 5, 4)) == []


def test_weekly_defaults_to_monday_and_takes_a_weekday():
    # 2025-06-02 is a Monday.
    assert occurrences("weekly", [], None, None, date(2025, 6, 1), date(2025, 6, 30)) == [
        date(2025, 6, 2), date(2025, 6, 9), date(2025, 6, 16), date(2025, 6, 23), date(2025, 6, 30),
    ]
    assert occurrences("weekly", [], None, 4, date(2025, 6, 6), date(2025, 6, 20)) == [
        date(2025, 6, 6), date(2025, 6, 13), date(2025, 6, 20),
    ]


def test_unknown_rule_is_refused():
    with pytest.raises(RuleError):
        occurrences("fortnightly", [], 1, None, date(2025, 1, 1), date(2025, 2, 1))


def test_next_occurrences_spans_years_and_skips_taken_dates():
    assert next_occurrences("annual", [12], 1, None, date(2025, 12, 2), 3) == [
        date(2026, 12, 1), date(2027, 12, 1), date(2028, 12, 1),
    ]
    assert next_occurrences("daily", [], None, None, date(2025, 1, 1), 3, skip=frozenset({date(2025, 1, 1)})) == [
        date(2025, 1, 2), date(2025, 1, 3), date(2025, 1, 4),
    ]


def test_describe_in_spanish():
    assert describe("semiannual", [1, 7], 1, None) == "Semestral: día 1 de enero y julio"
    assert describe("monthly", [], 31, None) == "Mensual: día 31 (o el último día del mes) de cada mes"
    assert describe("weekly", [], None, 2) == "Semanal: cada miércoles"
    assert describe("daily", [], None, None) == "Diario: todos los días"


# --- worker -----------------------------------------------------------------------------------
def _worker(*, at, catch_up=0):
    out, err = StringIO(), StringIO()
    call_command("worker", once=True, at=at, catch_up=catch_up, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _occurrence(code_key, due):
    code, key = code_key
    return Occurrence.objects.select_related("case").get(procedure=code, schedule_key=key, due_date=due)


def test_worker_once_starts_due_occurrences_as_cases_of_their_procedure(organization):
    out, err = _worker(at="2025-07-01T09:00")
    assert err == ""

    conciliation = _occurrence(CONCILIATION, date(2025, 7, 1))
    case = conciliation.case
    assert (case.procedure, case.start_key, case.status) == (CONCILIATION[0], CONCILIATION[1], Case.Status.OPEN)
    assert case.started_by.username == "sistema"
    assert [t.activity for t in case.tasks.filter(status=Task.Status.OPEN)] == [11]
    assert conciliation.status == Occurrence.Status.STARTED and conciliation.started_at

    monitoring = _occurrence(BACKUP_MONITORING, date(2025, 7, 1)).case
    assert (monitoring.procedure, monitoring.start_key) == BACKUP_MONITORING
    assert [t.activity for t in monitoring.tasks.filter(status=Task.Status.OPEN)] == [4]

    assert f"Iniciado {case.number}: S04.03.01.02 «Conciliación semestral de altas y bajas» (fecha programada 01/07/2025)." in out
    # Exactly the schedules due on July 1st (per the sheets' rules), each once; no other date.
    expected = {key for key, setting in scheduler.sync_settings().items()
                if setting.occurrences(date(2025, 7, 1), date(2025, 7, 1))}
    assert set(Occurrence.objects.values_list("procedure", "schedule_key")) == expected
    assert Occurrence.objects.count() == Case.objects.count() == len(expected)
    assert set(Occurrence.objects.values_list("due_date", flat=True)) == {date(2025, 7, 1)}
    assert ("S04.03.04.03", "informe-anual-de-mantenimiento-de-equipos-de-computo-e-impresoras") not in expected


def test_running_the_worker_twice_starts_nothing_new(organization):
    _worker(at="2025-07-01T09:00", catch_up=7)
    cases = Case.objects.count()
    out, err = _worker(at="2025-07-01T09:30", catch_up=7)
    assert (out, err) == ("", "")
    assert Case.objects.count() == cases


def test_todays_occurrence_waits_for_its_start_time(organization):
    _worker(at="2025-07-02T07:59", catch_up=0)
    assert not Occurrence.objects.exists()
    setting = ScheduleSetting.objects.get(procedure=BACKUP_MONITORING[0], schedule_key=BACKUP_MONITORING[1])
    assert setting.start_time == time(8, 0)
    _worker(at="2025-07-02T08:00", catch_up=0)
    assert _occurrence(BACKUP_MONITORING, date(2025, 7, 2)).case


def test_catch_up_limits_the_backlog_of_a_fresh_install(organization):
    # Ten days after the July 1st dates: the semiannual ones are older than the catch-up window.
    _worker(at="2025-07-11T09:00", catch_up=7)
    assert not Occurrence.objects.filter(due_date=date(2025, 7, 1)).exists()
    daily = Occurrence.objects.filter(procedure=BACKUP_MONITORING[0], schedule_key=BACKUP_MONITORING[1])
    assert sorted(daily.values_list("due_date", flat=True)) == [date(2025, 7, 4) + timedelta(days=n) for n in range(8)]


def test_sheet_defaults_and_office_settings(organization):
    settings = scheduler.sync_settings()
    conciliation = settings[CONCILIATION]
    assert (conciliation.rule, conciliation.months, conciliation.day, conciliation.enabled) == ("semiannual", [1, 7], 1, True)
    assert settings[("S04.03.04.03", "informe-anual-de-mantenimiento-de-equipos-de-computo-e-impresoras")].months == [12]
    assert settings[("S04.04.00.01", "generacion-mensual-de-back-up-de-las-plataformas-de-seguridad-informatica")].months == list(range(1, 13))

    # The office moves the conciliation to the 15th and switches the daily monitoring off.
    ScheduleSetting.objects.filter(pk=conciliation.pk).update(day=15)
    ScheduleSetting.objects.filter(procedure=BACKUP_MONITORING[0], schedule_key=BACKUP_MONITORING[1]).update(enabled=False)
    _worker(at="2025-07-01T09:00", catch_up=0)
    assert not Occurrence.objects.filter(procedure=CONCILIATION[0]).exists()
    assert not Occurrence.objects.filter(schedule_key=BACKUP_MONITORING[1]).exists()
    _worker(at="2025-07-15T09:00", catch_up=0)
    assert _occurrence(CONCILIATION, date(2025, 7, 15)).case


def test_a_skipped_date_is_not_started(organization):
    Occurrence.objects.create(procedure=CONCILIATION[0], schedule_key=CONCILIATION[1], due_date=date(2025, 7, 1),
                              status=Occurrence.Status.SKIPPED, note="Feriado")
    _worker(at="2025-07-01T09:00", catch_up=0)
    assert _occurrence(CONCILIATION, date(2025, 7, 1)).case is None


def test_a_failing_start_rolls_the_occurrence_back_and_is_retried(organization, monkeypatch):
    real_start = workflow.start_case

    def broken(user, code, *args, **kwargs):
        if code == CONCILIATION[0]:
            raise workflow.Invalid("El motor no pudo iniciar el caso.")
        return real_start(user, code, *args, **kwargs)

    monkeypatch.setattr(workflow, "start_case", broken)
    out, err = _worker(at="2025-07-01T09:00", catch_up=0)
    assert "No se pudo iniciar S04.03.01.02 «Conciliación semestral de altas y bajas» (fecha programada 01/07/2025): El motor no pudo iniciar el caso." in err
    assert not Occurrence.objects.filter(procedure=CONCILIATION[0]).exists()
    assert not Case.objects.filter(procedure=CONCILIATION[0]).exists()
    assert Occurrence.objects.filter(procedure=BACKUP_MONITORING[0]).exists()  # the others still start

    monkeypatch.setattr(workflow, "start_case", real_start)
    _worker(at="2025-07-01T09:05", catch_up=0)
    assert _occurrence(CONCILIATION, date(2025, 7, 1)).case


def test_the_system_user_cannot_sign_in_and_is_not_a_demo_account(organization):
    user = scheduler.system_user()
    assert user.username == "sistema"
    assert not user.has_usable_password()
    assert user.person.is_demo is False
    assert scheduler.system_user().pk == user.pk


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_the_same_occurrence_start_exactly_one_case():
    call_command("load_organization", verbosity=0)
    user = scheduler.system_user()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def work():
        try:
            barrier.wait(timeout=10)
            results.append(scheduler.start_occurrence(CONCILIATION[0], CONCILIATION[1], date(2025, 7, 1), user))
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    started = [case for case in results if case is not None]
    assert len(results) == 2 and len(started) == 1
    assert Case.objects.filter(procedure=CONCILIATION[0]).count() == 1
    assert Occurrence.objects.get().case_id == started[0].pk


# --- page -------------------------------------------------------------------------------------
def _wait_for_dgrrhh(staff):
    """A conciliation case at activity 12's reception: «Se espera a DGRRHH: ...»."""
    case = scheduler.start_occurrence(CONCILIATION[0], CONCILIATION[1], date(2025, 7, 1))
    [task] = case.tasks.filter(status=Task.Status.OPEN)
    workflow.complete_task(task.pk, staff["coord-infraestructura"], {"proyecto_oficio": "Proyecto 015-2025"}, None)
    [task] = case.tasks.filter(status=Task.Status.OPEN)
    assert task.activity == 12
    workflow.complete_task(task.pk, staff["jefe-ogtie"], {"oficio": "Oficio 120-2025-OGTIE", "fecha_remision": "2025-07-02"}, None)
    [wait] = case.tasks.filter(status=Task.Status.OPEN)
    assert wait.waiting
    return case, wait


def test_the_page_lists_upcoming_dates_started_cases_and_waits(client, staff):
    case, wait = _wait_for_dgrrhh(staff)
    scheduler.sync_settings()
    ScheduleSetting.objects.filter(procedure=BACKUP_MONITORING[0], schedule_key=BACKUP_MONITORING[1]).update(enabled=False)
    client.force_login(staff["coord-infraestructura"])
    response = client.get(reverse("schedule"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Programación</h1>" in html
    assert "Conciliación semestral de altas y bajas" in html and "«2 veces al año»" in html

    today = scheduler.local_now().date()
    for due in next_occurrences("semiannual", [1, 7], 1, None, today, 3):
        assert due.strftime("%d/%m/%Y") in html
    assert reverse("case", args=[case.pk]) in html and case.number in html
    assert "Desactivada" in html and "Activa" in html
    # Printed periodicity with no schedule: S04.03.01.04 activity 11 "Anualmente".
    assert "Anualmente" in html

    assert "Esperas a terceros" in html
    assert reverse("task", args=[wait.pk]) in html
    assert ">DGRRHH</a>" in html and "remita listado de altas y bajas" in html
    assert wait.created_at.astimezone(scheduler.LIMA).strftime("%d/%m/%Y %H:%M") in html


def test_the_page_requires_login(client, organization):
    response = client.get(reverse("schedule"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_office_edits_settings_in_the_admin(client, organization):
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser("jefa", password="clave-segura-123")
    client.force_login(admin_user)
    setting = scheduler.sync_settings()[CONCILIATION]
    url = reverse("admin:schedules_schedulesetting_change", args=[setting.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"enabled": "on", "months": ["3", "9"], "day": "31", "weekday": "0", "start_time": "07:30"})
    assert response.status_code == 302, response.content.decode()[:2000]
    setting.refresh_from_db()
    assert (setting.months, setting.day, setting.start_time) == ([3, 9], 31, time(7, 30))
    assert setting.occurrences(date(2025, 1, 1), date(2025, 12, 31)) == [date(2025, 3, 31), date(2025, 9, 30)]
    response = client.post(url, {"enabled": "on", "day": "1", "weekday": "0", "start_time": "07:30"})
    assert response.status_code == 200 and "Elija al menos un mes." in response.content.decode()
