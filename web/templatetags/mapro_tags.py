from django import template

from engine import forms
from engine.vocabularies import deviation_kind_label, field_type_label, schedule_rule_label

register = template.Library()


@register.filter
def get(mapping, key):
    """Look a key up in a dict from a template: {{ values|get:field.key }}."""
    if not hasattr(mapping, "get"):  # None, or a variable the page does not have
        return None
    return mapping.get(key)


@register.filter
def role_name(slug):
    from cases.procedures import organization

    try:
        return organization().role(slug).name
    except StopIteration:
        return slug


@register.filter
def goto_label(goto):
    return "Fin del procedimiento" if goto == "END" else f"Actividad {goto}"


# Labels of the closed vocabularies (catalog/vocabularies.yaml): {{ d.kind|deviation_kind }}.
@register.filter
def deviation_kind(kind):
    return deviation_kind_label(kind)


@register.filter
def schedule_rule(rule):
    return schedule_rule_label(rule)


@register.filter
def field_type(type_key):
    return field_type_label(type_key)


# What an input accepts, as engine/forms.py checks it: {{ f|max_length }}, {{ f|html_pattern }}.
@register.filter
def max_length(field):
    return forms.max_length(field)


@register.filter
def html_pattern(field):
    return forms.html_pattern(field)


@register.filter
def field_value(value):
    """A recorded value as people read it: lists joined with commas, booleans as Sí / No."""
    if value is True:
        return "Sí"
    if value is False:
        return "No"
    if value is None or value == "":
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(field_value(v)) for v in value) or "—"
    return value


@register.filter
def repeats_field_error(message, errors):
    """Whether a page message only repeats an error already shown under its field."""
    if not hasattr(errors, "values"):
        return False
    return str(message) in {str(e) for e in errors.values()}
