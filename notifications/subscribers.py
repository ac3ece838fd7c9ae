"""Who is told what when a case changes (cases.effects announcements, subscribed in apps.py).

Run in the transaction of the change. Recipients:
- a task assigned to someone: that person (not whoever just acted: they know);
- a task offered to roles: the active holders of those roles (in the task's unit when it has one),
  except the role every ministry employee holds (never the whole ministry): a requester's activity
  is the case's requester's, who is told their request came back to them;
- a case concluded, annulled or withdrawn: its requester;
- a comment: the requester and the people who acted on the case, except its author; an internal
  note only to those who see internal notes (cases.access.sees_internal).
Nobody is told about a case they may not see (actions.deliver asks cases.access.may_view).
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse

from cases import access, procedures
from cases.models import Case, Event, Task

from .actions import Note, deliver
from .models import Kind

BODY_MAX = 600


def _actor_id(case) -> int | None:
    """Who caused the announcement: the person of the case's latest event (the start or the
    completion just written in this transaction)."""
    return Event.objects.filter(case_id=case.pk).order_by("-id").values_list("user_id", flat=True).first()


def holders(roles, unit_id=None):
    """Active people holding one of the roles (in the unit, when given); never the role every
    ministry employee holds."""
    everyone = procedures.organization().everyone_role
    roles = [r for r in roles if r != everyone]
    if not roles:
        return get_user_model().objects.none()
    people = get_user_model().objects.filter(is_active=True, mapro_roles__slug__in=roles)
    if unit_id:
        people = people.filter(person__unit_id=unit_id)
    return people.distinct()


def _saved(case, tasks) -> list[Task]:
    """The announced tasks with their ids: a completion announces rows it inserted itself (no pk)."""
    missing = [t.engine_id for t in tasks if t.pk is None]
    if not missing:
        return list(tasks)
    found = {t.engine_id: t for t in Task.objects.filter(case_id=case.pk, engine_id__in=missing, status=Task.Status.OPEN)}
    return [t if t.pk is not None else found[t.engine_id] for t in tasks if t.pk is not None or t.engine_id in found]


def _about(case) -> str:
    return f"{case.subject}" if case.subject else ""


def task_notes(case, task, *, actor_id=None, kind_offered=Kind.TASK_OFFERED, key_prefix="task.offered",
               title_suffix="") -> list[Note]:
    """The notes that tell the people a task is waiting for: its assignee, its requester (a
    requester's activity) or the holders of its roles."""
    url = reverse("task", args=[task.pk])
    key = f"{key_prefix}:{task.pk}"
    if procedures.organization().everyone_role in task.role_list:
        requester = case.started_by
        if requester.pk == actor_id:
            return []
        kind = Kind.REQUEST_RETURNED if kind_offered == Kind.TASK_OFFERED else kind_offered
        title = (f"{case.number}: su solicitud requiere su atención — {task.name}" if kind == Kind.REQUEST_RETURNED
                 else f"{case.number}: {task.name}{title_suffix}")
        body = (f"Su solicitud «{_about(case) or case.number}» volvió a usted: revise las observaciones y "
                f"complete «{task.name}».") if kind == Kind.REQUEST_RETURNED else _about(case)
        return [Note(requester, kind, title, body, url, case, key)]
    if task.assignee_id:
        if task.assignee_id == actor_id:
            return []
        kind = Kind.TASK_ASSIGNED if kind_offered == Kind.TASK_OFFERED else kind_offered
        return [Note(task.assignee, kind, f"{case.number}: {task.name}{title_suffix}", _about(case), url, case, key)]
    people = holders(task.role_list, task.unit_id)
    if actor_id:
        people = people.exclude(pk=actor_id)
    return [Note(person, kind_offered, f"{case.number}: {task.name}{title_suffix}", _about(case), url, case, key)
            for person in people]


def task_offered(case, tasks, **_):
    if not tasks:
        return
    actor_id = _actor_id(case)
    notes = []
    for task in _saved(case, tasks):
        task.case = case
        notes += task_notes(case, task, actor_id=actor_id)
    deliver(notes)


def task_assigned(case, task, by=None, **_):
    if not task.assignee_id or (by is not None and task.assignee_id == by.pk):
        return
    who = access.display_name(by) if by is not None else "El sistema"
    deliver([Note(task.assignee, Kind.TASK_ASSIGNED, f"{case.number}: se le asignó «{task.name}»",
                  f"{who} le asignó esta tarea. {_about(case)}".strip(), reverse("task", args=[task.pk]), case,
                  f"task.assigned:{task.pk}:{task.assignee_id}")])


CLOSED = {
    Case.Status.COMPLETED: (Kind.CASE_COMPLETED, "concluida", "Su solicitud fue atendida y el procedimiento concluyó."),
    Case.Status.CANCELLED: (Kind.CASE_CANCELLED, "anulada", "Su solicitud fue anulada."),
    Case.Status.WITHDRAWN: (Kind.CASE_WITHDRAWN, "desistida", "Se registró el desistimiento de su solicitud."),
}


def case_closed(case, status, by=None, **_):
    requester = case.started_by
    if status not in CLOSED or (by is not None and by.pk == requester.pk):
        return
    kind, word, body = CLOSED[status]
    if status != Case.Status.COMPLETED:
        reason = Event.objects.filter(case_id=case.pk).order_by("-id").values_list("note", flat=True).first()
        if reason:
            body += f" Motivo: {reason}"
    if by is not None:
        body += f" ({access.display_name(by)})"
    deliver([Note(requester, kind, f"Su solicitud {case.number} fue {word}", f"{_about(case)}\n{body}".strip(),
                  reverse("case", args=[case.pk]), case, f"case.{status}:{case.pk}")])


def participants(case) -> set[int]:
    """The requester and everyone who acted on the case (its history, its tasks)."""
    ids = {case.started_by_id}
    ids |= set(Event.objects.filter(case_id=case.pk, user__isnull=False).values_list("user_id", flat=True).distinct())
    for assignee, completer in Task.objects.filter(case_id=case.pk).values_list("assignee_id", "completed_by_id"):
        ids |= {assignee, completer}
    ids.discard(None)
    return ids


def comment_added(case, comment, **_):
    ids = participants(case) - {comment.author_id}
    if not ids:
        return
    people = get_user_model().objects.filter(pk__in=ids, is_active=True)
    if comment.internal:
        people = [p for p in people if access.sees_internal(p, case)]
    author = access.display_name(comment.author)
    what = "una nota interna" if comment.internal else "un mensaje"
    text = comment.body if len(comment.body) <= BODY_MAX else comment.body[:BODY_MAX - 1] + "…"
    deliver([Note(person, Kind.COMMENT, f"{case.number}: {author} escribió {what}", text,
                  reverse("case", args=[case.pk]), case, f"comment:{comment.pk}")
             for person in people])
