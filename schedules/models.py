"""When the manual's periodic work starts, and which dates have already been started."""
from datetime import time

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from . import calendar, office_calendar

RULE_CHOICES = [(rule, label) for rule, label in calendar.RULE_LABELS.items()]
MONTH_CHOICES = [(n, name.capitalize()) for n, name in enumerate(calendar.MONTH_NAMES, start=1)]
WEEKDAY_CHOICES = [(n, name.capitalize()) for n, name in enumerate(calendar.WEEKDAY_NAMES)]
DEFAULT_START_TIME = time(8, 0)


class ScheduleSetting(models.Model):
    """The office's settings for one `schedules` entry of a sheet; defaults come from the sheet.

    Rows are created from the sheets on demand (worker pass, Programación page); the office
    edits them in the admin. Deleting a row restores the sheet's defaults on the next pass.
    """

    procedure = models.CharField("procedimiento", max_length=20)
    schedule_key = models.CharField("clave de la programación", max_length=80)
    label = models.CharField("trabajo periódico", max_length=300, blank=True)
    rule = models.CharField("periodicidad", max_length=12, choices=RULE_CHOICES)
    printed = models.CharField("texto del manual", max_length=300, blank=True)
    enabled = models.BooleanField("activa", default=True,
                                  help_text="Si se desactiva, el sistema no inicia casos para esta programación.")
    months = models.JSONField("meses", default=list, blank=True,
                              help_text="Meses en que corresponde (1 = enero … 12 = diciembre). "
                                        "Para la periodicidad diaria o semanal, vacío = todos los meses.")
    day = models.PositiveSmallIntegerField("día del mes", default=calendar.DEFAULT_DAY,
                                           validators=[MinValueValidator(1), MaxValueValidator(31)],
                                           help_text="Si el mes tiene menos días, se usa su último día.")
    weekday = models.PositiveSmallIntegerField("día de la semana", choices=WEEKDAY_CHOICES,
                                               default=calendar.DEFAULT_WEEKDAY,
                                               help_text="Solo para la periodicidad semanal.")
    start_time = models.TimeField("hora de inicio", default=DEFAULT_START_TIME,
                                  help_text="Hora de Lima a partir de la cual se inicia el caso del día.")
    updated_at = models.DateTimeField("actualizado", auto_now=True)

    class Meta:
        verbose_name = "programación"
        verbose_name_plural = "programaciones"
        ordering = ["procedure", "schedule_key"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "schedule_key"], name="unique_schedule_setting"),
        ]

    def __str__(self):
        return f"{self.procedure} · {self.label or self.schedule_key}"

    def clean(self):
        months = [int(m) for m in (self.months or [])]
        if any(not 1 <= m <= 12 for m in months):
            raise ValidationError({"months": "Los meses van del 1 (enero) al 12 (diciembre)."})
        if self.rule not in ("daily", "weekly") and not months:
            raise ValidationError({"months": "Elija al menos un mes."})
        self.months = sorted(set(months))

    def occurrences(self, start_date, end_date):
        return calendar.occurrences(self.rule, self.months, self.day, self.weekday, start_date, end_date)

    @property
    def summary(self) -> str:
        return calendar.describe(self.rule, self.months, self.day, self.weekday)


class Occurrence(models.Model):
    """One due date of a schedule. The row exists once the date is taken: never started twice."""

    class Status(models.TextChoices):
        STARTED = "started", "Iniciada"
        SKIPPED = "skipped", "Omitida"

    procedure = models.CharField("procedimiento", max_length=20)
    schedule_key = models.CharField("clave de la programación", max_length=80)
    due_date = models.DateField("fecha programada")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="occurrences", verbose_name="caso")
    started_at = models.DateTimeField("iniciada", null=True, blank=True)
    status = models.CharField("estado", max_length=10, choices=Status.choices, default=Status.STARTED,
                              help_text="«Omitida»: la fecha no se iniciará (p. ej. un feriado).")
    note = models.CharField("nota", max_length=300, blank=True)

    class Meta:
        verbose_name = "ocurrencia programada"
        verbose_name_plural = "ocurrencias programadas"
        ordering = ["-due_date", "procedure", "schedule_key"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "schedule_key", "due_date"], name="unique_occurrence"),
        ]
        indexes = [models.Index(fields=["procedure", "schedule_key", "-due_date"], name="occurrence_recent")]

    def __str__(self):
        return f"{self.procedure} · {self.schedule_key} · {self.due_date:%d/%m/%Y}"


class NonWorkingDay(models.Model):
    """A day the office does not work besides the national holidays (which come from the `holidays`
    package): the public sector's non-working days decreed each year, an institutional closure.
    The office's business calendar (schedules.office_calendar) leaves them out of SLA times and due dates."""

    date = models.DateField("fecha", unique=True)
    description = models.CharField("motivo", max_length=200,
                                   help_text="Por ejemplo: «Día no laborable para el sector público (D.S. N° …)».")

    class Meta:
        verbose_name = "día no laborable"
        verbose_name_plural = "días no laborables"
        ordering = ["-date"]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} · {self.description}"

    def clean(self):
        if self.date and (name := office_calendar.national_holiday(self.date)):
            raise ValidationError({"date": f"El {self.date:%d/%m/%Y} ya es feriado nacional ({name}): "
                                           "no hace falta registrarlo."})


def _calendar_changed(sender, **kwargs):
    office_calendar.invalidate(on_commit=True)


models.signals.post_save.connect(_calendar_changed, sender=NonWorkingDay, dispatch_uid="mapro.schedules.nwd_saved")
models.signals.post_delete.connect(_calendar_changed, sender=NonWorkingDay, dispatch_uid="mapro.schedules.nwd_deleted")
