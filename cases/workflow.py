"""Starting cases and moving them on: the only code that writes cases and tasks.

Each operation is one transaction, its audit entry (audit.record) written in it. Completing a task
takes its row only if it is still open (and free or held by the user) and advances the case with a
compare-and-set on `lock_version` (cases.store writes both in one statement), so when two people
complete the same task at once exactly one wins and the case moves on once.
"""
from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

import audit
from engine.forms import validate_submission
from engine.runtime import EngineError
from org.models import Role, knows_role_slugs, remember_role_slugs, role_slugs, unit_id_of
from schedules.office_calendar import office_calendar

from . import access, effects, procedures, search, store
from .models import Case, CaseSequence, Event, Task, TaskOffer


class WorkflowError(Exception):
    status = 400
    code = "error"

    def __init__(self, detail: str, errors: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}


class NotFound(WorkflowError):
    status, code = 404, "no_encontrado"


class Forbidden(WorkflowError):
    status, code = 403, "prohibido"


class Conflict(WorkflowError):
    status, code = 409, "conflicto"


class Invalid(WorkflowError):
    status, code = 422, "datos_invalidos"


_display = access.display_name


def task_roles(task: Task) -> list[str]:
    return task.role_list


def _offer(task: Task):
    TaskOffer.objects.bulk_create([
        TaskOffer(task=task, role=role, unit_id=task.unit_id, procedure=task.procedure, due_at=task.due_at)
        for role in task.offer_roles
    ])


def _withdraw(task_ids):
    TaskOffer.objects.filter(task_id__in=task_ids).delete()


@dataclass
class TaskView:
    """What a person may do with a task right now."""

    task: Task
    roles: list[str]
    may_act: bool
    reason: str = ""
    fields: tuple = ()
    decision: object = None
    activity: object = None
    sheet: object = None

    @cached_property
    def people(self) -> dict[str, list[tuple[str, str]]]:
        """For each `user` field of the form, the (username, name) of whom it may name. Read on
        first use (the page's select, the API's JSON Schema), never on the completion path."""
        if self.sheet is None:
            return {}
        return {f.key: eligible_people(self.sheet, f) for f in self.fields if f.type == "user" and f.assigns is not None}


def describe(task: Task, user) -> TaskView:
    s = procedures.sheet(task.procedure, task.case.version)
    activity = s.activity(task.activity)
    found = access.refusal(user, task)
    fields = () if task.waiting else activity.form
    decision = None if task.waiting else activity.decision
    return TaskView(task, task_roles(task), found is None, found.detail if found else "", fields, decision, activity, s)


def eligible_people(sheet, f) -> list[tuple[str, str]]:
    """(username, display name) of the people a `user` field may name: the active holders of the
    roles of the activity it assigns (`_holders`, as `_assignments` checks them)."""
    users = _holders(sheet.activity(f.assigns).roles).distinct().order_by("username")
    return [(u.username, _display(u)) for u in users.only("username", "first_name", "last_name")]


# --- starting -------------------------------------------------------------------------------
def _next_number(code: str) -> str:
    year = timezone.localdate().year
    sequence, _ = CaseSequence.objects.select_for_update().get_or_create(procedure=code, year=year)
    CaseSequence.objects.filter(pk=sequence.pk).update(last=F("last") + 1)
    sequence.refresh_from_db(fields=["last"])
    return f"{code}-{year}-{sequence.last:06d}"


def _entry_key(s, start_key) -> str | None:
    """The entry point's key (a printed label is accepted too), or Invalid."""
    keys = {key: label for key, label, _ in s.entry_points}
    if start_key is not None and not isinstance(start_key, str):
        raise Invalid("«start» debe ser el texto de una de las formas de iniciar: " + "; ".join(keys), {"start": "inválido"})
    if start_key is not None and start_key not in keys:
        by_label = {label: key for key, label in keys.items()}
        start_key = by_label.get(start_key, start_key)
        if start_key not in keys:
            raise Invalid(f"Inicio desconocido «{start_key}». Opciones: " + "; ".join(keys), {"start": "desconocido"})
    if start_key is None and len(keys) > 1:
        raise Invalid("Elija por dónde inicia el procedimiento: " + "; ".join(keys), {"start": "obligatorio"})
    return start_key


