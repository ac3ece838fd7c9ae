"""The answer to `POST /api/tasks/{id}/complete`: the case as `GET /api/cases/{id}` shows it, built lean.

Completing a task is the API's most frequent request. Its answer keeps every key of the case
(`status`, `history`, `open_tasks` with their forms and decisions, `comments`, `attachments`...),
so clients read it as before, but it is built from three light reads instead of eleven:

- the case's requester and unit, and whether it has any comment or attachment at all (one query;
  the conversation and the files are read only when there are some);
- the history: the completed events as plain values, without a model instance per event;
- the open tasks as plain values, each with its form's JSON Schema built once per sheet version
  and activity (`_form`) and only the people a `user` field may name read afresh.

tests/test_completion_response.py checks that this answer equals `case_json` for the same case."""
from __future__ import annotations

from functools import lru_cache

from django.db.models import Exists, OuterRef

from cases import access, procedures, workflow
from cases.models import Attachment, Case, Comment, Event, Task
from engine.forms import json_schema

TASK_VALUES = ("id", "procedure", "activity", "name", "role", "roles", "assignee__username", "status", "waiting",
               "due_at")


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


def completion_json(case: Case, user) -> dict:
    """`case_json(case, user)`, for the case complete_task has just moved on."""
    header = (Case.objects.filter(pk=case.pk)
              .annotate(any_comment=Exists(Comment.objects.filter(case_id=OuterRef("pk"))),
                        any_attachment=Exists(Attachment.objects.filter(case_id=OuterRef("pk"))))
              .values_list("started_by__username", "started_by__first_name", "started_by__last_name",
                           "requester_unit__acronym", "any_comment", "any_attachment")
              .get())
    username, first_name, last_name, unit, any_comment, any_attachment = header
    requester = _display(username, first_name, last_name)
    sheet = procedures.sheet(case.procedure, case.version)
    personal = access.sees_personal_data(user, case)

    history = []
    for activity, name, role, by, decision, data, at in (
            Event.objects.filter(case_id=case.pk, kind=Event.Kind.COMPLETED).order_by("created_at", "id")
            .values_list("activity", "name", "role", "user__username", "decision", "data", "created_at")):
        if not personal and data and activity and sheet.has_activity(activity):
            data = access.mask_data(data, sheet.activity(activity).form)
        history.append({"activity": activity, "name": name, "role": role, "user": by, "decision": decision or None,
                        "data": data, "completed_at": at.isoformat()})

    open_tasks = []
    for t in (Task.objects.filter(case_id=case.pk, status=Task.Status.OPEN).order_by("activity", "id")
              .values(*TASK_VALUES)):
        form, decisions = _task_form(case, t["activity"], t["waiting"])
        open_tasks.append({
            "id": t["id"],
            "case": case.pk,
            "case_number": case.number,
            "procedure": t["procedure"],
            "activity": t["activity"],
            "name": t["name"],
            "role": t["role"],
            "roles": t["roles"].split(",") if t["roles"] else [t["role"]],   # Task.role_list
            "assignee": t["assignee__username"],
            "status": t["status"],
            "waiting": t["waiting"],
            "decisions": decisions,
            "form": form,
            "due_at": t["due_at"].isoformat(),
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
