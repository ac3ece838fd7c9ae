"""The help desk's catalogue (catalog/helpdesk.yaml): categories in the employee's words, the
impact x urgency matrix, SLA targets, and the procedure each category starts.

Read once per process (`catalog()`), checked by `problems()` (`mapro helpdesk_check` and the tests):
every procedure, start key, role and prefilled field it names must exist in the sheets and the
organization."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import yaml
from django.conf import settings

from cases import procedures


@dataclass(frozen=True)
class RequiredAttachment:
    key: str
    label: str


@dataclass(frozen=True)
class Targets:
    respond: int    # business minutes until the first public reply
    resolve: int    # business minutes until resolution


@dataclass(frozen=True)
class Category:
    slug: str
    name: str
    description: str
    type: str
    impact: str
    urgency: str
    team: str
    procedure: str | None
    start: str | None
    required_attachments: tuple[RequiredAttachment, ...]
    prefill: dict
    sla: dict = field(default_factory=dict)   # priority -> Targets

    def targets(self, priority: str) -> Targets:
        return self.sla[priority]


@dataclass(frozen=True)
class Catalog:
    desk_roles: frozenset[str]
    impact: dict        # key -> Spanish label
    urgency: dict
    priority: dict
    matrix: dict        # impact -> urgency -> priority
    categories: dict    # slug -> Category, in the file's order

    def category(self, slug) -> Category | None:
        return self.categories.get(slug) if isinstance(slug, str) else None

    def priority_of(self, impact: str, urgency: str) -> str:
        return self.matrix[impact][urgency]


def _path():
    return settings.MAPRO_CATALOG_DIR / "helpdesk.yaml"


def parse(text: str) -> Catalog:
    raw = yaml.safe_load(text) or {}
    default_sla = {p: Targets(int(t["respond"]), int(t["resolve"])) for p, t in (raw.get("sla") or {}).items()}
    categories = {}
    for item in raw.get("categories") or []:
        sla = dict(default_sla)
        for p, t in (item.get("sla") or {}).items():
            sla[p] = Targets(int(t["respond"]), int(t["resolve"]))
        categories[item["slug"]] = Category(
            slug=item["slug"], name=item["name"], description=item.get("description", ""), type=item["type"],
            impact=item["impact"], urgency=item["urgency"], team=item["team"],
            procedure=item.get("procedure"), start=item.get("start"),
            required_attachments=tuple(RequiredAttachment(a["key"], a["label"]) for a in item.get("required_attachments") or ()),
            prefill=dict(item.get("prefill") or {}), sla=sla)
    return Catalog(frozenset(raw.get("desk_roles") or ()), dict(raw["impact"]), dict(raw["urgency"]),
                   dict(raw["priority"]), {i: dict(u) for i, u in raw["matrix"].items()}, categories)


@cache
def catalog() -> Catalog:
    return parse(_path().read_text(encoding="utf-8"))


def problems(cat: Catalog | None = None) -> list[str]:
    """What is wrong with the catalogue, in Spanish; empty when it is sound."""
    from .models import Ticket

    cat = cat or catalog()
    found = []
    roles = {r.slug for r in procedures.organization().roles}
    found += [f"desk_roles: el rol «{r}» no existe" for r in cat.desk_roles - roles]
    if set(cat.impact) != set(cat.matrix) or any(set(row) != set(cat.urgency) for row in cat.matrix.values()):
        found.append("matrix: debe tener una fila por impacto y una columna por urgencia")
    for row in cat.matrix.values():
        found += [f"matrix: prioridad desconocida «{p}»" for p in row.values() if p not in cat.priority]
    for c in cat.categories.values():
        where = f"categoría «{c.slug}»"
        if c.type not in Ticket.Type.values:
            found.append(f"{where}: tipo «{c.type}» desconocido ({', '.join(Ticket.Type.values)})")
        if c.impact not in cat.impact or c.urgency not in cat.urgency:
            found.append(f"{where}: impacto o urgencia desconocidos")
        if c.team not in roles:
            found.append(f"{where}: el equipo «{c.team}» no es un rol")
        if set(c.sla) != set(cat.priority):
            found.append(f"{where}: faltan metas de SLA para {sorted(set(cat.priority) - set(c.sla))}")
        if not c.procedure:
            continue
        try:
            s = procedures.sheet(c.procedure)
        except procedures.UnknownProcedure:
            found.append(f"{where}: no existe el procedimiento {c.procedure}")
            continue
        starts = {key: n for key, _, n in s.entry_points}
        if (c.start or s.entry_points[0][0]) not in starts:
            found.append(f"{where}: {c.procedure} no tiene el inicio «{c.start}» ({', '.join(starts)})")
            continue
        form = {f.key for f in s.activity(starts[c.start or s.entry_points[0][0]]).form}
        for key, source in c.prefill.items():
            if key not in form:
                found.append(f"{where}: la primera actividad de {c.procedure} no tiene el campo «{key}»")
            if source not in ("subject", "description"):
                found.append(f"{where}: prefill «{key}» debe tomar «subject» o «description»")
    return found
