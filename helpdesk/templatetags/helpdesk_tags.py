from django import template

from ..catalog import catalog

register = template.Library()


@register.inclusion_tag("helpdesk/_portal_strip.html", takes_context=True)
def help_desk_portal(context):
    """The help desk's catalogue on top of the task inbox: what any employee may ask for."""
    from ..views import portal_first

    user = context["request"].user
    return {"categories": catalog().categories.values(), "prominent": portal_first(user)}


@register.inclusion_tag("helpdesk/_case_tickets.html", takes_context=True)
def case_tickets(context, case):
    """The case's ticket and the tickets it generated, those the user may see (cases.access), as
    lines of a facts list: number, link, status and who attends it."""
    from cases import access

    user = context["request"].user
    tickets = [t for t in case.tickets.select_related("assignee").order_by("id") if access.may_view_ticket(user, t)]
    return {"tickets": tickets}
