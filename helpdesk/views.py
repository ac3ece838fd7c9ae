"""The help desk's pages (Spanish, server-rendered). Thin: rules live in helpdesk.actions and
cases.access; this reads forms, calls one action, and renders."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cases import access, procedures, workflow
from cases.models import Task
from org.models import role_slugs

from . import actions, history, knowledge, lists, sla
from .catalog import catalog
from .models import Ticket


def portal_first(user) -> bool:
    """An employee who holds only requester roles lands on the portal, not on the task inbox."""
    return (user.is_authenticated and not user.is_staff and not user.is_superuser
            and role_slugs(user) <= procedures.requester_roles())


def _category_or_404(slug):
    found = catalog().category(slug)
    if found is None:
        raise Http404("No existe la categoría")
    return found


@login_required
@require_GET
def portal(request):
    mine = lists.tickets(request.user, "mine")
    return render(request, "helpdesk/portal.html", {
        "categories": catalog().categories.values(),
        "recent": lists.with_sla(mine[:10]),
        "pending_tasks": Task.objects.filter(status=Task.Status.OPEN, assignee=request.user).count(),
        "runs_desk": access.runs_help_desk(request.user),
        "writes_articles": access.writes_articles(request.user),
    })


@login_required
def new_ticket(request, category):
    category = _category_or_404(category)
    values, errors = {}, {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("subject", "description")}
        files = {a.key: request.FILES.getlist(a.key) for a in category.required_attachments if request.FILES.getlist(a.key)}
        if request.FILES.getlist("file"):
            files[""] = request.FILES.getlist("file")
        try:
            ticket = actions.open_ticket(request.user, category.slug, values["subject"], values["description"], files=files)
        except workflow.WorkflowError as exc:
            errors = exc.errors or {"__all__": exc.detail}
            messages.error(request, exc.detail)
        else:
            messages.success(request, f"Se registró su ticket {ticket.number}. Le avisaremos de cada novedad.")
            return redirect("ticket", ticket.pk)
    return render(request, "helpdesk/new.html", {"category": category, "values": values, "errors": errors,
                                                 "suggestions": knowledge.suggestions(category.slug)},
                  status=422 if errors else 200)


def _page(request, rows, per_page=50):
    return Paginator(rows, per_page).get_page(request.GET.get("page"))


@login_required
@require_GET
def my_tickets(request):
    page = _page(request, lists.tickets(request.user, "mine"))
    page.object_list = lists.with_sla(page.object_list)
    return render(request, "helpdesk/list.html", {"page": page, "title": "Mis tickets", "scope": "mine"})


@login_required
@require_GET
def queue(request):
    if not access.runs_help_desk(request.user):
        raise Http404("No existe la página")
    page = _page(request, lists.tickets(request.user, "queue"))
    page.object_list = lists.with_sla(page.object_list)
    return render(request, "helpdesk/list.html", {"page": page, "title": "Cola de la mesa de ayuda", "scope": "queue"})


@login_required
@require_GET
def assigned(request):
    page = _page(request, lists.tickets(request.user, "assigned"))
    page.object_list = lists.with_sla(page.object_list)
    team = lists.with_sla(lists.tickets(request.user, "team").exclude(assignee=request.user)[:50])
    return render(request, "helpdesk/list.html", {"page": page, "title": "Mis tickets asignados", "scope": "assigned",
                                                  "team": team})


@login_required
@require_GET
def dashboard(request):
    if not access.leads(request.user) and not access.runs_help_desk(request.user):
        raise Http404("No existe la página")
    return render(request, "helpdesk/dashboard.html", {"d": lists.dashboard(request.user)})


@login_required
@require_GET
def export(request, fmt):
    if not access.leads(request.user) and not access.runs_help_desk(request.user):
        raise Http404("No existe la página")
    found = lists.export_tickets(request.user, fmt)
    response = HttpResponse(found.content, content_type=found.content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    return response


@login_required
@require_GET
def ticket_detail(request, ticket_id):
    try:
        ticket = access.ticket_for(request.user, ticket_id)
    except workflow.NotFound:
        raise Http404("No existe el ticket") from None
    user = request.user
    handler = access.may_handle_ticket(user, ticket)
    desk = access.runs_help_desk(user)
    return render(request, "helpdesk/ticket.html", {
        "t": ticket,
        "sla": sla.status(ticket),
        "conversation": actions.messages_for(user, ticket),
        "attachments": actions.attachments_for(user, ticket),
        "history": history.describe(e for e in ticket.events.select_related("actor") if e.kind != e.Kind.NOTE or handler),
        "writes_articles": handler and access.writes_articles(user),
        "links": ticket.links.all(),
        "is_requester": ticket.requester_id == user.pk,
        "handler": handler,
        "desk": desk,
        "may_cancel": actions.may_cancel(user, ticket),
        "may_reopen": actions.may_reopen(user, ticket),
        "reopen_days": actions.reopen_days(),
        "people": actions.assignable_people(ticket if ticket.team else None) if desk else [],
        "teams": actions.team_roles() if desk else [],
        "suggested_team": (catalog().category(ticket.category).team if catalog().category(ticket.category) else ""),
        "categories": catalog().categories.values() if desk else [],
        "impacts": catalog().impact.items(), "urgencies": catalog().urgency.items(),
        "case_visible": bool(ticket.case_id) and access.may_view(user, ticket.case),
    })


def _act(request, ticket_id, run, done):
    try:
        run(request.POST)
    except workflow.NotFound:
        raise Http404("No existe el ticket") from None
    except workflow.WorkflowError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, done)
    return redirect("ticket", ticket_id)


def _action(fn, done):
    @login_required
    @require_POST
    def view(request, ticket_id):
        return _act(request, ticket_id, lambda post: fn(request.user, ticket_id, post, request), done)
    return view


assign = _action(lambda u, i, p, r: actions.assign(u, i, assignee=p.get("assignee") or None, team=p.get("team") or None,
                                                   lock_version=p.get("lock_version")), "Ticket asignado.")
reply = _action(lambda u, i, p, r: actions.reply(u, i, p.get("body"), internal=p.get("internal"), minutes=p.get("minutes"),
                                                 files=r.FILES.getlist("file")), "Mensaje registrado.")
wait = _action(lambda u, i, p, r: actions.wait(u, i, p.get("on"), p.get("reason"), lock_version=p.get("lock_version")),
               "Ticket en espera: el plazo del SLA se detuvo.")
resume = _action(lambda u, i, p, r: actions.resume(u, i, lock_version=p.get("lock_version")), "Ticket reanudado.")
resolve = _action(lambda u, i, p, r: actions.resolve(u, i, p.get("solution"), lock_version=p.get("lock_version")),
                  "Ticket resuelto.")
close = _action(lambda u, i, p, r: actions.close(u, i, lock_version=p.get("lock_version")), "Ticket cerrado.")
reopen = _action(lambda u, i, p, r: actions.reopen(u, i, p.get("reason"), lock_version=p.get("lock_version")),
                 "Ticket reabierto.")
return_ticket = _action(lambda u, i, p, r: actions.return_ticket(u, i, p.get("reason"), lock_version=p.get("lock_version")),
                        "Ticket devuelto al solicitante.")
cancel = _action(lambda u, i, p, r: actions.cancel(u, i, p.get("reason"), lock_version=p.get("lock_version")),
                 "Ticket cancelado.")
validate = _action(lambda u, i, p, r: actions.validate(u, i, lock_version=p.get("lock_version")), "Ticket validado.")
categorise = _action(lambda u, i, p, r: actions.categorise(u, i, p.get("category"), lock_version=p.get("lock_version")),
                     "Categoría cambiada.")
prioritise = _action(lambda u, i, p, r: actions.prioritise(u, i, p.get("impact"), p.get("urgency"),
                                                           lock_version=p.get("lock_version")), "Prioridad cambiada.")
merge = _action(lambda u, i, p, r: actions.merge(u, i, p.get("into"), lock_version=p.get("lock_version")),
                "Ticket fusionado.")
link = _action(lambda u, i, p, r: actions.link(u, i, p.get("other")), "Tickets relacionados.")
rate = _action(lambda u, i, p, r: actions.rate(u, i, p.get("rating"), p.get("comment")), "Gracias por calificar la atención.")


@login_required
@require_GET
def download(request, ticket_attachment_id):
    try:
        attachment = actions.attachment_for(request.user, ticket_attachment_id)
    except workflow.NotFound:
        raise Http404("No existe el adjunto") from None
    handle = attachment.file.open("rb")
    actions.downloaded(request, attachment)
    return FileResponse(handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type)
