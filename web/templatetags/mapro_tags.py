from django import template

register = template.Library()


@register.filter
def get(mapping, key):
    """Look a key up in a dict from a template: {{ values|get:field.key }}."""
    if mapping is None:
        return None
    return mapping.get(key)


@register.filter
def goto_label(goto):
    return "Fin del procedimiento" if goto == "END" else f"Actividad {goto}"
