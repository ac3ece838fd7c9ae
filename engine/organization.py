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


@dataclass(frozen=True)
class RoleSpec:
    slug: str
    name: str
    unit: str
    aliases: tuple[str, ...] = ()
    requester: bool = False
    coordinator: bool = False


@dataclass(frozen=True)
class Organization:
    units: tuple[UnitSpec, ...]
    roles: tuple[RoleSpec, ...]

    def role(self, slug: str) -> RoleSpec:
        return next(r for r in self.roles if r.slug == slug)

    def unit(self, slug: str) -> UnitSpec:
        return next(u for u in self.units if u.slug == slug)

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
        UnitSpec(u["slug"], u.get("acronym", u["slug"].upper()), u["name"], tuple(u.get("aliases") or ()))
        for u in raw["units"]
    )
    roles = tuple(
        RoleSpec(
            r["slug"], r["name"], r["unit"], tuple(r.get("aliases") or ()),
            bool(r.get("requester", False)), bool(r.get("coordinator", False)),
        )
        for r in raw["roles"]
    )
    return Organization(units, roles)
