"""Reading a task and writing its completion, in as few round trips as the database allows.

Completing a task is the office's most frequent write. Through the ORM it took eleven statements,
each a round trip to PostgreSQL and a query compilation in Python, and cost three to eight times
the engine step itself. Here the task and its case are read in one plain SELECT, and the
completion is written:

- on PostgreSQL, one statement of data-modifying CTEs. The task row is locked first; the case's
  compare-and-set is gated on that lock, and every other write on the compare-and-set (the audit
  entry included), so either the whole step is written or nothing is (a single statement is
  atomic even in autocommit);
- on SQLite, one IMMEDIATE transaction of plain statements (in-process, a statement costs no
  round trip), rolled back if the task or the case was taken meanwhile.

Only cases.workflow calls this; it decides what to write, this module only reads and writes it.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

from audit.models import Entry
from org.models import held_roles_sql

from .models import Case, Event, Task, TaskOffer



def insert_columns(model) -> tuple[str, ...]:
    """Every column of the model but its id: the rows written here are the models' own rows, so a
    column added to a model is written without a second definition here."""
    return tuple(f.column for f in model._meta.concrete_fields if not f.primary_key)


EVENT_COLUMNS = insert_columns(Event)
TASK_COLUMNS = insert_columns(Task)
OFFER_COLUMNS = insert_columns(TaskOffer)
AUDIT_COLUMNS = insert_columns(Entry)     # the audit entry is inserted unsealed
# An offer is its task's id and one role; every other column is copied from the task it offers.
OFFER_FROM_TASK = tuple(c for c in OFFER_COLUMNS if c not in ("task_id", "role"))
if not set(OFFER_FROM_TASK) <= set(TASK_COLUMNS):  # pragma: no cover - a model change this module must follow
    raise ImproperlyConfigured(f"TaskOffer columns {set(OFFER_FROM_TASK) - set(TASK_COLUMNS)} are not on Task: "
                               "cases/store.py copies them from the task.")


class Lost(Exception):
    """The completion was not written: `what` is "task" (no longer open for this user) or "case"
    (another completion moved the case on since it was read)."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


@dataclass
class Completion:
    task: Task
    user_id: int
    case: Case               # as read: its lock_version is the one the compare-and-set expects
    state: str
    finished: bool
    now: datetime
    event: Event             # the "Actividad atendida" event, unsaved
    new_tasks: list[Task] = field(default_factory=list)    # unsaved; offered unless assigned
    stale_engine_ids: frozenset[str] = frozenset()         # open tasks the engine no longer has ready
    subject: str | None = None                             # the case's new subject, from a field marked `subject`
    audit: Entry | None = None                             # the "task.completed" audit entry, unsaved


class _Columns:
    """A model's concrete columns, selected under a table alias and turned back into an instance
    with the same converters the ORM applies (SQLite returns booleans as 0/1, dates as text)."""

    def __init__(self, model, alias: str):
        self.model, self.fields = model, model._meta.concrete_fields
        self.sql = ", ".join(f"{alias}.{f.column}" for f in self.fields)
        self.attnames = [f.attname for f in self.fields]
        self._converters = None

    def instance(self, values):
        if self._converters is None:
            self._converters = [
                [*connection.ops.get_db_converters(f.get_col(self.model._meta.db_table)), *f.get_db_converters(connection)]
                for f in self.fields]
        values = list(values)
        for i, converters in enumerate(self._converters):
            for convert in converters:
                values[i] = convert(values[i], self.fields[i], connection)
        return self.model.from_db(connection.alias, self.attnames, values)


_TASK, _CASE = _Columns(Task, "t"), _Columns(Case, "c")


def read_task(task_id: int, roles_of: int | None = None) -> tuple[Task | None, frozenset[str] | None]:
    """The task with its case (`task.case`) loaded, or None; and, when `roles_of` names a user,
    the role slugs that user holds (asked in the same round trip: every action on a task needs both)."""
    roles_sql, params = "NULL", [task_id]
    if roles_of is not None:
        aggregate = "string_agg(slug, ',')" if connection.vendor == "postgresql" else "group_concat(slug, ',')"
        roles_sql = f"(SELECT {aggregate} FROM ({held_roles_sql()}) AS held)"
        params = [roles_of, task_id]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {roles_sql}, {_TASK.sql}, {_CASE.sql} FROM {Task._meta.db_table} t "
                       f"JOIN {Case._meta.db_table} c ON c.id = t.case_id WHERE t.id = %s", params)
        row = cursor.fetchone()
    if row is None:
        return None, None
    split = 1 + len(_TASK.fields)
    task = _TASK.instance(row[1:split])
    task.case = _CASE.instance(row[split:])
    roles = frozenset(row[0].split(",")) if row[0] else frozenset()
    return task, (roles if roles_of is not None else None)


