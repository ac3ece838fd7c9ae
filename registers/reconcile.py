"""Reconciling a register with a list from outside (S04.03.01.02's semiannual VPN review).

The office uploads the directory's or HR's export (XLSX or CSV); the list is matched with the
register's open entries by the register's key (e.g. the VPN user) or, when the list has no such
column, by the person's DNI. The result is what must be resolved:

- entries of the register missing from the list: accounts of people who no longer appear (to be
  removed through S04.03.01.02);
- rows of the list missing from the register: accounts that exist outside without being registered;
- how many match.

Nothing is changed: the differences are resolved through the procedures. Reading the list is
recorded in the audit trail.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

import audit
from cases import access
from cases.workflow import NotFound

from . import catalog, io
from .models import Entry

MAX_ROWS = 50_000


@dataclass
class Result:
    register: object
    matched_by: str                                  # the register field the rows were matched on
    column: str                                      # the list's header that gave it
    rows: int = 0
    matched: int = 0
    only_in_register: list[Entry] = field(default_factory=list)
    only_in_list: list[tuple[int, str]] = field(default_factory=list)   # (row number, value)


def _match_column(register, header: list[str]) -> tuple[int, str] | None:
    """The list's column that gives the register's key, else the person's DNI: (index, field)."""
    folded = [catalog.fold(h) for h in header]
    candidates = [register.key[0]] + ([register.person] if register.person else [])
    for key in candidates:
        f = register.field(key)
        for name in (catalog.fold(f.label), catalog.fold(f.key)):
            if name in folded:
                return folded.index(name), key
    return None


def reconcile(register, table: list[list[str]]) -> Result:
    if not table:
        raise io.BadFile("El archivo está vacío.")
    if len(table) - 1 > MAX_ROWS:
        raise io.BadFile(f"El archivo tiene más de {MAX_ROWS:,} filas.".replace(",", " "))
    header, rows = table[0], table[1:]
    found = _match_column(register, header)
    if found is None:
        names = [register.field(register.key[0]).label] + ([register.field(register.person).label] if register.person else [])
        raise io.BadFile("La primera fila debe tener una columna «" + "» o «".join(names) + "».")
    column, key = found
    result = Result(register=register, matched_by=key, column=header[column])
    listed: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        value = catalog.fold(row[column]) if column < len(row) else ""
        if value:
            listed.setdefault(value, number)
    result.rows = len(listed)
    entries = Entry.objects.filter(register=register.slug, closed=False).order_by("title")
    seen = set()
    for entry in entries.iterator():
        value = entry.person if key == register.person else catalog.fold(entry.data.get(key))
        value = catalog.fold(value)
        if value in listed:
            result.matched += 1
            seen.add(value)
        else:
            result.only_in_register.append(entry)
    result.only_in_list = sorted(((n, v) for v, n in listed.items() if v not in seen))
    return result


@login_required
def page(request, slug):
    """/registros/<slug>/conciliar: upload the list, see the differences (the register's writers)."""
    try:
        register = access.register_for(request.user, slug)
    except NotFound:
        raise Http404("No existe el registro.") from None
    if not access.may_write_register(request.user, register):
        raise Http404("No existe el registro.")
    result, error = None, ""
    if request.method == "POST":
        upload = request.FILES.get("archivo")
        if upload is None:
            error = "Elija el archivo con la lista a conciliar (.xlsx o .csv)."
        else:
            try:
                result = reconcile(register, io.read_table(upload.name, upload.read()))
            except io.BadFile as exc:
                error = str(exc)
            else:
                audit.record("register.reconciled", actor=request.user, request=request, object_type="register",
                             object_id=register.slug, label=register.name, after={
                                 "file": upload.name[:200], "rows": result.rows, "matched": result.matched,
                                 "only_in_register": len(result.only_in_register),
                                 "only_in_list": len(result.only_in_list), "matched_by": result.matched_by})
    personal = access.sees_register_personal_data(request.user, register)
    return render(request, "registers/reconcile.html", {
        "register": register, "result": result, "error": error, "personal": personal,
        "masked_list": result is not None and result.matched_by == register.person and not personal,
    }, status=422 if error else 200)
