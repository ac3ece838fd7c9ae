from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notificaciones"

    def ready(self):
        from cases import effects

        from . import subscribers

        effects.subscribe("task.offered", subscribers.task_offered)
        effects.subscribe("task.assigned", subscribers.task_assigned)
        effects.subscribe("case.closed", subscribers.case_closed)
        effects.subscribe("comment.added", subscribers.comment_added)
