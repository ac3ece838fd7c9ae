"""The procedure catalog as the running system sees it: sheets loaded once per process."""
from __future__ import annotations

from functools import cache

from django.conf import settings

from engine.organization import Organization, load_organization
from engine.runtime import ProcedureEngine
from engine.sheets import Sheet, load_catalog


class UnknownProcedure(LookupError):
    pass


@cache
def organization() -> Organization:
    return load_organization(settings.MAPRO_CATALOG_DIR)


@cache
def sheets() -> dict[str, Sheet]:
    return {sheet.code: sheet for sheet in load_catalog(settings.MAPRO_CATALOG_DIR)}


def sheet(code: str, version: int | None = None) -> Sheet:
    found = sheets().get(code)
    if found is None or (version is not None and found.version != version):
        raise UnknownProcedure(code if version is None else f"{code} v{version}")
    return found


@cache
def _engine(code: str, version: int) -> ProcedureEngine:
    return ProcedureEngine(sheet(code, version), organization())


def engine(code: str, version: int) -> ProcedureEngine:
    return _engine(code, version)


def entry_roles(s: Sheet) -> dict[str, tuple[str, ...]]:
    """For each way to start the procedure, the roles of the activity it starts at."""
    return {key: s.activity(n).roles for key, _, n in s.entry_points}


def requester_roles() -> frozenset[str]:
    return frozenset(r.slug for r in organization().roles if r.requester)


def can_start(role_slugs: frozenset[str], s: Sheet, start_key: str | None = None) -> bool:
    """Requester activities are open to every employee; the rest to the holders of their roles."""
    open_roles = requester_roles()
    for key, roles in entry_roles(s).items():
        if start_key is not None and key != start_key:
            continue
        if set(roles) & open_roles or set(roles) & role_slugs:
            return True
    return False
