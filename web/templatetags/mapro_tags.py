from django import template

from engine.vocabularies import deviation_kind_label, field_type_label, schedule_rule_label

register = template.Library()


@register.filter
def get(mapping, key):
    """Look a key up in a dict from a template: {{ values|get:field.key }}."""
    if mapping is None:
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
