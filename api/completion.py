"""The answer to `POST /api/tasks/{id}/complete`: the case as `GET /api/cases/{id}` shows it, built lean.

Completing a task is the API's most frequent request. Its answer keeps every key of the case
(`status`, `history`, `open_tasks` with their forms and decisions, `comments`, `attachments`...),
so clients read it as before, but it is built from three plain SQL reads instead of eleven ORM ones:

- the case's requester and unit, and whether it has any comment or attachment at all (one query;
  the conversation and the files are read only when there are some);
- the history: the completed events as plain values, without a model instance per event;
- the open tasks as plain values, each with its form's JSON Schema built once per sheet version
  and activity (`_form`) and only the people a `user` field may name read afresh.

tests/test_completion_response.py checks that this answer equals `case_json` for the same case."""
from __future__ import annotations

from functools import lru_cache

from django.db import connection

from cases import access, procedures, workflow
from cases.models import Attachment, Case, Comment, Event, Task
from engine.forms import json_schema
from org.models import Unit


def _display(username, first_name, last_name) -> str:
    full = f"{first_name} {last_name}".strip()   # as User.get_full_name
    return full or username


@lru_cache(maxsize=2048)
def _form(procedure: str, version: int, activity: int, waiting: bool) -> tuple[dict, tuple, tuple]:
    """(JSON Schema of the form without people, its `user` fields that name someone, decision labels)
    of one activity of one sheet version: sheets of a given version never change."""
    sheet = procedures.sheet(procedure, version)
    a = sheet.activity(activity)
    fields = () if waiting else a.form
    decisions = [] if waiting or not a.decision else [answer.label for answer in a.decision.answers]
    naming = tuple(f for f in fields if f.type == "user" and f.assigns is not None)
    return json_schema(fields), naming, tuple(decisions)


def _task_form(case: Case, activity: int, waiting: bool) -> tuple[dict, list]:
    schema, naming, decisions = _form(case.procedure, case.version, activity, waiting)
    if naming:   # who may be named changes with the role holders: read now, as task_json does
        sheet = procedures.sheet(case.procedure, case.version)
        fields = () if waiting else sheet.activity(activity).form
        schema = json_schema(fields, {f.key: workflow.eligible_people(sheet, f) for f in naming})
    return schema, list(decisions)


@lru_cache(maxsize=None)
def _register_question(procedure: str, version: int, activity: int, waiting: bool):
    decision = None if waiting else procedures.sheet(procedure, version).activity(activity).decision
    return decision_register(decision)


def decision_register(decision) -> dict | None:
    """A decision the register answers: which register, from which form fields, and the answers it
    gives (the completion takes the register's answer; another one is refused)."""
    lookup = decision.lookup if decision is not None else None
    if lookup is None:
        return None
    return {"register": lookup.register, "key": dict(lookup.key), "found": lookup.found, "missing": lookup.missing}


# --- the three reads, in plain SQL ------------------------------------------------------------------
# The ORM compiled each of these in more time than the database took to answer it. Values come
# back converted as the ORM converts them (SQLite gives dates as text and booleans as 0/1; JSON
# arrives as text on both).
@lru_cache(maxsize=None)
def _converters(columns: tuple) -> list[tuple]:
    """(position, field, converters) of the columns that name a (model, field)."""
    found = []
    for i, column in enumerate(columns):
        if column:
            model, name = column
            f = model._meta.get_field(name)
            convert = [*connection.ops.get_db_converters(f.get_col(model._meta.db_table)),
                       *f.get_db_converters(connection)]
            if convert:
                found.append((i, f, convert))
    return found


