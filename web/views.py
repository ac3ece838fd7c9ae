"""Server-rendered pages. Thin: rules live in cases.workflow; this only reads forms and renders."""
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

import audit
from cases import access, export, procedures, search, workflow
from cases.models import Case, Task
from engine.diagram import render_svg
from org.models import Unit, role_slugs

from . import casefile


def _sheet_or_404(code):
    try:
        return procedures.sheet(code)
    except procedures.UnknownProcedure:
        raise Http404("No existe el procedimiento") from None


def _form_data(request, fields) -> dict:
    data = {}
    for f in fields:
        if f.type == "multichoice":
            values = request.POST.getlist(f.key)
            if values:
                data[f.key] = values
        elif f.type == "boolean":
            data[f.key] = f.key in request.POST
        elif f.key in request.POST:
            data[f.key] = request.POST[f.key]
    return data


def _history(case, user):
    """The case's events with each recorded field under its label, as the sheet names it;
    personal data masked for those who do not handle the case."""
    sheet = procedures.sheet(case.procedure, case.version)
    personal = access.sees_personal_data(user, case)
    events = list(case.events.select_related("user"))
    for event in events:
        fields = sheet.activity(event.activity).form if event.activity and sheet.has_activity(event.activity) else ()
        labels = {f.key: f.label for f in fields}
        data = event.data or {}
        if not personal:
            data = access.mask_data(data, fields)
        event.rows = [(labels.get(key, key), value) for key, value in data.items()]
    return events


def _diagram(case_or_sheet, current=(), done=()):
    if isinstance(case_or_sheet, Case):
        engine = procedures.engine(case_or_sheet.procedure, case_or_sheet.version)
    else:
        engine = procedures.engine(case_or_sheet.code, case_or_sheet.version)
    return render_svg(engine.graph, set(current), set(done))


@login_required
def inbox(request):
    scope = request.GET.get("scope", "mine")
    if scope not in ("mine", "available"):
        scope = "mine"
    procedure = request.GET.get("procedure") or None
    q = " ".join(request.GET.get("q", "").split())[:search.MAX_QUERY_LENGTH]
    tasks = workflow.inbox(request.user, scope, procedure, q=q)
    page = Paginator(tasks, 50).get_page(request.GET.get("page"))
    context = {
        "scope": scope,
        "procedure": procedure,
        "q": q,
        # The filters, for the pager's links and the tabs.
        "query": urlencode({k: v for k, v in (("scope", scope), ("procedure", procedure), ("q", q)) if v}),
        "filters_only": urlencode({k: v for k, v in (("procedure", procedure), ("q", q)) if v}),
        "page": page,
        "sheets": procedures.sheets().values(),
        "counts": {
            "mine": workflow.inbox(request.user, "mine").count(),
            "available": workflow.inbox(request.user, "available").count(),
        },
    }
    template = "web/_inbox_table.html" if request.headers.get("HX-Request") else "web/inbox.html"
    return render(request, template, context)


@login_required
def catalogue(request):
    """The procedures grouped by their process code ("S04.03.01"), named once, in code order.
    A sheet whose `process` lacks the code is placed by its own code (S04.03.01.02 -> S04.03.01)."""
    import re

    mine = role_slugs(request.user)
    groups = {}
    for s in sorted(procedures.sheets().values(), key=lambda s: s.code):
        found = re.match(r"^(S\d+(?:\.\d+)+)\s*(.*)$", s.process)
        if found:
            code, name = found.group(1), found.group(2).strip()
        else:
            parts = s.code.split(".")
            code = ".".join(parts[:3] if len(parts) > 3 and parts[2] != "00" else parts[:2])
            name = s.process
        group = groups.setdefault(code, {"code": code, "name": name, "items": []})
        group["name"] = group["name"] or name
        group["items"].append((s, procedures.can_start(mine, s)))
    ordered = [groups[code] for code in sorted(groups, key=lambda c: [int(p) if p.isdigit() else p for p in c.split(".")])]
    return render(request, "web/catalogue.html", {"groups": ordered})