def start_form(user, s, start_key: str | None, *, files: bool = False):
    """The form the person starting a case fills at once (the first activity, when it is theirs),
    or None when the first activity goes to someone else: then only a subject is asked.

    With a required `file` field, None unless `files` (the caller uploads them with the start,
    cases.casefile.start_with_files): data alone could never satisfy it, since a file is an
    attachment of a case that does not exist yet. Optional file fields are left out of such data."""
    activity = s.activity(next(n for key, _, n in s.entry_points if key == (start_key or s.entry_points[0][0])))
    if not files and any(f.type == "file" and f.required for f in activity.form):
        return None
    roles = set(activity.roles)
    if procedures.organization().everyone_role in roles or roles & procedures.requester_roles() & role_slugs(user):
        return activity
    return None


SUBJECT_MAX = 200


def start_case(user, code: str, start_key: str | None = None, data: dict | None = None, *,
               subject: str = "", priority: str | None = None, scheduled: bool = False) -> Case:
    """Start a case as `user`; `scheduled` is the scheduler starting periodic work on its date.

    Everything is checked first (entry point, permission, subject, priority, the first activity's
    form when `data` is given); then the case, its first tasks and, with `data`, the completion of
    the requester's first activity are written in one transaction, or nothing is."""
    try:
        s = procedures.sheet(code)
    except procedures.UnknownProcedure:
        raise NotFound(f"No existe el procedimiento {code}.") from None
    start_key = _entry_key(s, start_key)
    if not scheduled and not procedures.can_start(role_slugs(user), s, start_key):
        raise Forbidden("Sus roles no le permiten iniciar este procedimiento.")
    subject, priority = _check_subject(subject), _check_priority(user, priority, scheduled)
    first = start_form(user, s, start_key) if data is not None else None
    if data is not None and first is None:
        raise Invalid("Los datos iniciales solo se aceptan cuando la primera actividad le corresponde a usted.",
                      {"data": "no aplicable"})
    if data is not None and not isinstance(data, dict):
        raise Invalid("Los datos deben ser un objeto JSON.", {"data": "inválido"})
    if first is not None:
        _, errors = validate_submission(first.form, data)
        if errors:
            raise Invalid(next(iter(errors.values())), errors)
    engine = procedures.engine(s.code, s.version)
    try:
        workflow = engine.start(start_key)
    except EngineError as exc:
        raise Invalid(str(exc)) from None
    now = timezone.now()
    person = getattr(user, "person", None)
    labels = {key: label for key, label, _ in s.entry_points}
    if not subject:
        subject = (f"{labels[start_key]} — {timezone.localdate(now):%d/%m/%Y}" if scheduled else s.name)[:SUBJECT_MAX]
    with transaction.atomic():
        try:
            procedures.record_version(s)
        except procedures.SheetChanged as exc:
            raise Conflict(str(exc)) from None
        case = Case.objects.create(
            number=_next_number(s.code), procedure=s.code, version=s.version, start_key=start_key or "",
            subject=subject, priority=priority,
            started_by=user, requester_unit=person.unit if person else None,
            created_at=now, updated_at=now, state=engine.serialize(workflow),
        )
        Event.objects.create(case=case, kind=Event.Kind.STARTED, user=user, created_at=now,
                             note=labels.get(start_key, "") if start_key else "")
        audit.record("case.started", actor=None if scheduled else user, obj=case, created_at=now, after={
            "procedure": case.procedure, "version": case.version, "start": case.start_key or None,
            "subject": case.subject, "priority": case.priority, "status": case.status})
        search.index_new_case(case, user, case.requester_unit)
        tasks, _ = _plan_tasks(case, engine, workflow, now, known=set())
        Task.objects.bulk_create(tasks)
        for task in tasks:
            _offer(task)
        effects.announce("task.offered", case=case, tasks=tasks)
        if first is not None:
            mine = [t for t in case.tasks.filter(status=Task.Status.OPEN) if t.assignee_id == user.id]
            if len(mine) != 1:
                raise Invalid("Los datos iniciales solo se aceptan cuando la primera actividad le corresponde a usted.",
                              {"data": "no aplicable"})
            complete_task(mine[0].pk, user, data, None)
    case.refresh_from_db()
    return case


