"""The registers in the JSON API: the same access rules, queries and changes as the pages.

GET  /api/registers                      the registers the caller may read, with their columns
GET  /api/registers/{slug}?q=&state=&person=&<field>=&<field>__desde=&<field>__hasta=&page=
POST /api/registers/{slug}               {"data": {...}, "state": "..."}: a new entry (create)
GET  /api/registers/{slug}/{id}          an entry with its history
POST /api/registers/{slug}/{id}          {"action": "update"|"close"|"return", "data": {...}, "state": "...", "note": "..."}
"""
from __future__ import annotations

from django.db import transaction
from django.http import JsonResponse

from api.views import _body, api_view
from cases import access, workflow
from cases.search import parse_page
from cases.effects import Refused

from . import actions, catalog, search
from .views import history, linked_cases, record_personal_read

CHANGES = ("update", "close", "return")


def _field_json(f) -> dict:
    return {"key": f.key, "label": f.label, "type": f.type, "required": f.required,
            "personal": access.is_personal(f), "options": list(f.options)}


def register_json(user, r) -> dict:
    counted, exact = search.open_count(r)
    return {
        "slug": r.slug, "name": r.name, "description": r.description, "formato": r.formato,
        "procedures": list(r.procedures), "key": list(r.key), "person": r.person or None,
        "fields": [_field_json(f) for f in r.fields],
        "states": [{"key": s.key, "label": s.label, "closed": s.closed} for s in r.states],
        "open_entries": counted, "open_entries_exact": exact,
        "writable": access.may_write_register(user, r),
        "personal_data": access.sees_register_personal_data(user, r),
    }


def entry_json(user, r, entry, personal: bool) -> dict:
    return {
        "id": entry.pk, "register": r.slug, "key": entry.key, "title": entry.title,
        "state": entry.state, "state_label": r.state_label(entry.state), "closed": entry.closed,
        "data": {f.key: search.shown_value(r, f, entry.data.get(f.key), personal) if access.is_personal(f)
                 else entry.data.get(f.key) for f in r.fields if entry.data.get(f.key) not in (None, "", [])},
        "version": entry.version, "created_at": entry.created_at.isoformat(), "updated_at": entry.updated_at.isoformat(),
    }


def _bad_filter(exc: search.BadFilter):
    return workflow.Invalid(exc.detail, {exc.param: exc.detail})


def _refused(refused: Refused):
    return workflow.Invalid(refused.message, {refused.field: refused.message})


def _writer(user, r):
    if not access.may_write_register(user, r):
        raise workflow.Forbidden(f"No puede modificar el registro «{r.name}».")


def _data(body) -> dict:
    data = body.get("data") or {}
    if not isinstance(data, dict):
        raise workflow.Invalid("«data» debe ser un objeto con los valores de los campos.", {"data": "debe ser un objeto"})
    return data


def _text(body, name) -> str:
    value = body.get(name) or ""
    if not isinstance(value, str):
        raise workflow.Invalid(f"«{name}» debe ser texto.", {name: "debe ser texto"})
    return value


@api_view("GET")
def register_list(request):
    return JsonResponse([register_json(request.user, r) for r in access.readable_registers(request.user)], safe=False)


@api_view("GET", "POST")
def register_entries(request, register):
    r = access.register_for(request.user, register)
    if request.method == "POST":
        return _create(request, r)
    try:
        filters = search.parse_filters(r, request.GET, request.user)
        page = parse_page(request.GET.get("page"))
    except search.BadFilter as exc:
        raise _bad_filter(exc) from None
    personal = access.sees_register_personal_data(request.user, r)
    entries, counted, exact = search.found(r, filters)
    start = (page - 1) * search.PAGE_SIZE
    rows = list(entries[start:start + search.PAGE_SIZE + 1])
    return JsonResponse({
        "register": r.slug, "count": counted, "count_exact": exact, "page": page, "page_size": search.PAGE_SIZE,
        "next": page + 1 if len(rows) > search.PAGE_SIZE else None, "previous": page - 1 if page > 1 else None,
        "results": [entry_json(request.user, r, e, personal) for e in rows[:search.PAGE_SIZE]],
    })


def _create(request, r):
    _writer(request.user, r)
    body = _body(request)
    data = dict(_data(body))
    key = {k: data.pop(k, None) for k in r.key}
    try:
        with transaction.atomic():
            entry = actions.prepare(r, "create", key, data, state=_text(body, "state")).write(
                user=request.user, note=_text(body, "note")[:300])
    except Refused as refused:
        raise _refused(refused) from None
    personal = access.sees_register_personal_data(request.user, r)
    return JsonResponse(entry_json(request.user, r, entry, personal), status=201)


@api_view("GET", "POST")
def entry_detail(request, register, entry_id):
    r, entry = access.register_entry_for(request.user, register, entry_id)
    if request.method == "POST":
        entry = _change(request, r, entry)
    personal = access.sees_register_personal_data(request.user, r)
    versions = history(request.user, r, entry)
    if request.method == "GET":
        record_personal_read(request, r, entry)
    labels = {f.key: f for f in r.fields}

    def shown(k, value):
        if k == "estado" or k not in labels:
            return value
        return search.shown_value(r, labels[k], value, personal) if access.is_personal(labels[k]) else value

    return JsonResponse({
        **entry_json(request.user, r, entry, personal),
        "history": [{
            "version": v.n, "action": v.action, "action_label": v.label, "state": v.state,
            "user": v.user.username if v.user_id else None, "created_at": v.created_at.isoformat(),
            "changes": {k: [shown(k, before), shown(k, after)] for k, (before, after) in (v.changes or {}).items()},
            "case": v.visible_case.pk if v.visible_case else None,
            "case_number": v.visible_case.number if v.visible_case else None,
            "activity": v.activity if v.visible_case else None, "note": v.note,
        } for v in versions],
        "cases": [{"id": c.pk, "number": c.number, "status": c.status} for c in linked_cases(request.user, versions, entry)],
    })


def _change(request, r, entry):
    _writer(request.user, r)
    body = _body(request)
    action = _text(body, "action") or "update"
    if action not in CHANGES:
        raise workflow.Invalid(f"«action» debe ser una de: {', '.join(CHANGES)}.", {"action": "desconocida"})
    if entry.closed:
        raise workflow.Conflict("La entrada está dada de baja: su historia no se modifica.")
    version = body.get("version")
    if version is not None and version != entry.version:
        raise workflow.Conflict(f"La entrada cambió (versión {entry.version}); vuelva a leerla antes de cambiarla.")
    data = _data(body)
    for k in r.key:
        if k in data and catalog.fold(data[k]) != catalog.fold(entry.data.get(k)):
            raise workflow.Invalid(f"«{r.field(k).label}» es la clave: no se cambia. Dé de baja la entrada y "
                                   f"registre otra.", {k: "la clave no se cambia"})
    data = {k: v for k, v in data.items() if k not in r.key}
    state = _text(body, "state")
    if state and r.state(state) is not None and r.state(state).closed != (action == "close"):
        raise workflow.Invalid(f"El estado «{r.state_label(state)}» no corresponde a la acción «{action}».",
                               {"state": "no corresponde a la acción"})
    try:
        with transaction.atomic():
            # A field sent empty ("" or null) is emptied.
            return actions.prepare(r, action, {}, data if action == "update" else {}, state=state,
                                   entry=entry, clear=action == "update").write(user=request.user, note=_text(body, "note")[:300])
    except Refused as refused:
        raise _refused(refused) from None