def _procedure_page(request, s, chosen=None, values=None, errors=None, status=200):
    organization = procedures.organization()
    mine = role_slugs(request.user)
    starts = []
    for key, label, n in s.entry_points:
        activity = s.activity(n)
        form = casefile.start_form(request.user, s, key)
        starts.append({
            "key": key, "label": label, "activity": activity, "form": form,
            "asks_subject": not (form and any(f.subject for f in form.form)),
            "allowed": procedures.can_start(mine, s, key if len(s.entry_points) > 1 else None),
            "chosen": key == chosen,
        })
    if chosen is None:
        first_allowed = next((start for start in starts if start["allowed"]), None)
        if first_allowed:
            first_allowed["chosen"] = True
    roles = {r.slug: r.name for r in organization.roles}
    units = {u.slug: u.acronym for u in organization.units}
    starters = sorted({roles[r] for start in starts for r in start["activity"].roles})
    return render(request, "web/procedure.html", {
        "sheet": s, "starts": starts, "roles": roles, "units": units, "starters": starters,
        "may_start": any(start["allowed"] for start in starts),
        "sets_priority": workflow.sets_priority(request.user), "priorities": Case.Priority.choices,
        "values": values or {}, "errors": errors or {},
        "routes": {a.n: s.routes(a.n) for a in s.activities},
        "diagram": _diagram(s),
    }, status=status)


@login_required
def procedure_detail(request, code):
    return _procedure_page(request, _sheet_or_404(code))


