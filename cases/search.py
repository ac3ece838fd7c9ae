"""Finding cases: the search document of each case, the full-text query, and the list filters.

Every list, search and export starts from access.visible_cases(user): this module narrows that
queryset and never decides who may see what.

The search document (models.CaseSearch, one row per case) holds the case's number, subject,
requester (username and full name), requesting unit and, in `body`, the text of the form data of
its completed activities and of its public comments. The database indexes it (migration 0005):

- SQLite: an FTS5 table over the document's columns, tokenizer `unicode61 remove_diacritics 2`
  (accents and case ignored), prefix indexes for 2 and 3 characters, kept in step with
  cases_casesearch by triggers;
- PostgreSQL (migrations 0005, 0007): a generated tsvector column, `mapro_es` (the 'spanish'
  configuration: stems) plus `mapro_simple` (whole words with `unaccent` when the extension could
  be created: accents ignored, prefixes), without positions, and one for the requester's words
  alone; GIN indexes.

What goes in, and when:
- a case starts: its row is written in the same transaction (index_new_case);
- a task is completed: after cases.store has written the completion (the one-statement write is
  left alone), one UPDATE appends that form's text and copies the case's current subject
  (append_completion). Appending commutes, so parallel branches of one case completing at once
  both land; a crash between the two writes leaves the document one form behind until
  reindex_case() or `mapro reindex_search` rebuilds it (the case itself is never affected);
- anything else that changes searchable text (a comment, a new subject) calls reindex_case(id).

Left out on purpose: personal data (DNI, telephone, fields marked `personal`), because people who
see a case with that data masked could otherwise find out a value by searching for it; internal
notes, because the requester must not learn from a hit what the office wrote about them.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields as dataclass_fields
from datetime import date, datetime, time, timedelta

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from org.models import Unit

from . import access, procedures
from .models import Attachment, Case, CaseSearch, Comment, Event
from .planner import Unindexed

# --- the user's text -----------------------------------------------------------------------
_WORD = re.compile(r"[^\W_]+")
MAX_WORDS = 12
MAX_QUERY_LENGTH = 200
FTS_TABLE = "cases_casesearch_fts"   # SQLite only


def words(text: str) -> list[str]:
    """The words of the user's text, lowercased, without punctuation or query syntax: each is
    only letters and digits, so nothing the user types can reach the query language."""
    found = []
    for w in _WORD.findall(unicodedata.normalize("NFC", text or "").lower()):
        if w not in found:
            found.append(w)
    return found[:MAX_WORDS]


def _fold(w: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c))


def _singular_prefix(w: str) -> str:
    """A Spanish plural cut back to a prefix of its singular ("impresoras" -> "impresora",
    "redes" -> "red"), for SQLite, whose tokenizer does not stem; matched as a prefix, this only
    ever widens the search."""
    plain = _fold(w)
    if len(plain) > 4 and plain.endswith("es") and plain[-3] not in "aeiou":
        return w[:-2]
    if len(plain) > 3 and plain.endswith("s"):
        return w[:-1]
    return w


def _fts5_match(terms: list[str], columns: tuple[str, ...] | None) -> str:
    # Words are letters and digits only, so quoting each is a complete escape; a word of two
    # or more letters also matches as a prefix ("impres" finds "impresora").
    parts = " ".join(f'"{t}"*' if len(t) > 1 else f'"{t}"' for t in map(_singular_prefix, terms))
    if columns:
        return "{" + " ".join(columns) + "} : (" + parts + ")"
    return "(" + parts + ")"


def _pg_tsquery(terms: list[str]) -> tuple[str, list]:
    """Every word must match, either by its Spanish stem ("impresoras" finds "impresora") or as
    a whole word or the start of one, accents ignored ("instalacion", "impres")."""
    sql, params = [], []
    for t in terms:
        sql.append("(to_tsquery('mapro_es', %s) || to_tsquery('mapro_simple', %s))")
        params += [t, f"{t}:*" if len(t) > 1 else t]
    return " && ".join(sql), params


def match(text: str = "", *, requester: str = "", index_first: bool = False) -> RawSQL | None:
    """A subquery of the ids of the cases whose document matches every word of `text` (any column)
    and every word of `requester` (the requester column only); None when there is nothing to match.

    index_first (PostgreSQL): the words go in as a scalar subquery the planner cannot see into, so
    it finds the matches through the GIN index first, whatever it guesses about how common they
    are; count() uses it (see there)."""
    terms, people = words(text), words(requester)
    if not terms and not people:
        return None
    if connection.vendor == "postgresql":
        conditions, params = [], []
        for found, column in ((terms, "tsv"), (people, "tsv_requester")):
            if found:
                sql, p = _pg_tsquery(found)
                # For a page the planner sees the words and, from the column's statistics, how
                # common they are: a rare word is looked up in the GIN index first, a common one
                # is tested on the newest cases until the page is full.
                conditions.append(f"{column} @@ (SELECT {sql})" if index_first else f"{column} @@ ({sql})")
                params += p
        return RawSQL(f"SELECT case_id FROM {CaseSearch._meta.db_table} WHERE {' AND '.join(conditions)}", params)
    expression = " AND ".join(_fts5_match(found, columns)
                              for found, columns in ((terms, None), (people, ("requester",))) if found)
    return RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [expression])


# --- the document --------------------------------------------------------------------------
def requester_text(user) -> str:
    if user is None:
        return ""
    full = user.get_full_name()
    return f"{user.username} {full}".strip()[:300]


def unit_text(unit) -> str:
    return f"{unit.acronym} {unit.name}"[:300] if unit is not None else ""


def _value_text(value) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " ".join(_value_text(v) for v in value)
    if isinstance(value, dict):
        return ""
    return " ".join(str(value).split())


def form_text(fields, data: dict) -> str:
    """The searchable text of one completed form: the values of its fields, personal data and
    yes/no answers left out. Only fields the form declares are read."""
    if not data:
        return ""
    parts = []
    for f in fields:
        if f.key in data and not access.is_personal(f) and f.type not in ("boolean", "file"):
            text = _value_text(data[f.key])
            if text:
                parts.append(text)
    return " ".join(parts)


def _event_text(case: Case, event_activity, data) -> str:
    try:
        sheet = procedures.sheet(case.procedure, case.version)
    except Exception:   # a sheet version no longer loadable: index nothing rather than fail
        return ""
    if not event_activity or not sheet.has_activity(event_activity):
        return ""
    return form_text(sheet.activity(event_activity).form, data)


def document(case: Case) -> CaseSearch:
    """The whole search document of a case, read afresh (case.started_by and requester_unit loaded)."""
    events = Event.objects.filter(case=case, kind=Event.Kind.COMPLETED).order_by("created_at", "id")
    body = [_event_text(case, activity, data) for activity, data in events.values_list("activity", "data")]
    body += list(Comment.objects.filter(case=case, internal=False).order_by("created_at", "id").values_list("body", flat=True))
    body += list(Attachment.objects.filter(case=case, internal=False).order_by("created_at", "id").values_list("name", flat=True))
    return CaseSearch(case_id=case.pk, number=case.number, subject=case.subject or "",
                      requester=requester_text(case.started_by), unit=unit_text(case.requester_unit),
                      body="\n".join(t for t in body if t))


def _save(rows: list[CaseSearch]) -> None:
    CaseSearch.objects.bulk_create(rows, update_conflicts=True, unique_fields=["case"],
                                   update_fields=["number", "subject", "requester", "unit", "body"])


def reindex_case(case_id) -> None:
    """Rebuild one case's search document from the case, its completed forms, public comments
    and public attachments. Call it after changing any of these outside cases.workflow."""
    case = Case.objects.select_related("started_by", "requester_unit").defer("state").filter(pk=case_id).first()
    if case is None:
        CaseSearch.objects.filter(case_id=case_id).delete()
        return
    _save([document(case)])


def reindex_all(batch: int = 500, log=None) -> int:
    """Rebuild every case's document (`mapro reindex_search`); returns how many."""
    done = 0
    ids = list(Case.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        cases = Case.objects.select_related("started_by", "requester_unit").defer("state").filter(pk__in=ids[start:start + batch])
        _save([document(c) for c in cases])
        done += len(cases)
        if log:
            log(done)
    return done


def index_new_case(case: Case, user, unit) -> None:
    """A new case's document (nothing completed yet). Called inside start_case's transaction."""
    CaseSearch.objects.create(case_id=case.pk, number=case.number, subject=case.subject or "",
                              requester=requester_text(user), unit=unit_text(unit))


def append_completion(case_id: int, fields, data: dict) -> None:
    """Add a completed form's text to the case's document and copy the case's current subject
    (a form may have set it): one UPDATE, after cases.store wrote the completion."""
    text = form_text(fields, data)
    table, case_t = CaseSearch._meta.db_table, Case._meta.db_table
    subject = f"(SELECT subject FROM {case_t} WHERE id = %s)"
    sql, params = f"UPDATE {table} SET subject = {subject}", [case_id]
    # Updating the row makes the database index the whole document again (on PostgreSQL the
    # generated tsvector is recomputed over all of `body`), so its cost grows with the case's
    # history: 2 ms at 2 KB, 50 ms at 60 KB. A text the document already holds (a form filled the
    # same way on another round of a loop) adds no word to find, and a completion that changes
    # nothing leaves the row alone: a case going round a loop keeps its completions flat.
    contains = "strpos(body, %s) > 0" if connection.vendor == "postgresql" else "instr(body, %s) > 0"
    changes, change_params = [f"subject <> {subject}"], [case_id]
    if text:
        sql += f", body = CASE WHEN body = '' THEN %s WHEN {contains} THEN body ELSE body || %s END"
        params += [text, text, "\n" + text]
        changes.append(f"NOT {contains}")
        change_params.append(text)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} WHERE case_id = %s AND ({' OR '.join(changes)})", params + [case_id] + change_params)
        missing = cursor.rowcount == 0
        if missing:   # unchanged, or no row at all?
            cursor.execute(f"SELECT 1 FROM {table} WHERE case_id = %s", [case_id])
            missing = cursor.fetchone() is None
    if missing:   # a case from before the search index, or loaded in bulk: build it whole
        reindex_case(case_id)


