from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Casos y tareas"

    def ready(self):
        from . import checks  # noqa: F401  registers the catalog check
