"""GET /api/audit: the audit trail for the chief, the security specialist and superusers (404 for
everyone else, like an address that does not exist), filtered and paged like GET /api/cases.
Personal data is always masked here; the page /auditoria/ unmasks it, recorded."""
from django.http import JsonResponse

from api.views import API_PAGE_SIZE, api_view, error
from cases import search, workflow

from . import query
from .access import reads_trail


@api_view("GET")
def trail(request):
    """GET /api/audit?from=&to=&actor=&action=&object=&ip=&page= (50 a page, newest first)."""
    if not reads_trail(request.user):
        return error(404, "no_encontrado", "No existe esa dirección en la API; vea /api/openapi.json.")
    try:
        filters, _ = query.parse_filters(request.GET)
        page = search.parse_page(request.GET.get("page"))
    except search.BadFilter as exc:
        raise workflow.Invalid(exc.detail, {exc.param: "inválido"}) from None
    found = query.entries(filters)
    count = found.count()
    start = (page - 1) * API_PAGE_SIZE
    results = [query.as_json(e) for e in found[start:start + API_PAGE_SIZE]] if start < count else []
    return JsonResponse({
        "count": count, "page": page, "page_size": API_PAGE_SIZE,
        "next": page + 1 if start + API_PAGE_SIZE < count else None,
        "previous": page - 1 if page > 1 else None,
        "results": results,
    })