def _check_subject(subject) -> str:
    if subject is None:
        return ""
    if not isinstance(subject, str):
        raise Invalid("El asunto debe ser texto.", {"subject": "inválido"})
    subject = " ".join(subject.split())
    if len(subject) > SUBJECT_MAX:
        raise Invalid(f"El asunto admite como máximo {SUBJECT_MAX} caracteres.", {"subject": "demasiado largo"})
    if "\x00" in subject or any(0xD800 <= ord(ch) <= 0xDFFF for ch in subject):
        raise Invalid("El asunto contiene caracteres no válidos.", {"subject": "inválido"})
    return subject


def sets_priority(user) -> bool:
    """The office's staff set a case's priority; a requester's case starts at the usual one."""
    return bool(role_slugs(user) & procedures.organization().office_roles) or user.is_superuser


def _check_priority(user, priority, scheduled=False) -> str:
    if priority in (None, ""):
        return Case.Priority.MEDIUM
    if not scheduled and not sets_priority(user):
        raise Invalid("La prioridad la fija el personal de la OGTIE.", {"priority": "no permitido"})
    if priority not in Case.Priority.values:
        options = ", ".join(f"{value} ({label})" for value, label in Case.Priority.choices)
        raise Invalid(f"Prioridad desconocida. Opciones: {options}.", {"priority": "desconocida"})
    return priority


def _plan_tasks(case: Case, engine, workflow, now, assignments: dict | None = None, *,
                known: set[str], previous: tuple[Task, object] | None = None) -> tuple[list[Task], frozenset[str]]:
    """The task rows to create for the engine's newly ready tasks (unsaved), and the engine ids
    of open rows whose engine task is no longer ready (to cancel).

    `known` is the engine ids of the case's open task rows (open rows always mirror the engine's
    ready tasks); `assignments` maps an activity number to the user a completed form named for it;
    `previous` is the task just completed and who completed it: an activity of the same role that
    follows it goes to the same person (who can release it), not back to the pool."""
    s = engine.sheet
    ready = engine.ready_tasks(workflow)
    requester = procedures.requester_roles()
    created = []
    for item in ready:
        if item.id in known:
            continue
        activity = s.activity(item.activity)
        if item.waiting:
            name = f"Se espera a {activity.wait.party}: {activity.wait.awaited}".strip().rstrip(":")
        else:
            name = activity.name
        assignee, unit = None, None
        if set(activity.roles) & requester:
            # The requester does the requesting unit's activities of their own case; those of its
            # Director(a)/Jefe(a) go to the holders of that role in the requesting unit.
            holds = procedures.organization().everyone_role in activity.roles or set(activity.roles) & set(role_slugs(case.started_by))
            if holds:
                assignee = case.started_by
            elif _unit_has_holders(case.requester_unit_id, activity.roles):
                unit = case.requester_unit_id
        if assignments and item.activity in assignments and not item.waiting:
            assignee = assignments[item.activity]
        elif assignee is None and unit is None and previous is not None:
            done, person = previous
            if set(activity.roles) & set(done.role_list) & role_slugs(person):
                assignee = person
        days = due_days(activity, case.priority)
        created.append(Task(
            case=case, procedure=case.procedure, engine_id=item.id, activity=item.activity, waiting=item.waiting,
            name=name[:300], role=activity.role, roles=",".join(activity.roles), assignee=assignee, unit_id=unit,
            created_at=now, due_at=office_calendar().add_days(now, days),
        ))
    return created, frozenset(known - {item.id for item in ready})