# --- filters -------------------------------------------------------------------------------
class BadFilter(ValueError):
    """A filter value that cannot be used: `param` names it, `detail` says why (in Spanish)."""

    def __init__(self, param: str, detail: str):
        super().__init__(detail)
        self.param, self.detail = param, detail


@dataclass(frozen=True)
class Filters:
    """What a list is narrowed by; URL parameters q, procedure, status, requester, unit, from, to."""

    q: str = ""
    procedure: str = ""
    status: str = ""
    requester: str = ""
    unit: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def kwargs(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclass_fields(self)}

    def params(self) -> dict:
        """As URL parameters, empty ones left out."""
        out = {"q": self.q, "procedure": self.procedure, "status": self.status, "requester": self.requester,
               "unit": self.unit, "from": self.date_from.isoformat() if self.date_from else "",
               "to": self.date_to.isoformat() if self.date_to else ""}
        return {k: v for k, v in out.items() if v}

    def __bool__(self):
        return any(getattr(self, f.name) for f in dataclass_fields(self))


def parse_date(value: str, param: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise BadFilter(param, f"«{param}» debe ser una fecha AAAA-MM-DD o DD/MM/AAAA; se recibió «{value[:40]}».")


def _text(params, name: str) -> str:
    value = " ".join(str(params.get(name) or "").split())
    if len(value) > MAX_QUERY_LENGTH:
        raise BadFilter(name, f"«{name}» admite como máximo {MAX_QUERY_LENGTH} caracteres.")
    return value


def _parse_one(params, name: str):
    if name == "q":
        return _text(params, "q")
    if name == "requester":
        return _text(params, "requester")
    if name == "procedure":
        code = (params.get("procedure") or "").strip()
        if code and code not in procedures.sheets():
            raise BadFilter("procedure", f"«procedure»: no existe el procedimiento «{code[:40]}».")
        return code
    if name == "status":
        status = (params.get("status") or "").strip()
        if status and status not in Case.Status.values:
            options = ", ".join(f"{v} ({label})" for v, label in Case.Status.choices)
            raise BadFilter("status", f"«status» desconocido «{status[:40]}». Opciones: {options}.")
        return status
    if name == "unit":
        unit = (params.get("unit") or "").strip()
        if unit and not _units(unit):
            raise BadFilter("unit", f"«unit»: no existe la unidad «{unit[:40]}» (use su sigla o su código).")
        return unit
    if name in ("from", "to"):
        value = (params.get(name) or "").strip()
        return parse_date(value, name) if value else None
    raise KeyError(name)


_PARAMS = {"q": "q", "procedure": "procedure", "status": "status", "requester": "requester", "unit": "unit",
           "from": "date_from", "to": "date_to"}


def read_filters(params, names: dict[str, str], parse_one, make, strict: bool = True):
    """Filters from URL parameters, for any list: `names` maps each parameter to its attribute,
    `parse_one(params, param)` reads one value or raises BadFilter, `make(**values)` builds the
    filters. strict: the first bad value raises BadFilter (the API answers 422); otherwise bad
    values are left out and returned as {param: message} (the pages show them)."""
    values, errors = {}, {}
    for param, attr in names.items():
        try:
            values[attr] = parse_one(params, param)
        except BadFilter as exc:
            if strict:
                raise
            errors[param] = exc.detail
    values = {k: v for k, v in values.items() if v not in (None, "")}
    if values.get("date_from") and values.get("date_to") and values["date_from"] > values["date_to"]:
        exc = BadFilter("from", "«from» es posterior a «to».")
        if strict:
            raise exc
        errors["from"] = exc.detail
        del values["date_from"], values["date_to"]
    return make(**values), errors


def parse_filters(params, strict: bool = True) -> tuple[Filters, dict[str, str]]:
    """The case list's filters from URL parameters (see read_filters)."""
    return read_filters(params, _PARAMS, _parse_one, Filters, strict)


def parse_page(value, param: str = "page") -> int:
    """A page number from the URL (1 when absent), or BadFilter."""
    if value in (None, ""):
        return 1
    try:
        page = int(str(value).strip())
    except ValueError:
        raise BadFilter(param, f"«{param}» debe ser un número entero positivo; se recibió «{str(value)[:40]}».") from None
    if page < 1 or page > 10**9:
        raise BadFilter(param, f"«{param}» debe ser un número entero positivo.")
    return page


def _units(text: str) -> list[int]:
    return list(Unit.objects.filter(Q(slug=text) | Q(acronym__iexact=text)).values_list("pk", flat=True))


def _day_start(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


# --- the search ----------------------------------------------------------------------------
def search_cases(user, q: str = "", procedure: str = "", status: str = "", requester: str = "", unit: str = "",
                 date_from: date | None = None, date_to: date | None = None, *, index_first: bool = False) -> QuerySet:
    """The cases the user may see that match every given filter, newest first.

    q: words of the number, subject, requester, unit or form data (all must match; accents and
    case ignored; a word may be the start of a longer one). requester: words of the requester's
    username or name. unit: the requesting unit's code or acronym. date_from / date_to: the day
    the case started, both included (local time)."""
    cases = access.visible_cases(user)
    if procedure:
        cases = cases.filter(procedure=procedure)
    if status:
        cases = cases.filter(status=status)
    if unit:
        cases = cases.filter(requester_unit__in=_units(unit))
    if date_from:
        cases = cases.filter(created_at__gte=_day_start(date_from))
    if date_to:
        cases = cases.filter(created_at__lt=_day_start(date_to + timedelta(days=1)))
    found = match(q, requester=requester, index_first=index_first)
    if found is not None:
        # On SQLite the match is checked case by case rather than driving the query: walking the
        # newest cases fills a page long before sorting every match would (cases/planner.py).
        cases = cases.alias(_matched=Unindexed("id")).filter(_matched__in=found)
    return cases.order_by("-created_at", "-id")


# A list counts its cases up to this many; past it, it says "more than" (count()). An exact count
# of a common word's matches reads every one of them (a quarter of 100,000 cases costs more than
# the page itself, on both databases); past a thousand the number helps nobody, and a search that
# finds that many is refined, not paged through.
COUNT_LIMIT = 1_000


def count(user, filters: Filters, *, mine: bool = False) -> tuple[int, bool]:
    """How many cases search(user, filters, mine=mine) holds, counted up to COUNT_LIMIT: (count, exact).

    On PostgreSQL the words are looked up in the index first (match(index_first=True)): testing
    the newest cases one by one, as a page does, is cheap for a page of a common word, but a
    count of a less common one would test thousands of documents."""
    cases = search_cases(user, **filters.kwargs(), index_first=True)
    if mine:
        cases = cases.filter(started_by=user)
    found = cases.order_by().values("pk")[:COUNT_LIMIT + 1].count()
    return min(found, COUNT_LIMIT), found <= COUNT_LIMIT


class Pages(Paginator):
    """A Paginator whose count is count()'s: at most COUNT_LIMIT cases are paged."""

    def __init__(self, cases: QuerySet, per_page: int, counted: tuple[int, bool]):
        super().__init__(cases, per_page)
        self.total, self.exact = counted

    @property
    def count(self) -> int:
        return self.total


def search(user, filters: Filters, *, mine: bool = False) -> QuerySet:
    """search_cases with parsed Filters (and, with `mine`, only the user's own requests); rows
    ready for a list: requester and unit joined, the engine state left unread."""
    cases = search_cases(user, **filters.kwargs())
    if mine:
        cases = cases.filter(started_by=user)
    return cases.select_related("started_by", "requester_unit").defer("state")
