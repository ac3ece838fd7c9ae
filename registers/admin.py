"""Register entries and their history in the administration: read-only. Entries change only through
registers.actions (activities, pages, API, import), so every change keeps its version and audit entry."""
from django.contrib import admin

from cases.admin import ReadOnlyAdmin

from .models import Entry, Version


class VersionInline(admin.TabularInline):
    model = Version
    fields = ("n", "action", "state", "changes", "user", "case", "activity", "note", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-n",)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("register", "title", "key", "state", "closed", "updated_at")
    list_filter = ("register", "closed")
    search_fields = ("key", "title")
    inlines = [VersionInline]
    exclude = ("search",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "search"]


@admin.register(Version)
class VersionAdmin(ReadOnlyAdmin):
    list_display = ("entry", "n", "action", "state", "user", "case", "activity", "created_at")
    list_filter = ("action",)
    raw_id_fields = ("entry",)
    list_select_related = ("entry", "user", "case")
