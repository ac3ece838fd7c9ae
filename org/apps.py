from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = "Organización"

    def ready(self):
        from . import checks, signin  # noqa: F401  (directory settings checks; failed sign-ins counted from user_login_failed)