def due_days(activity, priority: str) -> int:
    """Business days (días hábiles) a task of `activity` has: the sheet's `due_days`, else by the
    case's priority (MAPRO_TASK_DUE_DAYS_BY_PRIORITY; medium: MAPRO_TASK_DUE_DAYS)."""
    if activity.due_days:
        return activity.due_days
    by_priority = settings.MAPRO_TASK_DUE_DAYS_BY_PRIORITY
    return by_priority.get(priority) or settings.MAPRO_TASK_DUE_DAYS


def set_case_priority(case: Case, priority: str, *, by=None) -> bool:
    """The case's priority changes (its ticket's priority set or changed by the help desk): the open
    tasks whose activity has no due days of its own are due again from their start, by the new
    priority. Call inside the caller's transaction; `by` None is the system. False if unchanged."""
    if priority not in Case.Priority.values:
        raise Invalid("Prioridad desconocida.", {"priority": "desconocida"})
    before = Case.objects.filter(pk=case.pk).values_list("priority", flat=True).first()
    if before == priority:
        return False
    Case.objects.filter(pk=case.pk).update(priority=priority, updated_at=timezone.now())
    sheet = procedures.sheet(case.procedure, case.version)
    calendar = office_calendar()
    moved = []
    for task in Task.objects.filter(case_id=case.pk, status=Task.Status.OPEN):
        activity = sheet.activity(task.activity)
        if activity.due_days:
            continue
        due = calendar.add_days(task.created_at, due_days(activity, priority))
        Task.objects.filter(pk=task.pk).update(due_at=due)
        TaskOffer.objects.filter(task_id=task.pk).update(due_at=due)
        moved.append(task.pk)
    case.priority = priority
    audit.record("case.prioritised", actor=by, obj=case, before={"priority": before},
                 after={"priority": priority, "tasks_due_again": moved})
    return True


def _holders(roles, unit_id=None):
    """Active users holding one of the roles (and belonging to the unit, when given)."""
    users = get_user_model().objects.filter(is_active=True, mapro_roles__slug__in=roles)
    return users.filter(person__unit_id=unit_id) if unit_id else users


def _unit_has_holders(unit_id, roles) -> bool:
    """Whether someone in the unit holds one of the roles. When nobody does (a case started from
    OGTIE, say), the activity is offered to every holder rather than to nobody."""
    return unit_id is not None and _holders(roles, unit_id).exists()


# --- acting on tasks ------------------------------------------------------------------------
def get_task(task_id, user=None) -> Task:
    """The task with its case; assignee and completer load lazily (only read to tell a loser who won).

    With `user`, the user's roles come in the same query unless already known for this request."""
    try:
        pk = int(task_id)
    except (ValueError, TypeError):
        pk = 0
    if not 0 < pk < 2**63:
        raise NotFound("No existe la tarea.")
    ask_roles = user is not None and user.is_authenticated and not knows_role_slugs(user)
    task, roles = store.read_task(pk, roles_of=user.pk if ask_roles else None)
    if task is None:
        raise NotFound("No existe la tarea.")
    if roles is not None:
        remember_role_slugs(user, roles)
    return task


