from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operating an installation: backup and restore (`mapro backup`, `mapro restore`)."""

    name = "ops"
    verbose_name = "Operación"
