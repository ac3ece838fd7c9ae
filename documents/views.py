"""Pages of the documents: drafting from a case or task, the document page (PDF preview, versions,
vistos buenos, signatures, actions) and the document register (/documentos/) with its exports.
Thin: who may is cases.access, what changes is documents.actions; bad input brings the page back
with what was typed."""
from __future__ import annotations

from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from cases import access, workflow
from cases.export import to_csv, to_xlsx

from . import actions, signing
from .models import Classification, Document, DocumentTemplate, catalog_entry, document_types

PAGE_SIZE = 50
EDITABLE = (("cuerpo", "Texto"), ("antecedentes", "Antecedentes"), ("analisis", "Análisis"),
            ("conclusiones", "Conclusiones"), ("recomendaciones", "Recomendaciones"))
EXPORT_LIMIT = 10_000
REGISTER_HEADERS = ("Número", "Fecha", "Tipo", "Clasificación", "Sentido", "Remitente", "Destinatarios", "Asunto",
                    "Folios", "Anexos", "Caso", "Actividad", "Estado", "Registro SISTRADOC")


def _document_or_404(user, document_id) -> Document:
    try:
        return access.document_for(user, document_id)
    except workflow.NotFound:
        raise Http404("No existe el documento") from None


# --- the register ---------------------------------------------------------------------------
def read_filters(params) -> tuple[dict, dict]:
    """The register's filters from a query string: (clean values, errors by field)."""
    clean, errors = {}, {}
    q = " ".join(str(params.get("q", "")).split())[:200]
    if q:
        clean["q"] = q
    for key, allowed, label in (("type", document_types(), "tipo"), ("status", dict(Document.Status.choices), "estado"),
                                ("classification", dict(Classification.choices), "clasificación"),
                                ("direction", dict(Document.Direction.choices), "sentido")):
        value = str(params.get(key, "")).strip()
        if value:
            if value in allowed:
                clean[key] = value
            else:
                errors[key] = f"{label.capitalize()} desconocido: «{value[:40]}»."
    case = str(params.get("case", "")).strip()[:60]
    if case:
        clean["case"] = case
    year = str(params.get("year", "")).strip()
    if year:
        if year.isdigit() and 2000 <= int(year) <= 2100:
            clean["year"] = int(year)
        else:
            errors["year"] = "El año debe tener cuatro cifras."
    return clean, errors


def register_queryset(user, filters: dict):
    from django.db.models import Q

    documents = access.visible_documents(user).select_related("case", "created_by")
    if "q" in filters:
        for word in filters["q"].split():
            documents = documents.filter(Q(number__icontains=word) | Q(subject__icontains=word) | Q(sender__icontains=word)
                                         | Q(recipients__icontains=word) | Q(case__number__icontains=word))
    for key in ("type", "status", "classification", "direction", "year"):
        if key in filters:
            documents = documents.filter(**{key: filters[key]})
    if "case" in filters:
        case = filters["case"]
        documents = documents.filter(case_id=int(case)) if case.isdigit() else documents.filter(case__number__icontains=case)
    return documents.order_by("-created_at", "-id")


def register_rows(documents) -> list[tuple]:
    rows = []
    for d in documents:
        rows.append((d.number or "(sin número)", timezone.localtime(d.issued_at or d.created_at).replace(tzinfo=None),
                     d.type_label, d.get_classification_display(), d.get_direction_display(), d.sender, d.recipients,
                     d.subject, d.folios, d.annexes, d.case.number if d.case_id else "", d.activity or "",
                     d.get_status_display(), d.registration))
    return rows


@login_required
@require_GET
def register(request):
    filters, errors = read_filters(request.GET)
    page = Paginator(register_queryset(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in filters.items()})
    return render(request, "documents/register.html", {
        "page": page, "filters": filters, "errors": errors, "query": query, "values": request.GET,
        "types": sorted((slug, t["label"]) for slug, t in document_types().items()),
        "statuses": Document.Status.choices, "classifications": Classification.choices,
        "directions": Document.Direction.choices, "may_receive": access.office_staff(request.user),
    }, status=422 if errors else 200)


