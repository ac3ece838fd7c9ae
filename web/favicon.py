"""/favicon.ico: browsers ask for it at the root whatever the page links, so it answers here
(200, cached for a day) instead of a 404 logged on every first visit."""
from functools import cache
from pathlib import Path

from django.http import HttpResponse
from django.views.decorators.http import require_GET

ICON = Path(__file__).resolve().parent / "static" / "web" / "favicon.ico"


@cache
def _icon() -> bytes:
    return ICON.read_bytes()


@require_GET
def favicon(request):
    response = HttpResponse(_icon(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