@functools.cache
def _fields(model, columns: tuple[str, ...]) -> list:
    return [model._meta.get_field(column) for column in columns]   # a foreign key is found by its column too


def _values(obj, columns) -> list:
    """An unsaved instance's column values, adapted for the database as the ORM would."""
    return [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in _fields(type(obj), columns)]


def _offers(tasks: list[Task]) -> list[tuple[str, str]]:
    """(engine id, role) for every role an unassigned new task is offered to."""
    return [(t.engine_id, role) for t in tasks for role in t.offer_roles]


def _case_changes(c: Completion) -> list:
    adapt = connection.ops.adapt_datetimefield_value
    status = Case.Status.COMPLETED if c.finished else Case.Status.OPEN
    return [c.state, adapt(c.now), status, adapt(c.now) if c.finished else None, c.subject]


def _finished_event(c: Completion) -> Event:
    return Event(case_id=c.case.pk, kind=Event.Kind.FINISHED, created_at=c.now)


def record_completion(c: Completion, then=None) -> None:
    """Write the completed task, the advanced case, its events, its audit entry, the new tasks and
    their offers, and cancel the stale tasks; raise Lost (having written nothing) if the task or the case was
    taken meanwhile.

    `then` (the completion's effects: register entries, tickets, outbox, ...) runs after, in the same
    transaction: if it raises, nothing of the completion is written either. Without it, PostgreSQL's
    single statement needs no transaction of its own (it is atomic in autocommit)."""
    write = _record_postgresql if connection.vendor == "postgresql" else _record_plain
    if then is None:
        write(c)
        return
    with transaction.atomic():
        write(c)
        then()


# --- PostgreSQL: one statement --------------------------------------------------------------
@functools.cache
def _typed_row(model, columns: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"CAST(%s AS {f.cast_db_type(connection)})" for f in _fields(model, columns)) + ")"


def _typed_rows(model, columns, rows: list[list]) -> tuple[str, list]:
    """`VALUES (...), (...)` with every placeholder cast to its column's type: a VALUES list in a
    subquery does not take its types from the INSERT target, and an all-NULL column would be text."""
    return "VALUES " + ", ".join([_typed_row(model, columns)] * len(rows)), [v for r in rows for v in r]


def _record_postgresql(c: Completion) -> None:
    task_t, case_t, event_t, offer_t = (m._meta.db_table for m in (Task, Case, Event, TaskOffer))
    adapt = connection.ops.adapt_datetimefield_value
    now = adapt(c.now)
    parts, params = [], []

    parts.append(f"""locked AS (
        SELECT id FROM {task_t}
        WHERE id = %s AND status = %s AND (assignee_id IS NULL OR assignee_id = %s)
        FOR UPDATE)""")
    params += [c.task.pk, Task.Status.OPEN, c.user_id]
    parts.append(f"""advanced AS (
        UPDATE {case_t} SET state = %s, updated_at = %s, status = %s, completed_at = %s,
                            subject = COALESCE(CAST(%s AS varchar), subject), lock_version = lock_version + 1
        WHERE id = %s AND lock_version = %s AND EXISTS (SELECT 1 FROM locked)
        RETURNING id)""")
    params += _case_changes(c) + [c.case.pk, c.case.lock_version]
    parts.append(f"""won AS (
        UPDATE {task_t} SET status = %s, completed_by_id = %s, completed_at = %s, assignee_id = %s
        WHERE id IN (SELECT id FROM locked) AND EXISTS (SELECT 1 FROM advanced)
        RETURNING id)""")
    params += [Task.Status.COMPLETED, c.user_id, now, c.user_id]
    withdrawn = "SELECT id FROM won"
    if c.stale_engine_ids:
        stale = sorted(c.stale_engine_ids)
        parts.append(f"""cancelled AS (
            UPDATE {task_t} SET status = %s, completed_at = %s
            WHERE case_id = %s AND status = %s AND id <> %s AND engine_id IN ({", ".join(["%s"] * len(stale))})
              AND EXISTS (SELECT 1 FROM advanced)
            RETURNING id)""")
        params += [Task.Status.CANCELLED, now, c.case.pk, Task.Status.OPEN, c.task.pk, *stale]
        withdrawn += " UNION ALL SELECT id FROM cancelled"
    parts.append(f"withdrawn AS (DELETE FROM {offer_t} WHERE task_id IN ({withdrawn}))")

    events = [c.event] + ([_finished_event(c)] if c.finished else [])
    rows, values = _typed_rows(Event, EVENT_COLUMNS, [_values(e, EVENT_COLUMNS) for e in events])
    parts.append(f"""events AS (
        INSERT INTO {event_t} ({", ".join(EVENT_COLUMNS)})
        SELECT * FROM ({rows}) AS v WHERE EXISTS (SELECT 1 FROM advanced))""")
    params += values

    if c.audit is not None:
        rows, values = _typed_rows(Entry, AUDIT_COLUMNS, [_values(c.audit, AUDIT_COLUMNS)])
        parts.append(f"""audited AS (
            INSERT INTO {Entry._meta.db_table} ({", ".join(AUDIT_COLUMNS)})
            SELECT * FROM ({rows}) AS v WHERE EXISTS (SELECT 1 FROM advanced))""")
        params += values

    if c.new_tasks:
        rows, values = _typed_rows(Task, TASK_COLUMNS, [_values(t, TASK_COLUMNS) for t in c.new_tasks])
        parts.append(f"""created AS (
            INSERT INTO {task_t} ({", ".join(TASK_COLUMNS)})
            SELECT * FROM ({rows}) AS v WHERE EXISTS (SELECT 1 FROM advanced)
            RETURNING {", ".join(("id", "engine_id", *OFFER_FROM_TASK))})""")
        params += values
        offers = _offers(c.new_tasks)
        if offers:
            rows, values = _typed_rows(Task, ("engine_id", "role"), offers)
            parts.append(f"""offered AS (
                INSERT INTO {offer_t} ({", ".join(OFFER_COLUMNS)})
                SELECT {", ".join({"task_id": "created.id", "role": "o.role"}.get(col, f"created.{col}")
                                  for col in OFFER_COLUMNS)}
                FROM created JOIN ({rows}) AS o (engine_id, role) ON o.engine_id = created.engine_id)""")
            params += values

    sql = "WITH " + ",\n".join(parts) + "\nSELECT (SELECT count(*) FROM locked), (SELECT count(*) FROM advanced)"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        locked, advanced = cursor.fetchone()
    if not locked:
        raise Lost("task")
    if not advanced:
        raise Lost("case")


