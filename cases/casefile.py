"""The case file: the conversation about a case, its attachments, and the requester's withdrawal.

Each change is one function: everything is checked first (who, what, the file's content), then
written in one transaction. Who may see or write what is asked of cases.access, never decided here:
whoever sees a case may comment on it and attach files; internal notes and internal attachments
are written and seen by everyone who sees the case except its requester.

Files are written to the attachments storage (settings.STORAGES["attachments"]) before their row;
if the row, or the task completion it belongs to, is not written, the file is deleted again, so
neither a row without a file nor a file without a row is left behind.
"""
from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q

import audit

from . import access, effects, filetypes, workflow
from .models import Attachment, Case, Comment, Event, Task
from .workflow import Conflict, Forbidden, Invalid, WorkflowError

BODY_MAX = 5000     # characters of a comment
REASON_MAX = 300    # characters of a withdrawal's reason (the event's note)
NAME_MAX = 200      # characters of a file's name as shown


class TooLarge(WorkflowError):
    status, code = 413, "archivo_demasiado_grande"


# --- text checks ----------------------------------------------------------------------------
def _text(value, key: str, what: str, limit: int, missing: str) -> str:
    """A person's text, normalised (CRLF as LF, outer blanks trimmed) or Invalid naming `key`."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(f"{what} debe ser texto.", {key: f"{what} debe ser texto."})
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise Invalid(missing, {key: missing})
    if "\x00" in text or any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        message = f"{what} contiene caracteres no válidos."
        raise Invalid(message, {key: message})
    if len(text) > limit:
        message = f"{what} admite como máximo {limit} caracteres (tiene {len(text)})."
        raise Invalid(message, {key: message})
    return text


def _flag(value, key: str) -> bool:
    """A yes/no from JSON (true/false) or a form ("on", "1", "true", absent)."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("", "0", "false", "no", "off"):
        return False
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "si", "sí", "on", "yes"):
        return True
    raise Invalid(f"«{key}» debe ser verdadero o falso.", {key: "debe ser verdadero o falso"})


def _reindex(case_id: int) -> None:
    """Refresh the case's search document (public comments and attachment names are searchable).
    The search index lives in cases.search; a project without it has nothing to refresh."""
    try:
        from .search import reindex_case
    except ImportError:
        return
    reindex_case(case_id)


# --- reading --------------------------------------------------------------------------------
def comments_for(user, case: Case):
    """The comments of a case the user sees, oldest first (internal notes only if they may)."""
    comments = case.comments.select_related("author")
    return comments if access.sees_internal(user, case) else comments.filter(internal=False)


def attachments_for(user, case: Case):
    attachments = case.attachments.select_related("uploaded_by", "task")
    return attachments if access.sees_internal(user, case) else attachments.filter(internal=False)


# --- the conversation -----------------------------------------------------------------------
def add_comment(user, case_id, body, internal=False) -> Comment:
    """A comment on a case, or an internal note (not for its requester)."""
    case = access.case_for(user, case_id)
    internal = _flag(internal, "internal")
    if internal and not access.sees_internal(user, case):
        raise Forbidden("Las notas internas son para quienes atienden el caso; quien presentó la solicitud no las escribe.")
    body = _text(body, "body", "El mensaje", BODY_MAX, "Escriba el mensaje.")
    with transaction.atomic():
        comment = Comment.objects.create(case=case, author=user, body=body, internal=internal)
        audit.record("comment.added", actor=user, obj=case, created_at=comment.created_at,
                     after={"comment": comment.pk, "internal": internal})
        effects.announce("comment.added", case=case, comment=comment)
    _reindex(case.pk)
    return comment


# --- attachments ----------------------------------------------------------------------------
def max_bytes() -> int:
    return int(float(settings.MAPRO_ATTACHMENT_MAX_MB) * 1024 * 1024)


def max_size_text() -> str:
    return f"{float(settings.MAPRO_ATTACHMENT_MAX_MB):g} MB"