@login_required
def procedure_bpmn(request, code):
    s = _sheet_or_404(code)
    response = HttpResponse(procedures.engine(s.code, s.version).bpmn_xml, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{s.code}.bpmn"'
    return response


@login_required
@require_POST
def case_start(request, code):
    s = _sheet_or_404(code)
    start_key = request.POST.get("start") or None
    chosen = start_key or s.entry_points[0][0]
    form = casefile.start_form(request.user, s, chosen) if chosen in {k for k, _, _ in s.entry_points} else None
    data = _form_data(request, form.form) if form is not None else None
    values = dict(data or {}, subject=request.POST.get("subject", ""), priority=request.POST.get("priority", ""))
    try:
        case = casefile.start_case(request, s.code, start_key, data, subject=request.POST.get("subject", ""),
                                   priority=request.POST.get("priority") or None)
    except workflow.Invalid as exc:
        # Nothing was written: the form comes back with what was typed and every error marked.
        messages.error(request, exc.detail)
        return _procedure_page(request, s, chosen, values, exc.errors, status=422)
    except workflow.WorkflowError as exc:
        messages.error(request, exc.detail)
        return _procedure_page(request, s, chosen, values, status=exc.status)
    messages.success(request, f"Caso {case.number} iniciado.")
    mine = case.tasks.filter(status=Task.Status.OPEN, assignee=request.user).first()
    return redirect("task", task_id=mine.pk) if mine else redirect("case", case_id=case.pk)


def _list_filters(request):
    """The case list's filters from the URL: (filters, bad values by parameter, only my requests?)."""
    filters, errors = search.parse_filters(request.GET, strict=False)
    return filters, errors, not request.GET.get("all")


@login_required
def case_list(request):
    """My requests, or (all=1) every case I may see; searched and filtered by the URL's parameters."""
    filters, errors, mine = _list_filters(request)
    cases = search.search(request.user, filters, mine=mine)
    pages = search.Pages(cases, 50, search.count(request.user, filters, mine=mine))   # up to search.COUNT_LIMIT
    page = pages.get_page(request.GET.get("page"))
    mine_query, all_query = urlencode(filters.params()), urlencode({"all": "1", **filters.params()})
    return render(request, "web/cases.html", {
        "page": page, "count_exact": pages.exact, "show_all": not mine, "filters": filters, "errors": errors,
        "query": mine_query if mine else all_query, "mine_query": mine_query, "all_query": all_query,
        "values": request.GET, "statuses": Case.Status.choices, "sheets": procedures.sheets().values(),
        "units": Unit.objects.order_by("acronym"), "export_limit": export.EXPORT_LIMIT,
    })


@login_required
@require_GET
def case_export(request, fmt):
    """The case list as it is filtered, every matching row (up to export.EXPORT_LIMIT), as a file."""
    try:
        filters, _ = search.parse_filters(request.GET)
    except search.BadFilter as exc:
        return HttpResponse(exc.detail, status=422, content_type="text/plain; charset=utf-8")
    result = export.export(request.user, filters, fmt, mine=not request.GET.get("all"))
    response = HttpResponse(result.content, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response


@login_required
def case_detail(request, case_id, casefile_form=None, status=200):
    """`casefile_form` and `status`: a form of the case file (web.casefile) coming back with its errors."""
    case = _case_or_404(request.user, case_id)
    s = procedures.sheet(case.procedure, case.version)
    open_tasks = list(case.tasks.filter(status=Task.Status.OPEN).select_related("assignee"))
    events = _history(case, request.user)
    audit.personal_data_shown(request, case, events)
    done = {e.activity for e in events if e.kind == "completed"}
    return render(request, "web/case.html", {
        "case": case, "sheet": s, "open_tasks": open_tasks, "events": events,
        "may_cancel": case.status == Case.Status.OPEN and access.leads(request.user),
        "diagram": _diagram(case, {t.activity for t in open_tasks}, done),
        **casefile.page_context(request.user, case, casefile_form),
    }, status=status)


def _task_page(request, task, values=None, errors=None, status=200, casefile_form=None):
    view = workflow.describe(task, request.user)
    case = task.case
    events = _history(case, request.user)
    audit.personal_data_shown(request, case, events)
    open_activities = set(case.tasks.filter(status=Task.Status.OPEN).values_list("activity", flat=True))
    organization = procedures.organization()
    candidates = []
    if task.is_open and access.leads(request.user):
        candidates = workflow.reassign_candidates(task)
    return render(request, "web/task.html", {
        "task": task, "view": view, "case": case, "events": events,
        "activity": view.activity,
        "role_names": [organization.role(r).name for r in view.roles],
        "unit": organization.unit(view.activity.unit),
        "values": values or {}, "errors": errors or {},
        "candidates": candidates,
        "diagram": _diagram(case, open_activities, {e.activity for e in events if e.kind == "completed"}),
        **casefile.page_context(request.user, case, casefile_form, view.fields),
    }, status=status)


def _task_or_404(user, task_id):
    try:
        return access.task_for(user, task_id)
    except workflow.NotFound:
        raise Http404("No existe la tarea") from None


def _case_or_404(user, case_id):
    try:
        return access.case_for(user, case_id)
    except workflow.NotFound:
        raise Http404("No existe el caso") from None


@login_required
def task_detail(request, task_id):
    return _task_page(request, _task_or_404(request.user, task_id))


@login_required
@require_POST
def task_complete(request, task_id):
    task = _task_or_404(request.user, task_id)
    view = workflow.describe(task, request.user)
    data = _form_data(request, view.fields)
    try:
        case = workflow.complete_task(task.pk, request.user, data, request.POST.get("decision") or None)
    except workflow.Invalid as exc:
        # Bad input loses nothing: the page comes back with what was typed and each error.
        messages.error(request, exc.detail)
        return _task_page(request, task, values=data, errors=exc.errors, status=422)
    except workflow.WorkflowError as exc:
        messages.error(request, exc.detail)
        task.refresh_from_db()
        return _task_page(request, task, values=data, status=exc.status)
    messages.success(request, f"Actividad {task.activity} atendida.")
    following = next((t for t in case.tasks.filter(status=Task.Status.OPEN).select_related("case", "assignee")
                      if access.may_act(request.user, t)), None)
    if following:
        return redirect("task", task_id=following.pk)
    return redirect("case", case_id=case.pk)


@login_required
@require_POST
def case_cancel(request, case_id):
    try:
        case = workflow.cancel_case(case_id, request.user, request.POST.get("reason", ""))
        messages.success(request, f"Caso {case.number} anulado.")
    except workflow.NotFound:
        raise Http404("No existe el caso") from None
    except workflow.WorkflowError as exc:
        messages.error(request, exc.detail)
    return redirect("case", case_id=case_id)


def _task_action(action):
    @login_required
    @require_POST
    def view(request, task_id):
        try:
            action(request, task_id)
        except workflow.NotFound:
            raise Http404("No existe la tarea") from None
        except workflow.WorkflowError as exc:
            messages.error(request, exc.detail)
        return redirect("task", task_id=task_id)

    return view


def _claim(request, task_id):
    workflow.claim_task(task_id, request.user)
    messages.success(request, "Tomó la tarea; ahora está en «Asignadas a mí».")


def _release(request, task_id):
    workflow.release_task(task_id, request.user)
    messages.success(request, "La tarea volvió a estar disponible para su rol.")


def _reassign(request, task_id):
    task = workflow.reassign_task(task_id, request.user, request.POST.get("assignee", ""))
    messages.success(request, f"Tarea reasignada a {task.assignee.username}.")


task_claim = _task_action(_claim)
task_release = _task_action(_release)
task_reassign = _task_action(_reassign)
