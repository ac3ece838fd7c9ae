from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Auditoría"

    def ready(self):
        # org.signin counts a failed sign-in from the same signal the trail listens to; connected
        # first, so the trail sees the failure already counted (and tells when it starts a lock).
        import org.signin  # noqa: F401

        from . import signals  # noqa: F401
