"""Pages of the case file: the conversation, attachments (upload and download), the requester's
withdrawal, and completing an activity whose form takes files. Thin: the rules are in
cases.casefile and cases.access; bad input brings the page back with what was typed."""
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from cases import access, casefile, procedures, workflow
from cases.models import Task

from . import views

# Multipart framing around a file is a few hundred bytes; anything beyond this is refused before
# the request body is read.
UPLOAD_OVERHEAD = 64 * 1024


def page_context(user, case, form=None, fields=()) -> dict:
    """What case.html and task.html show of the case file (see _conversation.html, _attachments.html)."""
    return {
        "comments": list(casefile.comments_for(user, case)),
        "attachments": list(casefile.attachments_for(user, case)),
        "sees_internal": access.sees_internal(user, case),
        "may_withdraw": casefile.may_withdraw(user, case),
        "casefile_form": form or {"errors": {}},
        "takes_files": any(f.type == "file" for f in fields),
    }


def start_form(user, sheet, start_key):
    """The first activity's form as the procedure page offers it at the start (cases.workflow.
    start_form): on this page a form with file fields is offered too, since the start form is
    multipart and start_case below uploads the files with the start."""
    return workflow.start_form(user, sheet, start_key, files=True)


def start_case(request, code, start_key, data, **start):
    """Start a case from the procedure page (web.views.case_start): with files, through
    cases.casefile.start_with_files, so the case, its first activity and the files are written
    together or not at all."""
    if data is not None and request.FILES:
        files = {key: request.FILES[key] for key in request.FILES}
        return casefile.start_with_files(request.user, code, start_key, data, files, **start)
    if data is not None:
        s = procedures.sheet(code)
        first = workflow.start_form(request.user, s, start_key or s.entry_points[0][0], files=True)
        if first is not None and any(f.type == "file" and f.required for f in first.form):
            # A required file missing: the same checks and errors as with files, nothing written.
            return casefile.start_with_files(request.user, code, start_key, data, {}, **start)
    return workflow.start_case(request.user, code, start_key, data, **start)


def _case_id_or_404(user, case_id) -> int:
    try:
        return access.case_for(user, case_id).pk
    except workflow.NotFound:
        raise Http404("No existe el caso") from None


def _back(request, case_id):
    """The page the form was on: the task page (`tarea`) or the case page."""
    task_id = request.POST.get("tarea", "")
    if task_id.isdigit() and Task.objects.filter(pk=task_id, case_id=case_id).exists():
        return redirect("task", task_id=int(task_id))
    return redirect("case", case_id=case_id)


def _again(request, case_id, form, status):
    """The same page again, with what was typed and the errors."""
    task_id = request.POST.get("tarea", "")
    if task_id.isdigit():
        try:
            task = access.task_for(request.user, task_id)
        except workflow.NotFound:
            task = None
        if task is not None and task.case_id == case_id:
            return views._task_page(request, task, status=status, casefile_form=form)
    return views.case_detail(request, case_id, casefile_form=form, status=status)


@login_required
@require_POST
def comment(request, case_id):
    case_id = _case_id_or_404(request.user, case_id)
    body, internal = request.POST.get("body", ""), request.POST.get("internal", "")
    try:
        casefile.add_comment(request.user, case_id, body, internal)
    except workflow.NotFound:
        raise Http404("No existe el caso") from None
    except workflow.WorkflowError as exc:
        messages.error(request, exc.detail)
        form = {"body": body, "internal": bool(internal), "errors": exc.errors or {"body": exc.detail}}
        return _again(request, case_id, form, exc.status)
    messages.success(request, "Mensaje enviado.")
    response = _back(request, case_id)
    response["Location"] += "#conversacion"
    return response


def _too_large(request) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > casefile.max_bytes() + UPLOAD_OVERHEAD


def _refused_too_large(request, case_id, key):
    detail = f"El archivo supera el máximo de {casefile.max_size_text()}."
    messages.error(request, detail)
    # The body was not read, so neither is `tarea`: the case page answers.
    return views.case_detail(request, case_id, casefile_form={"errors": {key: detail}}, status=413)


