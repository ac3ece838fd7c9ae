"""Procedure sheets: the manual's fichas as data.

A sheet is loaded from YAML into immutable objects. Routing is derived here once, so the
validator, the compiler and the exporter all read the same routes.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import MISSING, dataclass, field, replace
from pathlib import Path

import yaml

try:  # libyaml is ~20x faster than the pure-Python parser; both are safe loaders.
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader

from .vocabularies import load_vocabularies

END = "END"

# The keys a sheet may use, with their Spanish labels: catalog/vocabularies.yaml.
FIELD_TYPES = load_vocabularies().field_types
SCHEDULE_RULES = load_vocabularies().schedule_rules
DEVIATION_KINDS = load_vocabularies().deviation_kinds


class SheetError(Exception):
    """A sheet that cannot be read; the message names the file and the place."""


def slugify(text: str) -> str:
    """ASCII key for a label: "Sí" -> "si", "Eliminación de accesos VPN" -> "eliminacion-de-accesos-vpn"."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    type: str = "text"
    required: bool = True
    help: str = ""
    options: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    assigns: int | None = None  # a "user" field naming who does that activity next
    subject: bool = False       # its value becomes the case's subject (what the case is about)
    personal: bool = False      # personal data (Ley 29733): masked for those who do not handle the case
    register: str = ""          # an `entry` field: the register whose entry it picks (its natural key)
    holder: str = ""            # an `entry` field: only entries held by the person whose DNI this field gives


@dataclass(frozen=True)
class Answer:
    label: str
    goto: int | str

    @property
    def key(self) -> str:
        return slugify(self.label)


@dataclass(frozen=True)
class RegisterLookup:
    """A decision the register answers: is there an open entry with this key?"""
    register: str
    key: tuple[tuple[str, str], ...]     # (register field, form field)
    found: str                           # the answer's label when the entry exists
    missing: str                         # ... when it does not


@dataclass(frozen=True)
class Decision:
    question: str
    answers: tuple[Answer, ...]
    lookup: RegisterLookup | None = None

    def answer(self, label_or_key: str) -> Answer | None:
        wanted = slugify(label_or_key)
        return next((a for a in self.answers if a.key == wanted), None)


@dataclass(frozen=True)
class Effect:
    """A change the activity makes to a register when it is completed (catalog/registers/, docs/registers.md)."""
    register: str
    action: str                                    # create | update | upsert | assign | return | close
    key: tuple[tuple[str, str], ...]               # (register field, form field) naming the entry
    set: tuple[tuple[str, str], ...] = ()          # (register field, form field) values written
    fixed: tuple[tuple[str, str], ...] = ()        # (register field, constant) values written
    state: str = ""                                # the entry's new state ("" = the action's default)
    when: str = ""                                 # only when the activity's decision is this answer


TICKET_ACTIONS = ("open", "assign", "return", "resolve", "close", "create")


@dataclass(frozen=True)
class TicketEffect:
    """What the activity does to a help-desk ticket when it is completed (docs/sheet-format.md):
    to the case's own ticket (`link` empty) or to the internal ticket the case generated under that
    name (`create` generates it, linked to the case's ticket)."""
    action: str                 # open | assign | return | resolve | close | create
    link: str = ""              # the case's generated ticket this acts on ("" = the case's ticket)
    category: str = ""          # create: the help-desk category (catalog/helpdesk.yaml)
    team: str = ""              # assign, create: the role whose holders attend the ticket
    assignee: str = ""          # assign, create: the `user` form field naming the person
    subject: str = ""           # create: the ticket's subject ({field} takes a form field's value)
    note: str = ""              # return, resolve, close, create: the form field with the reason, solution or detail
    when: str = ""              # only when the activity's decision is this answer


@dataclass(frozen=True)
class Wait:
    party: str
    awaited: str


@dataclass(frozen=True)
class Route:
    """One way out of an activity: to another activity or to the end."""

    goto: int | str
    condition: str | None = None  # the answer's label when the route follows a decision
    parallel: bool = False


@dataclass(frozen=True)
class Activity:
    n: int
    name: str
    description: str
    unit: str
    roles: tuple[str, ...]
    form: tuple[FormField, ...] = ()
    decision: Decision | None = None
    next: int | str | None = None
    end: bool = False
    parallel: tuple[int, ...] = ()
    join: tuple[int, ...] = ()
    wait: Wait | None = None
    periodicity: str = ""
    printed_role: str = ""
    due_days: int | None = None
    effects: tuple[Effect, ...] = ()
    tickets: tuple[TicketEffect, ...] = ()     # the `effects:` items with `ticket:`

    @property
    def role(self) -> str:
        return self.roles[0]