def claim_task(task_id, user) -> Task:
    task = access.task_for(user, task_id)
    access.check_act(user, task)
    if not task.is_open:
        raise Conflict(f"La tarea ya fue atendida por {_display(task.completed_by)}.")
    if task.assignee_id == user.id:
        return task
    now = timezone.now()
    with transaction.atomic():
        taken = Task.objects.filter(pk=task.pk, status=Task.Status.OPEN, assignee__isnull=True).update(assignee=user, claimed_at=now)
        if not taken:
            task.refresh_from_db()
            raise Conflict(f"La tarea la tiene {_display(task.assignee)}.")
        _withdraw([task.pk])
        Event.objects.create(case=task.case, task=task, kind=Event.Kind.CLAIMED, activity=task.activity,
                             name=task.name, role=task.role, user=user, created_at=now)
        _audit_assignee("task.claimed", user, task, None, user)
    task.refresh_from_db()
    return task


def release_task(task_id, user) -> Task:
    task = access.task_for(user, task_id)
    if task.assignee_id != user.id or not task.is_open:
        raise Conflict("Solo puede liberar una tarea pendiente que usted tiene.")
    if procedures.organization().everyone_role in task.role_list:
        raise Conflict("Las actividades de quien presentó la solicitud no se liberan: solo usted puede atenderlas.")
    with transaction.atomic():
        Task.objects.filter(pk=task.pk).update(assignee=None, claimed_at=None)
        task.assignee = None
        _offer(task)
        Event.objects.create(case=task.case, task=task, kind=Event.Kind.RELEASED, activity=task.activity,
                             name=task.name, role=task.role, user=user)
        _audit_assignee("task.released", user, task, user, None)
    task.refresh_from_db()
    return task


def reassign_task(task_id, by_user, to_username: str) -> Task:
    task = access.task_for(by_user, task_id)
    if not access.leads(by_user):
        raise Forbidden("Solo el/la Jefe(a) o un(a) coordinador(a) puede reasignar tareas.")
    if not task.is_open:
        raise Conflict(f"La tarea ya fue atendida por {_display(task.completed_by)}.")
    User = get_user_model()
    try:
        target = User.objects.get(username=to_username, is_active=True)
    except User.DoesNotExist:
        raise Invalid(f"No existe el usuario «{to_username}».", {"assignee": "desconocido"}) from None
    roles = task_roles(task)
    if not Role.objects.filter(slug__in=roles, members=target).exists():
        raise Invalid(f"{_display(target)} no tiene el rol de esta tarea.", {"assignee": "sin rol"})
    if not task.is_for_unit_of(target):
        raise Invalid(f"{_display(target)} no pertenece a la unidad solicitante ({task.unit.acronym}).",
                      {"assignee": "otra unidad"})
    previous = task.assignee if task.assignee_id else None
    with transaction.atomic():
        changed = Task.objects.filter(pk=task.pk, status=Task.Status.OPEN).update(assignee=target, claimed_at=timezone.now())
        if not changed:
            raise Conflict("La tarea ya no está pendiente.")
        _withdraw([task.pk])
        Event.objects.create(case=task.case, task=task, kind=Event.Kind.REASSIGNED, activity=task.activity,
                             name=task.name, role=task.role, user=by_user, note=f"Reasignada a {target.username}")
        _audit_assignee("task.reassigned", by_user, task, previous, target)
        task.assignee = target
        effects.announce("task.assigned", case=task.case, task=task, by=by_user)
    task.refresh_from_db()
    return task


def _audit_assignee(action: str, actor, task: Task, before, after) -> None:
    """The audit entry of a task changing hands (claimed, released, reassigned): the case is its object."""
    which = {"task": task.pk, "activity": task.activity}
    audit.record(action, actor=actor, obj=task.case,
                 before={**which, "assignee": before.username if before else None},
                 after={**which, "assignee": after.username if after else None})


def reassign_candidates(task: Task) -> list[str]:
    """Usernames a coordinator may hand the task to: active holders of its roles (in its unit, if scoped)."""
    users = _holders(task_roles(task), task.unit_id)
    return list(users.values_list("username", flat=True).distinct().order_by("username"))


