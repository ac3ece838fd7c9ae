"""Content-Security-Policy on every response.

The pages load scripts and styles only from the site itself: no inline <script>, no on…= handler
attributes, no style="…" attributes (web/static/web/mapro.js and mapro.css hold them). A page
someone manages to inject markup into cannot run script of its own. htmx is told not to add its
indicator <style> (the meta tag htmx-config in web/base.html) nor to evaluate expressions.
"""
from django.conf import settings

DEFAULT_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])


class ContentSecurityPolicyMiddleware:
    """Adds settings.MAPRO_CSP, or DEFAULT_POLICY, unless the view set a policy of its own."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "MAPRO_CSP", "") or DEFAULT_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        return response
