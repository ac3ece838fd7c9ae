from django import template

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
