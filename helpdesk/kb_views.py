"""The knowledge base's pages (/mesa-de-ayuda/conocimiento/). Thin: who reads and writes is
cases.access's, every change is one function of helpdesk.knowledge."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cases import access, workflow

from . import knowledge
from .catalog import catalog
from .models import Article

FIELDS = ("title", "problem", "solution", "category", "tags")


@login_required
@require_GET
def articles(request):
    q = " ".join(request.GET.get("q", "").split())[:200]
    category = request.GET.get("categoria", "")
    category = category if catalog().category(category) else ""
    writer = access.writes_articles(request.user)
    status = request.GET.get("estado", "") if writer else ""
    found = knowledge.search(request.user, q, category=category, status=status)
    page = Paginator(found.select_related("author"), 30).get_page(request.GET.get("page"))
    return render(request, "helpdesk/kb/list.html", {
        "page": page, "q": q, "category": category, "status": status, "writer": writer,
        "categories": catalog().categories.values(), "statuses": Article.Status.choices,
    })


@login_required
@require_GET
def article(request, article_id):
    try:
        found = knowledge.article_for(request.user, article_id)
    except workflow.NotFound:
        raise Http404("No existe el artículo") from None
    writer = access.writes_articles(request.user)
    return render(request, "helpdesk/kb/article.html", {
        "a": found, "writer": writer,
        "versions": found.versions.select_related("author")[:20] if writer else [],
        "categories": catalog().categories.values(), "statuses": Article.Status.choices,
        "source_visible": bool(found.source_ticket_id) and access.may_view_ticket(request.user, found.source_ticket),
    })


@login_required
def new_article(request):
    if not access.writes_articles(request.user):
        raise Http404("No existe la página")
    values, errors = {}, {}
    ticket_id = request.POST.get("ticket") or request.GET.get("ticket") or ""
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in FIELDS}
        try:
            created = knowledge.create(request.user, ticket=ticket_id or None, **values)
        except workflow.WorkflowError as exc:
            errors = exc.errors or {"__all__": exc.detail}
            messages.error(request, exc.detail)
        else:
            messages.success(request, "Artículo guardado como borrador. Publíquelo cuando esté listo para el portal.")
            return redirect("kb-article", created.pk)
    elif ticket_id:
        try:
            values = knowledge.prefill_from(request.user, ticket_id)
        except workflow.NotFound:
            raise Http404("No existe el ticket") from None
        except workflow.WorkflowError as exc:
            messages.error(request, exc.detail)
            return redirect("ticket", ticket_id)
    return render(request, "helpdesk/kb/form.html", {
        "values": values, "errors": errors, "ticket": ticket_id, "categories": catalog().categories.values(),
    }, status=422 if errors else 200)


def _post(request, article_id, run, done):
    try:
        run()
    except workflow.NotFound:
        raise Http404("No existe el artículo") from None
    except workflow.WorkflowError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, done)
    return redirect("kb-article", article_id)


@login_required
@require_POST
def edit_article(request, article_id):
    values = {k: request.POST.get(k, "") for k in FIELDS}
    return _post(request, article_id, lambda: knowledge.update(request.user, article_id, version=request.POST.get("version"),
                                                               **values), "Artículo actualizado (nueva versión).")


@login_required
@require_POST
def article_status(request, article_id):
    status = request.POST.get("status", "")
    done = {"publicado": "Artículo publicado en el portal.", "retirado": "Artículo retirado.",
            "borrador": "Artículo devuelto a borrador."}.get(status, "Estado cambiado.")
    return _post(request, article_id, lambda: knowledge.set_status(request.user, article_id, status), done)
