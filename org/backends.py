from django.conf import settings
from django.contrib.auth.backends import ModelBackend


class DemoAwareBackend(ModelBackend):
    """Demo accounts exist for trying the system; outside demo mode they cannot sign in."""

    def user_can_authenticate(self, user):
        if not super().user_can_authenticate(user):
            return False
        person = getattr(user, "person", None)
        return settings.DEMO_MODE or not (person and person.is_demo)