@csrf_exempt  # checked below, once the size is known to be acceptable (the body is read then)
@login_required
@require_POST
def upload(request, case_id):
    case_id = _case_id_or_404(request.user, case_id)
    if _too_large(request):
        return _refused_too_large(request, case_id, "file")
    return _upload(request, case_id)


@csrf_protect
def _upload(request, case_id):
    internal = request.POST.get("internal", "")
    try:
        attachment = casefile.add_attachment(request.user, case_id, request.FILES.get("file"), internal=internal)
    except workflow.NotFound:
        raise Http404("No existe el caso") from None
    except workflow.WorkflowError as exc:
        messages.error(request, exc.detail)
        form = {"internal": bool(internal), "errors": {"file": exc.errors.get("file", exc.detail)}}
        return _again(request, case_id, form, exc.status)
    messages.success(request, f"Se adjuntó «{attachment.name}».")
    response = _back(request, case_id)
    response["Location"] += "#adjuntos"
    return response


def attachment_response(attachment) -> FileResponse:
    """The file, to be saved (never shown inline), as it was uploaded, with its checked type."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise workflow.NotFound("El archivo del adjunto no está disponible.") from None
    response = FileResponse(handle, content_type=attachment.content_type)
    fallback = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_" for ch in attachment.name)
    response["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(attachment.name, safe='')}"
    response["Content-Length"] = str(attachment.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def download(request, attachment_id):
    try:
        attachment = access.attachment_for(request.user, attachment_id)
        response = attachment_response(attachment)
    except workflow.NotFound:
        raise Http404("No existe el adjunto") from None
    casefile.downloaded(request, attachment)
    return response


@login_required
@require_POST
def withdraw(request, case_id):
    case_id = _case_id_or_404(request.user, case_id)
    reason = request.POST.get("reason", "")
    try:
        case = casefile.withdraw_case(request.user, case_id, reason)
    except workflow.NotFound:
        raise Http404("No existe el caso") from None
    except workflow.Invalid as exc:
        messages.error(request, exc.detail)
        return _again(request, case_id, {"reason": reason, "errors": exc.errors}, exc.status)
    except workflow.WorkflowError as exc:
        messages.error(request, exc.detail)
        return redirect("case", case_id=case_id)
    messages.success(request, f"Desistió de la solicitud {case.number}.")
    return redirect("case", case_id=case_id)


@csrf_exempt  # checked below, once the size is known to be acceptable (the body is read then)
@login_required
@require_POST
def task_complete(request, task_id):
    """Complete an activity whose form has file fields (multipart): the files are uploaded and the
    activity completed in one step; on any error nothing is kept and the form comes back."""
    task = views._task_or_404(request.user, task_id)
    if _too_large(request):
        detail = f"Los archivos superan el máximo de {casefile.max_size_text()}."
        messages.error(request, detail)
        return views._task_page(request, task, status=413)
    return _task_complete(request, task)


@csrf_protect
def _task_complete(request, task):
    view = workflow.describe(task, request.user)
    data = views._form_data(request, view.fields)
    files = {key: request.FILES[key] for key in request.FILES}
    try:
        case = casefile.complete_with_files(request.user, task.pk, data, files, request.POST.get("decision") or None)
    except workflow.Invalid as exc:
        messages.error(request, exc.detail)
        return views._task_page(request, task, values=data, errors=exc.errors, status=422)
    except workflow.WorkflowError as exc:
        messages.error(request, exc.detail)
        task.refresh_from_db()
        return views._task_page(request, task, values=data, status=exc.status)
    messages.success(request, f"Actividad {task.activity} atendida.")
    following = next((t for t in case.tasks.filter(status=Task.Status.OPEN).select_related("case", "assignee")
                      if access.may_act(request.user, t)), None)
    if following:
        return redirect("task", task_id=following.pk)
    return redirect("case", case_id=case.pk)
