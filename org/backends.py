from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from . import second_factor, signin


class SignInGuard:
    """The one sign-in rule of every backend (local accounts here, the directory in org.directory):
    a username or address locked by repeated failures (org.signin) is refused before its password
    is checked, and `request.mapro_signin_locked` then says until when, for the caller's message.
    A success forgets the username's failures, unless a second factor is still to come
    (org.second_factor): then the right code does, so wrong codes add up to the same lock."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is not None:
            until = signin.locked_until(username, signin.client_ip(request))
            if until:
                if request is not None:
                    request.mapro_signin_locked = until
                raise PermissionDenied(signin.locked_message())  # authenticate() stops here: no other backend
        user = self.check_credentials(request, username, password, **kwargs)
        if user is not None and not second_factor.required(user):
            signin.clear(username)
        return user

    def check_credentials(self, request, username, password, **kwargs):
        raise NotImplementedError


class DemoAwareBackend(SignInGuard, ModelBackend):
    """Local accounts. Demo accounts exist for trying the system; outside demo mode they cannot
    sign in. Every sign-in (web, admin, API) passes here first."""

    def check_credentials(self, request, username, password, **kwargs):
        return ModelBackend.authenticate(self, request, username, password, **kwargs)

    def user_can_authenticate(self, user):
        if not super().user_can_authenticate(user):
            return False
        person = getattr(user, "person", None)
        return settings.DEMO_MODE or not (person and person.is_demo)
