"""Who may see a case and who may act on a task: the one place both the web and the API ask.

Seeing a case (and its tasks, history, conversation, attachments and diagram):
1. the chief, the coordinators and superusers see every case of S04;
2. the requester sees their own cases;
3. a person who took part (claimed, completed, was assigned or reassigned a task, or was named in
   its history) sees that case;
4. the office's staff (roles of the unit flagged `office` in catalog/organization.yaml) see every
   case of the procedures in which they hold a role;
5. anyone else (the outside offices: SG, DM, CGD, the Sector's bodies; the requesting unit's
   director) sees a case while one of its open tasks is offered to them.

Personal data (DNI, telephone: the field types `PERSONAL_TYPES` and fields marked `personal`) is
shown to rules 1, 2 and 4 only; people who see a case through rules 3 or 5 only, as an outside office
or a unit's director, see it masked (Ley 29733: minimise personal data).

Anyone who may not see a case or task is answered "not found" (404), never "forbidden": that the
number exists is itself information.

The case file (conversation and attachments): whoever sees a case sees its public comments and
attachments and may add to them; internal notes and internal attachments are for the people who
handle the case, so everyone who sees the case except its requester. An internal attachment is
"not found" for the requester, like a case is for an outsider.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db.models import Q, QuerySet

from org.models import role_slugs, unit_id_of

from . import procedures
from .models import Attachment, Case, Event, Task, TaskOffer
from .planner import Unindexed

PERSONAL_TYPES = frozenset({"dni", "phone"})
MASK = "••••••"


# --- who leads ------------------------------------------------------------------------------
def leads(user) -> bool:
    """The chief, a coordinator or a superuser: sees every case, annuls, reassigns."""
    if not user or not user.is_authenticated:
        return False
    return user.is_superuser or bool(role_slugs(user) & procedures.organization().leading_roles)


@cache
def _procedures_of_role() -> dict[str, frozenset[str]]:
    """role slug -> codes of the procedures in which some activity belongs to that role."""
    found: dict[str, set[str]] = {}
    for code, s in procedures.sheets().items():
        for activity in s.activities:
            for role in activity.roles:
                found.setdefault(role, set()).add(code)
    return {role: frozenset(codes) for role, codes in found.items()}


def staff_procedures(user) -> frozenset[str]:
    """Procedures whose every case the user sees as office staff (rule 4)."""
    office = procedures.organization().office_roles
    codes: set[str] = set()
    for role in role_slugs(user) & office:
        codes |= _procedures_of_role().get(role, frozenset())
    return frozenset(codes)


def _offered_to(user) -> Q:
    """Open tasks offered now to one of the user's roles, in the user's unit or in none (rule 5)."""
    unit_id = unit_id_of(user)
    scope = Q(unit__isnull=True) | Q(unit_id=unit_id) if unit_id else Q(unit__isnull=True)
    return Q(role__in=role_slugs(user)) & scope


# --- seeing cases ---------------------------------------------------------------------------
def visible_cases(user) -> QuerySet:
    """The cases the user may see, as a queryset to filter, search and page."""
    cases = Case.objects.all()
    if not user or not user.is_authenticated:
        return cases.none()
    if leads(user):
        return cases
    # Rules 2, 3 and 5 as one set of ids: a person's own requests, the cases they took part in
    # and those offered to them now are few, so the database reads each part once (by its
    # index) instead of asking, case by case, whether that person appears in it.
    mine = sorted(staff_procedures(user))
    parts = [
        Case.objects.filter(started_by=user).values("id"),
        Event.objects.filter(user=user).values("case_id"),
        Task.objects.filter(assignee=user).values("case_id"),
        Task.objects.filter(completed_by=user).values("case_id"),
        TaskOffer.objects.filter(_offered_to(user)).values("task__case_id"),
    ]
    if mine:
        # The cases of their procedures are seen anyway (rule 4): leave out their own requests
        # and offers there (offers to an office role are many). Events and tasks are read from
        # their (person, case) indexes alone, so they are left whole.
        parts = [part.exclude(procedure__in=mine) if part.model in (Case, TaskOffer) else part for part in parts]
    first, *rest = (part.order_by() for part in parts)
    own = first.union(*rest)
    if not mine:
        return cases.filter(pk__in=own)
    # Rule 4: office staff see most cases, so neither condition should drive the query; the
    # list's own filters and order do (see cases/planner.py).
    return cases.alias(_seen_procedure=Unindexed("procedure"), _seen_id=Unindexed("id")).filter(
        Q(_seen_procedure__in=mine) | Q(_seen_id__in=own))


def may_view(user, case: Case) -> bool:
    if not user or not user.is_authenticated:
        return False
    if leads(user) or case.started_by_id == user.pk or case.procedure in staff_procedures(user):
        return True
    return visible_cases(user).filter(pk=case.pk).exists()


def sees_personal_data(user, case: Case) -> bool:
    """Rules 1, 2 and 4: the requester, the chief and coordinators, the office staff of the procedure."""
    return leads(user) or case.started_by_id == user.pk or case.procedure in staff_procedures(user)


def is_personal(field) -> bool:
    return field.type in PERSONAL_TYPES or field.personal


def mask_data(data: dict, fields) -> dict:
    """The recorded form data with personal values replaced by a mask."""
    personal = {f.key for f in fields if is_personal(f)}
    if not personal:
        return data
    return {key: (MASK if key in personal and value not in (None, "") else value) for key, value in data.items()}


def case_for(user, case_id) -> Case:
    """The case, if the user may see it; otherwise NotFound (as if it did not exist)."""
    from .workflow import NotFound

    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        pk = 0
    case = Case.objects.select_related("started_by", "requester_unit").filter(pk=pk).first() if 0 < pk < 2**63 else None
    if case is None or not may_view(user, case):
        raise NotFound("No existe el caso.")
    return case


# --- the case file -------------------------------------------------------------------------
def is_requester(user, case: Case) -> bool:
    return bool(user and user.is_authenticated and case.started_by_id == user.pk)


def sees_internal(user, case: Case) -> bool:
    """Internal notes and attachments: seen and written by whoever sees the case, except its requester."""
    return not is_requester(user, case) and may_view(user, case)


def attachment_for(user, attachment_id) -> Attachment:
    """The attachment with its case, if the user may see it; otherwise NotFound."""
    from .workflow import NotFound

    try:
        pk = int(attachment_id)
    except (TypeError, ValueError):
        pk = 0
    attachment = Attachment.objects.filter(pk=pk).first() if 0 < pk < 2**63 else None
    if attachment is None:
        raise NotFound("No existe el adjunto.")
    try:
        case = case_for(user, attachment.case_id)
    except NotFound:
        raise NotFound("No existe el adjunto.") from None
    if attachment.internal and not sees_internal(user, case):
        raise NotFound("No existe el adjunto.")
    attachment.case = case
    return attachment


# --- seeing and acting on tasks -------------------------------------------------------------
def may_view_task(user, task: Task) -> bool:
    """A task is seen by whoever may act on it now (asked first: it needs no query), or sees its case."""
    return refusal(user, task) is None or may_view(user, task.case)


def task_for(user, task_id) -> Task:
    """The task with its case, if the user may see it; otherwise NotFound."""
    from .workflow import NotFound, get_task

    task = get_task(task_id, user)
    if not may_view_task(user, task):
        raise NotFound("No existe la tarea.")
    return task


@dataclass(frozen=True)
class Refusal:
    status: int      # 403: not theirs to do; 409: done or held by someone else
    detail: str


def display_name(user) -> str:
    return (user.get_full_name() or user.username) if user else "otra persona"


def refusal(user, task: Task) -> Refusal | None:
    """Why the user may not act on the task right now, or None if they may."""
    if task.assignee_id == user.pk and task.is_open:
        return None
    if task.assignee_id != user.pk:
        if not set(task.role_list) & role_slugs(user):
            return Refusal(403, "La tarea corresponde a otro rol; no puede atenderla.")
        if not task.is_for_unit_of(user):
            return Refusal(403, f"La tarea corresponde a la unidad solicitante ({task.unit.acronym}); no puede atenderla.")
    if not task.is_open:
        return Refusal(409, f"La tarea ya fue atendida por {display_name(task.completed_by)}.")
    if task.assignee_id:
        return Refusal(409, f"La tarea la tiene {display_name(task.assignee)}.")
    if procedures.organization().everyone_role in task.role_list and task.case.started_by_id != user.pk:
        # The requester's own activities are theirs alone, even if they released one.
        return Refusal(403, "La actividad corresponde a quien presentó la solicitud.")
    return None


def may_act(user, task: Task) -> bool:
    return refusal(user, task) is None


def check_act(user, task: Task) -> None:
    """Raise the workflow error that says why the user may not act on the task."""
    from .workflow import Conflict, Forbidden

    found = refusal(user, task)
    if found is not None:
        raise (Conflict if found.status == 409 else Forbidden)(found.detail)