def _fetch(sql: str, params: list, columns: tuple) -> list[list]:
    """Rows of `sql`, each value converted for its (model, field) in `columns` (None: as it comes)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = _converters(columns)
    out = []
    for row in rows:
        values = list(row)
        for i, f, convert in converters:
            for fn in convert:
                values[i] = fn(values[i], f, connection)
        out.append(values)
    return out


def _tables():
    from django.contrib.auth import get_user_model

    return {"user": get_user_model()._meta.db_table, "unit": Unit._meta.db_table, "event": Event._meta.db_table,
            "task": Task._meta.db_table, "comment": Comment._meta.db_table,
            "attachment": Attachment._meta.db_table}


def completion_json(case: Case, user) -> dict:
    """`case_json(case, user)`, for the case complete_task has just moved on."""
    t = _tables()
    [[username, first_name, last_name, unit, any_comment, any_attachment]] = _fetch(
        f"SELECT u.username, u.first_name, u.last_name, "
        f"(SELECT acronym FROM {t['unit']} WHERE id = %s), "
        f"EXISTS (SELECT 1 FROM {t['comment']} WHERE case_id = %s), "
        f"EXISTS (SELECT 1 FROM {t['attachment']} WHERE case_id = %s) "
        f"FROM {t['user']} u WHERE u.id = %s",
        [case.requester_unit_id, case.pk, case.pk, case.started_by_id], (None, None, None, None, None, None))
    requester = _display(username, first_name, last_name)
    sheet = procedures.sheet(case.procedure, case.version)
    personal = access.sees_personal_data(user, case)

    history = []
    for activity, name, role, by, decision, data, at in _fetch(
            f"SELECT e.activity, e.name, e.role, u.username, e.decision, e.data, e.created_at "
            f"FROM {t['event']} e LEFT JOIN {t['user']} u ON u.id = e.user_id "
            f"WHERE e.case_id = %s AND e.kind = %s ORDER BY e.created_at, e.id",
            [case.pk, Event.Kind.COMPLETED], (None, None, None, None, None, (Event, "data"), (Event, "created_at"))):
        if not personal and data and activity and sheet.has_activity(activity):
            data = access.mask_data(data, sheet.activity(activity).form)
        history.append({"activity": activity, "name": name, "role": role, "user": by, "decision": decision or None,
                        "data": data, "completed_at": at.isoformat()})

    open_tasks = []
    for pk, procedure, activity, name, role, roles, assignee, status, waiting, due_at in _fetch(
            f"SELECT t.id, t.procedure, t.activity, t.name, t.role, t.roles, u.username, t.status, t.waiting, t.due_at "
            f"FROM {t['task']} t LEFT JOIN {t['user']} u ON u.id = t.assignee_id "
            f"WHERE t.case_id = %s AND t.status = %s ORDER BY t.activity, t.id",
            [case.pk, Task.Status.OPEN], (None,) * 8 + ((Task, "waiting"), (Task, "due_at"))):
        form, decisions = _task_form(case, activity, waiting)
        open_tasks.append({
            "id": pk,
            "case": case.pk,
            "case_number": case.number,
            "procedure": procedure,
            "activity": activity,
            "name": name,
            "role": role,
            "roles": roles.split(",") if roles else [role],   # Task.role_list
            "assignee": assignee,
            "status": status,
            "waiting": waiting,
            "decisions": decisions,
            "decision_register": _register_question(procedure, case.version, activity, waiting),
            "form": form,
            "due_at": due_at.isoformat(),
            "case_subject": case.subject,
            "case_priority": case.priority,
            "case_requester": requester,
            "case_requester_unit": unit,
        })

    if any_comment or any_attachment:
        from .views import case_file_json

        case_file = case_file_json(case, user)
    else:
        case_file = {"comments": [], "attachments": []}
    return {
        "id": case.pk,
        "number": case.number,
        "procedure": case.procedure,
        "version": case.version,
        "status": case.status,
        "started_by": username,
        "subject": case.subject,
        "priority": case.priority,
        "requester": requester,
        "requester_unit": unit,
        "created_at": case.created_at.isoformat(),
        "completed_at": case.completed_at.isoformat() if case.completed_at else None,
        "history": history,
        "open_tasks": open_tasks,
        **case_file,
    }