@login_required
@require_GET
def register_export(request, fmt):
    filters, errors = read_filters(request.GET)
    if errors:
        return HttpResponse(" ".join(errors.values()), status=422, content_type="text/plain; charset=utf-8")
    rows = register_rows(register_queryset(request.user, filters)[:EXPORT_LIMIT])
    if fmt == "csv":
        content, content_type = to_csv(rows, REGISTER_HEADERS), "text/csv; charset=utf-8"
    else:
        content = to_xlsx(rows, REGISTER_HEADERS, title="Documentos",
                          widths=(38, 17, 18, 14, 10, 28, 28, 50, 7, 20, 26, 9, 11, 20))
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(content, content_type=content_type)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="documentos-{stamp}.{fmt}"'
    return response


@login_required
def receive(request):
    """Register a document received from another unit or entity (its number is theirs)."""
    if not access.office_staff(request.user):
        raise Http404("No existe la página")
    values, errors, status = request.POST, {}, 200
    if request.method == "POST":
        try:
            case = None
            if request.POST.get("case"):
                from cases.models import Case

                found = Case.objects.filter(number=request.POST["case"].strip()).first()
                if found is None or not access.may_view(request.user, found):
                    raise workflow.Invalid("No existe un caso con ese número.", {"case": "no existe"})
                case = found
            uploaded = request.FILES.get("file")
            pdf = None
            if uploaded is not None:
                if uploaded.size > actions.PDF_MAX:
                    raise workflow.Invalid("El PDF supera los 20 MB.", {"file": "demasiado grande"})
                pdf = uploaded.read()
                if not pdf.lstrip()[:5] == b"%PDF-":
                    raise workflow.Invalid("El archivo no es un PDF.", {"file": "no es PDF"})
            document = actions.receive(
                request.user, type=request.POST.get("type", ""), number=request.POST.get("number"),
                sender=request.POST.get("sender"), subject=request.POST.get("subject"),
                recipients=request.POST.get("recipients", ""), case=case,
                classification=request.POST.get("classification"), folios=request.POST.get("folios"),
                annexes=request.POST.get("annexes", ""), pdf=pdf)
        except workflow.WorkflowError as exc:
            messages.error(request, exc.detail)
            errors, status = exc.errors or {}, exc.status
        else:
            messages.success(request, "Documento recibido registrado.")
            return redirect("document", document.pk)
    return render(request, "documents/receive.html", {
        "values": values, "errors": errors, "classifications": Classification.choices,
        "types": sorted((slug, t["label"]) for slug, t in document_types().items())}, status=status)


# --- drafting -------------------------------------------------------------------------------
def templates_for(case):
    return [t for t in DocumentTemplate.current() if t.applies_to(case.procedure)]


@login_required
def draft(request, case_id):
    """«Redactar documento»: the templates of the case's procedure; from a task with ?tarea=<id>."""
    try:
        case = access.case_for(request.user, case_id)
    except workflow.NotFound:
        raise Http404("No existe el caso") from None
    task = None
    task_id = request.GET.get("tarea") or request.POST.get("tarea")
    if task_id:
        task = case.tasks.filter(pk=task_id if str(task_id).isdigit() else 0).first()
    may = access.may_draft_documents(request.user, case)
    values, errors, status = request.POST, {}, 200
    if request.method == "POST":
        if not may:
            raise Http404("No existe el caso")
        template = DocumentTemplate.current().filter(slug=request.POST.get("template", "")).first()
        data = {k: request.POST.get(k, "") for k in ("cuerpo", "antecedentes", "analisis", "conclusiones",
                                                     "recomendaciones", "participantes", "acuerdos") if request.POST.get(k)}
        try:
            document = actions.draft_document(
                request.user, case, template, data, task=task, subject=request.POST.get("subject"),
                classification=request.POST.get("classification"), recipients=request.POST.get("recipients"),
                reference=request.POST.get("reference"), folios=request.POST.get("folios"),
                annexes=request.POST.get("annexes"))
        except workflow.WorkflowError as exc:
            messages.error(request, exc.detail)
            errors, status = exc.errors or {}, exc.status
        else:
            messages.success(request, f"{document.type_label.capitalize()} redactado como proyecto.")
            return redirect("document", document.pk)
    return render(request, "documents/draft.html", {
        "case": case, "task": task, "templates": templates_for(case) if may else [], "may_draft": may,
        "values": values, "errors": errors, "classifications": Classification.choices,
        "documents": access.visible_documents(request.user).filter(case=case).order_by("-created_at"),
    }, status=status)