def set_due_date(task_id, due_at) -> None:
    """Change when an open task falls due; its offers carry the date for the inbox order."""
    with transaction.atomic():
        Task.objects.filter(pk=task_id, status=Task.Status.OPEN).update(due_at=due_at)
        TaskOffer.objects.filter(task_id=task_id).update(due_at=due_at)


# Parallel branches of one case completed at the same moment: each completion that finds the
# case moved on is done again on the new state, so both people succeed.
CASE_MOVED_ON_RETRIES = 3


class _CaseMovedOn(Exception):
    pass


def complete_task(task_id, user, data: dict | None, decision: str | None) -> Case:
    """Complete the task with the form data and decision, and move the case on: all or nothing."""
    for _ in range(CASE_MOVED_ON_RETRIES):
        try:
            return _complete_once(task_id, user, data, decision)
        except _CaseMovedOn:
            continue
    raise Conflict("El caso cambió mientras se atendía la tarea; vuelva a intentarlo.")


def _complete_once(task_id, user, data: dict | None, decision: str | None) -> Case:
    task = access.task_for(user, task_id)
    access.check_act(user, task)
    if not task.is_open:
        raise Conflict(f"La tarea ya fue atendida por {_display(task.completed_by)}.")
    view = describe(task, user)
    clean, errors = validate_submission(view.fields, data or {})
    from .casefile import resolve_files  # `file` fields: attachments of this case

    resolve_files(task.case_id, view.fields, clean, errors)
    if errors:
        first = next(iter(errors.values()))
        raise Invalid(first, errors)
    case = task.case
    engine = procedures.engine(case.procedure, case.version)
    now = timezone.now()
    # What the completion's effects read (registers, tickets, documents); the decision is set below.
    context = effects.Context(case=case, task=task, sheet=engine.sheet, activity=engine.sheet.activity(task.activity),
                              user=user, clean=clean, decision="", now=now, finished=False)
    decision_label = ""
    if view.decision and view.decision.lookup:
        try:
            answered = effects.answer(context, view.decision)
        except effects.Refused as refused:
            raise Invalid(refused.message, {refused.field: refused.message}) from None
        given = view.decision.answer(decision) if decision else None
        if given is not None and answered and given.label != answered:
            raise Invalid(f"«{view.decision.question}»: el registro responde «{answered}», no «{given.label}».",
                          {"decision": "la responde el registro"})
        decision = answered or decision
    if view.decision:
        answer = view.decision.answer(decision or "")
        if answer is None:
            options = " / ".join(a.label for a in view.decision.answers)
            raise Invalid(f"Indique la decisión «{view.decision.question}»: {options}.", {"decision": "obligatoria"})
        decision_label = answer.label
    elif decision:
        raise Invalid("Esta actividad no termina en una decisión.", {"decision": "no aplica"})

    assignments = _assignments(view, clean)
    workflow = engine.restore(case.state)
    still_open = {t.id for t in engine.ready_tasks(workflow)} - {task.engine_id}
    try:
        engine.complete(workflow, task.engine_id, clean, decision_label or None)
    except EngineError as exc:
        raise Invalid(str(exc)) from None
    finished = engine.is_completed(workflow)
    new_tasks, stale = _plan_tasks(case, engine, workflow, now, assignments, known=still_open, previous=(task, user))
    which = {"task": task.pk, "activity": task.activity}
    completed = {**which, "status": Task.Status.COMPLETED, "decision": decision_label or None, "data": clean}
    if finished:
        completed["case_status"] = Case.Status.COMPLETED
    completion = store.Completion(
        task=task, user_id=user.pk, case=case, state=engine.serialize(workflow), finished=finished, now=now,
        event=Event(case=case, task=task, kind=Event.Kind.COMPLETED, activity=task.activity, name=task.name,
                    role=task.role, user_id=user.pk, decision=decision_label, data=clean, created_at=now),
        new_tasks=new_tasks, stale_engine_ids=stale, subject=_subject_from(view.fields, clean),
        # Written by the same statement or transaction, only if the completion is.
        audit=audit.entry("task.completed", actor=user, obj=case, created_at=now,
                          before={**which, "status": Task.Status.OPEN}, after=completed,
                          personal=audit.personal_paths(view.fields, clean)),
    )
    # The effects the sheet declares (registers, tickets, documents) and what other apps hear of it:
    # planned (and refused) before anything is written, run in the completion's transaction.
    context.decision, context.finished = decision_label, finished
    try:
        writes = effects.plan(context)
    except effects.Refused as refused:
        raise Invalid(refused.message, {refused.field: refused.message}) from None

    def then():
        for write in writes:
            write()
        if new_tasks:
            effects.announce("task.offered", case=case, tasks=new_tasks)
        if finished:
            effects.announce("case.closed", case=case, status=Case.Status.COMPLETED, by=user)

    try:
        store.record_completion(completion, then if writes or effects.listening() else None)
    except effects.Refused as refused:   # a write the records refused meanwhile (e.g. the same serial at once)
        raise Invalid(refused.message, {refused.field: refused.message}) from None
    except store.Lost as lost:
        if lost.what == "case":
            raise _CaseMovedOn from None
        task.refresh_from_db()
        if task.is_open:
            raise Conflict(f"La tarea la tiene {_display(task.assignee)}.") from None
        raise Conflict(f"La tarea ya fue atendida por {_display(task.completed_by)}.") from None
    # The search document is written after the completion, not inside cases.store's statement:
    # see cases/search.py for why appending afterwards is safe.
    search.append_completion(case.pk, view.fields, clean)
    case.state, case.lock_version, case.updated_at = completion.state, case.lock_version + 1, now
    case.subject = completion.subject or case.subject
    case.status = Case.Status.COMPLETED if finished else Case.Status.OPEN
    case.completed_at = now if finished else None
    return case


