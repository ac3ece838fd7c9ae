from django.contrib import admin

from .models import Person, Role, Unit


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
