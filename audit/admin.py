from django.contrib import admin

from .models import ChainHead, Entry


class ReadOnly(admin.ModelAdmin):
    """Shown, never added, changed or deleted: the trail records what happened (and the database
    refuses changes anyway: audit migration 0002)."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Entry)
class EntryAdmin(ReadOnly):
    # actor_name, not the user: the account may have been deleted since.
    list_display = ("created_at", "seq", "actor_name", "ip", "action", "object_type", "label")
    list_filter = ("action", "object_type")
    search_fields = ("actor_name", "label", "ip")
    date_hierarchy = "created_at"
    exclude = ("actor",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "actor"]


@admin.register(ChainHead)
class ChainHeadAdmin(ReadOnly):
    list_display = ("seq", "hash", "sealed_at")