def _subject_from(fields, clean: dict) -> str | None:
    """The value of the field the sheet marks as the case's subject, if this form has one."""
    for f in fields:
        if f.subject and clean.get(f.key) not in (None, ""):
            return " ".join(str(clean[f.key]).split())[:SUBJECT_MAX]
    return None


def _assignments(view: TaskView, clean: dict) -> dict:
    """Users named in `user` fields, checked to hold the role of the activity they will do."""
    sheet = procedures.sheet(view.task.procedure, view.task.case.version)
    found, errors = {}, {}
    for f in view.fields:
        username = clean.get(f.key)
        if f.assigns is None or not username:
            continue
        roles = sheet.activity(f.assigns).roles
        user = _holders(roles).filter(username=username).first()
        if user is None:
            errors[f.key] = f"«{f.label}»: no existe un usuario «{username}» con el rol de la actividad {f.assigns}."
        else:
            found[f.assigns] = user
    if errors:
        raise Invalid(next(iter(errors.values())), errors)
    return found


def cancel_case(case_id, user, reason: str) -> Case:
    """Annul an open case (Jefe(a) or a coordinator), with the reason in its history."""
    case = access.case_for(user, case_id)
    if not access.leads(user):
        raise Forbidden("Solo el/la Jefe(a) o un(a) coordinador(a) puede anular un caso.")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Indique el motivo de la anulación.", {"reason": "obligatorio"})
    with transaction.atomic():
        close_case(case, user, Case.Status.CANCELLED, Event.Kind.CANCELLED, reason)
    case.refresh_from_db()
    return case


