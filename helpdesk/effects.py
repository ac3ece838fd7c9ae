"""What the sheets declare about help-desk tickets (`effects:` items with `ticket:`), run by the
completion hook (cases/effects.py) in the completion's transaction:

- `{ticket: open}`: the case's ticket, for its requester, when the case has none (started from the
  procedure's page or the API; a case started by a ticket already has it);
- `{ticket: assign, team: <role>, assignee: <user field>}`: the case's ticket to that person of the
  team (the team alone when the field is left empty);
- `{ticket: return, note: <field>}`: back to its requester, the field's text as the reason;
- `{ticket: resolve | close, note: <field>}`: resolved (or resolved and closed) with that solution;
- `{ticket: create, link: <name>, category: <slug>, team: <role>, subject: "...", assignee: <field>}`:
  an internal ticket the case generates (a QA request, a pase a producción), related to the case's
  ticket; later effects with `link: <name>` act on it.

When the case ends, its tickets still open end with it (`case_closed`). A ticket already closed or
cancelled is left as it is; an effect with bad input (a person outside the team) is Refused,
naming the form field: the completion is a 422 and nothing is written.
"""
from __future__ import annotations

import re

from cases.effects import Context, Refused
from cases.workflow import Invalid

from . import actions
from .catalog import catalog

FIELD = re.compile(r"\{([a-z0-9_]+)\}")


def subject(ctx: Context, template: str) -> str:
    """The effect's subject with each {field} replaced by that form field's value."""
    def value(match):
        found = ctx.value(match.group(1))
        return ", ".join(map(str, found)) if isinstance(found, list) else str(found or "")
    return " ".join(FIELD.sub(value, template).split())[:200] or ctx.case.subject


def _label(ctx: Context, key: str) -> str:
    f = next((x for x in ctx.activity.form if x.key == key), None)
    return f.label if f else key


def _text(ctx: Context, key: str) -> str:
    if not key:
        return ""
    value = ctx.value(key)
    if isinstance(value, list):
        value = ", ".join(map(str, value))
    return str(value or "").strip()


def _person(ctx: Context, effect):
    """The person the `assignee` field names (None when left empty), checked against the team."""
    # This form's own value only: an earlier activity's person (another team) is not meant.
    username = ctx.clean.get(effect.assignee) if effect.assignee else None
    if not username:
        return None
    try:
        return actions.eligible(username, effect.team)
    except Invalid as exc:
        raise Refused(effect.assignee, f"«{_label(ctx, effect.assignee)}»: {exc.detail}") from None


def _target(ctx: Context, effect):
    return actions.linked_ticket(ctx.case, effect.link) if effect.link else actions.case_ticket(ctx.case)


class TicketEffects:
    def plan(self, ctx: Context):
        if ctx.task.waiting:       # the receipt of a third party's answer changes no ticket
            return []
        writes = []
        for effect in ctx.activity.tickets:
            if effect.when and effect.when != ctx.decision:
                continue
            write = getattr(self, f"_{effect.action}")(ctx, effect)
            if write is not None:
                writes.append(write)
        return writes

    def _open(self, ctx, effect):
        if actions.opening_ticket() or actions.case_ticket(ctx.case) is not None:
            return None        # started by a ticket (the portal, mail, the desk): it is the case's ticket
        cat = catalog().category(effect.category) if effect.category else actions.category_for_procedure(ctx.sheet.code)
        if cat is None:
            return None
        description = _text(ctx, effect.note)
        return lambda: actions.open_for_case(ctx.case, ctx.user, cat, description=description, now=ctx.now)

    # The ticket acted on is looked up when the write runs: an earlier effect of the same
    # activity may have generated it (`create` then `close`, as a training's ticket).
    def _assign(self, ctx, effect):
        person = _person(ctx, effect)
        if person is None and not effect.team:
            return None

        def write():
            ticket = _target(ctx, effect)
            if ticket is not None:
                actions.assign_for_case(ticket, ctx.user, person=person, team=effect.team, now=ctx.now)
        return write

    def _return(self, ctx, effect):
        reason = _text(ctx, effect.note) or f"{ctx.activity.name} (caso {ctx.case.number})."

        def write():
            ticket = _target(ctx, effect)
            if ticket is not None:
                actions.return_for_case(ticket, ctx.user, reason, now=ctx.now)
        return write

    def _solution(self, ctx, effect):
        return _text(ctx, effect.note) or f"{ctx.activity.name} (caso {ctx.case.number}, actividad {ctx.activity.n})."

    def _resolve(self, ctx, effect, close=False):
        solution = self._solution(ctx, effect)

        def write():
            ticket = _target(ctx, effect)
            if ticket is not None:
                actions.resolve_for_case(ticket, ctx.user, solution, close=close, now=ctx.now)
        return write

    def _close(self, ctx, effect):
        return self._resolve(ctx, effect, close=True)

    def _create(self, ctx, effect):
        cat = catalog().category(effect.category)
        if cat is None:     # engine.validate refuses such a sheet; never half-run one
            raise Refused("ticket", f"La categoría «{effect.category}» no está en el catálogo de la mesa de ayuda.")
        person = _person(ctx, effect)
        title = subject(ctx, effect.subject or cat.name)
        description = _text(ctx, effect.note) or f"{ctx.activity.name} (caso {ctx.case.number}: {ctx.case.subject})."
        return lambda: actions.create_for_case(ctx.case, ctx.user, cat, link=effect.link, subject=title,
                                               description=description, team=effect.team, assignee=person, now=ctx.now)


def case_closed(case, status, by, **_):
    """cases.effects "case.closed": the case's tickets still open end with it."""
    actions.end_with_case(case, status, by)


def ticket_number(link: str = ""):
    """A register source (registers.effects.SOURCES): the number of the case's ticket, or of the
    ticket it generated under `link`."""
    def source(ctx: Context):
        ticket = actions.linked_ticket(ctx.case, link) if link else actions.case_ticket(ctx.case)
        return ticket.number if ticket else None
    return source
