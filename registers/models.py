"""Register entries and their history.

One table for every register's entries (the register's columns are declared in the catalog, their
values kept as JSON), one append-only table of versions, and one index table of field values so
that "every entry whose switch is X" is an index lookup at any size. The natural key of an open
entry is unique in its register (a partial unique index): two people issuing the same card serial
at once cannot both succeed.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Entry(models.Model):
    register = models.CharField("registro", max_length=60)
    key = models.CharField("clave", max_length=300, help_text="El valor de la clave natural (normalizado)")
    state = models.CharField("estado", max_length=40)
    closed = models.BooleanField("cerrada", default=False)
    person = models.CharField("DNI de la persona", max_length=10, blank=True, default="")
    title = models.CharField("título", max_length=300, blank=True, default="")
    data = models.JSONField("datos", default=dict)
    search = models.TextField("texto de búsqueda", blank=True, default="")
    version = models.PositiveIntegerField("versión", default=1)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name="caso que la creó", db_index=False)
    created_at = models.DateTimeField("creada", default=timezone.now)
    updated_at = models.DateTimeField("actualizada", default=timezone.now)

    class Meta:
        verbose_name, verbose_name_plural = "entrada de registro", "entradas de registro"
        indexes = [
            models.Index(fields=["register", "closed", "updated_at", "id"], name="register_entry_list"),
            models.Index(fields=["register", "state", "updated_at", "id"], name="register_entry_state"),
            models.Index(fields=["register", "updated_at"], name="register_entry_all"),
            models.Index(fields=["person", "register"], name="register_entry_person"),
            models.Index(fields=["register", "key"], name="register_entry_key"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["register", "key"], condition=Q(closed=False),
                                    name="register_open_key_unique"),
        ]

    def __str__(self):
        return f"{self.register}: {self.title or self.key}"


class Version(models.Model):
    """One version of an entry: its values after the change, what changed, who, when, from which
    case and activity. Append-only."""
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="versions", verbose_name="entrada")
    n = models.PositiveIntegerField("versión")
    action = models.CharField("acción", max_length=20)
    state = models.CharField("estado", max_length=40)
    data = models.JSONField("datos", default=dict)
    changes = models.JSONField("cambios", default=dict, help_text="{campo: [antes, después]}")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name="usuario", db_index=False)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name="caso")
    activity = models.PositiveIntegerField("actividad", null=True, blank=True)
    note = models.CharField("nota", max_length=300, blank=True, default="")
    created_at = models.DateTimeField("fecha", default=timezone.now)

    class Meta:
        verbose_name, verbose_name_plural = "versión de una entrada", "historial de los registros"
        constraints = [models.UniqueConstraint(fields=["entry", "n"], name="register_version_unique")]


class FieldValue(models.Model):
    """The value of one field of one entry, normalised (casefolded, accents removed), for filters."""
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="+", db_index=False)
    register = models.CharField(max_length=60)
    field = models.CharField(max_length=60)
    value = models.CharField(max_length=200)

    class Meta:
        indexes = [models.Index(fields=["register", "field", "value", "entry"], name="register_field_value"),
                   models.Index(fields=["entry"], name="register_field_entry")]
