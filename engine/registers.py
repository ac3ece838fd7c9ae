"""The office's registers and inventories as data: catalog/registers/<slug>.yaml (docs/registers.md).

A register declares its columns (form fields: the same types and validation as the sheets' forms),
the natural key that names an entry, the field naming the person an entry belongs to, its states,
who may read and write it, and, for a cronograma, the procedure its dated entries start. The
activities that change a register say so in their sheet (`effects:`); engine/validate.py checks both
against each other. No Django here.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .sheets import FormField, SafeLoader, SheetError, _check_keys, _load_field, _text, default_catalog_dir

ACTIONS = ("create", "update", "upsert", "assign", "return", "close")
REGISTER_KEYS = {"slug", "name", "description", "procedures", "key", "person", "title", "fields", "states", "initial",
                 "assigned", "returned", "read", "write", "starts", "formato"}
STATE_KEYS = {"key", "label", "closed"}
STARTS_KEYS = {"procedure", "schedule", "date", "subject", "pending", "started"}


@dataclass(frozen=True)
class State:
    key: str
    label: str
    closed: bool = False      # a closed entry no longer holds its key (a removed account, a retired device)


@dataclass(frozen=True)
class Starts:
    """A cronograma: each entry's `date` starts a case of `procedure` at `schedule` (a start option or
    schedule of its sheet); the entry moves from state `pending` to `started` and keeps the case."""
    procedure: str
    schedule: str
    date: str
    subject: str = ""
    pending: str = "programado"
    started: str = "iniciado"


@dataclass(frozen=True)
class Register:
    slug: str
    name: str
    fields: tuple[FormField, ...]
    key: tuple[str, ...]
    states: tuple[State, ...]
    description: str = ""
    procedures: tuple[str, ...] = ()
    person: str = ""           # the field holding the DNI of the person the entry belongs to
    title: tuple[str, ...] = ()
    initial: str = ""
    assigned: str = ""         # the state `assign` sets (and `return` expects)
    returned: str = ""         # the state `return` sets
    read: tuple[str, ...] = ()   # role slugs, or catalog flags as "@office", "@chief", "@coordinator"
    write: tuple[str, ...] = ()
    starts: Starts | None = None
    formato: str = ""          # the manual's formato the register keeps (SGSI-FOR-002, Formato N° 1, ...)
    source: str = ""

    def field(self, key: str) -> FormField | None:
        return next((f for f in self.fields if f.key == key), None)

    def state(self, key: str) -> State | None:
        return next((s for s in self.states if s.key == key), None)

    @property
    def open_states(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.states if not s.closed)

    @property
    def closed_states(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.states if s.closed)

    def state_label(self, key: str) -> str:
        found = self.state(key)
        return found.label if found else key

    def title_of(self, data: dict) -> str:
        keys = self.title or self.key
        return " — ".join(str(data.get(k)) for k in keys if data.get(k) not in (None, "", []))


def parse_register(text: str, source: str) -> Register:
    try:
        raw = yaml.load(text, Loader=SafeLoader)
    except yaml.YAMLError as exc:
        raise SheetError(f"{source}: YAML inválido: {exc}") from None
    if not isinstance(raw, dict):
        raise SheetError(f"{source}: el registro debe ser un mapa YAML")
    _check_keys(raw, REGISTER_KEYS, source)
    for key in ("slug", "name", "fields", "key", "states"):
        if not raw.get(key):
            raise SheetError(f"{source}: falta «{key}»")
    states = []
    for s in raw["states"]:
        if not isinstance(s, dict) or not s.get("key"):
            raise SheetError(f"{source}: cada estado necesita «key» y «label»")
        _check_keys(s, STATE_KEYS, f"{source}: estado")
        states.append(State(str(s["key"]), _text(s.get("label") or s["key"]), bool(s.get("closed", False))))
    starts = None
    if raw.get("starts"):
        _check_keys(raw["starts"], STARTS_KEYS, f"{source}: starts")
        st = raw["starts"]
        starts = Starts(procedure=str(st.get("procedure") or ""), schedule=str(st.get("schedule") or ""),
                        date=str(st.get("date") or ""), subject=str(st.get("subject") or ""),
                        pending=str(st.get("pending") or "programado"), started=str(st.get("started") or "iniciado"))
    listed = lambda name: tuple(str(x) for x in (raw.get(name) or ()))  # noqa: E731
    return Register(
        slug=str(raw["slug"]), name=_text(raw["name"]), description=_text(raw.get("description")),
        fields=tuple(_load_field(f, f"{source}: campos") for f in raw["fields"]),
        key=listed("key") if isinstance(raw["key"], list) else (str(raw["key"]),),
        states=tuple(states), procedures=listed("procedures"), person=str(raw.get("person") or ""),
        title=listed("title"), initial=str(raw.get("initial") or states[0].key),
        assigned=str(raw.get("assigned") or ""), returned=str(raw.get("returned") or ""),
        read=listed("read"), write=listed("write"), starts=starts, formato=_text(raw.get("formato")), source=source)


def check_register(r: Register) -> list[str]:
    """What is wrong with a register on its own (engine/validate.py checks it against the sheets)."""
    problems, keys = [], [f.key for f in r.fields]
    where = f"{r.source or r.slug}"
    if len(set(keys)) != len(keys):
        problems.append(f"{where}: campos repetidos")
    for k in (*r.key, *r.title, *([r.person] if r.person else [])):
        if k not in keys:
            problems.append(f"{where}: «{k}» no es un campo del registro")
    if r.person and r.field(r.person).type != "dni":
        problems.append(f"{where}: el campo de la persona «{r.person}» debe ser de tipo dni")
    for state in (r.initial, r.assigned, r.returned):
        if state and r.state(state) is None:
            problems.append(f"{where}: el estado «{state}» no está declarado")
    if r.initial and r.state(r.initial) and r.state(r.initial).closed:
        problems.append(f"{where}: el estado inicial no puede ser cerrado")
    if not r.closed_states:
        problems.append(f"{where}: declare al menos un estado cerrado (closed: true) para dar de baja entradas")
    if not r.read or not r.write:
        problems.append(f"{where}: declare quién lee (read) y quién escribe (write)")
    if r.starts:
        if r.field(r.starts.date) is None or r.field(r.starts.date).type != "date":
            problems.append(f"{where}: starts.date debe ser un campo de tipo date")
        for state in (r.starts.pending, r.starts.started):
            if r.state(state) is None:
                problems.append(f"{where}: el estado «{state}» de starts no está declarado")
    return problems


def read_registers(directory: Path | str | None = None) -> list[tuple[Register, str]]:
    directory = Path(directory or default_catalog_dir()) / "registers"
    found = []
    for path in sorted(directory.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        found.append((parse_register(text, path.name), text))
    return found


def load_registers(directory: Path | str | None = None) -> dict[str, Register]:
    return {r.slug: r for r, _ in read_registers(directory)}