@dataclass(frozen=True)
class StartOption:
    label: str
    activity: int

    @property
    def key(self) -> str:
        return slugify(self.label)


@dataclass(frozen=True)
class Schedule:
    label: str
    activity: int
    rule: str
    printed: str = ""
    months: tuple[int, ...] = ()
    day: int = 1

    @property
    def key(self) -> str:
        return slugify(self.label)


@dataclass(frozen=True)
class Deviation:
    activity: int | None
    kind: str
    printed: str
    resolution: str


@dataclass(frozen=True)
class Sheet:
    code: str
    version: int
    name: str
    owner: str
    process: str
    objective: str
    activities: tuple[Activity, ...]
    scope: tuple[str, ...] = ()
    legal_basis: tuple[str, ...] = ()
    acronyms: tuple[dict, ...] = ()
    definitions: tuple[dict, ...] = ()
    inputs: tuple[dict, ...] = ()
    products: tuple[dict, ...] = ()
    formats: tuple[dict, ...] = ()
    change_control: tuple[dict, ...] = ()
    start: tuple[StartOption, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    deviations: tuple[Deviation, ...] = ()
    source: str = ""
    _routes: dict = field(default_factory=dict, compare=False, repr=False)

    def activity(self, n: int) -> Activity:
        for activity in self.activities:
            if activity.n == n:
                return activity
        raise KeyError(n)

    def behaviour_digest(self) -> str:
        """A fingerprint of what a running case depends on: each activity's name, unit, roles,
        form, decision and routes. Descriptions, legal text and deviation notes are left out, so
        annotating a sheet does not need a new version; changing its flow or forms does."""
        running = tuple(replace(a, description="", periodicity="", printed_role="") for a in self.activities)
        return hashlib.sha256(repr(_canonical(running)).encode("utf-8")).hexdigest()

    def has_activity(self, n) -> bool:
        return any(a.n == n for a in self.activities)

    @property
    def entry_points(self) -> list[tuple[str, str, int]]:
        """(key, label, activity) for every way a case of this procedure can begin."""
        points = [(s.key, s.label, s.activity) for s in self.start]
        points += [(s.key, s.label, s.activity) for s in self.schedules]
        if not self.start:
            points.insert(0, ("inicio", "Inicio", self.activities[0].n))
        return points

    def routes(self, n: int) -> list[Route]:
        if not self._routes:
            self._routes.update(self._derive_routes())
        return self._routes[n]

    def _derive_routes(self) -> dict[int, list[Route]]:
        routes = {}
        for index, activity in enumerate(self.activities):
            following = self.activities[index + 1].n if index + 1 < len(self.activities) else END
            if activity.decision:
                out = [Route(a.goto, a.label) for a in activity.decision.answers]
            elif activity.parallel:
                out = [Route(n, None, parallel=True) for n in activity.parallel]
            elif activity.end:
                out = [Route(END)]
            elif activity.next is not None:
                out = [Route(activity.next)]
            else:
                out = [Route(following)]
            routes[activity.n] = out
        return routes


def _canonical(value):
    """Dataclasses as (class name, fields that differ from their defaults), recursively: adding an
    attribute with a default to FormField or Activity does not change any sheet's fingerprint."""
    if hasattr(value, "__dataclass_fields__"):
        kept = []
        for name, f in value.__dataclass_fields__.items():
            if not f.compare:
                continue
            item = getattr(value, name)
            if f.default is not MISSING and item == f.default:
                continue
            if f.default_factory is not MISSING and item == f.default_factory():
                continue
            kept.append((name, _canonical(item)))
        return (type(value).__name__, tuple(kept))
    if isinstance(value, (tuple, list)):
        return tuple(_canonical(v) for v in value)
    return value


def _text(value) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _goto(value, where: str):
    if isinstance(value, str) and value.strip().upper() == END:
        return END
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SheetError(f"{where}: destino «{value}» no es un número de actividad ni END") from None


FIELD_KEYS = {"key", "label", "type", "required", "help", "options", "min", "max", "assigns", "subject", "personal",
              "register", "holder"}
EFFECT_KEYS = {"register", "action", "key", "set", "fixed", "state", "when"}
TICKET_EFFECT_KEYS = {"ticket", "link", "category", "team", "assignee", "subject", "note", "when"}
ACTIVITY_KEYS = {"n", "name", "description", "unit", "roles", "role", "form", "decision", "next", "end", "parallel",
                 "join", "wait", "periodicity", "printed_role", "due_days", "effects"}
ENTRY_KEYS = {
    "acronyms": {"term", "meaning"}, "definitions": {"term", "meaning"}, "inputs": {"provider", "input"},
    "products": {"product", "users"}, "formats": {"number", "name"}, "change_control": {"version", "section", "description"},
}


def _check_keys(raw: dict, allowed: set, where: str):
    """Unquoted commas in YAML flow mappings silently split a value into bogus keys: refuse them."""
    unknown = [str(k) for k in raw if k not in allowed]
    if unknown:
        raise SheetError(f"{where}: claves desconocidas {', '.join(unknown)} (¿falta poner comillas a un texto con comas?)")


def _load_field(raw: dict, where: str) -> FormField:
    if not isinstance(raw, dict) or "key" not in raw:
        raise SheetError(f"{where}: cada campo del formulario necesita «key»")
    _check_keys(raw, FIELD_KEYS, f"{where}: campo {raw['key']}")
    return FormField(
        key=str(raw["key"]),
        label=_text(raw.get("label") or raw["key"]),
        type=str(raw.get("type", "text")),
        required=bool(raw.get("required", True)),
        help=_text(raw.get("help")),
        options=tuple(_text(o) for o in raw.get("options") or ()),
        min=raw.get("min"),
        max=raw.get("max"),
        assigns=int(raw["assigns"]) if raw.get("assigns") is not None else None,
        subject=bool(raw.get("subject", False)),
        personal=bool(raw.get("personal", False)),
        register=str(raw.get("register") or ""),
        holder=str(raw.get("holder") or ""),
    )


def _pairs(raw, where: str) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise SheetError(f"{where}: se espera un mapa «campo del registro: campo del formulario»")
    return tuple((str(k), str(v)) for k, v in raw.items())


def _load_effect(raw, where: str) -> Effect:
    if not isinstance(raw, dict) or not raw.get("register") or not raw.get("action"):
        raise SheetError(f"{where}: cada efecto necesita «register» y «action»")
    _check_keys(raw, EFFECT_KEYS, f"{where}: efecto")
    return Effect(register=str(raw["register"]), action=str(raw["action"]), key=_pairs(raw.get("key"), where),
                  set=_pairs(raw.get("set"), where),
                  fixed=tuple((str(k), _text(v)) for k, v in (raw.get("fixed") or {}).items()),
                  state=str(raw.get("state") or ""), when=_text(raw.get("when")))


def _load_ticket_effect(raw: dict, where: str) -> TicketEffect:
    _check_keys(raw, TICKET_EFFECT_KEYS, f"{where}: efecto sobre el ticket")
    action = str(raw["ticket"])
    if action not in TICKET_ACTIONS:
        raise SheetError(f"{where}: «ticket: {action}» desconocido ({', '.join(TICKET_ACTIONS)})")
    return TicketEffect(action=action, **{k: _text(raw.get(k)) for k in TICKET_EFFECT_KEYS - {"ticket"}})


def _load_activity(raw: dict, source: str) -> Activity:
    if not isinstance(raw, dict) or "n" not in raw:
        raise SheetError(f"{source}: cada actividad necesita su número «n»")
    where = f"{source}: actividad {raw['n']}"
    _check_keys(raw, ACTIVITY_KEYS, where)
    try:
        n = int(raw["n"])
    except (TypeError, ValueError):
        raise SheetError(f"{where}: el número debe ser entero") from None
    decision = None
    if raw.get("decision"):
        d = raw["decision"]
        _check_keys(d, {"question", "answers", "register"}, f"{where}: decisión")
        for a in d.get("answers") or ():
            _check_keys(a, {"label", "goto"}, f"{where}: respuesta")
        answers = tuple(Answer(_text(a.get("label")), _goto(a.get("goto"), where)) for a in d.get("answers") or ())
        lookup = None
        if d.get("register"):
            r = d["register"]
            _check_keys(r, {"name", "key", "found", "missing"}, f"{where}: decisión por registro")
            lookup = RegisterLookup(str(r.get("name") or ""), _pairs(r.get("key"), where), _text(r.get("found")),
                                    _text(r.get("missing")))
        decision = Decision(_text(d.get("question")), answers, lookup)
    wait = None
    if raw.get("wait"):
        wait = Wait(_text(raw["wait"].get("party")), _text(raw["wait"].get("for")))
    roles = raw.get("roles") or ([raw["role"]] if raw.get("role") else [])
    return Activity(
        n=n,
        name=_text(raw.get("name")),
        description=_text(raw.get("description")),
        unit=_text(raw.get("unit")),
        roles=tuple(str(r) for r in roles),
        form=tuple(_load_field(f, where) for f in raw.get("form") or ()),
        decision=decision,
        next=_goto(raw["next"], where) if raw.get("next") is not None else None,
        end=bool(raw.get("end", False)),
        parallel=tuple(int(x) for x in raw.get("parallel") or ()),
        join=tuple(int(x) for x in raw.get("join") or ()),
        wait=wait,
        periodicity=_text(raw.get("periodicity")),
        printed_role=_text(raw.get("printed_role")),
        due_days=raw.get("due_days"),
        effects=tuple(_load_effect(e, where) for e in raw.get("effects") or ()
                      if not (isinstance(e, dict) and "ticket" in e)),
        tickets=tuple(_load_ticket_effect(e, where) for e in raw.get("effects") or ()
                      if isinstance(e, dict) and "ticket" in e),
    )


def load_sheet(path: Path | str) -> Sheet:
    path = Path(path)
    return parse_sheet(path.read_text(encoding="utf-8"), path.name)


def parse_sheet(text: str, source: str) -> Sheet:
    """A sheet from its YAML text; `source` names it in error messages (the file name)."""
    try:
        raw = yaml.load(text, Loader=SafeLoader)
    except yaml.YAMLError as exc:
        raise SheetError(f"{source}: YAML inválido: {exc}") from None
    if not isinstance(raw, dict):
        raise SheetError(f"{source}: la ficha debe ser un mapa YAML")
    for key in ("code", "name", "activities"):
        if not raw.get(key):
            raise SheetError(f"{source}: falta «{key}»")
    for section, allowed in ENTRY_KEYS.items():
        for entry in raw.get(section) or ():
            if isinstance(entry, dict):
                _check_keys(entry, allowed, f"{source}: {section}")
    activities = tuple(_load_activity(a, source) for a in raw["activities"])
    return Sheet(
        code=str(raw["code"]),
        version=int(raw.get("version", 1)),
        name=_text(raw["name"]),
        owner=_text(raw.get("owner")),
        process=_text(raw.get("process")),
        objective=_text(raw.get("objective")),
        activities=activities,
        scope=tuple(_text(s) for s in raw.get("scope") or ()),
        legal_basis=tuple(_text(s) for s in raw.get("legal_basis") or ()),
        acronyms=tuple(raw.get("acronyms") or ()),
        definitions=tuple(raw.get("definitions") or ()),
        inputs=tuple(raw.get("inputs") or ()),
        products=tuple(raw.get("products") or ()),
        formats=tuple(raw.get("formats") or ()),
        change_control=tuple(raw.get("change_control") or ()),
        start=tuple(StartOption(_text(s["label"]), int(s["activity"])) for s in raw.get("start") or ()),
        schedules=tuple(
            Schedule(
                label=_text(s.get("label")),
                activity=int(s.get("activity")),
                rule=str(s.get("rule", "")),
                printed=_text(s.get("printed")),
                months=tuple(int(m) for m in s.get("months") or ()),
                day=int(s.get("day") or 1),
            )
            for s in raw.get("schedules") or ()
        ),
        deviations=tuple(
            Deviation(d.get("activity"), str(d.get("kind", "other")), _text(d.get("printed")), _text(d.get("resolution")))
            for d in raw.get("deviations") or ()
        ),
        source=source,
    )


def default_catalog_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "catalog"


def read_catalog(directory: Path | str | None = None) -> list[tuple[Sheet, str]]:
    """Every sheet of the catalog with the YAML text it was read from, by code."""
    directory = Path(directory or default_catalog_dir()) / "sheets"
    read = []
    for path in directory.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        read.append((parse_sheet(text, path.name), text))
    return sorted(read, key=lambda pair: pair[0].code)


def load_catalog(directory: Path | str | None = None) -> list[Sheet]:
    return [sheet for sheet, _ in read_catalog(directory)]