def close_case(case: Case, user, status, kind, reason: str) -> None:
    """End an open case before its time (annulled, withdrawn): the case takes `status`, its open
    tasks are cancelled and no longer offered, and an event of `kind` records who and why.
    Call inside the caller's transaction, after every check; Conflict if it is no longer open."""
    now = timezone.now()
    closed = Case.objects.filter(pk=case.pk, status=Case.Status.OPEN).update(
        status=status, completed_at=now, updated_at=now, lock_version=F("lock_version") + 1)
    if not closed:
        case.refresh_from_db(fields=["status"])
        raise Conflict(f"El caso ya no está en curso ({case.get_status_display().lower()}).")
    open_ids = list(case.tasks.filter(status=Task.Status.OPEN).values_list("pk", flat=True))
    Task.objects.filter(pk__in=open_ids).update(status=Task.Status.CANCELLED, completed_at=now)
    _withdraw(open_ids)
    Event.objects.create(case=case, kind=kind, user=user, note=reason[:300], created_at=now)
    action = {Event.Kind.CANCELLED: "case.cancelled", Event.Kind.WITHDRAWN: "case.withdrawn"}[kind]
    audit.record(action, actor=user, obj=case, created_at=now,
                 before={"status": Case.Status.OPEN, "open_tasks": open_ids},
                 after={"status": status, "reason": reason[:300]})
    effects.announce("case.closed", case=case, status=status, by=user)


# --- inbox ----------------------------------------------------------------------------------
class OfferedTasks:
    """Open tasks offered to some roles, sliceable and countable like a queryset (for paginators).

    Each role's offers come from the index already in due-date order, so a page is the merge of
    the first rows of each role (a task offered to two of the roles appears once): the cost grows
    with the page, not with how many tasks are waiting. Each slice then fetches just its tasks."""

    def __init__(self, offers, roles):
        self._offers, self._roles = offers, sorted(roles)

    def count(self) -> int:
        return self._offers.filter(role__in=self._roles).values("task_id").distinct().count()

    def __len__(self) -> int:
        return self.count()

    def _ordered_ids(self, stop):
        per_role = [self._offers.filter(role=role).order_by("due_at", "task_id").values_list("due_at", "task_id")[:stop]
                    for role in self._roles]
        previous = None
        for key in heapq.merge(*per_role):
            if key != previous:
                yield key[1]
            previous = key

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index:index + 1][0]
        if index.step not in (None, 1) or (index.start or 0) < 0 or (index.stop is not None and index.stop < 0):
            raise ValueError("Solo se admiten porciones hacia adelante.")
        ids = list(itertools.islice(self._ordered_ids(index.stop), index.start or 0, index.stop))
        # Offered tasks have no assignee; the engine state is never shown in a list.
        tasks = Task.objects.select_related(*LISTED_CASE).defer("case__state").in_bulk(ids)
        return [tasks[i] for i in ids if i in tasks]


# What a task list shows of each task's case (number, subject, priority, requester, unit): joined
# in the list's own query, never read row by row.
LISTED_CASE = ("case", "case__started_by", "case__requester_unit")


def inbox(user, scope: str = "mine", procedure: str | None = None, q: str = ""):
    """Open tasks assigned to the user (mine) or offered to the user's roles (available); `q`
    keeps those whose case matches the words (number, subject, requester, unit, form data).

    Overdue first: ordering by due date puts every overdue task before any that is not."""
    found = search.match(q) if q else None
    if scope == "mine":
        tasks = Task.objects.filter(status=Task.Status.OPEN, assignee=user)
        if procedure:
            tasks = tasks.filter(procedure=procedure)
        if found is not None:
            tasks = tasks.filter(case_id__in=found)
        return tasks.select_related(*LISTED_CASE, "assignee").defer("case__state").order_by("due_at", "id")
    if scope == "available":
        # Offers scoped to a requesting unit reach only that unit's people.
        unit_id = unit_id_of(user)
        offers = TaskOffer.objects.filter(Q(unit__isnull=True) | Q(unit_id=unit_id) if unit_id else Q(unit__isnull=True))
        if procedure:
            offers = offers.filter(procedure=procedure)
        if found is not None:
            offers = offers.filter(task__case_id__in=found)
        return OfferedTasks(offers, role_slugs(user))
    raise Invalid("El alcance debe ser «mine» o «available».", {"scope": "desconocido"})
