from django.contrib import admin

from .models import Case, Event, SheetVersion, Task


class TaskInline(admin.TabularInline):
    model = Task
    fields = ("activity", "name", "role", "assignee", "status", "due_at", "completed_by", "completed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("number", "procedure", "status", "started_by", "created_at", "completed_at")
    list_filter = ("status", "procedure")
    search_fields = ("number",)
    readonly_fields = ("number", "procedure", "version", "start_key", "started_by", "created_at", "updated_at",
                       "completed_at", "lock_version")
    exclude = ("state",)  # engine state is changed only by the workflow layer
    inlines = [TaskInline]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("case", "kind", "activity", "name", "user", "decision", "created_at")
    list_filter = ("kind",)
    search_fields = ("case__number",)
    readonly_fields = [f.name for f in Event._meta.fields]


@admin.register(SheetVersion)
class SheetVersionAdmin(admin.ModelAdmin):
    """What cases ran on: recorded by the system, never edited."""

    list_display = ("procedure", "version", "recorded_at", "digest")
    list_filter = ("procedure",)
    readonly_fields = [f.name for f in SheetVersion._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
