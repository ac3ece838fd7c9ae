"""JSON API of a person's notifications (tokens, errors and methods as api.views.api_view)."""
from django.http import JsonResponse

from api.views import api_view
from cases import workflow

from . import actions
from .actions import absolute

PAGE_SIZE = 50


def notification_json(n) -> dict:
    return {
        "id": n.pk,
        "kind": n.kind,
        "kind_label": n.get_kind_display(),
        "title": n.title,
        "body": n.body,
        "url": absolute(n.url),
        "case": n.case_id,
        "created_at": n.created_at.isoformat(),
        "read_at": n.read_at.isoformat() if n.read_at else None,
    }


@api_view("GET")
def notification_list(request):
    """GET /api/notifications?page= : unread first, newest first, 50 a page."""
    raw = request.GET.get("page", "1")
    try:
        page = int(raw)
    except ValueError:
        page = 0
    if not 1 <= page <= 100000:
        raise workflow.Invalid("«page» debe ser un número de página (1 o más).", {"page": "inválido"})
    start = (page - 1) * PAGE_SIZE
    rows = list(actions.notifications_of(request.user)[start:start + PAGE_SIZE + 1])
    return JsonResponse({
        "unread": actions.unread_count(request.user),
        "page": page, "page_size": PAGE_SIZE,
        "next": page + 1 if len(rows) > PAGE_SIZE else None,
        "previous": page - 1 if page > 1 else None,
        "results": [notification_json(n) for n in rows[:PAGE_SIZE]],
    })


@api_view("POST")
def notification_read(request, notification_id):
    return JsonResponse(notification_json(actions.mark_read(request.user, notification_id)))


@api_view("POST")
def notification_read_all(request):
    return JsonResponse({"marked": actions.mark_all_read(request.user), "unread": 0})
