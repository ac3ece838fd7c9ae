from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = "Organización"

    def ready(self):
        from . import signin  # noqa: F401  (counts failed sign-ins from user_login_failed)
