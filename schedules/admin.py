from django import forms
from django.contrib import admin

from mapro.peru import WEEKDAY_NAMES

from .models import MONTH_CHOICES, NonWorkingDay, Occurrence, ScheduleSetting


class ScheduleSettingForm(forms.ModelForm):
    months = forms.TypedMultipleChoiceField(
        label="Meses", choices=MONTH_CHOICES, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Meses en que corresponde. Para la periodicidad diaria o semanal, ninguno = todos los meses.",
    )

    class Meta:
        model = ScheduleSetting
        fields = ["enabled", "months", "day", "weekday", "start_time"]


@admin.register(ScheduleSetting)
class ScheduleSettingAdmin(admin.ModelAdmin):
    form = ScheduleSettingForm
    list_display = ("procedure", "label", "rule", "summary_display", "start_time", "enabled")
    list_display_links = ("procedure", "label")
    list_editable = ("enabled",)
    list_filter = ("enabled", "rule", "procedure")
    search_fields = ("procedure", "label", "schedule_key")
    readonly_fields = ("procedure", "schedule_key", "label", "rule", "printed", "updated_at")
    fieldsets = (
        ("Según la ficha", {"fields": ("procedure", "label", "schedule_key", "rule", "printed")}),
        ("Configuración de la oficina", {"fields": ("enabled", "months", "day", "weekday", "start_time", "updated_at")}),
    )

    @admin.display(description="fechas")
    def summary_display(self, obj):
        return obj.summary

    def has_add_permission(self, request):
        # Rows come from the sheets' `schedules` entries.
        return False


@admin.register(Occurrence)
class OccurrenceAdmin(admin.ModelAdmin):
    list_display = ("due_date", "procedure", "schedule_key", "status", "case", "started_at")
    list_filter = ("status", "procedure")
    search_fields = ("procedure", "schedule_key", "case__number")
    date_hierarchy = "due_date"
    raw_id_fields = ("case",)
    readonly_fields = ("started_at",)
    fields = ("procedure", "schedule_key", "due_date", "status", "case", "started_at", "note")


@admin.register(NonWorkingDay)
class NonWorkingDayAdmin(admin.ModelAdmin):
    """The office's non-working days; the national holidays are already in the calendar."""

    list_display = ("date", "weekday_display", "description")
    search_fields = ("description",)
    date_hierarchy = "date"
    fields = ("date", "description")

    @admin.display(description="día", ordering="date")
    def weekday_display(self, obj):
        return WEEKDAY_NAMES[obj.date.weekday()]
