"""Changing a register: one function per change, checked first, then written with its version,
its index rows and its audit entry in the caller's transaction.

`prepare()` checks a change against the register's declaration and its current entry (no writes)
and raises `Refused` naming the field; `Prepared.write()` writes it, compare-and-set on the entry's
version, so a change prepared on a stale entry is refused rather than applied over another one.
The completion hook (registers.effects), the entry pages and the import all go through here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

import audit
from cases.effects import Refused
from engine.forms import clean_value
from engine.registers import Register

from . import catalog
from .models import Entry, FieldValue, Version

ACTION_LABELS = {
    "create": "Alta", "update": "Actualización", "upsert": "Alta o actualización", "assign": "Asignación",
    "return": "Devolución", "close": "Baja", "import": "Carga inicial",
}
AUDIT_ACTIONS = {"create": "register.created", "update": "register.updated", "upsert": "register.updated",
                 "assign": "register.assigned", "return": "register.returned", "close": "register.closed",
                 "import": "register.created"}


@dataclass
class Prepared:
    register: Register
    action: str
    entry: Entry | None              # the current open entry (None: a new one)
    data: dict                       # the entry's values after the change
    state: str
    closed: bool
    names: dict = field(default_factory=dict)   # register field -> the form field that gave it (errors)

    @property
    def changes(self) -> dict:
        before = self.entry.data if self.entry else {}
        keys = sorted(set(before) | set(self.data))
        return {k: [before.get(k), self.data.get(k)] for k in keys if before.get(k) != self.data.get(k)}

    def write(self, *, user, case=None, activity=None, now: datetime | None = None, note: str = "") -> Entry:
        now = now or timezone.now()
        r, data = self.register, self.data
        before_state = self.entry.state if self.entry else None
        changes = self.changes
        if self.entry is not None and before_state != self.state:
            changes["estado"] = [before_state, self.state]
        values = dict(state=self.state, closed=self.closed, person=str(data.get(r.person) or "") if r.person else "",
                      title=r.title_of(data)[:300], data=data, search=_search_text(r, data), updated_at=now)
        try:
            with transaction.atomic():
                if self.entry is None:
                    entry = Entry.objects.create(register=r.slug, key=catalog.natural_key(r, data), case=case,
                                                 created_at=now, version=1, **values)
                else:
                    entry = self.entry
                    moved = Entry.objects.filter(pk=entry.pk, version=entry.version).update(
                        version=F("version") + 1, **values)
                    if not moved:
                        raise Refused(self._key_name(), f"La entrada «{entry.title or entry.key}» del registro "
                                                        f"«{r.name}» cambió mientras tanto; vuelva a intentarlo.")
                    for attr, value in values.items():
                        setattr(entry, attr, value)
                    entry.version += 1
                    FieldValue.objects.filter(entry=entry).delete()
        except IntegrityError:
            raise Refused(self._key_name(), f"Ya existe en «{r.name}» una entrada vigente con "
                                            f"{self._key_label()} «{self._key_text()}».") from None
        FieldValue.objects.bulk_create(index_rows(r, entry))
        Version.objects.create(entry=entry, n=entry.version, action=self.action, state=self.state, data=data,
                               changes=changes, user=user, case=case, activity=activity, note=note[:300],
                               created_at=now)
        audit.record(AUDIT_ACTIONS[self.action], actor=user, obj=entry, created_at=now,
                     label=f"{r.name}: {entry.title or entry.key}"[:200],
                     before={"state": before_state, **{k: v[0] for k, v in self.changes.items()}} if self.entry else None,
                     after={"register": r.slug, "state": self.state, "case": case.pk if case else None,
                            "activity": activity, **{k: v[1] for k, v in self.changes.items()}},
                     personal=[f"{side}.{f.key}" for f in r.fields if f.personal or f.type in ("dni", "phone")
                               for side in ("before", "after")])
        return entry

    def _key_name(self) -> str:
        return self.names.get(self.register.key[0], self.register.key[0])

    def _key_label(self) -> str:
        return " / ".join(self.register.field(k).label for k in self.register.key)

    def _key_text(self) -> str:
        return " / ".join(str(self.data.get(k) or "") for k in self.register.key)


def _search_text(r: Register, data: dict) -> str:
    personal = {f.key for f in r.fields if f.personal or f.type in ("dni", "phone")}
    return " ".join(catalog.fold(data.get(f.key)) for f in r.fields if f.key not in personal and data.get(f.key))


def index_rows(r: Register, entry: Entry) -> list[FieldValue]:
    """Index rows of an entry: every field's whole value (filters), and the words of its
    non-personal values under the field "" (search: a DNI is found by filter, never by search)."""
    rows, seen = [], set()
    personal = {f.key for f in r.fields if f.personal or f.type in ("dni", "phone")}
    for f in r.fields:
        value = entry.data.get(f.key)
        if value in (None, "", []):
            continue
        rows.append(FieldValue(entry=entry, register=r.slug, field=f.key, value=catalog.fold(value)))
        if f.key not in personal:
            for word in catalog.words(value):
                if word not in seen:
                    seen.add(word)
                    rows.append(FieldValue(entry=entry, register=r.slug, field="", value=word))
    return rows


def current(r: Register, key_values: dict) -> Entry | None:
    return Entry.objects.filter(register=r.slug, key=catalog.natural_key(r, key_values), closed=False).first()


def prepare(r: Register, action: str, key: dict, values: dict, *, state: str = "", names: dict | None = None,
            entry: Entry | None = None, clear: bool = False, emptied=()) -> Prepared:
    """Check one change: `key` and `values` map register fields to raw values; `names` maps register
    fields to the form fields they came from (for the error). An empty value leaves the field as it
    was, unless `clear` (a person editing the entry, where an emptied field means "no longer");
    the fields in `emptied` are emptied in any case.
    Raises Refused; writes nothing."""
    names = names or {}
    name = lambda k: names.get(k, k)  # noqa: E731
    cleaned = {}
    for k, raw in {**values, **key}.items():
        f = r.field(k)
        if f is None:
            raise Refused(name(k), f"«{k}» no es un campo del registro «{r.name}».")
        if raw in (None, "", []):
            cleaned[k] = None
            continue
        try:
            cleaned[k] = clean_value(f, raw)
        except ValueError as exc:
            raise Refused(name(k), f"«{f.label}»: {exc}.") from None
    for k in r.key:
        if not cleaned.get(k) and not (entry and entry.data.get(k)):
            raise Refused(name(k), f"Indique «{r.field(k).label}» para el registro «{r.name}».")
    if entry is None:
        entry = current(r, {k: cleaned.get(k) for k in r.key})
    what = f"{' / '.join(str(cleaned.get(k) or (entry.data.get(k) if entry else '')) for k in r.key)}"
    key_label = " / ".join(r.field(k).label for k in r.key)
    if action == "create" and entry is not None:
        raise Refused(name(r.key[0]), f"Ya existe en «{r.name}» una entrada vigente con {key_label} «{what}».")
    if action in ("update", "return", "close") and entry is None:
        raise Refused(name(r.key[0]), f"No existe en «{r.name}» una entrada vigente con {key_label} «{what}».")
    base = dict(entry.data) if entry else {}
    data = {**base, **{k: v for k, v in cleaned.items() if v is not None}}
    for k in {*(k for k in values if clear and cleaned.get(k) is None), *emptied} - set(r.key):
        data.pop(k, None)
    if action == "assign":
        holder = base.get(r.person) if r.person and entry is not None else None
        new_holder = cleaned.get(r.person) if r.person else None
        if entry is not None and entry.state == r.assigned and holder and new_holder and holder != new_holder:
            raise Refused(name(r.key[0]), f"«{what}» ya está asignado a otra persona en «{r.name}» "
                                          f"(DNI {_masked(holder)}); regístrese primero su devolución.")
    if action == "return":
        if r.assigned and entry.state != r.assigned:
            raise Refused(name(r.key[0]), f"«{what}» no figura como asignado en «{r.name}» "
                                          f"(estado: {r.state_label(entry.state)}).")
        if r.person:
            given = cleaned.get(r.person)
            if given and entry.data.get(r.person) and given != entry.data.get(r.person):
                raise Refused(name(r.key[0]), f"«{what}» está asignado a otra persona, no a quien lo devuelve.")
            data[r.person] = None
    new_state = state or {"assign": r.assigned, "return": r.returned,
                          "close": (r.closed_states or ("",))[0]}.get(action) or (entry.state if entry else r.initial)
    if r.state(new_state) is None:
        raise Refused(name(r.key[0]), f"El estado «{new_state}» no existe en «{r.name}».")
    closed = r.state(new_state).closed
    if action != "close" and closed and entry is None:
        raise Refused(name(r.key[0]), f"No se puede dar de alta una entrada en estado «{r.state_label(new_state)}».")
    if entry is None or action == "create" or clear:
        missing = [f for f in r.fields if f.required and data.get(f.key) in (None, "", [])]
        if missing:
            f = missing[0]
            raise Refused(name(f.key), f"Falta «{f.label}» para registrar la entrada en «{r.name}».")
    data = {k: v for k, v in data.items() if v is not None}
    return Prepared(register=r, action=action, entry=entry, data=data, state=new_state, closed=closed, names=names)


def _masked(dni: str) -> str:
    return "••••" + str(dni)[-2:] if dni else ""


def change(user, slug: str, action: str, key: dict, values: dict, *, state: str = "", note: str = "",
           case=None, activity=None, clear: bool = False) -> Entry:
    """A change made by hand (an entry page, the API): one transaction with its version and audit entry.
    With `clear`, an empty value empties the field."""
    r = catalog.get(slug)
    with transaction.atomic():
        return prepare(r, action, key, values, state=state, clear=clear).write(user=user, case=case, activity=activity,
                                                                               note=note)
