from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from . import signin


class DemoAwareBackend(ModelBackend):
    """Demo accounts exist for trying the system; outside demo mode they cannot sign in.

    Every sign-in (web, admin, API) passes here: a username or address locked by repeated failures
    (org.signin) is refused before its password is checked; `request.mapro_signin_locked` then says
    until when, for the caller's message."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is not None:
            until = signin.locked_until(username, signin.client_ip(request))
            if until:
                if request is not None:
                    request.mapro_signin_locked = until
                raise PermissionDenied(signin.locked_message())  # authenticate() stops here: no other backend
        user = super().authenticate(request, username, password, **kwargs)
        if user is not None:
            signin.clear(username)
        return user

    def user_can_authenticate(self, user):
        if not super().user_can_authenticate(user):
            return False
        person = getattr(user, "person", None)
        return settings.DEMO_MODE or not (person and person.is_demo)
