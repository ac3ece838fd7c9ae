"""A register as a file: the export of what its list shows, and the import of an initial load.

Export: the entries of registers.search.search() (the list's filters), one column per field plus
the state and the last change, as CSV or XLSX (cases.export's writers: formulas neutralised, a BOM
for Excel); personal values masked for who does not see them.

Import: an XLSX or CSV whose header row names the register's fields by label or key (accents and
case ignored), and optionally «Estado». Every row is checked with registers.actions.prepare() before
anything is written; one bad row refuses the whole file, each problem named by its row («Fila 7:
«DNI del titular»: ...»). A clean file is applied in one transaction: a new key is an alta
("create"), an existing open entry an update ("update"), each version noted «Carga inicial», plus
one `register.imported` audit entry.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

import audit
from cases import access
from cases.effects import Refused
from cases.export import FORMATS, to_csv, to_xlsx
from engine.registers import Register

from . import actions, catalog, search
from .models import Entry

EXPORT_LIMIT = 10_000
IMPORT_LIMIT = 5_000
IMPORT_NOTE = "Carga inicial"
STATE_HEADERS = ("estado",)
MAX_ERRORS = 50


@dataclass(frozen=True)
class Export:
    content: bytes
    content_type: str
    filename: str
    rows: int
    truncated: bool


def headers(register: Register) -> tuple[str, ...]:
    return (*(f.label for f in register.fields), "Estado", "Última actualización")


def export(user, register: Register, filters: search.Filters, fmt: str, limit: int = EXPORT_LIMIT) -> Export:
    """What the list of `register` shows with `filters`, every matching entry up to `limit`, as `fmt`."""
    if fmt not in FORMATS:
        raise ValueError(f"formato desconocido: {fmt}")
    personal = access.sees_register_personal_data(user, register)
    entries = list(search.found(register, filters)[0][:limit + 1])
    rows = [(*search.row(register, e, personal), register.state_label(e.state),
             timezone.localtime(e.updated_at).replace(tzinfo=None)) for e in entries[:limit]]
    if fmt == "csv":
        content = to_csv(rows, headers(register))
    else:
        widths = tuple(min(40, max(12, len(f.label) + 2)) for f in register.fields) + (16, 18)
        content = to_xlsx(rows, headers(register), title=register.name[:31], widths=widths)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return Export(content, FORMATS[fmt], f"{register.slug}-{stamp}.{fmt}", len(rows), len(entries) > limit)


# --- import -----------------------------------------------------------------------------------
class BadFile(ValueError):
    """A file that cannot be read as a table of the register (no row is looked at)."""


@dataclass
class Checked:
    """The rows of an import, checked: `rows` as (row number, action, key, values, state); `errors`
    in Spanish, each naming its row. Nothing is written while there are errors."""
    register: Register
    columns: list[str]                      # the register field of each column ("" for the state)
    rows: list[tuple] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def read_table(name: str, content: bytes) -> list[list[str]]:
    """The rows of an uploaded XLSX or CSV (the first row is the header), as text."""
    lower = (name or "").lower()
    if lower.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:
            raise BadFile("El archivo no es un libro de Excel (XLSX) válido.") from None
        sheet = book.worksheets[0]
        table = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
        return table
    if lower.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = content.decode("cp1252")
            except UnicodeDecodeError:
                raise BadFile("El archivo CSV no está en UTF-8.") from None
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
        return [[_cell(v) for v in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    raise BadFile("Suba un archivo .xlsx o .csv.")


def _columns(register: Register, header: list[str]) -> list[str]:
    by_name = {}
    for f in register.fields:
        by_name[catalog.fold(f.label)] = f.key
        by_name[catalog.fold(f.key)] = f.key
    columns, unknown = [], []
    for text in header:
        folded = catalog.fold(text)
        if not folded:
            columns.append(None)
        elif folded in STATE_HEADERS:
            columns.append("")
        elif folded in by_name:
            columns.append(by_name[folded])
        else:
            columns.append(None)
            unknown.append(text)
    if unknown:
        names = ", ".join(f"«{t}»" for t in unknown[:10])
        raise BadFile(f"Columnas que no son campos del registro «{register.name}»: {names}. Use como encabezados "
                      f"los nombres o claves de sus campos.")
    seen = [c for c in columns if c is not None]
    repeated = sorted({c for c in seen if seen.count(c) > 1})
    if repeated:
        raise BadFile("Columnas repetidas: " + ", ".join(f"«{register.field(c).label if c else 'Estado'}»"
                                                        for c in repeated) + ".")
    missing = [k for k in register.key if k not in seen]
    if missing:
        raise BadFile("Falta la columna de la clave: " + ", ".join(f"«{register.field(k).label}»" for k in missing) + ".")
    return columns


def _state_key(register: Register, text: str) -> str | None:
    folded = catalog.fold(text)
    return next((s.key for s in register.states if folded in (catalog.fold(s.key), catalog.fold(s.label))), None)


def check(register: Register, table: list[list[str]]) -> Checked:
    """Check every row of an import against the register (no writes)."""
    table = [row for row in table]
    if not table or not any(table[0]):
        raise BadFile("El archivo está vacío: la primera fila debe tener los nombres de las columnas.")
    columns = _columns(register, table[0])
    result = Checked(register, columns)
    body = [(n, row) for n, row in enumerate(table[1:], start=2) if any(c for c in row)]
    if not body:
        raise BadFile("El archivo no tiene filas con datos debajo de los encabezados.")
    if len(body) > IMPORT_LIMIT:
        raise BadFile(f"El archivo tiene {len(body)} filas; se cargan como máximo {IMPORT_LIMIT} por vez.")
    keys_seen: dict[str, int] = {}
    for n, row in body:
        if len(result.errors) >= MAX_ERRORS:
            result.errors.append(f"… y posiblemente más errores: se detuvo la revisión en la fila {n}.")
            break
        values, state = {}, ""
        for column, text in zip(columns, row):
            if column is None:
                continue
            if column == "":
                if text:
                    state = _state_key(register, text) or ""
                    if not state:
                        options = ", ".join(s.label for s in register.states)
                        result.errors.append(f"Fila {n}: «Estado»: «{text[:40]}» no es un estado del registro "
                                             f"(opciones: {options}).")
                        values = None
                        break
                continue
            values[column] = text
        if values is None:
            continue
        key = {k: values.pop(k, "") for k in register.key}
        natural = catalog.natural_key(register, key)
        if natural.strip(" |") and natural in keys_seen:
            label = " / ".join(register.field(k).label for k in register.key)
            result.errors.append(f"Fila {n}: {label} «{' / '.join(key.values())}» ya figura en la fila {keys_seen[natural]}.")
            continue
        keys_seen[natural] = n
        exists = actions.current(register, key) is not None if all(key.values()) else False
        action = "update" if exists else "create"
        try:
            actions.prepare(register, action, key, values, state=state)
        except Refused as refused:
            result.errors.append(f"Fila {n}: {refused.message}")
            continue
        result.rows.append((n, action, key, values, state))
        if exists:
            result.updated += 1
        else:
            result.created += 1
    return result


def apply(user, register: Register, checked: Checked, *, filename: str = "", request=None) -> list[Entry]:
    """Write every row of a clean import in one transaction (re-checked there: nothing is written if
    any row is refused now). Raises Refused naming the row."""
    if checked.errors or not checked.rows:
        raise ValueError("an import with errors is never applied")
    now = timezone.now()
    written = []
    with transaction.atomic():
        prepared = []
        for n, action, key, values, state in checked.rows:
            try:
                prepared.append((n, actions.prepare(register, action, key, values, state=state)))
            except Refused as refused:
                raise Refused(refused.field, f"Fila {n}: {refused.message}") from None
        for n, p in prepared:
            try:
                written.append(p.write(user=user, now=now, note=IMPORT_NOTE))
            except Refused as refused:
                raise Refused(refused.field, f"Fila {n}: {refused.message}") from None
        audit.record("register.imported", actor=user, object_type="register", object_id=register.slug,
                     label=register.name, request=request, created_at=now,
                     after={"register": register.slug, "file": filename[:200], "rows": len(written),
                            "created": checked.created, "updated": checked.updated})
    return written


def load(user, register: Register, name: str, content: bytes, *, request=None) -> tuple[Checked, list[Entry]]:
    """Check a file and, if every row is good, apply it: (checked, entries written)."""
    checked = check(register, read_table(name, content))
    if not checked.ok:
        return checked, []
    return checked, apply(user, register, checked, filename=name, request=request)
