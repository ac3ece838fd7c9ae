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


# --- the knowledge base (helpdesk.knowledge) ------------------------------------------------
# The office's staff (and the leads, and superusers) read every article, draft, published or
# retired, and write them; everyone else reads only the published ones (the portal's "¿Ya probó
# esto?"). An article one may not read is "not found".
def writes_articles(user) -> bool:
    return bool(user and user.is_authenticated) and (user.is_superuser or office_staff(user))


def visible_articles(user) -> QuerySet:
    from helpdesk.models import Article

    articles = Article.objects.all()
    if not user or not user.is_authenticated:
        return articles.none()
    if writes_articles(user):
        return articles
    return articles.filter(status=Article.Status.PUBLISHED)


# --- documents (documents app) --------------------------------------------------------------
# Who reads a document: whoever may see its case (may_view) AND its classification allows it:
# - PÚBLICO: everyone who sees the case; a document without a case: the office's staff and leads;
# - RESERVADO: the office's staff of the case's procedure (rule 4), the chief, the coordinators
#   and superusers; not the requester or the outside offices who see the case;
# - CONFIDENCIAL: the chief, the coordinators and superusers, and the people of the document (its
#   author, who gave it a visto bueno or signed it);
# - SECRETO: the chief and superusers, its author and its signers only.
# The author, an approver or a signer always reads the document they took part in. Anyone else is
# answered "not found" (404), as for a case. Who acts on a document (documents.actions):
# drafting and editing: the office's staff of the procedure and the leads (editing: its author or
# a lead); visto bueno, signature and annulment: the chief and the coordinators; numbering and
# sending: its author or a lead; registering a received document: the office's staff and leads.
def is_chief(user) -> bool:
    if not user or not user.is_authenticated:
        return False
    chiefs = {r.slug for r in procedures.organization().roles if r.chief}
    return user.is_superuser or bool(role_slugs(user) & chiefs)


def office_staff(user) -> bool:
    """Holds a role of the office (the unit flagged `office`), or leads."""
    return leads(user) or bool(role_slugs(user) & procedures.organization().office_roles)


def _document_people(user) -> Q:
    return Q(created_by=user) | Q(approvals__user=user) | Q(signatures__user=user)


def visible_documents(user) -> QuerySet:
    """The documents the user may read, as a queryset to filter, search and page."""
    from documents.models import Classification as C, Document

    documents = Document.objects.all()
    if not user or not user.is_authenticated:
        return documents.none()
    people = _document_people(user)
    if is_chief(user):
        return documents
    mine = sorted(staff_procedures(user))
    if leads(user):
        rule = ~Q(classification=C.SECRET) | Q(created_by=user) | Q(signatures__user=user)
        return documents.filter(pk__in=documents.filter(rule).values("pk"))
    seen_case = Q(case__in=visible_cases(user).values("pk"))
    public = Q(classification=C.PUBLIC) & ((seen_case | Q(case__isnull=True)) if office_staff(user) else seen_case)
    reserved = Q(classification=C.RESERVED) & (Q(case__procedure__in=mine) | Q(case__isnull=True)) if mine else Q(pk__in=[])
    own = (people & ~Q(classification=C.SECRET)) | Q(created_by=user) | Q(signatures__user=user)
    return documents.filter(pk__in=documents.filter(public | reserved | own).values("pk"))


def may_read_document(user, document) -> bool:
    from documents.models import Classification as C

    if not user or not user.is_authenticated:
        return False
    if is_chief(user):
        return True
    if document.created_by_id == user.pk or document.signatures.filter(user=user).exists():
        return True
    level = document.classification
    if level == C.SECRET:
        return False
    if document.approvals.filter(user=user).exists() or leads(user):
        return True
    if level == C.CONFIDENTIAL:
        return False
    if level == C.RESERVED:
        return (document.case.procedure in staff_procedures(user)) if document.case_id else bool(staff_procedures(user))
    return may_view(user, document.case) if document.case_id else office_staff(user)


def document_for(user, document_id):
    """The document, if the user may read it; otherwise NotFound (as if it did not exist)."""
    from documents.models import Document

    from .workflow import NotFound

    try:
        pk = int(document_id)
    except (TypeError, ValueError):
        pk = 0
    document = (Document.objects.select_related("case", "case__started_by", "case__requester_unit", "created_by",
                                                "template").filter(pk=pk).first() if 0 < pk < 2**63 else None)
    if document is None or not may_read_document(user, document):
        raise NotFound("No existe el documento.")
    return document


def may_draft_documents(user, case) -> bool:
    """The office's staff of the case's procedure and the leads draft documents of a case."""
    return bool(case is not None and (leads(user) or case.procedure in staff_procedures(user)))


DOCUMENT_ACTIONS = {
    "edit": "author", "issue": "author", "send": "author",
    "approve": "lead", "sign": "lead", "annul": "lead",
}


def document_refusal(user, document, action: str) -> str | None:
    """Why the user may not take `action` on a document they may read, or None."""
    who = DOCUMENT_ACTIONS[action]
    if leads(user):
        return None
    if who == "author" and document.created_by_id == user.pk:
        return None
    if who == "author":
        return "Solo su autor, la jefatura o las coordinaciones pueden hacerlo con este documento."
    return {"approve": "El visto bueno lo dan la jefatura y las coordinaciones de la OGTIE.",
            "sign": "Firman la jefatura y las coordinaciones de la OGTIE.",
            "annul": "Anulan un documento la jefatura y las coordinaciones de la OGTIE."}[action]

