"""Calendar rules of the manual's periodic work: pure date arithmetic, no database, no engine
(the rules and their Spanish labels come from catalog/vocabularies.yaml).

`occurrences(rule, months, day, weekday, start_date, end_date)` lists the due dates of a
schedule between two dates (both included):

- daily: every day;
- weekly: every `weekday` (0 = Monday … 6 = Sunday; Monday when None);
- monthly, quarterly, semiannual, annual: on `day` of each month listed in `months`; a day past
  the end of the month falls on the month's last day (31 → 28/29 February, 30 April).

`months` restricts every rule; when empty the rule's default months apply (see DEFAULT_MONTHS).
"""
from __future__ import annotations

import calendar as _calendar
from datetime import date, timedelta

from engine.vocabularies import load_vocabularies
from mapro.peru import MONTH_NAMES, WEEKDAY_NAMES

RULES = load_vocabularies().schedule_rules.keys
ALL_MONTHS = tuple(range(1, 13))
DEFAULT_MONTHS = {
    "daily": ALL_MONTHS,
    "weekly": ALL_MONTHS,
    "monthly": ALL_MONTHS,
    "quarterly": (1, 4, 7, 10),
    "semiannual": (1, 7),
    "annual": (1,),
}
DEFAULT_DAY = 1
DEFAULT_WEEKDAY = 0  # Monday

RULE_LABELS = load_vocabularies().schedule_rules.as_dict()  # {"daily": "Diario", ...}


class RuleError(ValueError):
    pass


def default_months(rule: str) -> tuple[int, ...]:
    if rule not in DEFAULT_MONTHS:
        raise RuleError(f"Regla de periodicidad desconocida «{rule}».")
    return DEFAULT_MONTHS[rule]


def clamp_day(year: int, month: int, day: int) -> date:
    """`day` of the month, or the month's last day when the month is shorter."""
    last = _calendar.monthrange(year, month)[1]
    return date(year, month, max(1, min(day, last)))


def occurrences(rule: str, months, day: int | None, weekday: int | None,
                start_date: date, end_date: date) -> list[date]:
    """Due dates of the schedule in [start_date, end_date], in order."""
    wanted = frozenset(int(m) for m in (months or ())) or frozenset(default_months(rule))
    if not wanted <= frozenset(ALL_MONTHS):
        raise RuleError(f"Meses fuera de rango: {sorted(wanted - frozenset(ALL_MONTHS))}.")
    default_months(rule)  # validates the rule
    if end_date < start_date:
        return []
    if rule == "daily":
        return [d for d in _days(start_date, end_date) if d.month in wanted]
    if rule == "weekly":
        wd = DEFAULT_WEEKDAY if weekday is None else int(weekday)
        if not 0 <= wd <= 6:
            raise RuleError(f"Día de la semana fuera de rango: {wd}.")
        first = start_date + timedelta(days=(wd - start_date.weekday()) % 7)
        result, current = [], first
        while current <= end_date:
            if current.month in wanted:
                result.append(current)
            current += timedelta(days=7)
        return result
    # Month-based rules differ only in their default months.
    d = DEFAULT_DAY if day is None else int(day)
    result = []
    year, month = start_date.year, start_date.month
    while (year, month) <= (end_date.year, end_date.month):
        if month in wanted:
            due = clamp_day(year, month, d)
            if start_date <= due <= end_date:
                result.append(due)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


def _days(start: date, end: date):
    current = start
    while current <= end:
        yield current
        current += timedelta(days=1)


def next_occurrences(rule: str, months, day, weekday, after: date, count: int = 3,
                     skip: frozenset[date] = frozenset()) -> list[date]:
    """The first `count` due dates on or after `after`, leaving out the dates in `skip`."""
    found: list[date] = []
    start = after
    # Widen the window a year at a time; an annual rule needs up to `count` years.
    for _ in range(count + 2):
        end = clamp_day(start.year + 1, start.month, start.day) - timedelta(days=1)
        found += [d for d in occurrences(rule, months, day, weekday, start, end) if d not in skip]
        if len(found) >= count:
            break
        start = end + timedelta(days=1)
    return found[:count]


def describe(rule: str, months, day, weekday) -> str:
    """Spanish summary of a rule as configured: "Semestral: día 1 de enero y julio"."""
    label = RULE_LABELS.get(rule, rule)
    wanted = tuple(sorted(int(m) for m in (months or ()))) or default_months(rule)
    names = "" if wanted == ALL_MONTHS else _join([MONTH_NAMES[m - 1] for m in wanted])
    if rule == "daily":
        return f"{label}: todos los días" + (f" (solo {names})" if names else "")
    if rule == "weekly":
        wd = DEFAULT_WEEKDAY if weekday is None else int(weekday)
        return f"{label}: cada {WEEKDAY_NAMES[wd]}" + (f" (solo {names})" if names else "")
    d = DEFAULT_DAY if day is None else int(day)
    day_text = f"día {d}" + (" (o el último día del mes)" if d > 28 else "")
    return f"{label}: {day_text} de " + (names or "cada mes")


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " y " + items[-1]
