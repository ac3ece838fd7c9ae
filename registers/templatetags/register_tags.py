"""What a task's form shows of the registers: the entries an `entry` field may pick."""
from django import template

from cases.effects import Context

from .. import catalog
from ..models import Entry

register = template.Library()
CHOICES_LIMIT = 300


@register.simple_tag
def entry_choices(f, case):
    """Up to CHOICES_LIMIT open entries of the field's register (held by the case's person when the
    field says `holder`), newest first: [(key value, title, state label)]; the register's name."""
    r = catalog.get(f.register)
    entries = Entry.objects.filter(register=r.slug, closed=False)
    if f.holder:
        context = Context(case=case, task=None, sheet=None, activity=None, user=None, clean={}, decision="",
                          now=None, finished=False)
        entries = entries.filter(person=str(context.value(f.holder) or "-"))
    key = r.key[0]
    return {"register": r, "entries": [(e.data.get(key, e.key), e.title or e.key, r.state_label(e.state))
                                       for e in entries.order_by("-updated_at")[:CHOICES_LIMIT]]}


@register.simple_tag
def register_name(slug):
    return catalog.get(slug).name
