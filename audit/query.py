"""Reading the audit trail: filters from URL parameters, the filtered entries, and each entry as
the page, the exports and the API show it (personal data masked unless asked otherwise)."""
from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, fields as dataclass_fields
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from cases.search import BadFilter, parse_date, read_filters
from engine.vocabularies import load_vocabularies

from .models import Entry
from .trail import MASK, masked

PAGE_SIZE = 50
EXPORT_LIMIT = 10_000
TEXT_MAX = 200


@dataclass(frozen=True)
class Filters:
    """URL parameters from, to, actor, action, object, ip."""

    date_from: date | None = None
    date_to: date | None = None
    actor: str = ""
    action: str = ""
    object: str = ""
    ip: str = ""

    def params(self) -> dict:
        out = {"from": self.date_from.isoformat() if self.date_from else "",
               "to": self.date_to.isoformat() if self.date_to else "",
               "actor": self.actor, "action": self.action, "object": self.object, "ip": self.ip}
        return {k: v for k, v in out.items() if v}

    def __bool__(self):
        return any(getattr(self, f.name) for f in dataclass_fields(self))


def _text(params, name: str) -> str:
    value = " ".join(str(params.get(name) or "").split())
    if len(value) > TEXT_MAX:
        raise BadFilter(name, f"«{name}» admite como máximo {TEXT_MAX} caracteres.")
    return value


_IP_PART = re.compile(r"^[0-9a-fA-F.:]+$")


def _parse_one(params, name: str):
    if name in ("from", "to"):
        value = (params.get(name) or "").strip()
        return parse_date(value, name) if value else None
    if name == "action":
        action = (params.get("action") or "").strip()
        actions = load_vocabularies().audit_actions
        if action and action not in actions and not any(key.startswith(action + ".") for key in actions):
            raise BadFilter("action", f"«action» desconocida «{action[:40]}». Opciones: {', '.join(actions.keys)}.")
        return action
    if name == "ip":
        value = (params.get("ip") or "").strip()
        if value and not _IP_PART.match(value):
            raise BadFilter("ip", f"«ip» debe ser una dirección IP o su comienzo (p. ej. 10.10.); se recibió «{value[:40]}».")
        return value
    return _text(params, name)


_PARAMS = {"from": "date_from", "to": "date_to", "actor": "actor", "action": "action", "object": "object", "ip": "ip"}


def parse_filters(params, strict: bool = True) -> tuple[Filters, dict[str, str]]:
    """The trail's filters from URL parameters, read as the case list reads its own."""
    return read_filters(params, _PARAMS, _parse_one, Filters, strict)


def _day_start(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


def entries(filters: Filters) -> QuerySet:
    """The entries that match, newest first."""
    found = Entry.objects.all()
    if filters.date_from:
        found = found.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        found = found.filter(created_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    if filters.actor:
        found = found.filter(actor_name=filters.actor)   # a username, as shown (indexed)
    if filters.action:
        if filters.action in load_vocabularies().audit_actions:
            found = found.filter(action=filters.action)
        else:
            found = found.filter(action__startswith=filters.action + ".")
    if filters.object:
        found = found.filter(label=filters.object)   # a case's number, a username, a role's key… as shown
    if filters.ip:
        try:
            found = found.filter(ip=str(ipaddress.ip_address(filters.ip)))
        except ValueError:
            found = found.filter(ip__startswith=filters.ip)
    return found.order_by("-created_at", "-id")


# --- showing an entry -----------------------------------------------------------------------------
def has_personal(entry: Entry) -> bool:
    """Whether showing the entry unmasked would show personal values."""
    return masked(entry.before, entry.personal) != entry.before or masked(entry.after, entry.personal) != entry.after


def _flat(value, prefix="") -> dict:
    """{"data": {"dni": 1}} -> {"data.dni": 1}: one row per value."""
    if isinstance(value, dict) and value:
        out = {}
        for key, item in value.items():
            out.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value} if prefix else {}


def _shown(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Sí" if value else "No"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@dataclass
class Shown:
    """An entry as shown: its changes as (field, before, after) rows, masked or not."""

    entry: Entry
    changes: list[tuple[str, str, str]]
    unmasked: bool
    personal: bool

    def __getattr__(self, name):
        return getattr(self.entry, name)


def show(entry: Entry, unmask: bool = False) -> Shown:
    before = entry.before if unmask else masked(entry.before, entry.personal)
    after = entry.after if unmask else masked(entry.after, entry.personal)
    old, new = _flat(before), _flat(after)
    keys = list(dict.fromkeys([*old, *new]))
    changes = [(key, _shown(old[key]) if key in old else "", _shown(new[key]) if key in new else "") for key in keys]
    return Shown(entry, changes, unmask, has_personal(entry))


def as_json(entry: Entry, unmask: bool = False) -> dict:
    return {
        "id": entry.pk,
        "seq": entry.seq,
        "created_at": entry.created_at.isoformat(),
        "actor": entry.actor_name or None,
        "ip": entry.ip,
        "action": entry.action,
        "action_label": entry.action_label,
        "object_type": entry.object_type or None,
        "object_id": entry.object_id or None,
        "label": entry.label,
        "before": entry.before if unmask else masked(entry.before, entry.personal),
        "after": entry.after if unmask else masked(entry.after, entry.personal),
        "personal_data": has_personal(entry),
        "sealed": entry.seq is not None,
        "hash": entry.hash or None,
    }


# --- exports --------------------------------------------------------------------------------------
HEADERS = ("N.º en la cadena", "Fecha", "Usuario", "Dirección IP", "Acción", "Tipo de objeto", "Identificador",
           "Objeto", "Antes", "Después", "Huella")
WIDTHS = (10, 17, 22, 16, 30, 12, 12, 28, 50, 50, 20)


def export_rows(found, limit: int = EXPORT_LIMIT) -> tuple[list[tuple], bool]:
    """The rows of an export (masked), at most `limit`; and whether more matched."""
    rows = []
    for entry in found[:limit + 1]:
        before, after = masked(entry.before, entry.personal), masked(entry.after, entry.personal)
        rows.append((entry.seq or "", timezone.localtime(entry.created_at).replace(tzinfo=None),
                     entry.actor_name or "sistema", entry.ip or "", entry.action_label, entry.object_type,
                     entry.object_id, entry.label,
                     "" if before is None else json.dumps(before, ensure_ascii=False, default=str),
                     "" if after is None else json.dumps(after, ensure_ascii=False, default=str),
                     entry.hash[:16] if entry.hash else "sin sellar"))
    return rows[:limit], len(rows) > limit


__all__ = ["MASK", "Filters", "parse_filters", "entries", "show", "as_json", "export_rows"]
