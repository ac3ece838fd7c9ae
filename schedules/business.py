"""Business time: office hours, closed days and the SLA arithmetic built on them.

Pure Python (no Django, no database): `schedules.office_calendar` builds the office's calendar
from the settings, Peru's national holidays and the non-working days entered in the admin.

Conventions every function here keeps:

- Datetimes in and out are aware; they are read on the calendar's wall clock (America/Lima, which
  has had no daylight saving since 1994). Results are in the calendar's time zone.
- An office span [start, end) is open at its start and closed at its end.
- Business time is counted exactly (to the microsecond); `elapsed` reports whole minutes, rounded
  down, so it is additive over consecutive segments whose boundaries fall on whole minutes
  (the office hours are whole minutes too).
- `add(s, m)` for m > 0 is the *earliest* moment at which m business minutes have gone by since s:
  an open moment, or the end of an open span (never the next morning when the time ran out at the
  close of the previous day). `add(s, 0)` is s.
- A pause is (start, end) or (start, None) for one still running. Pauses may overlap, nest or lie
  outside office hours: the business time they cover is counted once.
"""
from __future__ import annotations

import re
from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTE = 60_000_000  # microseconds
DAY = 86_400 * 1_000_000
# How many consecutive days without an open span `add` and `add_days` look through before giving
# up: a calendar closed for longer than this is a configuration error, not a long weekend.
MAX_CLOSED_DAYS = 3660

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Span = tuple[time, time]
Pause = tuple[datetime, "datetime | None"]


class CalendarError(ValueError):
    """A calendar that cannot answer (badly written hours, a calendar that never opens)."""


def _us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


@dataclass(frozen=True)
class OfficeHours:
    """Office spans per weekday: `week[0]` is Monday … `week[6]` Sunday, each a tuple of
    (start, end) times, start < end, in order and not overlapping. A weekday with no spans is closed."""

    week: tuple[tuple[Span, ...], ...]

    def __post_init__(self):
        week = tuple(tuple((s, e) for s, e in day) for day in self.week)
        if len(week) != 7:
            raise CalendarError("El horario debe indicar los siete días de la semana (lunes a domingo).")
        for n, spans in enumerate(week):
            previous_end = None
            for start, end in spans:
                if not (isinstance(start, time) and isinstance(end, time)):
                    raise CalendarError("Cada tramo del horario es un par (hora de inicio, hora de fin).")
                if start >= end:
                    raise CalendarError(f"Tramo {start:%H:%M}-{end:%H:%M}: la hora de fin debe ser posterior a la de inicio.")
                if previous_end is not None and start < previous_end:
                    raise CalendarError(f"Los tramos del {WEEKDAY_KEYS[n]} se superponen o no están en orden.")
                previous_end = end
        object.__setattr__(self, "week", week)
        # Spans in microseconds from midnight, what the arithmetic uses.
        object.__setattr__(self, "_us", tuple(tuple((_us(s), _us(e)) for s, e in spans) for spans in week))

    @classmethod
    def parse(cls, text: str) -> "OfficeHours":
        """Read hours written as in MAPRO_OFFICE_HOURS: groups separated by ';', each a day or range
        of days and its spans, e.g. "mon-fri 08:30-13:00,14:00-16:30; sat 09:00-12:00".
        A day named twice takes the spans of its last group."""
        week: list[tuple[Span, ...]] = [()] * 7
        groups = [g.strip() for g in (text or "").split(";") if g.strip()]
        if not groups:
            raise CalendarError("El horario de oficina está vacío.")
        for group in groups:
            m = re.fullmatch(r"([a-z]{3})(?:\s*-\s*([a-z]{3}))?\s+(.+)", group.lower())
            if not m or m.group(1) not in WEEKDAY_KEYS or (m.group(2) and m.group(2) not in WEEKDAY_KEYS):
                raise CalendarError(
                    f"No se entiende «{group}»: escriba días (mon, tue, wed, thu, fri, sat, sun o un rango "
                    "como mon-fri) seguidos de tramos HH:MM-HH:MM separados por comas.")
            first = WEEKDAY_KEYS.index(m.group(1))
            last = WEEKDAY_KEYS.index(m.group(2) or m.group(1))
            if last < first:
                raise CalendarError(f"«{group}»: el rango de días debe ir de lunes (mon) hacia domingo (sun).")
            spans = []
            for raw in m.group(3).split(","):
                sm = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", raw)
                if not sm:
                    raise CalendarError(f"«{raw.strip()}» no es un tramo HH:MM-HH:MM.")
                h1, m1, h2, m2 = (int(x) for x in sm.groups())
                if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
                    raise CalendarError(f"«{raw.strip()}»: hora fuera de rango (00:00 a 23:59).")
                spans.append((time(h1, m1), time(h2, m2)))
            for n in range(first, last + 1):
                week[n] = tuple(spans)
        return cls(tuple(week))

    def spans_us(self, weekday: int) -> tuple[tuple[int, int], ...]:
        return self._us[weekday]

    @property
    def never_open(self) -> bool:
        return not any(self.week)

    def describe(self) -> str:
        return "; ".join(f"{WEEKDAY_KEYS[n]} " + ",".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in spans)
                         for n, spans in enumerate(self.week) if spans)


