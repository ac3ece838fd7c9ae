"""Finding register entries: the list, its filters and its free-text search.

Every query starts from one register's entries (`Entry.register = slug`) and narrows them through
the field index (models.FieldValue), never by reading the JSON of the values:

- a column filter `field=value`: the entries with an index row (register, field, fold(value));
- a date column: `field__desde` / `field__hasta`, a range on the index row's ISO date (ISO dates
  compare as text, on both databases);
- free text `q`: each word of registers.catalog.words(q) (at most MAX_WORDS) must be an index row
  under the field "" (every word of every non-personal value); the last word may be the start of a
  longer one. The words are ASCII letters and digits only, so the range [word, word + "z"...] holds
  exactly the words that start with it on both databases, and the (register, field, value) index
  answers it;
- the state: open entries by default, or one state, or all (`state=todos`);
- the person: `person=<DNI>` (the entries of one person, by the entry's own indexed column).

The list is the newest change first (`updated_at`), 50 a page, counted up to COUNT_LIMIT like the
case list. Who may read a register, and whether its personal fields may be filtered, is
cases.access's: this module only narrows.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field
from datetime import date

from django.db import connection
from django.db.models import BooleanField, Exists, Func, OuterRef, QuerySet

from cases import access
from cases.planner import Unindexed
from cases.search import COUNT_LIMIT, BadFilter, Pages, parse_date
from engine.registers import Register

from . import catalog
from .models import Entry, FieldValue

PAGE_SIZE = 50
MAX_WORDS = 6
MAX_VALUE_LENGTH = 200
ALL_STATES = "todos"
RESERVED = ("q", "state", "person", "page", "all")
FROM_SUFFIX, TO_SUFFIX = "__desde", "__hasta"
_WORD_END = "z" * 60      # words are at most 60 letters and digits (catalog.words)


@dataclass(frozen=True)
class Filters:
    """What an entry list is narrowed by (URL parameters: q, state, person, <field>, <field>__desde/__hasta)."""

    q: str = ""
    state: str = ""                                   # "": open entries; ALL_STATES; or a state's key
    person: str = ""                                  # a DNI
    fields: tuple[tuple[str, str], ...] = ()          # (field, value as typed)
    ranges: tuple[tuple[str, str, str], ...] = ()     # (field, from ISO date or "", to ISO date or "")
    errors: dict = dataclass_field(default_factory=dict, compare=False, hash=False)

    def value(self, key: str) -> str:
        return dict(self.fields).get(key, "")

    def range(self, key: str) -> tuple[str, str]:
        found = next((r for r in self.ranges if r[0] == key), None)
        return (found[1], found[2]) if found else ("", "")

    def params(self) -> dict:
        """As URL parameters, empty ones left out."""
        out = {"q": self.q, "state": self.state, "person": self.person, **dict(self.fields)}
        for key, start, end in self.ranges:
            out[key + FROM_SUFFIX], out[key + TO_SUFFIX] = start, end
        return {k: v for k, v in out.items() if v}

    def __bool__(self):
        return bool(self.q or self.state or self.person or self.fields or self.ranges)


def _text(params, name: str) -> str:
    value = " ".join(str(params.get(name) or "").split())
    if len(value) > MAX_VALUE_LENGTH:
        raise BadFilter(name, f"«{name}» admite como máximo {MAX_VALUE_LENGTH} caracteres.")
    return value


def parse_filters(register: Register, params, user, strict: bool = True) -> Filters:
    """The filters of an entry list from URL parameters. strict: the first bad value raises BadFilter
    (the API answers 422); otherwise bad values are left out and listed in `Filters.errors` (the page
    shows them). Unknown parameters are refused when strict: a misspelt column must not silently
    list every entry."""
    errors: dict[str, str] = {}
    personal = not access.sees_register_personal_data(user, register)

    def bad(exc: BadFilter):
        if strict:
            raise exc
        errors[exc.param] = exc.detail

    values: dict = {"q": "", "state": "", "person": "", "fields": [], "ranges": []}
    for name in ("q", "state", "person"):
        try:
            values[name] = _text(params, name)
        except BadFilter as exc:
            bad(exc)
    state = values["state"]
    if state and state != ALL_STATES and register.state(state) is None:
        options = ", ".join(f"{s.key} ({s.label})" for s in register.states)
        bad(BadFilter("state", f"«state» desconocido «{state[:40]}». Opciones: {options}, o «{ALL_STATES}»."))
        values["state"] = ""
    if values["person"]:
        if not register.person or personal:
            bad(BadFilter("person", "Este registro no se puede filtrar por persona."))
            values["person"] = ""
        elif not values["person"].isdigit() or len(values["person"]) != 8:
            bad(BadFilter("person", "«person» debe ser un DNI de 8 dígitos."))
            values["person"] = ""
    for name in params.keys():
        if name in RESERVED:
            continue
        key, start_or_end = name, ""
        for suffix in (FROM_SUFFIX, TO_SUFFIX):
            if name.endswith(suffix):
                key, start_or_end = name[: -len(suffix)], suffix
        f = register.field(key)
        if f is None or (start_or_end and f.type not in ("date", "datetime")):
            if strict:
                raise BadFilter(name, f"«{name[:60]}» no es una columna del registro «{register.name}».")
            continue
        try:
            text = _text(params, name)
        except BadFilter as exc:
            bad(exc)
            continue
        if not text:
            continue
        if personal and access.is_personal(f):
            bad(BadFilter(name, f"No puede filtrar por «{f.label}»: es un dato personal."))
            continue
        if start_or_end:
            try:
                day = parse_date(text, name).isoformat()
            except BadFilter as exc:
                bad(exc)
                continue
            values["ranges"].append((key, start_or_end, day))
        else:
            values["fields"].append((key, text))
    ranges: dict[str, list[str]] = {}
    for key, which, day in values["ranges"]:
        ranges.setdefault(key, ["", ""])[0 if which == FROM_SUFFIX else 1] = day
    for key, (start, end) in list(ranges.items()):
        if start and end and start > end:
            bad(BadFilter(key + FROM_SUFFIX, f"«{register.field(key).label}»: «desde» es posterior a «hasta»."))
            del ranges[key]
    return Filters(q=values["q"], state=values["state"], person=values["person"],
                   fields=tuple(sorted(values["fields"])), ranges=tuple((k, s, e) for k, (s, e) in sorted(ranges.items())),
                   errors=errors)


def _index(register: Register, field: str):
    return FieldValue.objects.filter(register=register.slug, field=field)


class _Probed(Func):
    """PostgreSQL: `(EXISTS (...)) IS TRUE`, which the planner cannot turn into a join: it walks the
    register's newest entries and probes the field index for each (an index-only lookup) until the
    page is full. As a join, it would estimate a common word's matches from statistics that cannot
    know them (the words share one column) and fetch and sort every match. Plain elsewhere."""

    output_field = BooleanField()

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="(%(expressions)s) IS TRUE", **extra)


def _matching(entries: QuerySet, rows: QuerySet, probe: bool) -> QuerySet:
    if probe:
        return entries.filter(_Probed(Exists(rows.filter(entry_id=OuterRef("pk")))))
    return entries.filter(pk__in=rows.values("entry_id"))


def selective(filters: Filters) -> bool:
    """Whether the filters name entries through an index of their own (a person, a column, a word)."""
    return bool(filters.person or filters.fields or filters.ranges or catalog.words(filters.q))


def search(register: Register, filters: Filters, *, by_match: bool = False) -> QuerySet:
    """The register's entries that match every filter, newest change first.

    by_match: the matches are few (count() was exact), so the query should start from them (the
    field index, the person's entries) and sort them, rather than walk the register's newest
    entries testing each. SQLite, which plans without statistics, picks the walk whenever the
    register's own index is usable, even for one match among 65,000 (80 ms instead of 1 ms): the
    register's column is then kept from choosing the index (cases.planner.Unindexed). PostgreSQL
    gets the plain column. Without by_match (many matches) PostgreSQL is made to walk and probe
    (_Probed)."""
    probe = not by_match and connection.vendor == "postgresql"
    if by_match and selective(filters):
        entries = Entry.objects.alias(_register=Unindexed("register")).filter(_register=register.slug)
    else:
        entries = Entry.objects.filter(register=register.slug)
    if filters.state == ALL_STATES:
        pass
    elif filters.state:
        state = register.state(filters.state)
        entries = entries.filter(closed=state.closed, state=state.key)
    else:
        entries = entries.filter(closed=False)
    if filters.person:
        entries = entries.filter(person=filters.person)
    for key, value in filters.fields:
        entries = _matching(entries, _index(register, key).filter(value=catalog.fold(value)), probe)
    for key, start, end in filters.ranges:
        rows = _index(register, key)
        if start:
            rows = rows.filter(value__gte=start)
        if end:
            rows = rows.filter(value__lte=end + "T99")   # a datetime of that day ("2026-11-27T10:30") too
        entries = _matching(entries, rows, probe)
    found = catalog.words(filters.q)[:MAX_WORDS]
    word_rows = []
    for n, word in enumerate(found):
        rows = _index(register, "")
        if n == len(found) - 1:
            rows = rows.filter(value__gte=word, value__lte=word + _WORD_END)
        else:
            rows = rows.filter(value=word)
        word_rows.append(rows)
    if by_match and len(word_rows) > 1:
        # The entries having every word, intersected inside the field index: PostgreSQL misjudges how
        # many entries a common word has and, joining word by word, read every row of each candidate
        # (two words: p95 71 ms at 100,000 entries); one INTERSECT of the words' entry ids reads only them.
        first, *others = [rows.values("entry_id") for rows in word_rows]
        entries = entries.filter(pk__in=first.intersection(*others))
    else:
        for rows in word_rows:
            entries = _matching(entries, rows, probe)
    return entries.order_by("-updated_at", "-id")


def found(register: Register, filters: Filters) -> tuple[QuerySet, int, bool]:
    """(entries newest first, count, exact): what a list, the API and an export show.

    A selective filter's matches are read once, up to COUNT_LIMIT + 1 ids, from their own index
    (search(by_match=True)); when they are that few, the page is those ids sorted, and the words'
    index is not read a second time. Otherwise (many matches, or no selective filter) the page walks
    the register's newest entries, where matches are dense enough to fill it at once."""
    if not selective(filters):
        counted, exact = count(register, filters)
        return search(register, filters), counted, exact
    ids = list(search(register, filters, by_match=True).order_by().values_list("pk", flat=True)[:COUNT_LIMIT + 1])
    if len(ids) > COUNT_LIMIT:
        return search(register, filters), COUNT_LIMIT, False
    return Entry.objects.filter(pk__in=ids).order_by("-updated_at", "-id"), len(ids), True


def count(register: Register, filters: Filters) -> tuple[int, bool]:
    """How many entries search() holds, counted up to COUNT_LIMIT: (count, exact). With a selective
    filter the count starts from its matches (by_match): it stops after COUNT_LIMIT of them instead
    of testing every open entry of the register."""
    found = search(register, filters, by_match=True).order_by().values("pk")[:COUNT_LIMIT + 1].count()
    return min(found, COUNT_LIMIT), found <= COUNT_LIMIT


def open_count(register: Register) -> tuple[int, bool]:
    return count(register, Filters())


def pages(register: Register, filters: Filters) -> Pages:
    """A paginator of PAGE_SIZE entries whose count is count()'s; a page of few matches starts from them."""
    entries, counted, exact = found(register, filters)
    return Pages(entries, PAGE_SIZE, (counted, exact))


# --- showing values ---------------------------------------------------------------------------
def shown_value(register: Register, f, value, personal: bool):
    """A value as a list shows it: personal values masked for who does not see them, lists joined."""
    if value in (None, "", []):
        return ""
    if access.is_personal(f) and not personal:
        return access.MASK
    if isinstance(value, bool):
        return "Sí" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if f.type in ("date", "datetime") and isinstance(value, str):
        return peru_date(value)
    return value


def peru_date(value: str) -> str:
    """An ISO date (or date and time) as written in Peru: 04/03/2026, 04/03/2026 10:30."""
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{day:%d/%m/%Y}" + (f" {value[11:16]}" if len(value) >= 16 else "")


def row(register: Register, entry: Entry, personal: bool) -> list:
    """The cells of an entry in the list: one per field, in the register's order."""
    return [shown_value(register, f, entry.data.get(f.key), personal) for f in register.fields]


def search_by_person(user, dni: str) -> dict:
    """{register: [entries]} of every register naming a person whose personal data the user sees."""
    registers = {r.slug: r for r in access.person_registers(user)}
    found: dict = {}
    if not registers:
        return found
    for entry in Entry.objects.filter(person=dni, register__in=sorted(registers)).order_by("register", "closed",
                                                                                          "-updated_at"):
        found.setdefault(registers[entry.register], []).append(entry)
    return found
