from django.contrib import admin

from cases.admin import ReadOnlyAdmin

from .models import Ticket, TicketAttachment, TicketEvent, TicketMessage


class EventInline(admin.TabularInline):
    model = TicketEvent
    fields = ("created_at", "kind", "actor", "before", "after", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    """Tickets change only through the help desk's pages and API (helpdesk.actions), each change with
    its history and audit entry; here they are read."""
    list_display = ("number", "subject", "status", "priority", "category", "requester", "assignee", "created_at")
    list_filter = ("status", "priority", "category", "channel")
    search_fields = ("number", "subject", "requester__username")
    inlines = [EventInline]


@admin.register(TicketMessage)
class TicketMessageAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "author", "internal", "minutes_spent", "created_at")


@admin.register(TicketAttachment)
class TicketAttachmentAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "name", "size", "content_type", "uploaded_by", "created_at")