class BusinessCalendar:
    """Office hours on a time zone, minus closed days (holidays and the office's non-working days).

    `closed_days` is any container of dates (a frozenset, or a lazy one that looks holidays up by
    year)."""

    def __init__(self, hours: OfficeHours, closed_days: frozenset[date] | Container[date] = frozenset(),
                 tz: str = "America/Lima"):
        self.hours = hours
        self.closed_days = closed_days
        self.tz = ZoneInfo(tz)
        self._years: dict[int, list[int]] = {}   # year -> open microseconds before each day of it

    def __repr__(self):
        return f"BusinessCalendar({self.hours.describe()!r}, tz={self.tz.key!r})"

    # -- wall clock ---------------------------------------------------------------------------
    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("Se esperaba una fecha y hora con zona horaria.")
        return moment.astimezone(self.tz).replace(tzinfo=None)

    def _aware(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.tz)

    def spans_on(self, day: date) -> tuple[tuple[int, int], ...]:
        """The day's open spans, microseconds from midnight; none on a closed day."""
        if day in self.closed_days:
            return ()
        return self.hours.spans_us(day.weekday())

    def is_open_day(self, day: date) -> bool:
        return bool(self.spans_on(day))

    # -- queries ------------------------------------------------------------------------------
    def is_open(self, moment: datetime) -> bool:
        local = self._local(moment)
        t = _us(local.time())
        return any(s <= t < e for s, e in self.spans_on(local.date()))

    def _year(self, year: int) -> list[int]:
        """Open microseconds of `year` before each of its days (and the year's total, last): the
        whole days between two moments are a subtraction, not a walk (an SLA clock of a ticket
        opened months ago is read on every list page). The calendar never changes once built."""
        found = self._years.get(year)
        if found is None:
            found, total, day = [0], 0, date(year, 1, 1)
            while day.year == year:
                total += sum(e - s for s, e in self.spans_on(day))
                found.append(total)
                day += timedelta(days=1)
            self._years[year] = found
        return found

    def _whole_days_us(self, first: date, last: date) -> int:
        """Open microseconds of the whole days first..last (both included)."""
        total = 0
        for year in range(first.year, last.year + 1):
            cumulative = self._year(year)
            lo = (first - date(year, 1, 1)).days if year == first.year else 0
            hi = (last - date(year, 1, 1)).days + 1 if year == last.year else len(cumulative) - 1
            total += cumulative[hi] - cumulative[lo]
        return total

    def _open_us(self, a: datetime, b: datetime) -> int:
        """Open microseconds in [a, b) (local naive datetimes)."""
        if b <= a:
            return 0
        if (b.date() - a.date()).days > 2:     # first day's part + whole days + last day's part
            first_end = datetime(a.year, a.month, a.day) + timedelta(days=1)
            last_start = datetime(b.year, b.month, b.day)
            return (self._open_us(a, first_end) + self._whole_days_us(first_end.date(), last_start.date() - timedelta(days=1))
                    + self._open_us(last_start, b))
        total = 0
        day = a.date()
        last = b.date()
        while day <= last:
            midnight = datetime(day.year, day.month, day.day)
            lo = (a - midnight) // timedelta(microseconds=1) if day == a.date() else 0
            hi = (b - midnight) // timedelta(microseconds=1) if day == last else DAY
            for s, e in self.spans_on(day):
                overlap = min(e, hi) - max(s, lo)
                if overlap > 0:
                    total += overlap
            day += timedelta(days=1)
        return total

    def _add_us(self, start: datetime, amount: int) -> datetime:
        """Earliest local moment t >= start with `amount` open microseconds in [start, t)."""
        if amount < 0:
            raise ValueError("No se puede sumar un tiempo negativo.")
        if amount == 0:
            return start
        if self.hours.never_open:
            raise CalendarError("El horario de oficina no tiene ningún tramo: el plazo nunca se cumple.")
        day = start.date()
        midnight = datetime(day.year, day.month, day.day)
        position = (start - midnight) // timedelta(microseconds=1)
        closed_run = 0
        while True:
            spans = self.spans_on(day)
            closed_run = 0 if spans else closed_run + 1
            if closed_run > MAX_CLOSED_DAYS:
                raise CalendarError(f"La oficina no abre en {MAX_CLOSED_DAYS} días seguidos desde {day - timedelta(days=MAX_CLOSED_DAYS)}.")
            for s, e in spans:
                if e <= position:
                    continue
                begin = max(s, position)
                available = e - begin
                if amount <= available:
                    return midnight + timedelta(microseconds=begin + amount)
                amount -= available
            day += timedelta(days=1)
            midnight += timedelta(days=1)
            position = 0

    @staticmethod
    def _merge(start: datetime, end: datetime | None, pauses: Iterable[Pause], local) -> list[tuple[datetime, datetime | None]]:
        """Pauses clipped to [start, end) (end None: unbounded), merged into disjoint ordered
        intervals; an open pause has end None (or `end` when bounded)."""
        clipped = []
        for p_start, p_end in pauses:
            a = max(local(p_start), start)
            b = None if p_end is None else local(p_end)
            if end is not None:
                b = end if b is None else min(b, end)
            if b is not None and b <= a:
                continue
            clipped.append((a, b))
        clipped.sort(key=lambda iv: iv[0])
        merged: list[list] = []
        for a, b in clipped:
            if merged and (merged[-1][1] is None or a <= merged[-1][1]):
                if merged[-1][1] is not None and (b is None or b > merged[-1][1]):
                    merged[-1][1] = b
            else:
                merged.append([a, b])
        return [(a, b) for a, b in merged]

    def elapsed_us(self, start: datetime, end: datetime, pauses: Iterable[Pause] = ()) -> int:
        """Unpaused business microseconds in [start, end)."""
        a, b = self._local(start), self._local(end)
        if b <= a:
            return 0
        paused = sum(self._open_us(ps, pe) for ps, pe in self._merge(a, b, pauses, self._local))
        return self._open_us(a, b) - paused

    def _deadline_local(self, start: datetime, amount: int, pauses: Iterable[Pause]) -> datetime | None:
        cursor = start
        for ps, pe in self._merge(start, None, pauses, self._local):
            available = self._open_us(cursor, ps)
            if amount <= available:
                break
            amount -= available
            if pe is None:
                return None
            cursor = max(cursor, pe)
        return self._add_us(cursor, amount)

    # -- the API ------------------------------------------------------------------------------
    def add(self, start: datetime, minutes: int) -> datetime:
        """The moment `minutes` business minutes after `start` (the earliest such moment)."""
        return self._aware(self._add_us(self._local(start), minutes * MINUTE))

    def elapsed(self, start: datetime, end: datetime, pauses: Iterable[Pause] = ()) -> int:
        """Business minutes in [start, end) not covered by a pause (an open pause runs until `end`);
        0 when end <= start. Whole minutes, rounded down."""
        return self.elapsed_us(start, end, pauses) // MINUTE

    def deadline(self, start: datetime, minutes: int, pauses: Iterable[Pause] = ()) -> datetime | None:
        """When `minutes` of unpaused business time will have gone by since `start`.

        None when a pause still running (end None) stops the clock before that: the deadline is
        unknown until the pause ends. Without pauses it is `add(start, minutes)`."""
        if minutes < 0:
            raise ValueError("No se puede sumar un tiempo negativo.")
        found = self._deadline_local(self._local(start), minutes * MINUTE, list(pauses))
        return None if found is None else self._aware(found)

    def add_days(self, start: datetime, days: int) -> datetime:
        """The close of the office day `days` business days after `start`'s day (días hábiles,
        counted from the next day). `days` = 0: the close of `start`'s day when the office is still
        to close that day, else the close of the next business day."""
        if days < 0:
            raise ValueError("No se puede sumar un número negativo de días.")
        local = self._local(start)
        day = local.date()
        spans = self.spans_on(day)
        if days == 0 and spans and _us(local.time()) < spans[-1][1]:
            return self._close(day, spans)
        if self.hours.never_open:
            raise CalendarError("El horario de oficina no tiene ningún tramo: el plazo nunca se cumple.")
        remaining = max(days, 1)
        closed_run = 0
        while True:
            day += timedelta(days=1)
            spans = self.spans_on(day)
            if not spans:
                closed_run += 1
                if closed_run > MAX_CLOSED_DAYS:
                    raise CalendarError(f"La oficina no abre en {MAX_CLOSED_DAYS} días seguidos.")
                continue
            closed_run = 0
            remaining -= 1
            if remaining == 0:
                return self._close(day, spans)

    def _close(self, day: date, spans) -> datetime:
        return self._aware(datetime(day.year, day.month, day.day) + timedelta(microseconds=spans[-1][1]))


