"""JSON API of the documents (issue #10). Thin: who may is cases.access, what changes is
documents.actions; errors are the API's own ({"error", "detail"}, api.views)."""
from __future__ import annotations

import base64
import binascii

from django.http import JsonResponse
from django.urls import reverse

from api.views import _body, _check_query, api_view
from cases import access, workflow

from . import actions, views
from .models import Document, DocumentTemplate

LIST_LIMIT = 500


def template_json(t: DocumentTemplate) -> dict:
    return {"slug": t.slug, "name": t.name, "type": t.type, "procedures": t.procedures, "version": t.version,
            "classification": t.get_classification_display()}


def document_json(d: Document) -> dict:
    return {
        "id": d.pk, "number": d.number or None, "type": d.type, "type_label": d.type_label, "status": d.status,
        "classification": d.get_classification_display(), "direction": d.direction, "subject": d.subject,
        "sender": d.sender, "recipients": d.recipients, "reference": d.reference, "folios": d.folios,
        "annexes": d.annexes, "case": d.case_id, "case_number": d.case.number if d.case_id else None,
        "activity": d.activity, "template": d.template.slug if d.template_id else None,
        "created_by": d.created_by.username, "created_at": d.created_at.isoformat(),
        "issued_at": d.issued_at.isoformat() if d.issued_at else None,
        "sent_at": d.sent_at.isoformat() if d.sent_at else None, "registration": d.registration or None,
        "annul_reason": d.annul_reason or None,
        "pdf": reverse("api-document-pdf", args=[d.pk]),
    }


def detail_json(d: Document) -> dict:
    pdf = reverse("api-document-pdf", args=[d.pk])
    return {
        **document_json(d),
        "versions": [{"n": v.n, "sha256": v.sha256, "frozen": v.frozen, "created_by": v.created_by.username,
                      "created_at": v.created_at.isoformat(), "pdf": f"{pdf}?version={v.n}"}
                     for v in d.versions.select_related("created_by").order_by("n")],
        "approvals": [{"user": a.user.username, "version": a.version.n, "sha256": a.sha256, "note": a.note,
                       "created_at": a.created_at.isoformat()} for a in d.approvals.select_related("user", "version")],
        "signatures": [{"user": s.user.username, "signer": s.signer, "version": s.version.n, "sha256": s.sha256,
                        "verification": s.verification, "created_at": s.created_at.isoformat(),
                        "pdf": f"{pdf}?version={s.version.n}&signed=1"}
                       for s in d.signatures.select_related("user", "version")],
    }


@api_view("GET")
def templates(request):
    return JsonResponse([template_json(t) for t in DocumentTemplate.current()], safe=False)


@api_view("GET", "POST")
def case_documents(request, case_id):
    case = access.case_for(request.user, case_id)   # an outsider is answered 404 whatever the body
    if request.method == "GET":
        found = access.visible_documents(request.user).filter(case=case).select_related("case", "created_by", "template")
        return JsonResponse([document_json(d) for d in found.order_by("-created_at")[:LIST_LIMIT]], safe=False)
    body = _body(request)
    slug = body.get("template")
    if not isinstance(slug, str) or not slug.strip():
        raise workflow.Invalid("Indique la plantilla («template»): su clave, de GET /api/document-templates.",
                               {"template": "obligatorio"})
    template = DocumentTemplate.current().filter(slug=slug.strip()).first()
    if template is None:
        raise workflow.Invalid(f"No existe la plantilla «{slug[:80]}».", {"template": "desconocida"})
    task = None
    if body.get("task") is not None:
        task = case.tasks.filter(pk=body["task"] if isinstance(body["task"], int) else 0).first()
        if task is None:
            raise workflow.Invalid("La tarea no pertenece a este caso.", {"task": "otro caso"})
    document = actions.draft_document(
        request.user, case, template, body.get("data"), task=task, subject=body.get("subject"),
        classification=body.get("classification"), recipients=body.get("recipients"), sender=body.get("sender"),
        reference=body.get("reference"), folios=body.get("folios"), annexes=body.get("annexes"))
    return JsonResponse(document_json(document), status=201)


