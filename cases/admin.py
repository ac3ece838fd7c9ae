from django.contrib import admin

from .models import Case, Event, Task


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