OK, WARNING, BREACHED, MET = "ok", "warning", "breached", "met"
STATUS_LABELS = {OK: "En plazo", WARNING: "Por vencer", BREACHED: "Vencido", MET: "Cumplido"}


@dataclass
class Clock:
    """One SLA target's clock: it starts at `start`, allows `target` business minutes not covered
    by `pauses`, and stops at `stopped_at` (first response given, ticket resolved) when set.

    status(now): "met" once stopped within the target; "breached" once more than the target has
    been used (running or stopped); "warning" once `warn_fraction` of the target is used; else "ok".

    Without `calendar` the office's calendar is used (schedules.office_calendar, which needs
    Django's settings), and without `warn_fraction` the setting MAPRO_SLA_WARNING_FRACTION (0.8).
    """

    start: datetime
    target: int
    pauses: tuple[Pause, ...] = ()
    stopped_at: datetime | None = None
    calendar: BusinessCalendar | None = None
    warn_fraction: float | None = None

    def __post_init__(self):
        self.pauses = tuple(self.pauses)
        if self.target < 0:
            raise ValueError("La meta de tiempo no puede ser negativa.")
        if self.calendar is None or self.warn_fraction is None:
            from . import office_calendar   # the office's, from the settings (Django)

            if self.calendar is None:
                self.calendar = office_calendar.office_calendar()
            if self.warn_fraction is None:
                self.warn_fraction = office_calendar.warning_fraction()

    def _until(self, now: datetime) -> datetime:
        return now if self.stopped_at is None else min(now, self.stopped_at)

    def used_us(self, now: datetime) -> int:
        return self.calendar.elapsed_us(self.start, self._until(now), self.pauses)

    def used(self, now: datetime) -> int:
        """Business minutes used so far (whole minutes, rounded down)."""
        return self.used_us(now) // MINUTE

    def remaining(self, now: datetime) -> int:
        """Business minutes left (rounded down); negative once breached."""
        return (self.target * MINUTE - self.used_us(now)) // MINUTE

    def is_paused(self, now: datetime) -> bool:
        return any(ps <= now and (pe is None or now < pe) for ps, pe in self.pauses)

    @property
    def due(self) -> datetime | None:
        """When the target runs out, given the pauses so far (None while a pause is running)."""
        return self.calendar.deadline(self.start, self.target, self.pauses)

    @property
    def warn_at(self) -> datetime | None:
        """When the warning starts, given the pauses so far (None while a pause is running)."""
        amount = -(-self.target * MINUTE * self.warn_fraction // 1)  # ceil, microseconds
        found = self.calendar._deadline_local(self.calendar._local(self.start), int(amount), list(self.pauses))
        return None if found is None else self.calendar._aware(found)

    def status(self, now: datetime) -> str:
        used = self.used_us(now)
        allowed = self.target * MINUTE
        if used > allowed:
            return BREACHED
        if self.stopped_at is not None and self.stopped_at <= now:
            return MET
        if used >= allowed * self.warn_fraction:
            return WARNING
        return OK
