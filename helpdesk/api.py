"""The help desk's JSON API (under /api/). Thin: every rule lives in helpdesk.actions and
cases.access; authentication, JSON bodies and Spanish errors come from api.views."""
from django.http import JsonResponse

from api.views import _body, api_view
from cases import access
from cases.workflow import Invalid

from . import actions, lists, sla
from .catalog import catalog
from .models import Ticket

API_PAGE_SIZE = 50


def _when(value):
    return value.isoformat() if value else None


def _person(user):
    return {"username": user.username, "name": access.display_name(user)} if user else None


def ticket_summary(ticket: Ticket, now=None) -> dict:
    state = sla.status(ticket, now)
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "subject": ticket.subject,
        "category": ticket.category,
        "type": ticket.type,
        "status": ticket.status,
        "status_label": ticket.get_status_display(),
        "priority": ticket.priority,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "channel": ticket.channel,
        "requester": _person(ticket.requester),
        "requester_unit": ticket.requester_unit.acronym if ticket.requester_unit_id else None,
        "assignee": _person(ticket.assignee) if ticket.assignee_id else None,
        "team": ticket.team or None,
        "case": ticket.case_id,
        "created_at": _when(ticket.created_at),
        "sla": {"respond_by": _when(ticket.respond_by), "resolve_by": _when(ticket.resolve_by),
                "respond": state.respond, "resolve": state.resolve, "paused": state.paused},
        "lock_version": ticket.lock_version,
    }


def ticket_json(ticket: Ticket, user) -> dict:
    data = ticket_summary(ticket)
    data.update({
        "description": ticket.description,
        "case_number": ticket.case.number if ticket.case_id else None,
        "parent": ticket.parent.number if ticket.parent_id else None,
        "links": [t.number for t in ticket.links.all()],
        "return_reason": ticket.return_reason or None,
        "solution": ticket.solution or None,
        "first_response_at": _when(ticket.first_response_at),
        "resolved_at": _when(ticket.resolved_at),
        "closed_at": _when(ticket.closed_at),
        "rating": ticket.rating,
        "rating_comment": ticket.rating_comment or None,
        "conversation": [
            {"id": m.pk, "author": _person(m.author), "body": m.body, "internal": m.internal,
             "minutes": m.minutes_spent, "created_at": _when(m.created_at)}
            for m in actions.messages_for(user, ticket)],
        "attachments": [
            {"id": a.pk, "name": a.name, "size": a.size, "content_type": a.content_type, "key": a.key or None,
             "internal": a.internal, "created_at": _when(a.created_at)}
            for a in actions.attachments_for(user, ticket)],
        "history": [
            {"kind": e.kind, "label": e.get_kind_display(), "actor": e.actor.username if e.actor_id else None,
             "before": e.before, "after": _shown(e, user, ticket), "note": e.note or None, "at": _when(e.created_at)}
            for e in ticket.events.select_related("actor")
            if e.kind != e.Kind.NOTE or access.may_handle_ticket(user, ticket)],
    })
    return data


def _shown(event, user, ticket):
    return event.after


@api_view("GET")
def categories(request):
    return JsonResponse([
        {"slug": c.slug, "name": c.name, "description": c.description, "type": c.type, "procedure": c.procedure,
         "required_attachments": [{"key": a.key, "label": a.label} for a in c.required_attachments]}
        for c in catalog().categories.values()], safe=False)


def _files(request) -> dict:
    files = {}
    for key in request.FILES:
        found = request.FILES.getlist(key)
        files["" if key in ("file", "files") else key] = found
    return files


@api_view("GET", "POST", idempotent=True)
def tickets(request):
    if request.method == "GET":
        scope = request.GET.get("scope", "mine")
        if scope not in lists.SCOPES:
            raise Invalid("«scope» debe ser mine, queue, assigned o team.", {"scope": "desconocido"})
        try:
            page = max(1, int(request.GET.get("page") or 1))
        except ValueError:
            raise Invalid("«page» debe ser un número.", {"page": "inválido"}) from None
        rows = list(lists.tickets(request.user, scope)[(page - 1) * API_PAGE_SIZE:page * API_PAGE_SIZE + 1])
        return JsonResponse({"page": page, "next": page + 1 if len(rows) > API_PAGE_SIZE else None,
                             "results": [ticket_summary(t) for t in rows[:API_PAGE_SIZE]]})
    if request.content_type == "multipart/form-data":
        body, files = request.POST.dict(), _files(request)
    else:
        body, files = _body(request), {}
    ticket = actions.open_ticket(request.user, body.get("category"), body.get("subject"), body.get("description"),
                                 impact=body.get("impact"), urgency=body.get("urgency"), files=files,
                                 channel=body.get("channel"), data=body.get("data") if isinstance(body.get("data"), dict) else None)
    ticket = Ticket.objects.select_related("requester", "assignee", "requester_unit").get(pk=ticket.pk)
    return JsonResponse({"id": ticket.pk, "number": ticket.number, "status": ticket.status, "priority": ticket.priority,
                         "case": ticket.case_id,
                         "sla": {"respond_by": _when(ticket.respond_by), "resolve_by": _when(ticket.resolve_by)}},
                        status=201)


@api_view("GET")
def ticket_detail(request, ticket_id):
    return JsonResponse(ticket_json(access.ticket_for(request.user, ticket_id), request.user))


def _run(request, ticket_id, action):
    body = _body(request)
    lock = body.get("lock_version")
    user = request.user
    if action == "assign":
        actions.assign(user, ticket_id, assignee=body.get("assignee"), team=body.get("team"), lock_version=lock)
    elif action == "reply":
        actions.reply(user, ticket_id, body.get("body"), internal=body.get("internal", False), minutes=body.get("minutes"))
    elif action == "wait":
        actions.wait(user, ticket_id, body.get("on"), body.get("reason"), lock_version=lock)
    elif action == "resume":
        actions.resume(user, ticket_id, lock_version=lock)
    elif action == "resolve":
        actions.resolve(user, ticket_id, body.get("solution"), lock_version=lock)
    elif action == "close":
        actions.close(user, ticket_id, lock_version=lock)
    elif action == "reopen":
        actions.reopen(user, ticket_id, body.get("reason"), lock_version=lock)
    elif action == "return":
        actions.return_ticket(user, ticket_id, body.get("reason"), lock_version=lock)
    elif action == "cancel":
        actions.cancel(user, ticket_id, body.get("reason"), lock_version=lock)
    elif action == "validate":
        actions.validate(user, ticket_id, lock_version=lock)
    elif action == "categorise":
        actions.categorise(user, ticket_id, body.get("category"), lock_version=lock)
    elif action == "prioritise":
        actions.prioritise(user, ticket_id, body.get("impact"), body.get("urgency"), lock_version=lock)
    elif action == "merge":
        actions.merge(user, ticket_id, body.get("into"), lock_version=lock)
    elif action == "link":
        actions.link(user, ticket_id, body.get("other"))
    elif action == "rate":
        actions.rate(user, ticket_id, body.get("rating"), body.get("comment"))
    return JsonResponse(ticket_json(access.ticket_for(user, ticket_id), user))


def _action_view(action):
    @api_view("POST")
    def view(request, ticket_id):
        return _run(request, ticket_id, action)

    view.__name__ = f"ticket_{action}"
    return view


ACTIONS = ("assign", "reply", "wait", "resume", "resolve", "close", "reopen", "return", "cancel", "validate",
           "categorise", "prioritise", "merge", "link", "rate")
action_views = {name: _action_view(name) for name in ACTIONS}
