from django.contrib import admin

import audit

from .models import Attachment, Case, Comment, Event, SheetVersion, Task

# The administration speaks Spanish like the rest of the system.
admin.site.site_header = "Administración de mapro · MAPRO S04 · OGTIE"
admin.site.site_title = "Administración de mapro"
admin.site.index_title = "Administración del sistema"


class ReadOnlyAdmin(admin.ModelAdmin):
    """What the workflow writes (history, tasks, comments, files): shown, never added, changed or
    deleted by hand, so the record of what happened stays the record."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TaskInline(admin.TabularInline):
    model = Task
    fields = ("activity", "name", "role", "assignee", "status", "due_at", "completed_by", "completed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("number", "procedure", "status", "started_by", "created_at", "completed_at")
    list_filter = ("status", "procedure")
    search_fields = ("number",)
    # The status, the engine state and its lock version change only through the workflow layer.
    readonly_fields = ("number", "procedure", "version", "start_key", "status", "started_by", "created_at",
                       "updated_at", "completed_at", "lock_version")
    exclude = ("state",)
    inlines = [TaskInline]

    def has_add_permission(self, request):
        return False  # a case starts from its procedure, with its engine state

    def has_delete_permission(self, request, obj=None):
        return False  # its history goes with it

    def save_model(self, request, obj, form, change):
        """What the office may still correct here (subject, priority, requesting unit) is recorded in
        the audit trail with its value before and after, in the admin's transaction."""
        super().save_model(request, obj, form, change)
        changed = [name for name in form.changed_data if name in form.fields]
        if changed:
            value = lambda v: getattr(v, "pk", v)   # noqa: E731 - a unit as its id
            audit.record("case.changed", actor=request.user, obj=obj, request=request,
                         before={name: value(form.initial.get(name)) for name in changed},
                         after={name: value(form.cleaned_data.get(name)) for name in changed})


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ("case", "activity", "name", "role", "assignee", "status", "due_at")
    list_filter = ("status", "procedure")
    search_fields = ("case__number", "name")
    list_select_related = ("case", "assignee")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("case", "kind", "activity", "name", "user", "decision", "created_at")
    list_filter = ("kind",)
    search_fields = ("case__number",)
    list_select_related = ("case", "user")


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ("case", "author", "internal", "created_at")
    list_filter = ("internal",)
    search_fields = ("case__number",)
    list_select_related = ("case", "author")


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    # The stored file is served only by the access-checked case view, never linked from here.
    list_display = ("case", "name", "size", "content_type", "internal", "uploaded_by", "created_at")
    list_filter = ("internal",)
    search_fields = ("case__number", "name")
    exclude = ("file",)
    list_select_related = ("case", "uploaded_by")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "file"]


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
