"""Business time for SLAs and due dates: office hours in Lima, Peru's holidays and the office's
non-working days (schedules.business, schedules.office_calendar).

The arithmetic is proved with hypothesis over random weekly hours (split shifts, closed weekdays),
random closed days, start times anywhere (nights, holidays, across New Year, given in Lima or UTC),
random pauses (overlapping, nested, open-ended, outside office hours) and random reassignments
(the interval cut into consecutive segments); then checked on real Peruvian dates.
"""
import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, assume, given, settings as hsettings, strategies as st

from schedules.business import (BREACHED, MET, OK, WARNING, BusinessCalendar, CalendarError, Clock,
                                OfficeHours)
from schedules.models import NonWorkingDay
from schedules.office_calendar import invalidate, national_holiday, office_calendar, office_clock

LIMA = ZoneInfo("America/Lima")
UTC = timezone.utc
MIN = timedelta(minutes=1)
US = timedelta(microseconds=1)
PROPERTY = hsettings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


def lima(*args):
    return datetime(*args, tzinfo=LIMA)


@pytest.fixture(autouse=True)
def fresh_office_calendar():
    invalidate()
    yield
    invalidate()   # a test's rows are rolled back without a signal


# --- strategies -------------------------------------------------------------------------------
@st.composite
def day_spans(draw):
    """0 to 3 spans in a day, on whole minutes from 00:00 to 23:59; sometimes touching."""
    marks = sorted(draw(st.lists(st.integers(0, 23 * 60 + 59), unique=True, max_size=6)))
    spans = [(marks[i], marks[i + 1]) for i in range(0, len(marks) - 1, 2)]
    if len(spans) >= 2 and draw(st.booleans()):   # a split shift whose second span starts as the first ends
        spans[1] = (spans[0][1], spans[1][1])
    return tuple((time(a // 60, a % 60), time(b // 60, b % 60)) for a, b in spans)


@st.composite
def office_hours(draw):
    week = tuple(draw(day_spans()) if draw(st.integers(0, 4)) else () for _ in range(7))
    hours = OfficeHours(week)
    assume(not hours.never_open)
    return hours


WINDOW = (date(2025, 12, 1), date(2027, 2, 1))


@st.composite
def calendars(draw):
    closed = draw(st.frozensets(st.dates(*WINDOW), max_size=40))
    if draw(st.booleans()):
        closed |= {d for d in (date(2025, 12, 25), date(2026, 1, 1), date(2026, 7, 28), date(2026, 7, 29),
                               date(2026, 12, 8), date(2026, 12, 9), date(2026, 12, 25), date(2027, 1, 1))}
    return BusinessCalendar(draw(office_hours()), frozenset(closed))


def moments(start=datetime(2025, 12, 15), end=datetime(2027, 1, 15)):
    """Whole-minute moments, given in Lima or in UTC; one in four near a New Year."""
    anywhere = st.datetimes(start, end, timezones=st.sampled_from([LIMA, UTC]))
    new_year = st.datetimes(datetime(2026, 12, 29), datetime(2027, 1, 4), timezones=st.just(LIMA))
    return st.one_of(anywhere, anywhere, anywhere, new_year).map(lambda d: d.replace(second=0, microsecond=0))


@st.composite
def boundaries(draw, cal, first=WINDOW[0], last=WINDOW[1]):
    """A moment at, or a minute either side of, an opening or a closing of the calendar: where
    off-by-one errors live."""
    day = draw(st.dates(first, last))
    spans = cal.hours.week[day.weekday()] or draw(st.sampled_from([w for w in cal.hours.week if w]))
    at = draw(st.sampled_from([t for span in spans for t in span]))
    moment = datetime.combine(day, at, tzinfo=LIMA) + draw(st.sampled_from([-MIN, timedelta(0), timedelta(0), MIN]))
    return moment.astimezone(draw(st.sampled_from([LIMA, UTC])))


def start_for(draw, cal):
    return draw(st.one_of(moments(), boundaries(cal)))


def precise_moments():
    return st.datetimes(datetime(2025, 12, 15), datetime(2027, 1, 15), timezones=st.sampled_from([LIMA, UTC]))


@st.composite
def pauses_near(draw, start, span_days=12, cal=None):
    """Pauses around `start`: some before it, overlapping, nested, at night, or still running;
    given the calendar, some begin or end at an opening or a closing."""
    result = []
    for _ in range(draw(st.integers(0, 5))):
        begin = start + timedelta(minutes=draw(st.integers(-2 * 1440, span_days * 1440)))
        if cal is not None and draw(st.integers(0, 2)) == 0:
            begin = draw(boundaries(cal, start.date(), start.date() + timedelta(span_days)))
        if draw(st.integers(0, 5)) == 0:
            result.append((begin, None))
        elif cal is not None and draw(st.integers(0, 2)) == 0:
            end = draw(boundaries(cal, begin.date(), begin.date() + timedelta(3)))
            result.append((begin, max(end, begin + MIN)))
        else:
            result.append((begin, begin + timedelta(minutes=draw(st.integers(1, 3 * 1440)))))
    return result


def weekly_minutes(cal):
    return sum((datetime.combine(date.min, e) - datetime.combine(date.min, s)) // MIN
               for spans in cal.hours.week for s, e in spans)


def target_for(draw, cal, upto=3000, start=None):
    """A target the calendar reaches within a few weeks (a calendar open a minute a week is legal);
    given the start, often one that runs out exactly at an opening or a closing."""
    if start is not None and draw(st.booleans()):
        edge = draw(boundaries(cal))
        if edge > start and (m := cal.elapsed(start, edge)) <= upto:
            return m
    return draw(st.integers(0, max(1, min(upto, weekly_minutes(cal) * 4))))


def brute_elapsed(cal, start, end, pauses):
    """Minutes t in [start, end) that are open and not paused, one by one (whole-minute inputs)."""
    count, t = 0, start
    while t < end:
        if cal.is_open(t) and not any(ps <= t and (pe is None or t < pe) for ps, pe in pauses):
            count += 1
        t += MIN
    return count


# --- properties -------------------------------------------------------------------------------
@PROPERTY
@given(st.data())
def test_adding_m_business_minutes_then_measuring_gives_back_m(data):
    cal = data.draw(calendars())
    start = start_for(data.draw, cal)
    m = target_for(data.draw, cal, start=start)
    end = cal.add(start, m)
    assert end >= start
    assert cal.elapsed(start, end) == m
    if m > 0:
        # the earliest such moment: the minute before it is open (it lands on an open moment or
        # at the close of an open span, never on the next morning)
        assert cal.is_open(end - US)
        assert cal.elapsed(start, end - MIN) == m - 1


@PROPERTY
@given(st.data())
def test_add_is_monotonic_and_composes(data):
    cal = data.draw(calendars())
    start = start_for(data.draw, cal)
    a, b = target_for(data.draw, cal, 1500, start), target_for(data.draw, cal, 1500, start)
    assert cal.add(start, min(a, b)) <= cal.add(start, max(a, b))
    assert cal.add(cal.add(start, a), b) == cal.add(start, a + b)


@PROPERTY
@given(st.data())
def test_add_gives_the_same_instant_whatever_the_time_zone_of_its_input(data):
    cal = data.draw(calendars())
    start = data.draw(precise_moments())
    m = target_for(data.draw, cal, start=start)
    result = cal.add(start, m)
    assert result == cal.add(start.astimezone(UTC), m) == cal.add(start.astimezone(LIMA), m)
    assert result.tzinfo == LIMA
    assert cal.elapsed(start, result) == m   # exact at any second, not only whole minutes


@PROPERTY
@given(st.data())
def test_elapsed_matches_counting_minute_by_minute(data):
    cal = data.draw(calendars())
    start = start_for(data.draw, cal)
    end = start + timedelta(minutes=data.draw(st.integers(-60, 3 * 1440)))
    pauses = data.draw(pauses_near(start, span_days=3, cal=cal))
    assert cal.elapsed(start, end, pauses) == brute_elapsed(cal, start, end, pauses)


@PROPERTY
@given(st.data())
def test_elapsed_is_never_negative_nor_more_than_the_wall_clock_nor_more_than_unpaused(data):
    cal = data.draw(calendars())
    start, end = data.draw(precise_moments()), data.draw(precise_moments())
    pauses = data.draw(pauses_near(start, span_days=400, cal=cal))
    paused = cal.elapsed(start, end, pauses)
    assert 0 <= paused <= cal.elapsed(start, end) <= max(0, (end - start) // MIN)


@PROPERTY
@given(st.data())
def test_reassignments_split_the_time_without_losing_or_adding_a_minute(data):
    """A ticket passed along consecutive people: the whole interval's business time is the sum of
    each holder's segment, with the same pauses applied to each."""
    cal = data.draw(calendars())
    start = start_for(data.draw, cal)
    end = start + timedelta(minutes=data.draw(st.integers(0, 20 * 1440)))
    cuts = sorted(data.draw(st.lists(st.integers(0, (end - start) // MIN), max_size=6)))
    points = [start] + [start + timedelta(minutes=c) for c in cuts] + [end]
    pauses = data.draw(pauses_near(start, span_days=20, cal=cal))
    whole = cal.elapsed(start, end, pauses)
    assert whole == sum(cal.elapsed(a, b, pauses) for a, b in zip(points, points[1:]))


@PROPERTY
@given(st.data())
def test_reassignments_at_odd_seconds_lose_less_than_a_minute_per_cut(data):
    cal = data.draw(calendars())
    start = data.draw(precise_moments())
    end = start + timedelta(seconds=data.draw(st.integers(0, 10 * 86400)))
    cuts = sorted(data.draw(st.lists(st.integers(0, int((end - start).total_seconds())), max_size=6)))
    points = [start] + [start + timedelta(seconds=c) for c in cuts] + [end]
    parts = sum(cal.elapsed(a, b) for a, b in zip(points, points[1:]))
    assert 0 <= cal.elapsed(start, end) - parts <= len(cuts)
    assert cal.elapsed_us(start, end) == sum(cal.elapsed_us(a, b) for a, b in zip(points, points[1:]))


@PROPERTY
@given(st.data())
def test_pauses_count_once_and_pauses_while_closed_change_nothing(data):
    cal = data.draw(calendars())
    start = start_for(data.draw, cal)
    end = start + timedelta(minutes=data.draw(st.integers(0, 15 * 1440)))
    pauses = data.draw(pauses_near(start, span_days=15, cal=cal))
    once = cal.elapsed(start, end, pauses)
    nested = [(a + MIN, b - MIN) for a, b in pauses if b is not None and b - a > 2 * MIN]
    assert cal.elapsed(start, end, pauses + pauses + nested) == once
    # a pause over a closed night or a holiday takes nothing away
    closed = []
    for ps, pe in pauses:
        if pe is not None and cal.elapsed(ps, pe) == 0:
            closed.append((ps, pe))
    base = [p for p in pauses if p not in closed]
    assert cal.elapsed(start, end, base) == cal.elapsed(start, end, base + closed)
    # an open pause runs until the end
    if pauses:
        ps = pauses[0][0]
        assert cal.elapsed(start, end, [(ps, None)]) == cal.elapsed(start, end, [(ps, max(end, ps))])


@PROPERTY
@given(st.data())
def test_the_deadline_moves_later_by_exactly_the_time_paused(data):
    cal = data.draw(calendars())
    start = start_for(data.draw, cal)
    m = target_for(data.draw, cal, start=start)
    pauses = data.draw(pauses_near(start, cal=cal))
    assert cal.deadline(start, m) == cal.add(start, m)
    due = cal.deadline(start, m, pauses)
    if due is None:
        # a pause still running stopped the clock before the target: it never runs out
        assert m > 0 and any(pe is None for _, pe in pauses)
        assert cal.elapsed(start, start + timedelta(days=800), pauses) < m
        return
    assert due >= cal.add(start, m)
    assert cal.elapsed(start, due, pauses) == m
    if m > 0:
        assert cal.elapsed(start, due - MIN, pauses) == m - 1   # and not a minute later than needed
        assert cal.is_open(due - US)


@PROPERTY
@given(calendars(), st.dates(*WINDOW), st.times())
def test_the_office_is_never_open_on_a_closed_day(cal, day, at):
    moment = datetime.combine(day, at, tzinfo=LIMA)
    if day in cal.closed_days or not cal.hours.week[day.weekday()]:
        assert not cal.is_open(moment)
    else:
        t = at.replace(tzinfo=None)
        assert cal.is_open(moment) == any(s <= t < e for s, e in cal.hours.week[day.weekday()])


@PROPERTY
@given(st.data())
def test_add_days_ends_at_the_close_of_the_nth_business_day(data):
    cal = data.draw(calendars())
    start = data.draw(precise_moments())
    days = data.draw(st.integers(1, 15))
    due = cal.add_days(start, days)
    day = start.astimezone(LIMA).date()
    business_days = [day + timedelta(n) for n in range(1, (due.date() - day).days + 1)
                     if cal.is_open_day(day + timedelta(n))]
    assert len(business_days) == days and business_days[-1] == due.date()
    assert cal.is_open(due - US) and not cal.is_open(due)
    assert due.time() == cal.hours.week[due.weekday()][-1][1]
    assert cal.add_days(start, days) <= cal.add_days(start, days + 1)


@PROPERTY
@given(st.data())
def test_a_running_clock_goes_ok_warning_breached_and_never_back(data):
    cal = data.draw(calendars())
    start = start_for(data.draw, cal)
    target = data.draw(st.integers(1, 900))
    pauses = data.draw(pauses_near(start, span_days=5, cal=cal))
    clock = Clock(start, target, tuple(pauses), calendar=cal, warn_fraction=0.8)
    order = [OK, WARNING, BREACHED]
    seen = [clock.status(start + timedelta(minutes=k)) for k in sorted(data.draw(
        st.lists(st.integers(0, 30 * 1440), min_size=2, max_size=8)))]
    assert all(s in order for s in seen)
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen)
    due = clock.due
    if due is not None:
        assert clock.status(due) != BREACHED and clock.remaining(due) == 0
        past = cal.deadline(start, target + 1, pauses)   # a minute of unpaused business time later
        assert past is None or clock.status(past) == BREACHED


# --- the office's calendar on real dates ------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("day, name", [
    (date(2026, 7, 28), "Independencia"),
    (date(2026, 7, 29), "Gran Parada Militar"),
    (date(2026, 12, 8), "Inmaculada Concepción"),
    (date(2026, 12, 25), "Navidad"),
    (date(2027, 1, 1), "Año Nuevo"),
])
def test_national_holidays_are_closed_all_day(day, name):
    cal = office_calendar()
    assert day.weekday() < 5   # all fall on a weekday in these years
    assert not any(cal.is_open(datetime.combine(day, time(h, 0), tzinfo=LIMA)) for h in range(24))
    assert name in national_holiday(day)
    assert cal.is_open(datetime.combine(date(2026, 7, 27), time(10, 0), tzinfo=LIMA))


@pytest.mark.django_db
def test_a_ticket_opened_friday_after_hours_with_a_4_hour_target_resolves_monday():
    cal = office_calendar()
    opened = lima(2026, 7, 24, 17, 0)   # Friday, the office closed at 16:30
    assert cal.add(opened, 4 * 60) == lima(2026, 7, 27, 12, 30)
    clock = office_clock(opened, 4 * 60)
    assert clock.status(lima(2026, 7, 27, 8, 30)) == OK
    assert clock.status(lima(2026, 7, 27, 11, 45)) == WARNING   # 3 h 15 min of 4 h used: past 80 %
    assert clock.status(lima(2026, 7, 27, 12, 31)) == BREACHED
    resolved = office_clock(opened, 4 * 60, stopped_at=lima(2026, 7, 27, 12, 0))
    assert resolved.status(lima(2026, 8, 3, 9, 0)) == MET


@pytest.mark.django_db
def test_fiestas_patrias_lunch_and_waiting_for_the_user():
    cal = office_calendar()
    opened = lima(2026, 7, 27, 15, 0)   # Monday: 1 h 30 min left today; 28 and 29 July closed
    assert cal.add(opened, 4 * 60) == lima(2026, 7, 30, 11, 0)
    assert cal.elapsed(opened, lima(2026, 7, 30, 11, 0)) == 240
    # lunch 13:00-14:00 does not count
    assert cal.add(lima(2026, 7, 30, 12, 30), 60) == lima(2026, 7, 30, 14, 30)
    # the technician waited for the user from Thursday 09:00 to Friday 10:00 (8 h of office time):
    # 2 h used by then (Monday 1 h 30 min, Thursday 30 min), 2 h left from Friday 10:00
    waiting = [(lima(2026, 7, 30, 9, 0), lima(2026, 7, 31, 10, 0))]
    assert cal.elapsed(*waiting[0]) == 8 * 60
    assert cal.deadline(opened, 4 * 60, waiting) == lima(2026, 7, 31, 12, 0)
    assert cal.elapsed(opened, lima(2026, 7, 31, 12, 0), waiting) == 240
    # still waiting: no deadline yet, and the clock stands still
    assert cal.deadline(opened, 4 * 60, [(lima(2026, 7, 30, 9, 0), None)]) is None
    assert cal.elapsed(opened, lima(2026, 8, 20, 9, 0), [(lima(2026, 7, 30, 9, 0), None)]) == 120


@pytest.mark.django_db
def test_december_holidays_christmas_and_new_year():
    cal = office_calendar()
    # Friday 4 Dec 17:00, 16 h: Monday 7 (7 h), 8 and 9 December closed, Thursday 10 (7 h), Friday 11 2 h
    assert cal.add(lima(2026, 12, 4, 17, 0), 16 * 60) == lima(2026, 12, 11, 10, 30)
    assert cal.add(lima(2026, 12, 24, 16, 0), 60) == lima(2026, 12, 28, 9, 0)
    assert cal.add(lima(2026, 12, 31, 16, 0), 60) == lima(2027, 1, 4, 9, 0)
    # given in UTC: 21:00 UTC is 16:00 in Lima
    assert cal.add(datetime(2026, 12, 31, 21, 0, tzinfo=UTC), 60) == lima(2027, 1, 4, 9, 0)


@pytest.mark.django_db
def test_task_due_dates_count_business_days_from_the_next_day():
    cal = office_calendar()
    assert cal.add_days(lima(2026, 7, 24, 10, 0), 3) == lima(2026, 7, 31, 16, 30)   # Mon 27, Thu 30, Fri 31
    assert cal.add_days(lima(2026, 7, 24, 17, 0), 1) == lima(2026, 7, 27, 16, 30)
    assert cal.add_days(lima(2026, 7, 27, 9, 0), 0) == lima(2026, 7, 27, 16, 30)
    assert cal.add_days(lima(2026, 7, 27, 18, 0), 0) == lima(2026, 7, 30, 16, 30)


@pytest.mark.django_db
def test_a_non_working_day_entered_in_the_admin_closes_the_office(client):
    """2 January 2026 was decreed a non-working day for the public sector: the office enters it."""
    friday = lima(2026, 1, 2, 10, 0)
    assert office_calendar().is_open(friday)
    assert office_calendar().add(lima(2025, 12, 31, 16, 0), 60) == lima(2026, 1, 2, 9, 0)

    admin = get_user_model().objects.create_superuser("jefa", "jefa@mindef.gob.pe", "clave-segura-123")
    client.force_login(admin)
    response = client.post("/admin/schedules/nonworkingday/add/", {
        "date": "02/01/2026", "description": "Día no laborable para el sector público (D.S. N° 100-2025-PCM)"})
    assert response.status_code == 302, response.content.decode()[:2000]
    day = NonWorkingDay.objects.get()
    assert day.date == date(2026, 1, 2)

    assert not office_calendar().is_open(friday)
    assert office_calendar().add(lima(2025, 12, 31, 16, 0), 60) == lima(2026, 1, 5, 9, 0)
    assert office_calendar().closed_days.reason(date(2026, 1, 2)).startswith("Día no laborable")
    assert "02/01/2026" in client.get("/admin/schedules/nonworkingday/").content.decode()

    # a national holiday needs no entry: the admin says why
    response = client.post("/admin/schedules/nonworkingday/add/", {"date": "28/07/2026", "description": "Fiestas"})
    assert response.status_code == 200
    assert "ya es feriado nacional" in response.content.decode()
    assert NonWorkingDay.objects.count() == 1

    client.post(f"/admin/schedules/nonworkingday/{day.pk}/delete/", {"post": "yes"})
    assert not NonWorkingDay.objects.exists()
    assert office_calendar().is_open(friday)


@pytest.mark.django_db
def test_office_hours_come_from_the_setting(settings):
    settings.MAPRO_OFFICE_HOURS = "mon-fri 08:00-16:00; sat 09:00-12:00"
    invalidate()
    cal = office_calendar()
    assert cal.is_open(lima(2026, 7, 25, 10, 0))          # Saturday morning
    assert not cal.is_open(lima(2026, 7, 26, 10, 0))      # Sunday
    assert cal.is_open(lima(2026, 7, 24, 13, 30))         # no lunch break in these hours
    assert cal.add(lima(2026, 7, 24, 15, 0), 4 * 60) == lima(2026, 7, 25, 12, 0)   # Friday 1 h, Saturday 3 h
    assert cal.add(lima(2026, 7, 24, 15, 0), 5 * 60) == lima(2026, 7, 27, 9, 0)


@pytest.mark.parametrize("text, says", [
    ("mon-fri 8-17", "«8-17» no es un tramo HH:MM-HH:MM"),
    ("lun-vie 08:30-16:30", "No se entiende «lun-vie 08:30-16:30»"),
    ("fri-mon 08:30-16:30", "de lunes (mon) hacia domingo (sun)"),
    ("mon 16:30-08:30", "la hora de fin debe ser posterior"),
    ("mon 08:00-13:00,12:00-16:00", "se superponen"),
    ("mon 08:00-24:00", "fuera de rango"),
    ("", "vacío"),
])
def test_badly_written_office_hours_are_refused_in_spanish(text, says):
    with pytest.raises(CalendarError, match=re.escape(says)):
        OfficeHours.parse(text)


def test_the_check_reports_unreadable_office_hours(settings):
    from schedules.office_calendar import check_office_hours

    settings.MAPRO_OFFICE_HOURS = "lunes a viernes"
    assert [e.id for e in check_office_hours()] == ["schedules.E001"]
    settings.MAPRO_OFFICE_HOURS = "mon-fri 08:30-13:00,14:00-16:30"
    assert check_office_hours() == []


def test_naive_datetimes_and_negative_times_are_refused():
    cal = BusinessCalendar(OfficeHours.parse("mon-fri 08:30-16:30"), frozenset())
    with pytest.raises(ValueError, match="zona horaria"):
        cal.add(datetime(2026, 7, 27, 9, 0), 10)
    with pytest.raises(ValueError, match="negativo"):
        cal.add(lima(2026, 7, 27, 9, 0), -1)
    with pytest.raises(CalendarError):
        BusinessCalendar(OfficeHours(((),) * 7), frozenset()).add(lima(2026, 7, 27, 9, 0), 1)


@pytest.mark.django_db
def test_a_new_task_falls_due_after_its_business_days_skipping_the_office_s_closures(staff):
    """The help desk's first task is due in MAPRO_TASK_DUE_DAYS business days, at the close of the
    office; the week after today declared non-working pushes it a week later."""
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from cases.models import Case

    ticket = {"asunto": "PC no enciende", "detalle": "La PC de la oficina 302 no enciende desde ayer.",
              "categoria": "Hardware", "ubicacion": "Piso 3, oficina 302"}
    employee = Client()
    employee.force_login(staff["personal-mindef"])

    assert employee.post("/procedimientos/S04.03.04.02/iniciar", ticket).status_code == 302
    [task] = Case.objects.get().tasks.filter(status="open")
    cal = office_calendar()
    due = timezone.localtime(task.due_at, LIMA)
    assert due == cal.add_days(task.created_at, settings.MAPRO_TASK_DUE_DAYS)
    assert due.time() == time(16, 30) and cal.is_open_day(due.date())
    today = timezone.localtime(task.created_at, LIMA).date()
    assert (due.date() - today).days >= settings.MAPRO_TASK_DUE_DAYS

    for n in range(1, 8):
        NonWorkingDay.objects.get_or_create(date=today + timedelta(n), defaults={"description": "Cierre de oficina"})
    assert employee.post("/procedimientos/S04.03.04.02/iniciar", ticket).status_code == 302
    [later] = Case.objects.latest("pk").tasks.filter(status="open")
    later_due = timezone.localtime(later.due_at, LIMA)
    assert later_due.date() > today + timedelta(7)
    assert later_due == office_calendar().add_days(later.created_at, settings.MAPRO_TASK_DUE_DAYS)
    assert (later_due.date() - due.date()).days >= 7


@PROPERTY
@given(st.data())
def test_a_stopped_clock_keeps_the_status_it_had_when_it_stopped(data):
    """First response given or ticket resolved: met if within the target, breached if not, for ever."""
    cal = data.draw(calendars())
    start = start_for(data.draw, cal)
    target = data.draw(st.integers(0, 900))
    pauses = tuple(data.draw(pauses_near(start, span_days=5, cal=cal)))
    stopped = start + timedelta(minutes=data.draw(st.integers(0, 10 * 1440)))
    clock = Clock(start, target, pauses, stopped_at=stopped, calendar=cal, warn_fraction=0.8)
    used = cal.elapsed_us(start, stopped, pauses)
    expected = MET if used <= target * 60_000_000 else BREACHED
    later = [stopped + timedelta(minutes=k) for k in data.draw(st.lists(st.integers(0, 60 * 1440), min_size=1))]
    assert {clock.status(t) for t in later} == {expected}
    assert all(clock.used(t) == cal.elapsed(start, stopped, pauses) for t in later)
    running = Clock(start, target, pauses, calendar=cal, warn_fraction=0.8)
    assert running.status(stopped) in ((OK, WARNING) if expected == MET else (BREACHED,))


@pytest.mark.django_db
def test_a_clock_without_a_calendar_uses_the_office_s_and_its_warning_setting(settings):
    settings.MAPRO_SLA_WARNING_FRACTION = 0.5
    clock = Clock(lima(2026, 7, 24, 17, 0), 4 * 60)
    assert clock.due == lima(2026, 7, 27, 12, 30)
    assert clock.warn_at == lima(2026, 7, 27, 10, 30)
    assert clock.status(lima(2026, 7, 27, 10, 29)) == OK
    assert clock.status(lima(2026, 7, 27, 10, 30)) == WARNING
