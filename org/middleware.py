"""Session and caching rules for signed-in people."""
from django.contrib.auth import SESSION_KEY
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

_SEEN = "_mapro_seen_minute"


class IdleSessionMiddleware:
    """A session expires SESSION_COOKIE_AGE (MAPRO_SESSION_IDLE_MINUTES) after it was last saved;
    while the person keeps using it, save it again at most once a minute, so it ends after that much
    idle time rather than after a fixed lifetime, without a database write on every request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY):
            minute = int(timezone.now().timestamp() // 60)
            if session.get(_SEEN) != minute:
                session[_SEEN] = minute  # modified: SessionMiddleware saves it with a fresh expiry
        return self.get_response(request)


class NoStoreForSignedInMiddleware:
    """Responses for a signed-in person (session or API token) may carry personal data (a DNI, a
    telephone): no browser or proxy may keep a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
