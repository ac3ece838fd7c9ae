"""The office's business calendar: MAPRO_OFFICE_HOURS on America/Lima, closed on Peru's national
holidays (the `holidays` package, looked up year by year as dates are asked) and on the
non-working days the office enters in the admin (`NonWorkingDay`).

`office_calendar()` is built once per process and rebuilt when a NonWorkingDay is saved or deleted
(in this process: at once and again after the commit; in other processes: within
REFRESH_SECONDS, the cache's lifetime), or when `invalidate()` is called.
"""
from __future__ import annotations

import threading
import time as _time
from datetime import date, datetime

import holidays
from django.conf import settings
from django.core import checks
from django.db import transaction

from .business import BusinessCalendar, CalendarError, Clock, OfficeHours

DEFAULT_OFFICE_HOURS = "mon-fri 08:30-13:00,14:00-16:30"
REFRESH_SECONDS = 60

_lock = threading.Lock()
_cached: tuple[BusinessCalendar, float] | None = None
_holiday_years: dict[int, dict[date, str]] = {}


def _holidays_of(year: int) -> dict[date, str]:
    """Peru's national holidays of the year, with their Spanish names (cached per process: they only
    change with the package)."""
    found = _holiday_years.get(year)
    if found is None:
        found = dict(holidays.country_holidays("PE", years=year, language="es").items())
        _holiday_years[year] = found
    return found


def national_holiday(day: date) -> str | None:
    """The name of the national holiday on that day, or None."""
    return _holidays_of(day.year).get(day)


class OfficeClosedDays:
    """The days the office is closed: national holidays (any year, looked up lazily) and the
    office's non-working days (read once, when the calendar is built)."""

    def __init__(self, non_working: dict[date, str]):
        self.non_working = non_working

    def __contains__(self, day) -> bool:
        return day in self.non_working or day in _holidays_of(day.year)

    def reason(self, day: date) -> str | None:
        """Why the office is closed that day (holiday or non-working day), or None."""
        return self.non_working.get(day) or national_holiday(day)


def office_hours() -> OfficeHours:
    return OfficeHours.parse(getattr(settings, "MAPRO_OFFICE_HOURS", "") or DEFAULT_OFFICE_HOURS)


def _build() -> BusinessCalendar:
    from .models import NonWorkingDay

    rows = dict(NonWorkingDay.objects.values_list("date", "description"))
    return BusinessCalendar(office_hours(), OfficeClosedDays(rows), tz=settings.TIME_ZONE)


def office_calendar() -> BusinessCalendar:
    """The office's calendar (cached per process; see the module's docstring)."""
    global _cached
    with _lock:
        if _cached is not None and _time.monotonic() - _cached[1] < REFRESH_SECONDS:
            return _cached[0]
    built = _build()
    with _lock:
        _cached = (built, _time.monotonic())
    return built


def invalidate(on_commit: bool = False) -> None:
    """Forget the cached calendar; with on_commit, once more when the current transaction commits
    (another thread may have rebuilt it from the rows as they were before)."""
    global _cached
    with _lock:
        _cached = None
    if on_commit:
        transaction.on_commit(invalidate)


def warning_fraction() -> float:
    return float(getattr(settings, "MAPRO_SLA_WARNING_FRACTION", 0.8))


def office_clock(start: datetime, target: int, pauses=(), stopped_at: datetime | None = None) -> Clock:
    """An SLA clock on the office's calendar, warning at MAPRO_SLA_WARNING_FRACTION of the target."""
    return Clock(start, target, tuple(pauses), stopped_at)


@checks.register()
def check_office_hours(app_configs=None, **kwargs):
    """MAPRO_OFFICE_HOURS must be readable: a typo would otherwise surface at the first ticket."""
    try:
        hours = office_hours()
    except CalendarError as error:
        return [checks.Error(f"MAPRO_OFFICE_HOURS: {error}", id="schedules.E001")]
    if hours.never_open:
        return [checks.Error("MAPRO_OFFICE_HOURS no tiene ningún tramo.", id="schedules.E002")]
    fraction = warning_fraction()
    if not 0 < fraction <= 1:
        return [checks.Error("MAPRO_SLA_WARNING_FRACTION debe estar entre 0 y 1.", id="schedules.E003")]
    return []
