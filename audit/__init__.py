"""The audit trail: who did what, when, from where, before and after (audit.models.Entry).

    from audit import record
    record("case.cancelled", actor=user, obj=case, before={"status": "open"}, after={...})

One entry per change, written in the change's transaction; sealed into a hash chain by the worker
(audit.chain.seal) and checked by `mapro audit verify`.
"""


def record(action, *, actor, **kwargs):
    """Insert one unsealed entry in the caller's transaction (audit.trail.record)."""
    from .trail import record as write

    return write(action, actor=actor, **kwargs)


def entry(action, *, actor, **kwargs):
    """The same entry, unsaved, for a writer that inserts it itself (cases.store)."""
    from .trail import entry as build

    return build(action, actor=actor, **kwargs)


def personal_data_shown(request, case, events=None):
    """Record a read of the case's personal data, if the request's user sees it unmasked and the
    case holds any (audit.trail.personal_data_shown)."""
    from .trail import personal_data_shown as shown

    return shown(request, case, events)


def personal_paths(fields, data):
    """The paths ("data.dni") of the personal values a form's data holds, for an entry's `personal`."""
    from .trail import personal_paths as paths

    return paths(fields, data)
