from django.contrib import admin
from django.utils import timezone

from .models import Notification, OutboxMessage, Preference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "kind", "title", "read_at", "mailed_at")
    list_filter = ("kind",)
    search_fields = ("title", "recipient__username")
    raw_id_fields = ("recipient", "case")
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "mode", "last_digest_on")
    list_filter = ("mode",)
    search_fields = ("user__username",)
    raw_id_fields = ("user",)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "to", "subject", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("to", "subject")
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Reintentar el envío ahora")
    def retry(self, request, queryset):
        count = queryset.exclude(status=OutboxMessage.Status.SENT).update(
            status=OutboxMessage.Status.PENDING, next_attempt_at=timezone.now(), claimed_until=None)
        self.message_user(request, f"{count} correo(s) volverán a enviarse en la próxima revisión del programador.")
