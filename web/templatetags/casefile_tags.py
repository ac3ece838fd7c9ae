"""What a file input accepts, for any page that shows one: {% load casefile_tags %}
{% upload_accept %} for the input's `accept` (a hint to the file picker; the server checks the
content) and {% upload_hint %} for the text under it."""
from django import template

from cases import casefile, filetypes

register = template.Library()


@register.simple_tag
def upload_accept():
    return filetypes.ACCEPT_ATTRIBUTE


@register.simple_tag
def upload_hint():
    return f"{filetypes.ACCEPTED}; hasta {casefile.max_size_text()}."
