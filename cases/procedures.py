"""The procedure catalog as the running system sees it: sheets loaded once per process.

A case follows the sheet version it started with. The text of every version a case started on is
kept in the database (SheetVersion), so when the repository's sheet moves to a new version the
cases already running carry on with theirs, and a sheet whose flow or forms changed without a new
version is caught (Sheet.behaviour_digest).
"""
from __future__ import annotations

from functools import cache

from django.conf import settings
from django.db import DatabaseError, transaction

from engine.organization import Organization, load_organization
from engine.runtime import ProcedureEngine
from engine.sheets import Sheet, parse_sheet, read_catalog


class UnknownProcedure(LookupError):
    pass


class SheetChanged(Exception):
    """The repository's sheet differs from the text recorded for the same version."""

    def __init__(self, code: str, version: int):
        super().__init__(
            f"La ficha {code} (versión {version}) cambió su flujo o sus formularios sin cambiar de versión. Los "
            f"casos en curso siguen el texto registrado; suba la versión de la ficha y anote el cambio en su "
            f"control de cambios.")


@cache
def organization() -> Organization:
    return load_organization(settings.MAPRO_CATALOG_DIR)


@cache
def _catalog() -> dict[str, tuple[Sheet, str, str]]:
    """code -> (sheet, YAML text, the sheet's behaviour digest)."""
    return {s.code: (s, text, s.behaviour_digest()) for s, text in read_catalog(settings.MAPRO_CATALOG_DIR)}


@cache
def sheets() -> dict[str, Sheet]:
    """The repository's current sheets, by code."""
    return {code: s for code, (s, _, _) in _catalog().items()}


# (code, version) -> digest recorded for it, or None when no case has started on it yet. Sheets
# change only with a deployment, which starts new processes (or calls reload()).
_recorded: dict[tuple[str, int], str | None] = {}


def _recorded_digest(code: str, version: int) -> str | None:
    key = (code, version)
    if key not in _recorded:
        from .models import SheetVersion

        _recorded[key] = (SheetVersion.objects.filter(procedure=code, version=version)
                          .values_list("digest", flat=True).first())
    return _recorded[key]


@cache
def _archived(code: str, version: int) -> Sheet:
    from .models import SheetVersion

    row = SheetVersion.objects.filter(procedure=code, version=version).first()
    if row is None:
        raise UnknownProcedure(f"{code} v{version}")
    return parse_sheet(row.text, f"{code} v{version} (registrada)")


def sheet(code: str, version: int | None = None) -> Sheet:
    """The current sheet, or the one a case of `version` runs on: the repository's while its text
    is the one recorded for that version, else the recorded text."""
    found = _catalog().get(code)
    if found is None:
        raise UnknownProcedure(code)
    current, _, digest = found
    if version is None:
        return current
    if version == current.version and _recorded_digest(code, version) in (None, digest):
        return current
    return _archived(code, version)


def record_version(s: Sheet) -> None:
    """Keep the text of the version a case is starting on (inside the caller's transaction);
    refuse when the repository's text differs from the one recorded for that version."""
    from .models import SheetVersion

    _, text, digest = _catalog()[s.code]
    key = (s.code, s.version)
    recorded = _recorded.get(key)
    if recorded is None:
        row, _ = SheetVersion.objects.get_or_create(procedure=s.code, version=s.version,
                                                    defaults={"text": text, "digest": digest})
        recorded = row.digest
        transaction.on_commit(lambda: _recorded.__setitem__(key, row.digest))
    if recorded != digest:
        raise SheetChanged(s.code, s.version)


def changed_without_new_version() -> list[SheetChanged]:
    """Sheets whose repository text differs from the text recorded for the same version."""
    from .models import SheetVersion

    try:
        recorded = {(r.procedure, r.version): r.digest for r in SheetVersion.objects.only("procedure", "version", "digest")}
    except DatabaseError:   # not migrated yet
        return []
    return [SheetChanged(code, s.version) for code, (s, _, digest) in _catalog().items()
            if recorded.get((code, s.version), digest) != digest]


def reload() -> None:
    """Forget everything read from the catalog and the database (after the catalog changes)."""
    for cached in (organization, _catalog, sheets, _archived, _engine):
        cached.cache_clear()
    _recorded.clear()


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
