from django import template

register = template.Library()


@register.filter
def reads_registers(user) -> bool:
    """Whether the menu shows «Registros»: the user may read some register (cases.access)."""
    from cases import access

    return bool(access.readable_registers(user))
