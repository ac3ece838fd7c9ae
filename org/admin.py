from django.contrib import admin

from .models import DirectoryAccount, Person, Role, Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("acronym", "name", "slug")
    search_fields = ("acronym", "name")


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("name", "unit", "slug", "requester", "coordinator")
    list_filter = ("unit", "requester", "coordinator")
    search_fields = ("name", "slug")
    filter_horizontal = ("members",)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("user", "unit", "is_demo")
    list_filter = ("unit", "is_demo")


@admin.register(DirectoryAccount)
class DirectoryAccountAdmin(admin.ModelAdmin):
    """Who signs in with the directory, and which of their roles the directory manages: those are
    added and removed with the directory's groups at each sign-in; the others were granted by hand."""

    list_display = ("user", "dn", "synced_at")
    search_fields = ("user__username", "user__first_name", "user__last_name", "dn")
    readonly_fields = ("user", "dn", "synced_at")
    filter_horizontal = ("roles",)

    def has_add_permission(self, request):
        return False   # made at the first sign-in with the directory