# --- SQLite (and any other database): plain statements in one transaction ---------------------
def _insert(cursor, table: str, columns, rows: list[list], returning: str = ""):
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * len(rows))}"
    cursor.execute(sql + (f" RETURNING {returning}" if returning else ""), [v for r in rows for v in r])
    return cursor.fetchall() if returning else None


def _record_plain(c: Completion) -> None:
    task_t, case_t, event_t, offer_t = (m._meta.db_table for m in (Task, Case, Event, TaskOffer))
    now = connection.ops.adapt_datetimefield_value(c.now)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {task_t} SET status = %s, completed_by_id = %s, completed_at = %s, assignee_id = %s "
            f"WHERE id = %s AND status = %s AND (assignee_id IS NULL OR assignee_id = %s)",
            [Task.Status.COMPLETED, c.user_id, now, c.user_id, c.task.pk, Task.Status.OPEN, c.user_id])
        if cursor.rowcount != 1:
            raise Lost("task")
        cursor.execute(
            f"UPDATE {case_t} SET state = %s, updated_at = %s, status = %s, completed_at = %s, "
            f"subject = COALESCE(%s, subject), lock_version = lock_version + 1 WHERE id = %s AND lock_version = %s",
            _case_changes(c) + [c.case.pk, c.case.lock_version])
        if cursor.rowcount != 1:
            raise Lost("case")   # rolls back the task as well
        withdrawn = [c.task.pk]
        if c.stale_engine_ids:
            stale = sorted(c.stale_engine_ids)
            cursor.execute(
                f"UPDATE {task_t} SET status = %s, completed_at = %s WHERE case_id = %s AND status = %s "
                f"AND engine_id IN ({', '.join(['%s'] * len(stale))}) RETURNING id",
                [Task.Status.CANCELLED, now, c.case.pk, Task.Status.OPEN, *stale])
            withdrawn += [pk for (pk,) in cursor.fetchall()]
        cursor.execute(f"DELETE FROM {offer_t} WHERE task_id IN ({', '.join(['%s'] * len(withdrawn))})", withdrawn)
        events = [c.event] + ([_finished_event(c)] if c.finished else [])
        _insert(cursor, event_t, EVENT_COLUMNS, [_values(e, EVENT_COLUMNS) for e in events])
        if c.audit is not None:
            _insert(cursor, Entry._meta.db_table, AUDIT_COLUMNS, [_values(c.audit, AUDIT_COLUMNS)])
        if c.new_tasks:
            created = dict((engine_id, pk) for pk, engine_id in _insert(
                cursor, task_t, TASK_COLUMNS, [_values(t, TASK_COLUMNS) for t in c.new_tasks], "id, engine_id"))
            offers = [TaskOffer(task_id=created[t.engine_id], role=role,
                                **{col: getattr(t, col) for col in OFFER_FROM_TASK})
                      for t in c.new_tasks for role in t.offer_roles]
            if offers:
                _insert(cursor, offer_t, OFFER_COLUMNS, [_values(o, OFFER_COLUMNS) for o in offers])
