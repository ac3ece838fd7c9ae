"""The Programación page: periodic work of the manual, its next dates, and the open waits."""
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from cases import access
from cases.models import Task

from . import calendar, scheduler
from .models import Occurrence, ScheduleSetting

UPCOMING_COUNT = 3
RECENT_COUNT = 3
WAIT_PREFIX = "Se espera a "


@dataclass
class Row:
    sheet: object
    schedule: object
    setting: ScheduleSetting
    upcoming: list[date] = field(default_factory=list)
    recent: list[Occurrence] = field(default_factory=list)


@dataclass
class Wait:
    task: Task
    party: str
    awaited: str


def _split_wait(name: str) -> tuple[str, str]:
    """"Se espera a DGRRHH: remita el listado" -> ("DGRRHH", "remita el listado")."""
    text = name[len(WAIT_PREFIX):] if name.startswith(WAIT_PREFIX) else name
    party, _, awaited = text.partition(":")
    return party.strip(), awaited.strip()


@login_required
def upcoming(request):
    local = scheduler.local_now()
    today = local.date()
    settings = scheduler.sync_settings()
    rows = []
    visible = access.visible_cases(request.user).values("pk")
    for sheet, sch in scheduler.schedules():
        setting = settings[(sheet.code, sch.key)]
        occurrences = Occurrence.objects.filter(procedure=sheet.code, schedule_key=sch.key)
        taken = frozenset(occurrences.filter(due_date__gte=today).values_list("due_date", flat=True))
        row = Row(sheet, sch, setting)
        if setting.enabled:
            row.upcoming = calendar.next_occurrences(
                setting.rule, setting.months, setting.day, setting.weekday, today, UPCOMING_COUNT, skip=taken,
            )
        row.recent = list(occurrences.filter(status=Occurrence.Status.STARTED, case__in=visible)
                          .select_related("case").order_by("-due_date")[:RECENT_COUNT])
        rows.append(row)

    # Periodicities printed on activities that no schedule starts: shown for reference.
    scheduled = {(s.code, sch.activity) for s, sch in scheduler.schedules()}
    printed_only = [
        (s, a) for s in scheduler.procedures.sheets().values() for a in s.activities
        if a.periodicity and (s.code, a.n) not in scheduled
    ]

    waits = [
        Wait(task, *_split_wait(task.name))
        for task in Task.objects.filter(status=Task.Status.OPEN, waiting=True, case__in=visible)
        .select_related("case").order_by("created_at", "id")
    ]
    return render(request, "schedules/upcoming.html", {
        "rows": rows, "printed_only": printed_only, "waits": waits, "today": today,
        "may_edit": request.user.is_staff and request.user.has_perm("schedules.change_schedulesetting"),
    })
