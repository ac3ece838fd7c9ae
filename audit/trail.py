"""Writing entries of the audit trail (see audit/models.py) and showing them masked.

`record()` inserts one unsealed entry; call it inside the transaction of the change it records, so
an entry exists exactly when its change does. `entry()` builds the same entry unsaved, for a writer
that inserts it itself (cases.store, in a task completion's one statement).
"""
from __future__ import annotations

import copy

from django.utils import timezone

from engine.vocabularies import load_vocabularies

from .middleware import current_request
from .models import Entry

MASK = "••••••"   # as cases.access.MASK

# How an object is named in the trail: (type, label) by model.
_KINDS = {
    "cases.case": ("case", lambda o: o.number),
    "auth.user": ("user", lambda o: o.username),
    "org.role": ("role", lambda o: o.slug),
    "org.unit": ("unit", lambda o: o.acronym),
    "org.person": ("person", lambda o: o.user.username),
    "schedules.schedulesetting": ("setting", lambda o: f"{o.procedure} · {o.schedule_key}"),
    "api.apitoken": ("token", lambda o: ""),
}


def describe_object(obj) -> tuple[str, str, str]:
    """(object_type, object_id, label) of a model instance."""
    if obj is None:
        return "", "", ""
    kind, label = _KINDS.get(obj._meta.label_lower, (obj._meta.model_name, str))
    return kind, str(obj.pk), str(label(obj))


def client_ip(request) -> str | None:
    from org.signin import client_ip as address   # REMOTE_ADDR, or the proxy's X-Forwarded-For

    return address(request)


def _actor(actor):
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor


def entry(action: str, *, actor, obj=None, label: str = "", before=None, after=None, ip: str | None = None,
          request=None, object_type: str | None = None, object_id=None, personal=(), actor_name: str = "",
          created_at=None) -> Entry:
    """An unsaved, unsealed entry. `actor` is the user who acted (None: the system; `actor_name`
    names someone without an account, e.g. the username of a failed sign-in). The address is `ip`,
    else the `request`'s, else the current request's (audit.middleware). `obj` (a model instance)
    gives the object's type, id and label; `object_type`, `object_id` and `label` override them.
    `personal` lists the paths ("data.dni") of before/after values that are personal data."""
    if action not in load_vocabularies().audit_actions:
        raise ValueError(f"acción de auditoría desconocida: {action} (catalog/vocabularies.yaml, audit_actions)")
    actor = _actor(actor)
    if ip is None:
        ip = client_ip(request if request is not None else current_request())
    kind, pk, name = describe_object(obj)
    return Entry(
        created_at=created_at or timezone.now(), actor=actor,
        actor_name=(actor.get_username() if actor is not None else str(actor_name or ""))[:150],
        ip=ip, action=action, object_type=(object_type or kind)[:20],
        object_id=str(object_id if object_id is not None else pk)[:64], label=str(label or name)[:200],
        before=before, after=after, personal=sorted(set(personal)),
    )


def record(action: str, *, actor, obj=None, label: str = "", before=None, after=None, ip: str | None = None,
           request=None, **extra) -> Entry:
    """Insert one entry (see `entry` for the arguments), in the caller's transaction."""
    found = entry(action, actor=actor, obj=obj, label=label, before=before, after=after, ip=ip, request=request,
                  **extra)
    found.save()
    return found


def request_actor(request=None):
    """The signed-in user of the request being answered, or None (the system)."""
    request = request if request is not None else current_request()
    user = getattr(request, "user", None) if request is not None else None
    return _actor(user)


# --- personal data ----------------------------------------------------------------------------
def personal_paths(fields, data: dict, prefix: str = "data") -> list[str]:
    """The paths of the personal values (cases.access.is_personal) a form's data holds."""
    from cases.access import is_personal

    return [f"{prefix}.{f.key}" for f in fields if is_personal(f) and data.get(f.key) not in (None, "", [])]


def _mask_path(value, parts):
    if not isinstance(value, dict) or parts[0] not in value:
        return
    if len(parts) == 1:
        if value[parts[0]] not in (None, "", []):
            value[parts[0]] = MASK
    else:
        _mask_path(value[parts[0]], parts[1:])


def masked(value, paths):
    """`value` (an entry's before or after) with the personal values at `paths` replaced by MASK."""
    if not paths or not isinstance(value, dict):
        return value
    value = copy.deepcopy(value)
    for path in paths:
        _mask_path(value, path.split("."))
    return value


def personal_data_shown(request, case, events=None) -> Entry | None:
    """Record that a page or response shows `case`'s personal data unmasked to the request's user:
    when cases.access says they see it and the case holds personal values. `events`: the case's
    history as the caller already read it (Event objects), else it is read here."""
    from cases import access, procedures
    from cases.models import Event

    user = request.user
    if not access.sees_personal_data(user, case):
        return None
    if events is None:
        rows = case.events.filter(kind=Event.Kind.COMPLETED).values_list("activity", "data")
    else:
        rows = [(e.activity, e.data) for e in events if e.kind == Event.Kind.COMPLETED]
    sheet = procedures.sheet(case.procedure, case.version)
    keys = set()
    for activity, data in rows:
        if activity and data and sheet.has_activity(activity):
            keys.update(path.split(".", 1)[1] for path in personal_paths(sheet.activity(activity).form, data))
    if not keys:
        return None
    return record("personal_data.read", actor=user, obj=case, request=request, after={"fields": sorted(keys)})