def clean_name(name) -> str:
    """The name to show for an uploaded file: its last path part, printable characters only
    (no control or bidirectional-override characters), at most NAME_MAX characters."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF).strip()
    if not text.strip("."):
        return "archivo"
    if len(text) > NAME_MAX:
        stem, dot, extension = text.rpartition(".")
        if dot and stem and len(extension) <= 10:
            text = stem[:NAME_MAX - len(extension) - 1] + "." + extension
        else:
            text = text[:NAME_MAX]
    return text


@dataclass
class Upload:
    """An uploaded file whose size and content were checked."""

    file: object
    name: str
    size: int
    content_type: str
    sha256: str


def check_upload(uploaded, key: str = "file") -> Upload:
    """Size and type (by content) of an uploaded file; Invalid, or TooLarge (413), naming `key`."""
    if uploaded is None or not hasattr(uploaded, "chunks"):
        raise Invalid("Adjunte un archivo.", {key: "Adjunte un archivo."})
    name = clean_name(getattr(uploaded, "name", ""))
    size = uploaded.size
    if size > max_bytes():
        message = f"«{name}» pesa {size / 1024 / 1024:.1f} MB; el máximo es {max_size_text()}."
        raise TooLarge(message, {key: message})
    if not size:
        message = f"«{name}» está vacío."
        raise Invalid(message, {key: message})
    content_type = filetypes.sniff(uploaded, name)
    if content_type is None:
        message = (f"«{name}» no es un tipo de archivo admitido (se revisa su contenido, no su nombre). "
                   f"Se admiten: {filetypes.ACCEPTED}.")
        raise Invalid(message, {key: message})
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return Upload(uploaded, name, size, content_type, digest.hexdigest())


def _write_file(case: Case, user, upload: Upload, *, task=None, field_key="", internal=False) -> Attachment:
    """The attachment row, unsaved, with its file already written to the storage."""
    attachment = Attachment(case=case, task=task, field_key=field_key, name=upload.name, size=upload.size,
                            content_type=upload.content_type, sha256=upload.sha256, internal=internal,
                            uploaded_by=user)
    attachment.file.save(upload.name, upload.file, save=False)
    return attachment


def _discard(attachments) -> None:
    for attachment in attachments:
        if attachment.file.name:
            attachment.file.delete(save=False)


def add_attachment(user, case_id, uploaded_file, task=None, field_key="", internal=False) -> Attachment:
    """A file added to a case (internal: not for its requester)."""
    case = access.case_for(user, case_id)
    internal = _flag(internal, "internal")
    if internal and not access.sees_internal(user, case):
        raise Forbidden("Los adjuntos internos son para quienes atienden el caso; quien presentó la solicitud no los agrega.")
    if task is not None and task.case_id != case.pk:
        raise Invalid("La tarea no pertenece a este caso.", {"task": "otro caso"})
    upload = check_upload(uploaded_file)
    attachment = _write_file(case, user, upload, task=task, field_key=field_key, internal=internal)
    try:
        with transaction.atomic():
            attachment.save()
            audit.record("attachment.added", actor=user, obj=case, created_at=attachment.created_at, after={
                "attachment": attachment.pk, "name": attachment.name, "size": attachment.size,
                "sha256": attachment.sha256, "internal": internal})
    except BaseException:
        _discard([attachment])
        raise
    _reindex(case.pk)
    return attachment


def resolve_files(case_id: int, fields, clean: dict, errors: dict) -> None:
    """The `file` fields of a submitted form: each id must be an attachment of this case (and not
    an internal one: what a form records is seen by everyone who sees the case). The value
    recorded becomes {"id", "name"}; a bad id is added to `errors`. No query without file fields."""
    wanted = [f for f in fields if f.type == "file" and f.key in clean and f.key not in errors]
    if not wanted:
        return
    ids = {clean[f.key] for f in wanted}
    found = {a.pk: a for a in Attachment.objects.filter(pk__in=ids, case_id=case_id).only("pk", "name", "internal")}
    for f in wanted:
        attachment = found.get(clean[f.key])
        if attachment is None:
            errors[f.key] = f"«{f.label}»: el adjunto {clean[f.key]} no existe en este caso; súbalo primero al caso."
        elif attachment.internal:
            errors[f.key] = f"«{f.label}»: el adjunto {attachment.pk} es interno; un formulario solo registra adjuntos que el solicitante también ve."
        else:
            clean[f.key] = {"id": attachment.pk, "name": attachment.name}


def complete_with_files(user, task_id, data: dict, files: dict, decision: str | None) -> Case:
    """Complete a task whose form takes files, uploading them in the same step: the files of its
    `file` fields (key -> uploaded file) become attachments of the case, named in the form data,
    and the task is completed, in one transaction. If anything fails nothing stays: no row, no file."""
    task = access.task_for(user, task_id)
    access.check_act(user, task)
    if not task.is_open:
        raise Conflict(f"La tarea ya fue atendida por {access.display_name(task.completed_by)}.")
    view = workflow.describe(task, user)
    by_key = {f.key: f for f in view.fields if f.type == "file"}
    data = dict(data or {})
    uploads, errors = {}, {}
    for key, uploaded in files.items():
        if key not in by_key:
            errors[key] = f"El campo «{key}» no recibe archivos en esta actividad."
            continue
        try:
            uploads[key] = check_upload(uploaded, key)
        except (Invalid, TooLarge) as exc:
            errors[key] = f"«{by_key[key].label}»: {exc.detail}"
    if errors:
        raise Invalid(next(iter(errors.values())), errors)
    written = []
    try:
        for key, upload in uploads.items():
            written.append(_write_file(task.case, user, upload, task=task, field_key=key))
        with transaction.atomic():
            for attachment in written:
                attachment.save()
                data[attachment.field_key] = attachment.pk
            case = workflow.complete_task(task.pk, user, data, decision)
    except BaseException:
        _discard(written)
        raise
    if written:
        _reindex(case.pk)
    return case


def start_with_files(user, code, start_key, data: dict, files: dict, **start) -> Case:
    """Start a case and complete the starter's first activity with its files (the procedure page's
    start form): the case, the completion and the attachments in one transaction, or nothing.
    `start` is passed on to cases.workflow.start_case (subject, priority)."""
    with transaction.atomic():
        case = workflow.start_case(user, code, start_key, None, **start)
        mine = list(case.tasks.filter(status=Task.Status.OPEN, assignee=user).values_list("pk", flat=True))
        if len(mine) != 1:
            raise Invalid("Los datos iniciales solo se aceptan cuando la primera actividad le corresponde a usted.",
                          {"data": "no aplicable"})
        return complete_with_files(user, mine[0], data, files, None)


def downloaded(request, attachment) -> None:
    """Record that the request's user is being handed the attachment's file (the download views,
    once the access check passed and the file opened)."""
    audit.record("attachment.downloaded", actor=request.user, obj=attachment.case, request=request,
                 after={"attachment": attachment.pk, "name": attachment.name, "sha256": attachment.sha256})


# --- withdrawal -----------------------------------------------------------------------------
ACTS = (Event.Kind.COMPLETED, Event.Kind.CLAIMED, Event.Kind.RELEASED, Event.Kind.REASSIGNED)


def acted_on(case: Case) -> bool:
    """Whether anyone other than the requester has acted on the case: completed, claimed (even if
    later released) or reassigned one of its tasks. The requester's own activities do not count."""
    requester = case.started_by_id
    if Event.objects.filter(case=case, kind__in=ACTS, user__isnull=False).exclude(user_id=requester).exists():
        return True
    by_others = ((Q(completed_by__isnull=False) & ~Q(completed_by_id=requester))
                 | (Q(claimed_at__isnull=False, assignee__isnull=False) & ~Q(assignee_id=requester)))
    return Task.objects.filter(case=case).filter(by_others).exists()


