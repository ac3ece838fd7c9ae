"""The audit trail's page (/auditoria/) and its exports, for the chief, the security specialist and
superusers; 404 for everyone else. Personal data is masked; «Mostrar datos personales» shows one
entry or the page unmasked, and that is itself recorded ("audit.unmasked")."""
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from cases import export
from engine.vocabularies import load_vocabularies

from . import query
from .access import reads_trail
from .trail import record


def _reader_or_404(request):
    if not reads_trail(request.user):
        raise Http404("No existe la página")


@login_required
@require_http_methods(["GET", "POST"])
def trail(request):
    """GET: the filtered trail, a page of 50, masked. POST (`mostrar`: an entry's id or "pagina"):
    the same page with those entries unmasked, recorded first."""
    _reader_or_404(request)
    filters, errors = query.parse_filters(request.GET, strict=False)
    page = Paginator(query.entries(filters), query.PAGE_SIZE).get_page(request.GET.get("page"))
    entries = list(page.object_list)
    unmask = set()
    if request.method == "POST":
        wanted = request.POST.get("mostrar", "")
        chosen = entries if wanted == "pagina" else [e for e in entries if str(e.pk) == wanted]
        unmask = {e.pk for e in chosen if query.has_personal(e)}
        if unmask:
            record("audit.unmasked", actor=request.user, request=request, object_type="audit",
                   label="registro de auditoría", after={"entries": sorted(unmask), "filters": filters.params()})
        else:
            messages.info(request, "No hay datos personales que mostrar en " +
                          ("esta página." if wanted == "pagina" else "esa entrada."))
    params = filters.params()
    return render(request, "audit/trail.html", {
        "page": page, "shown": [query.show(e, e.pk in unmask) for e in entries],
        "filters": filters, "errors": errors, "values": request.GET,
        "query": urlencode(params), "page_query": urlencode({**params, "page": page.number}),
        "actions": load_vocabularies().audit_actions.labels, "export_limit": query.EXPORT_LIMIT,
        "any_personal": any(query.has_personal(e) for e in entries),
    })


@login_required
@require_GET
def trail_export(request, fmt):
    """The filtered trail as CSV or XLSX (masked), up to query.EXPORT_LIMIT entries, newest first."""
    _reader_or_404(request)
    try:
        filters, _ = query.parse_filters(request.GET)
    except query.BadFilter as exc:
        return HttpResponse(exc.detail, status=422, content_type="text/plain; charset=utf-8")
    rows, truncated = query.export_rows(query.entries(filters))
    record("audit.exported", actor=request.user, request=request, object_type="audit", label="registro de auditoría",
           after={"format": fmt, "rows": len(rows), "filters": filters.params()})
    if fmt == "csv":
        content = export.to_csv(rows, query.HEADERS)
    else:
        content = export.to_xlsx(rows, query.HEADERS, title="Auditoría", widths=query.WIDTHS)
    response = HttpResponse(content, content_type=export.FORMATS[fmt])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="auditoria-{stamp}.{fmt}"'
    return response
