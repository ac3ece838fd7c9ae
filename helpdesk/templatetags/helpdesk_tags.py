from django import template

from ..catalog import catalog

register = template.Library()


@register.inclusion_tag("helpdesk/_portal_strip.html", takes_context=True)
def help_desk_portal(context):
    """The help desk's catalogue on top of the task inbox: what any employee may ask for."""
    from ..views import portal_first

    user = context["request"].user
    return {"categories": catalog().categories.values(), "prominent": portal_first(user)}