def may_withdraw(user, case: Case) -> bool:
    """The requester may withdraw an open request while nobody else has acted on it."""
    return access.is_requester(user, case) and case.status == Case.Status.OPEN and not acted_on(case)


def withdraw_case(user, case_id, reason) -> Case:
    """The requester withdraws their request, with a reason: the case ends as withdrawn, its open
    tasks are cancelled and no longer offered."""
    case = access.case_for(user, case_id)
    if not access.is_requester(user, case):
        raise Forbidden("Solo quien presentó la solicitud puede desistir de ella.")
    reason = _text(reason, "reason", "El motivo", REASON_MAX, "Indique el motivo por el que desiste de la solicitud.")
    if case.status != Case.Status.OPEN:
        raise Conflict(f"El caso ya no está en curso ({case.get_status_display().lower()}).")
    with transaction.atomic():
        # Hold the case's tasks: a claim or completion arriving now waits, then finds them cancelled.
        list(Task.objects.select_for_update().filter(case=case).values_list("pk", flat=True))
        if acted_on(case):
            raise Conflict("Ya no puede desistir: su solicitud ya está siendo atendida. "
                           "Escriba un comentario en el caso si ya no la necesita.")
        workflow.close_case(case, user, Case.Status.WITHDRAWN, Event.Kind.WITHDRAWN, reason)
    case.refresh_from_db()
    return case
