"""The registers' pages. Thin: who may see what is cases.access's, queries are registers.search's,
changes go through registers.actions, files through registers.io."""
from __future__ import annotations

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

import audit
from cases import access, procedures, workflow
from cases.effects import Refused
from cases.models import Case, Event

from . import actions, io, search
from .models import Version

IMPORT_SALT = "registers.import"
DNI = re.compile(r"^\d{8}$")


def _register_or_404(user, slug):
    try:
        return access.register_for(user, slug)
    except workflow.NotFound:
        raise Http404("No existe el registro") from None


def _entry_or_404(user, slug, entry_id):
    try:
        return access.register_entry_for(user, slug, entry_id)
    except workflow.NotFound:
        raise Http404("No existe la entrada") from None


def _writer_or_404(user, register):
    if not access.may_write_register(user, register):
        # A reader who may not write sees no form: as for any page that is not theirs.
        raise Http404("No existe esa página")


def _form_data(request, fields) -> dict:
    from web.views import _form_data as read

    return read(request, fields)


@login_required
@require_GET
def register_list(request):
    dni = (request.GET.get("dni") or "").strip()
    if dni and DNI.match(dni) and access.person_registers(request.user):
        return redirect("register-person", dni=dni)
    rows = []
    for r in access.readable_registers(request.user):
        counted = search.open_count(r)
        rows.append({"register": r, "count": counted[0], "exact": counted[1],
                     "writes": access.may_write_register(request.user, r)})
    return render(request, "registers/registers.html", {
        "rows": rows, "person_pages": bool(access.person_registers(request.user)),
    })


@login_required
@require_GET
def entry_list(request, register):
    r = _register_or_404(request.user, register)
    filters = search.parse_filters(r, request.GET, request.user, strict=False)
    personal = access.sees_register_personal_data(request.user, r)
    page = search.pages(r, filters).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.cells = search.row(r, entry, personal)
        entry.state_label = r.state_label(entry.state)
    columns = []
    for f in r.fields:
        start, end = filters.range(f.key)
        columns.append({"field": f, "value": filters.value(f.key), "start": start, "end": end,
                        "date": f.type in ("date", "datetime"),
                        "filterable": personal or not access.is_personal(f),
                        "options": f.options if f.type in ("choice", "multichoice") else ()})
    query = urlencode(filters.params())
    return render(request, "registers/entries.html", {
        "register": r, "page": page, "count_exact": page.paginator.exact, "filters": filters,
        "errors": filters.errors, "columns": columns, "query": query, "personal": personal,
        "writes": access.may_write_register(request.user, r), "all_states": search.ALL_STATES,
        "export_limit": io.EXPORT_LIMIT,
    })