# --- the document page ----------------------------------------------------------------------
@login_required
@require_GET
def detail(request, document_id):
    document = _document_or_404(request.user, document_id)
    return _page(request, document)


def _page(request, document, status=200, values=None, errors=None):
    user = request.user
    versions = list(document.versions.select_related("created_by").order_by("-n"))
    current = versions[0] if versions else None
    can = {action: access.document_refusal(user, document, action) is None for action in access.DOCUMENT_ACTIONS}
    S = Document.Status
    return render(request, "documents/document.html", {
        "document": document, "versions": versions, "current": current,
        "approvals": document.approvals.select_related("user", "version"),
        "signatures": document.signatures.select_related("user", "version"),
        "can_edit": can["edit"] and document.status in (S.DRAFT, S.APPROVED, S.SIGNED),
        "can_approve": can["approve"] and document.status in (S.DRAFT, S.APPROVED),
        "can_issue": can["issue"] and document.status in (S.DRAFT, S.APPROVED) and not document.number
                     and document.type_info["numbered"],
        "can_sign": can["sign"] and document.status in (S.DRAFT, S.APPROVED)
                    and (document.number or not document.type_info["numbered"]),
        "can_send": can["send"] and document.status == S.SIGNED,
        "can_annul": can["annul"] and document.status != S.ANNULLED,
        "test_signer": signing.get_signer() is not None,
        "has_matrix": document.template_id is not None and bool((catalog_entry(document.template.slug) or {}).get("columns")), "values": values or {}, "errors": errors or {},
        "fields": [(key, label, (values or {}).get(key, (current.data if current else {}).get(key, "")))
                   for key, label in EDITABLE],
    }, status=status)


def _version(document, request):
    n = request.GET.get("version", "")
    versions = document.versions.order_by("-n")
    version = versions.filter(n=int(n)).first() if n.isdigit() and len(n) < 6 else versions.first()
    if version is None:
        raise Http404("No existe la versión")
    return version


@login_required
@require_GET
@xframe_options_sameorigin
def pdf(request, document_id):
    """The PDF of a version (?version=n; the current one by default) or its signed file (?firmado=1),
    after the access check; shown inline (the document page previews it), ?descargar=1 to save it."""
    return pdf_response(request, _document_or_404(request.user, document_id), signed=bool(request.GET.get("firmado")))


def pdf_response(request, document, *, signed: bool):
    """The PDF response of a document the request's user may read (the pages' and the API's)."""
    import audit

    version = _version(document, request)
    stored, suffix = version.pdf, f"v{version.n}"
    if signed:
        signature = version.signatures.order_by("-id").first()
        if signature is None:
            raise Http404("La versión no está firmada")
        stored, suffix = signature.signed_pdf, f"v{version.n}-firmado"
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("El archivo no está disponible") from None
    name = f"{document.number or document.type_label + ' proyecto ' + str(document.pk)} {suffix}.pdf"
    fallback = "".join(ch if ch.isascii() and ch.isalnum() or ch in "-_. " else "_" for ch in name)
    mode = "attachment" if request.GET.get("descargar") else "inline"
    response = FileResponse(handle, content_type="application/pdf")
    response["Content-Disposition"] = f"{mode}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    response["Cache-Control"] = "private, no-store"
    audit.record("document.downloaded", actor=request.user, obj=document, request=request,
                 after={"document": document.pk, "version": version.n, "signed": signed})
    return response