# --- tickets (the help desk) ----------------------------------------------------------------
# Who sees a ticket: its requester; the help desk's operators (catalog/helpdesk.yaml `desk_roles`),
# the chief, the coordinators and superusers (every ticket); the person it is assigned to; and the
# holders of the role of its team. Anyone else is answered "not found", like for a case.
# Who handles it (assigns, replies in internal notes, waits, resolves): all of them but a requester
# who is nothing else. Internal notes and internal attachments are for those who handle it.
def runs_help_desk(user) -> bool:
    """An operator of the help desk, the chief, a coordinator or a superuser: the queue is theirs."""
    from helpdesk.catalog import catalog

    return leads(user) or bool(role_slugs(user) & catalog().desk_roles)


def visible_tickets(user) -> QuerySet:
    from helpdesk.models import Ticket

    tickets = Ticket.objects.all()
    if not user or not user.is_authenticated:
        return tickets.none()
    if runs_help_desk(user):
        return tickets
    return tickets.filter(Q(requester=user) | Q(assignee=user) | Q(team__in=role_slugs(user), team__gt=""))


def may_view_ticket(user, ticket) -> bool:
    if not user or not user.is_authenticated:
        return False
    return (ticket.requester_id == user.pk or ticket.assignee_id == user.pk or runs_help_desk(user)
            or bool(ticket.team and ticket.team in role_slugs(user)))


def may_handle_ticket(user, ticket) -> bool:
    """Operators, leads, the assignee and the team's holders handle a ticket; its requester does not."""
    if not may_view_ticket(user, ticket):
        return False
    return runs_help_desk(user) or ticket.assignee_id == user.pk or bool(ticket.team and ticket.team in role_slugs(user))


def ticket_for(user, ticket_id):
    """The ticket, if the user may see it; otherwise NotFound (as if it did not exist)."""
    from helpdesk.models import Ticket

    from .workflow import NotFound

    try:
        pk = int(ticket_id)
    except (TypeError, ValueError):
        pk = 0
    ticket = Ticket.objects.select_related("requester", "assignee", "requester_unit", "case").filter(pk=pk).first() \
        if 0 < pk < 2**63 else None
    if ticket is None or not may_view_ticket(user, ticket):
        raise NotFound("No existe el ticket.")
    return ticket


# --- registers (registers app) --------------------------------------------------------------
# Who reads a register (catalog/registers/<slug>.yaml, docs/registers.md): the chief, the
# coordinators and superusers; the roles its `read` names (a role slug, or a group of the catalog's
# flags: @office, @chief, @coordinator, @auditor); and its writers. Who changes entries by hand
# (pages, API, import): the roles its `write` names, the chief, the coordinators and superusers.
# Anyone else is answered "not found" for the register, its entries, exports and imports.
# Personal fields (DNI, telephone, `personal: true`) are shown unmasked, as in cases (rules 1 and
# 4), to the leads, the register's writers and the office's staff of a procedure that feeds it;
# every other reader sees them masked and may not filter by them. A person's page (every entry of
# one DNI) is for those who see personal data in some register, and lists only those registers.
def _register_groups() -> dict[str, frozenset[str]]:
    organization = procedures.organization()
    return {
        "@office": organization.office_roles,
        "@chief": frozenset(r.slug for r in organization.roles if r.chief),
        "@coordinator": frozenset(r.slug for r in organization.roles if r.coordinator),
        "@auditor": organization.auditor_roles,
    }


def _holds_any(user, names) -> bool:
    mine = role_slugs(user)
    groups = _register_groups()
    return any(bool(mine & groups.get(name, frozenset())) if name.startswith("@") else name in mine for name in names)


def may_read_register(user, register) -> bool:
    if not user or not user.is_authenticated:
        return False
    return leads(user) or _holds_any(user, register.read) or _holds_any(user, register.write)


def may_write_register(user, register) -> bool:
    if not user or not user.is_authenticated:
        return False
    return leads(user) or _holds_any(user, register.write)


def sees_register_personal_data(user, register) -> bool:
    """Personal fields unmasked: the leads, the register's writers, the office staff of a procedure that feeds it."""
    return may_write_register(user, register) or (
        may_read_register(user, register) and bool(staff_procedures(user) & set(register.procedures)))


def readable_registers(user) -> list:
    """The registers of the catalog the user may read, in name order."""
    from registers import catalog

    return sorted((r for r in catalog.registers().values() if may_read_register(user, r)), key=lambda r: r.name)


def person_registers(user) -> list:
    """The registers naming a person (`person:`) whose personal data the user sees: a person's page."""
    return [r for r in readable_registers(user) if r.person and sees_register_personal_data(user, r)]


def register_for(user, slug):
    """The register, if the user may read it; otherwise NotFound (as if it did not exist)."""
    from registers import catalog

    from .workflow import NotFound

    register = catalog.registers().get(str(slug))
    if register is None or not may_read_register(user, register):
        raise NotFound("No existe el registro.")
    return register


def register_entry_for(user, slug, entry_id):
    """(register, entry) if the user may read the register and the entry is one of its; otherwise NotFound."""
    from registers.models import Entry

    from .workflow import NotFound

    register = register_for(user, slug)
    try:
        pk = int(entry_id)
    except (TypeError, ValueError):
        pk = 0
    entry = Entry.objects.filter(pk=pk, register=register.slug).first() if 0 < pk < 2**63 else None
    if entry is None:
        raise NotFound("No existe la entrada.")
    return register, entry
