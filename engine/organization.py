"""Units and roles as the manual names them (catalog/organization.yaml)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .sheets import default_catalog_dir


@dataclass(frozen=True)
class UnitSpec:
    slug: str
    acronym: str
    name: str
    aliases: tuple[str, ...] = ()
    office: bool = False     # the unit that runs S04 (OGTIE)


@dataclass(frozen=True)
class RoleSpec:
    slug: str
    name: str
    unit: str
    aliases: tuple[str, ...] = ()
    requester: bool = False
    coordinator: bool = False
    chief: bool = False
    everyone: bool = False
    auditor: bool = False    # reads the audit trail (with the chief)


@dataclass(frozen=True)
class Organization:
    units: tuple[UnitSpec, ...]
    roles: tuple[RoleSpec, ...]

    def role(self, slug: str) -> RoleSpec:
        return next(r for r in self.roles if r.slug == slug)

    def unit(self, slug: str) -> UnitSpec:
        return next(u for u in self.units if u.slug == slug)

    @property
    def everyone_role(self) -> str:
        """The role every ministry employee holds."""
        return next(r.slug for r in self.roles if r.everyone)

    @property
    def office_roles(self) -> frozenset[str]:
        """Roles of the office that runs S04: their holders see every case of their procedures."""
        office = {u.slug for u in self.units if u.office}
        return frozenset(r.slug for r in self.roles if r.unit in office and not r.requester)

    @property
    def leading_roles(self) -> frozenset[str]:
        """The chief and the coordinators: see every case, annul cases and reassign tasks."""
        return frozenset(r.slug for r in self.roles if r.chief or r.coordinator)

    @property
    def auditor_roles(self) -> frozenset[str]:
        """Who reads the audit trail: the chief and the roles flagged `auditor` (the security specialist)."""
        return frozenset(r.slug for r in self.roles if r.chief or r.auditor)

    @property
    def role_slugs(self) -> set[str]:
        return {r.slug for r in self.roles}

    @property
    def unit_slugs(self) -> set[str]:
        return {u.slug for u in self.units}


def load_organization(directory: Path | str | None = None) -> Organization:
    path = Path(directory or default_catalog_dir()) / "organization.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    units = tuple(
        UnitSpec(u["slug"], u.get("acronym", u["slug"].upper()), u["name"], tuple(u.get("aliases") or ()),
                 bool(u.get("office", False)))
        for u in raw["units"]
    )
    roles = tuple(
        RoleSpec(
            r["slug"], r["name"], r["unit"], tuple(r.get("aliases") or ()),
            bool(r.get("requester", False)), bool(r.get("coordinator", False)),
            bool(r.get("chief", False)), bool(r.get("everyone", False)), bool(r.get("auditor", False)),
        )
        for r in raw["roles"]
    )
    return Organization(units, roles)