@login_required
@require_GET
def export(request, document_id, fmt):
    """The current version as DOCX (to keep editing it) or, for a formato with a matrix, as XLSX in
    the formato's own columns; after the access check, always to be saved."""
    from . import render as rendering

    document = _document_or_404(request.user, document_id)
    version = _version(document, request)
    base = (document.number or f"{document.type_label} proyecto {document.pk}").replace("/", "-")
    if fmt == "docx":
        content = rendering.render_docx(document, version.data)
        content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    else:
        found = rendering.matrix_rows(document, version.data)
        if found is None:
            raise Http404("Este documento no tiene matriz")
        columns, rows = found
        content = to_xlsx([tuple(r) for r in rows], tuple(columns), title=(document.template.name[:31] or "Formato"),
                          widths=tuple(22 for _ in columns))
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"{base} v{version.n}.{fmt}"
    fallback = "".join(ch if ch.isascii() and ch.isalnum() or ch in "-_. " else "_" for ch in name)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    response["Cache-Control"] = "private, no-store"
    return response


def _act(request, document_id, do, done: str):
    document = _document_or_404(request.user, document_id)
    try:
        do(document)
    except workflow.WorkflowError as exc:
        messages.error(request, exc.detail)
        document.refresh_from_db()
        return _page(request, document, status=exc.status, values=request.POST, errors=exc.errors)
    messages.success(request, done)
    return redirect("document", document.pk)


@login_required
@require_POST
def edit(request, document_id):
    data = {k: request.POST[k] for k, _ in EDITABLE if k in request.POST}
    fields = {k: request.POST.get(k) for k in ("subject", "recipients", "reference", "folios", "annexes", "classification")}
    return _act(request, document_id, lambda d: actions.edit_document(request.user, d, data, **fields),
                "Documento actualizado.")


@login_required
@require_POST
def approve(request, document_id):
    return _act(request, document_id, lambda d: actions.approve(request.user, d, request.POST.get("note", "")),
                "Visto bueno registrado.")


@login_required
@require_POST
def issue(request, document_id):
    return _act(request, document_id, lambda d: actions.issue(request.user, d), "Documento numerado.")


@login_required
@require_POST
def sign(request, document_id):
    """The signed PDF comes back from the signer's computer (Firma Perú) as an upload; with the
    local test signer (tests, demo) the server signs the version for the person and verifies it
    the same way."""
    def do(document):
        uploaded = request.FILES.get("file")
        if uploaded is not None:
            if uploaded.size > actions.PDF_MAX:
                raise workflow.Invalid("El PDF firmado supera los 20 MB.", {"file": "demasiado grande"})
            content = uploaded.read()
        else:
            signer = signing.get_signer(person_name=access.display_name(request.user), dni=_dni_of(request.user))
            if signer is None:
                raise workflow.Invalid("Adjunte el PDF firmado con Firma Perú.", {"file": "obligatorio"})
            with document.current_version().pdf.open("rb") as f:
                content = signer.sign(f.read(), reason=f"Firma de {document.type_label.lower()}")
        actions.sign(request.user, document, content)

    return _act(request, document_id, do, "Firma verificada y registrada.")


def _dni_of(user) -> str:
    return f"{40000000 + user.pk:08d}"   # the local test PKI's identity of the person (tests and demo only)


@login_required
@require_POST
def send(request, document_id):
    return _act(request, document_id, lambda d: actions.send(request.user, d), "Documento enviado.")


@login_required
@require_POST
def annul(request, document_id):
    return _act(request, document_id, lambda d: actions.annul(request.user, d, request.POST.get("reason", "")),
                "Documento anulado; su número queda registrado.")
