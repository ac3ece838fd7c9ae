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


@register.simple_tag
def person_checklist(task, case, user):
    """On the tasks of a procedure that takes things back from a person (its sheet returns or closes
    register entries: account removal, device return), what the registers the user reads still hold
    open for the case's person: [(DNI, [(register, [(entry, state label)])])]. Only for those who see
    the case's personal data."""
    from cases import access, procedures

    sheet = procedures.sheet(case.procedure, case.version)
    takes_back = {e.register for a in sheet.activities for e in a.effects if e.action in ("return", "close")}
    # Whoever handles the case's personal data sees what the readable registers hold for its person.
    if not takes_back or not access.sees_personal_data(user, case):
        return []
    registers = [r for r in access.readable_registers(user) if r.person]
    context = Context(case=case, task=task, sheet=sheet, activity=None, user=user, clean={}, decision="",
                      now=None, finished=False)
    data = context.earlier()
    people = {str(data[f.key]) for a in sheet.activities for f in a.form if f.type == "dni" and data.get(f.key)}
    for f in (f for a in sheet.activities for f in a.form if f.type == "entry" and data.get(f.key)):
        r = catalog.get(f.register)
        if r.person:   # the picked entry's person: the account being removed names its holder
            picked = Entry.objects.filter(register=r.slug, key=catalog.natural_key(r, {r.key[0]: data[f.key]})) \
                .order_by("closed", "-updated_at").first()
            if picked is not None and picked.person:
                people.add(picked.person)
    found = []
    for dni in sorted(people):
        open_entries = []
        for r in registers:
            entries = [(e, r.state_label(e.state)) for e in
                       Entry.objects.filter(register=r.slug, person=dni, closed=False).order_by("-updated_at")[:50]]
            if entries:
                open_entries.append((r, entries))
        found.append((dni, open_entries))
    return found
