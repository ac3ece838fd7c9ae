"""JSON API of the case file: comments, attachments (multipart upload, download), withdrawal.
Thin: the rules are in cases.casefile and cases.access."""
from django.http import JsonResponse
from django.urls import reverse

from cases import access, casefile, workflow
from web.casefile import UPLOAD_OVERHEAD, attachment_response

from .views import _body, api_view, case_json, error


def comment_json(comment) -> dict:
    return {
        "id": comment.pk,
        "body": comment.body,
        "internal": comment.internal,
        "author": comment.author.username,
        "created_at": comment.created_at.isoformat(),
    }


def attachment_json(attachment) -> dict:
    return {
        "id": attachment.pk,
        "name": attachment.name,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "url": reverse("api-attachment", args=[attachment.pk]),
        "sha256": attachment.sha256,
        "internal": attachment.internal,
        "uploaded_by": attachment.uploaded_by.username,
        "created_at": attachment.created_at.isoformat(),
        "task": attachment.task_id,
        "field": attachment.field_key or None,
    }


@api_view("GET", "POST")
def comments(request, case_id):
    if request.method == "GET":
        case = access.case_for(request.user, case_id)
        return JsonResponse([comment_json(c) for c in casefile.comments_for(request.user, case)], safe=False)
    access.case_for(request.user, case_id)  # an outsider is answered 404 whatever the body
    body = _body(request)
    comment = casefile.add_comment(request.user, case_id, body.get("body"), body.get("internal", False))
    return JsonResponse(comment_json(comment), status=201)


@api_view("GET", "POST")
def attachments(request, case_id):
    case = access.case_for(request.user, case_id)
    if request.method == "GET":
        return JsonResponse([attachment_json(a) for a in casefile.attachments_for(request.user, case)], safe=False)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > casefile.max_bytes() + UPLOAD_OVERHEAD:  # refused before the body is read
        return error(413, casefile.TooLarge.code, f"El archivo supera el máximo de {casefile.max_size_text()}.",
                     {"file": "demasiado grande"})
    if request.content_type != "multipart/form-data":
        raise workflow.Invalid("Envíe el archivo como multipart/form-data, en el campo «file».", {"file": "obligatorio"})
    attachment = casefile.add_attachment(request.user, case.pk, request.FILES.get("file"),
                                         internal=request.POST.get("internal", ""))
    return JsonResponse(attachment_json(attachment), status=201)


@api_view("GET")
def download(request, attachment_id):
    attachment = access.attachment_for(request.user, attachment_id)
    response = attachment_response(attachment)
    casefile.downloaded(request, attachment)
    return response


@api_view("POST")
def withdraw(request, case_id):
    access.case_for(request.user, case_id)  # an outsider is answered 404 whatever the body
    body = _body(request)
    case = casefile.withdraw_case(request.user, case_id, body.get("reason"))
    return JsonResponse(case_json(case, request.user))
