"""What the sheets declare about registers, run by the completion hook (cases/effects.py):

- `effects:` on an activity: the entries it creates, updates, assigns, returns or closes, from which
  form fields (this form's, else the case's earlier ones);
- form fields of type `entry`: the picked entry must exist (and, with `holder`, be held by that person);
- a decision with `register:`: answered by whether the register holds the entry.
"""
from __future__ import annotations

from django.utils import timezone

from cases.effects import Context, Refused

from . import actions, catalog
from .cronograma import ORIGIN_NOTE
from .models import Entry


SOURCES = {
    "@today": lambda ctx: timezone.localdate(ctx.now).isoformat(),
    "@case": lambda ctx: ctx.case.number,
}


def _values(ctx: Context, pairs) -> tuple[dict, dict]:
    values, names = {}, {}
    for register_field, form_field in pairs:
        source = SOURCES.get(form_field)
        values[register_field] = source(ctx) if source else ctx.value(form_field)
        names[register_field] = form_field
    return values, names


ORIGIN = "@origin"   # in an effect's key: the cronograma entry whose date started this case


def origin(ctx: Context, r) -> Entry | None:
    """The open entry of cronograma `r` that started the case (registers.cronograma), if any."""
    return (Entry.objects.filter(register=r.slug, closed=False, versions__case_id=ctx.case.pk,
                                 versions__note__startswith=ORIGIN_NOTE).order_by("-id").first())


def entry_for_field(f, value, holder_dni=None) -> Entry | None:
    r = catalog.get(f.register)
    entry = Entry.objects.filter(register=r.slug, key=catalog.natural_key(r, {r.key[0]: value}), closed=False).first()
    if entry is not None and holder_dni and r.person and entry.person != str(holder_dni):
        return None
    return entry


class RegisterEffects:
    def plan(self, ctx: Context):
        if ctx.task.waiting:       # the receipt of a third party's answer changes no register
            return []
        for f in ctx.activity.form:
            if f.type == "entry" and ctx.clean.get(f.key):
                holder = ctx.value(f.holder) if f.holder else None
                if entry_for_field(f, ctx.clean[f.key], holder) is None:
                    r = catalog.get(f.register)
                    whose = " a nombre de esa persona" if holder else ""
                    raise Refused(f.key, f"«{f.label}»: no hay en «{r.name}» una entrada vigente "
                                         f"«{ctx.clean[f.key]}»{whose}.")
        prepared = []
        for effect in ctx.activity.effects:
            if effect.when and effect.when != ctx.decision:
                continue
            r = catalog.get(effect.register)
            entry = None
            if any(form_field == ORIGIN for _, form_field in effect.key):
                entry = origin(ctx, r)
                if entry is None:      # the case was not started by this cronograma: nothing to mark
                    continue
                key, names = {}, {}
            else:
                key, names = _values(ctx, effect.key)
            values, more = _values(ctx, effect.set)
            values.update({k: v for k, v in effect.fixed if v != ""})
            emptied = {k for k, v in effect.fixed if v == ""}     # `fixed: {field: ""}` empties the field
            prepared.append(actions.prepare(r, effect.action, key, values, state=effect.state, names={**names, **more},
                                            entry=entry, emptied=emptied))
        if not prepared:
            return []

        def write():
            for p in prepared:
                p.write(user=ctx.user, case=ctx.case, activity=ctx.activity.n, now=ctx.now)
        return [write]

    def answer(self, ctx: Context, decision) -> str | None:
        """The answer's label a register gives to `decision` (None when the register does not answer it)."""
        lookup = decision.lookup
        if lookup is None:
            return None
        r = catalog.get(lookup.register)
        key, names = _values(ctx, lookup.key)
        missing = [names[k] for k in r.key if not key.get(k)]
        if missing:
            f = next((x for x in ctx.activity.form if x.key == missing[0]), None)
            label = f.label if f else missing[0]
            raise Refused(missing[0], f"Indique «{label}»: con ese dato el registro «{r.name}» responde "
                                      f"«{decision.question}».")
        return lookup.found if actions.current(r, key) is not None else lookup.missing