@login_required
@require_GET
def entry_export(request, register, fmt):
    r = _register_or_404(request.user, register)
    try:
        filters = search.parse_filters(r, request.GET, request.user)
    except search.BadFilter as exc:
        return HttpResponse(exc.detail, status=422, content_type="text/plain; charset=utf-8")
    result = io.export(request.user, r, filters, fmt)
    response = HttpResponse(result.content, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response


def _labels(r) -> dict:
    return {**{f.key: f.label for f in r.fields}, "estado": "Estado"}


def _shown(r, key, value, personal):
    if key == "estado":
        return r.state_label(value) if value else ""
    f = r.field(key)
    return search.shown_value(r, f, value, personal) if f else value


def history(user, r, entry) -> list:
    """The entry's versions, newest first: date, who, what, before -> after (masked as the user
    sees them), the case (only if the user may see it) and the activity."""
    personal = access.sees_register_personal_data(user, r)
    labels = _labels(r)
    versions = list(Version.objects.filter(entry=entry).select_related("user", "case").order_by("-n"))
    seen_cases: dict[int, bool] = {}
    for v in versions:
        v.label = actions.ACTION_LABELS.get(v.action, v.action)
        v.rows = [(labels.get(k, k), _shown(r, k, before, personal), _shown(r, k, after, personal))
                  for k, (before, after) in (v.changes or {}).items()]
        v.visible_case = None
        v.activity_name = ""
        if v.case_id:
            if v.case_id not in seen_cases:
                seen_cases[v.case_id] = access.may_view(user, v.case)
            if seen_cases[v.case_id]:
                v.visible_case = v.case
                v.activity_name = _activity_name(v.case, v.activity)
    return versions


def _activity_name(case, n) -> str:
    if not n:
        return ""
    try:
        sheet = procedures.sheet(case.procedure, case.version)
    except Exception:   # a sheet version no longer loadable: the number alone
        return ""
    return sheet.activity(n).name if sheet.has_activity(n) else ""


def linked_cases(user, versions, entry) -> list:
    found, ids = [], set()
    for v in versions:
        if v.visible_case is not None and v.visible_case.pk not in ids:
            ids.add(v.visible_case.pk)
            found.append(v.visible_case)
    if entry.case_id and entry.case_id not in ids:
        case = Case.objects.filter(pk=entry.case_id).first()
        if case is not None and access.may_view(user, case):
            found.append(case)
    return found


def personal_values(r, entry) -> list[str]:
    return [f.key for f in r.fields if access.is_personal(f) and entry.data.get(f.key) not in (None, "", [])]


def record_personal_read(request, r, entry) -> None:
    """An audit entry when a page or response shows an entry's personal values unmasked."""
    keys = personal_values(r, entry)
    if keys and access.sees_register_personal_data(request.user, r):
        audit.record("personal_data.read", actor=request.user, obj=entry, request=request,
                     label=f"{r.name}: {entry.title or entry.key}"[:200],
                     after={"register": r.slug, "fields": keys})


@login_required
@require_GET
def entry_detail(request, register, entry_id):
    r, entry = _entry_or_404(request.user, register, entry_id)
    personal = access.sees_register_personal_data(request.user, r)
    versions = history(request.user, r, entry)
    record_personal_read(request, r, entry)
    values = [(f, search.shown_value(r, f, entry.data.get(f.key), personal)) for f in r.fields]
    writes = access.may_write_register(request.user, r)
    return render(request, "registers/entry.html", {
        "register": r, "entry": entry, "values": values, "versions": versions,
        "cases": linked_cases(request.user, versions, entry), "writes": writes and not entry.closed,
        "may_return": writes and not entry.closed and bool(r.assigned and r.returned) and entry.state == r.assigned,
        "closed_states": [s for s in r.states if s.closed], "state_label": r.state_label(entry.state),
        "person_page": bool(r.person and entry.person and personal and access.person_registers(request.user)),
    })


def _form_page(request, r, entry, values, errors, status=200):
    editable = [f for f in r.fields if entry is None or f.key not in r.key]
    return render(request, "registers/entry_form.html", {
        "register": r, "entry": entry, "fields": editable, "values": values, "errors": errors,
        "keys": [(r.field(k), entry.data.get(k)) for k in r.key] if entry else [],
        "states": [s for s in r.states if not s.closed],
        "state": values.get("__state") or (entry.state if entry else r.initial),
    }, status=status)


def _write(request, r, action, key, values, *, state="", entry=None, note=""):
    """One change by hand, in one transaction: (entry, None) or (None, {field: message})."""
    try:
        with transaction.atomic():
            # Editing an entry by hand: a field left empty is emptied.
            prepared = actions.prepare(r, action, key, values, state=state, entry=entry, clear=action == "update")
            return prepared.write(user=request.user, note=note), None
    except Refused as refused:
        return None, {refused.field: refused.message}


@login_required
def entry_new(request, register):
    r = _register_or_404(request.user, register)
    _writer_or_404(request.user, r)
    if request.method != "POST":
        return _form_page(request, r, None, {}, {})
    data = _form_data(request, r.fields)
    state = request.POST.get("state", "")
    key = {k: data.pop(k, "") for k in r.key}
    entry, errors = _write(request, r, "create", key, data, state=state)
    if errors:
        messages.error(request, next(iter(errors.values())))
        return _form_page(request, r, None, {**data, **key, "__state": state}, errors, status=422)
    messages.success(request, f"Entrada «{entry.title or entry.key}» registrada.")
    return redirect("register-entry", register=r.slug, entry_id=entry.pk)


@login_required
def entry_edit(request, register, entry_id):
    r, entry = _entry_or_404(request.user, register, entry_id)
    _writer_or_404(request.user, r)
    if entry.closed:
        messages.error(request, "La entrada está dada de baja: su historia no se modifica.")
        return redirect("register-entry", register=r.slug, entry_id=entry.pk)
    if request.method != "POST":
        return _form_page(request, r, entry, dict(entry.data), {})
    data = {k: v for k, v in _form_data(request, r.fields).items() if k not in r.key}
    state = request.POST.get("state", "")
    if str(entry.version) != request.POST.get("version", ""):
        messages.error(request, "Otra persona cambió esta entrada mientras la editaba; revise sus valores actuales "
                                "y vuelva a guardar.")
        entry.refresh_from_db()
        return _form_page(request, r, entry, {**data, "__state": state}, {}, status=409)
    if state and (r.state(state) is None or r.state(state).closed):
        state = ""
    written, errors = _write(request, r, "update", {}, data, state=state, entry=entry)
    if errors:
        messages.error(request, next(iter(errors.values())))
        return _form_page(request, r, entry, {**data, "__state": state}, errors, status=422)
    messages.success(request, "Entrada actualizada.")
    return redirect("register-entry", register=r.slug, entry_id=written.pk)


@login_required
@require_POST
def entry_change(request, register, entry_id, action):
    """Close (baja) or return (devolución) an entry from its page."""
    r, entry = _entry_or_404(request.user, register, entry_id)
    _writer_or_404(request.user, r)
    state = request.POST.get("state", "") if action == "close" else ""
    if state and (r.state(state) is None or not r.state(state).closed):
        state = ""
    written, errors = _write(request, r, action, {}, {}, state=state, entry=entry,
                             note=" ".join(request.POST.get("note", "").split())[:300])
    if errors:
        messages.error(request, next(iter(errors.values())))
    else:
        messages.success(request, "Baja registrada." if action == "close" else "Devolución registrada.")
    return redirect("register-entry", register=r.slug, entry_id=entry.pk)


@login_required
def entry_import(request, register):
    r = _register_or_404(request.user, register)
    _writer_or_404(request.user, r)
    context = {"register": r, "checked": None, "error": "", "token": "", "limit": io.IMPORT_LIMIT,
               "headers": [f.label for f in r.fields]}
    if request.method != "POST":
        return render(request, "registers/import.html", context)
    if request.POST.get("token"):
        # The confirmed preview: the rows as they were checked, applied (re-checked) in one transaction.
        try:
            saved = signing.loads(request.POST["token"], salt=f"{IMPORT_SALT}:{r.slug}:{request.user.pk}",
                                  max_age=3600)
        except signing.BadSignature:
            context["error"] = "La vista previa caducó o no es válida; vuelva a subir el archivo."
            return render(request, "registers/import.html", context, status=422)
        checked = io.Checked(r, [], rows=[tuple(row) for row in saved["rows"]], created=saved["created"],
                             updated=saved["updated"])
        try:
            written = io.apply(request.user, r, checked, filename=saved["file"], request=request)
        except Refused as refused:
            context["error"] = f"No se cargó nada: {refused.message}"
            return render(request, "registers/import.html", context, status=422)
        messages.success(request, f"Carga aplicada: {checked.created} alta{'s' if checked.created != 1 else ''} y "
                                  f"{checked.updated} actualizaci{'ones' if checked.updated != 1 else 'ón'} "
                                  f"({len(written)} filas).")
        return redirect("register-entries", register=r.slug)
    upload = request.FILES.get("file")
    if upload is None:
        context["error"] = "Elija el archivo XLSX o CSV que desea cargar."
        return render(request, "registers/import.html", context, status=422)
    try:
        checked = io.check(r, io.read_table(upload.name, upload.read()))
    except io.BadFile as exc:
        context["error"] = str(exc)
        return render(request, "registers/import.html", context, status=422)
    context["checked"] = checked
    if checked.ok:
        context["token"] = signing.dumps({"rows": checked.rows, "created": checked.created, "updated": checked.updated,
                                          "file": upload.name[:200]},
                                         salt=f"{IMPORT_SALT}:{r.slug}:{request.user.pk}", compress=True)
    return render(request, "registers/import.html", context, status=200 if checked.ok else 422)


# --- a person's page --------------------------------------------------------------------------
def dni_fields() -> dict[str, set[str]]:
    """procedure code -> keys of its sheets' DNI fields (the current sheets)."""
    found: dict[str, set[str]] = {}
    for code, s in procedures.sheets().items():
        for a in s.activities:
            for f in a.form:
                if f.type == "dni":
                    found.setdefault(code, set()).add(f.key)
    return found


def open_cases_of(user, dni: str) -> list:
    """The open cases the user may see, with personal data unmasked, whose forms recorded this DNI."""
    from django.db.models import Q

    keys = sorted({k for ks in dni_fields().values() for k in ks})
    if not keys:
        return []
    cases = access.visible_cases(user).filter(status=Case.Status.OPEN)
    if not access.leads(user):
        cases = cases.filter(Q(procedure__in=sorted(access.staff_procedures(user))) | Q(started_by=user))
    mention = Q()
    for k in keys:
        mention |= Q(**{f"data__{k}": dni})
    ids = Event.objects.filter(mention, case__in=cases.values("pk")).values("case_id")
    return list(Case.objects.filter(pk__in=ids).order_by("-created_at"))


# What the account removal (S04.03.01.02) asks of each open entry: revoke it, or have it returned.
def checklist_action(r, entry) -> str:
    if r.assigned and r.returned and entry.state == r.assigned:
        return "Devolver"
    return "Revocar o dar de baja"


@login_required
@require_GET
def person(request, dni):
    if not DNI.match(dni or "") or not access.person_registers(request.user):
        raise Http404("No existe esa página")
    found = search.search_by_person(request.user, dni)
    removal = request.GET.get("para") == "baja"
    groups = []
    for r, entries in found.items():
        personal = access.sees_register_personal_data(request.user, r)
        for e in entries:
            e.title_text = e.title or e.key
            e.state_text = r.state_label(e.state)
            e.todo = checklist_action(r, e) if not e.closed else ""
            e.cells = [(f.label, search.shown_value(r, f, e.data.get(f.key), personal)) for f in r.fields
                       if f.key != r.person and e.data.get(f.key) not in (None, "", [])]
        groups.append({"register": r, "entries": entries,
                       "open": [e for e in entries if not e.closed]})
    cases = open_cases_of(request.user, dni)
    audit.record("personal_data.read", actor=request.user, object_type="person", object_id=dni, request=request,
                 label="Página de una persona", after={"dni": dni, "registers": [g["register"].slug for g in groups],
                                                       "cases": [c.number for c in cases]},
                 personal=["after.dni"])
    return render(request, "registers/person.html", {
        "dni": dni, "groups": groups, "cases": cases, "removal": removal,
        "pending": sum(len(g["open"]) for g in groups),
    })


def reconcile_page(request, register):
    """/registros/<register>/conciliar: registers.reconcile's page, its parameter named as the other register URLs'."""
    from .reconcile import page

    return page(request, register)
