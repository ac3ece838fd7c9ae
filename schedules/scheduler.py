"""Starting the manual's periodic work on its dates.

An occurrence (procedure, schedule, due date) is taken by inserting its `Occurrence` row; the
unique constraint on those three columns means that when two workers reach the same date at
once, exactly one insert succeeds and only that worker starts the case. The insert and the case
start share one transaction, so a case that fails to start leaves no row and the next pass
tries again.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases import procedures, workflow
from cases.models import Case
from engine.sheets import Schedule, Sheet

from . import calendar
from .models import Occurrence, ScheduleSetting

LIMA = ZoneInfo("America/Lima")
SYSTEM_USERNAME = "sistema"
DEFAULT_CATCH_UP_DAYS = 7


def local_now(now: datetime | None = None) -> datetime:
    return timezone.localtime(now or timezone.now(), LIMA)


def system_user():
    """The account that starts scheduled cases: cannot sign in, is not a demo account."""
    from org.models import Person, Unit

    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"first_name": "Sistema", "last_name": "(programación)"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if not hasattr(user, "person"):
        Person.objects.get_or_create(user=user, defaults={"is_demo": False, "unit": Unit.objects.filter(slug="ogtie").first()})
        user.refresh_from_db()
    return user


def schedules() -> list[tuple[Sheet, Schedule]]:
    return [(s, sch) for s in procedures.sheets().values() for sch in s.schedules]


def sync_settings() -> dict[tuple[str, str], ScheduleSetting]:
    """A settings row for every schedule of the sheets, created with the sheet's defaults."""
    existing = {(s.procedure, s.schedule_key): s for s in ScheduleSetting.objects.all()}
    for sheet, sch in schedules():
        key = (sheet.code, sch.key)
        setting = existing.get(key)
        if setting is None:
            setting, _ = ScheduleSetting.objects.get_or_create(
                procedure=sheet.code, schedule_key=sch.key,
                defaults={
                    "label": sch.label[:300], "rule": sch.rule, "printed": sch.printed[:300],
                    "months": list(sch.months or calendar.default_months(sch.rule)),
                    "day": sch.day or calendar.DEFAULT_DAY,
                },
            )
            existing[key] = setting
        elif (setting.label, setting.rule, setting.printed) != (sch.label[:300], sch.rule, sch.printed[:300]):
            # The sheet owns the wording and the rule; the office owns the dates.
            setting.label, setting.rule, setting.printed = sch.label[:300], sch.rule, sch.printed[:300]
            setting.save(update_fields=["label", "rule", "printed", "updated_at"])
    return existing


@dataclass
class Due:
    sheet: Sheet
    schedule: Schedule
    setting: ScheduleSetting
    due_date: date


def due_occurrences(now: datetime | None = None, catch_up: int = DEFAULT_CATCH_UP_DAYS) -> list[Due]:
    """Occurrences due by `now` (Lima time), at most `catch_up` days old, not yet taken."""
    if catch_up < 0:
        raise ValueError("catch_up debe ser 0 o más")
    local = local_now(now)
    today = local.date()
    settings = sync_settings()
    found = []
    for sheet, sch in schedules():
        setting = settings[(sheet.code, sch.key)]
        if not setting.enabled:
            continue
        dates = setting.occurrences(today - timedelta(days=catch_up), today)
        if dates and dates[-1] == today and local.time() < setting.start_time:
            dates.pop()
        if not dates:
            continue
        taken = set(Occurrence.objects.filter(procedure=sheet.code, schedule_key=sch.key, due_date__in=dates)
                    .values_list("due_date", flat=True))
        found += [Due(sheet, sch, setting, d) for d in dates if d not in taken]
    found.sort(key=lambda d: (d.due_date, d.sheet.code, d.schedule.key))
    return found


def start_occurrence(code: str, schedule_key: str, due_date: date, user=None) -> Case | None:
    """Take the occurrence and start its case; None when it was already taken (by anyone).

    Errors starting the case propagate and roll the occurrence row back."""
    user = user or system_user()
    with transaction.atomic():
        try:
            with transaction.atomic():
                occurrence = Occurrence.objects.create(
                    procedure=code, schedule_key=schedule_key, due_date=due_date,
                    status=Occurrence.Status.STARTED, started_at=timezone.now(),
                )
        except IntegrityError:
            return None
        case = workflow.start_case(user, code, start_key=schedule_key, scheduled=True)
        Occurrence.objects.filter(pk=occurrence.pk).update(case=case)
    return case


@dataclass
class Started:
    due: Due
    case: Case


@dataclass
class Failed:
    due: Due
    error: str


def run_pass(now: datetime | None = None, catch_up: int = DEFAULT_CATCH_UP_DAYS) -> tuple[list[Started], list[Failed]]:
    """Start every due occurrence; one failing start does not stop the others."""
    started, failed = [], []
    user = system_user()
    for due in due_occurrences(now, catch_up):
        try:
            case = start_occurrence(due.sheet.code, due.schedule.key, due.due_date, user)
        except workflow.WorkflowError as exc:
            failed.append(Failed(due, exc.detail))
            continue
        except Exception as exc:  # noqa: BLE001 - the worker must keep serving the other schedules
            failed.append(Failed(due, f"{type(exc).__name__}: {exc}"))
            continue
        if case is not None:
            started.append(Started(due, case))
    return started, failed