@api_view("GET", "POST")
def document_list(request):
    if request.method == "POST":
        return _receive(request)
    _check_query(request)
    filters, errors = views.read_filters(request.GET)
    if errors:
        raise workflow.Invalid(next(iter(errors.values())), errors)
    found = views.register_queryset(request.user, filters).select_related("template")[:LIST_LIMIT]
    return JsonResponse([document_json(d) for d in found], safe=False)


def _receive(request):
    """POST /api/documents: register a document received ({type, number, sender, subject, ...})."""
    body = _body(request)
    case = access.case_for(request.user, body["case"]) if body.get("case") is not None else None
    pdf = _pdf_from(request, body, required=False)
    document = actions.receive(request.user, type=str(body.get("type") or ""), number=body.get("number"),
                               sender=body.get("sender"), subject=body.get("subject"),
                               recipients=body.get("recipients") or "", case=case,
                               classification=body.get("classification"), folios=body.get("folios"),
                               annexes=body.get("annexes") or "", pdf=pdf)
    return JsonResponse(document_json(document), status=201)


@api_view("GET")
def document_detail(request, document_id):
    return JsonResponse(detail_json(access.document_for(request.user, document_id)))


@api_view("GET")
def document_pdf(request, document_id):
    """The PDF (?version=n, ?signed=1), after the access check."""
    from django.http import Http404

    document = access.document_for(request.user, document_id)
    try:
        return views.pdf_response(request, document, signed=bool(request.GET.get("signed")))
    except Http404 as exc:
        raise workflow.NotFound(str(exc) or "No existe la versión.") from None


def _pdf_from(request, body, required=True) -> bytes | None:
    """The PDF of a multipart upload (field «file») or of a JSON body (base64 in «pdf»)."""
    if request.content_type == "multipart/form-data":
        uploaded = request.FILES.get("file")
        if uploaded is None:
            raise workflow.Invalid("Adjunte el PDF en el campo «file».", {"file": "obligatorio"})
        if uploaded.size > actions.PDF_MAX:
            raise workflow.Invalid("El PDF supera los 20 MB.", {"file": "demasiado grande"})
        return uploaded.read()
    encoded = body.get("pdf")
    if encoded in (None, ""):
        if required:
            raise workflow.Invalid("Envíe el PDF firmado: multipart en «file» o base64 en «pdf».", {"file": "obligatorio"})
        return None
    if not isinstance(encoded, str):
        raise workflow.Invalid("«pdf» debe ser texto en base64.", {"pdf": "base64"})
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise workflow.Invalid("«pdf» no es base64 válido.", {"pdf": "base64"}) from None


def _act(request, document_id, do):
    document = access.document_for(request.user, document_id)  # 404 for who may not read it, whatever the body
    body = {} if request.content_type == "multipart/form-data" else _body(request)
    do(document, body)
    return JsonResponse(detail_json(access.document_for(request.user, document.pk)))


@api_view("POST")
def document_edit(request, document_id):
    return _act(request, document_id, lambda d, b: actions.edit_document(
        request.user, d, b.get("data"), **{k: b.get(k) for k in ("subject", "sender", "recipients", "reference",
                                                                 "folios", "annexes", "classification")}))


@api_view("POST")
def document_approve(request, document_id):
    return _act(request, document_id, lambda d, b: actions.approve(request.user, d, b.get("note", "")))


@api_view("POST")
def document_issue(request, document_id):
    return _act(request, document_id, lambda d, b: actions.issue(request.user, d))


@api_view("POST")
def document_sign(request, document_id):
    return _act(request, document_id, lambda d, b: actions.sign(request.user, d, _pdf_from(request, b)))


@api_view("POST")
def document_send(request, document_id):
    return _act(request, document_id, lambda d, b: actions.send(request.user, d))


@api_view("POST")
def document_annul(request, document_id):
    return _act(request, document_id, lambda d, b: actions.annul(request.user, d, b.get("reason")))
