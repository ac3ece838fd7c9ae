"""Document numbers without gaps: one sequence per (series, year, issuing unit).

`issue_number(series, unit)` is called inside the caller's transaction, the one that writes the row
carrying the number (documents.actions.issue): the sequence row is locked (SELECT ... FOR UPDATE on
PostgreSQL; on SQLite the IMMEDIATE transaction already holds the write lock) and incremented there,
so a rollback gives the number back (no gap) and two issuers never share one (no duplicate). An
annulled document keeps its number: the sequence never goes back.

The printed form comes from the document type's `pattern` in catalog/documents.yaml, by default
`{type_label} N° {n:05d}-{year}-{unit}`, e.g. `OFICIO N° 00123-2026-MINDEF/SG-OGTIE`.
"""
from __future__ import annotations

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

DEFAULT_PATTERN = "{type_label} N° {n:05d}-{year}-{unit}"
DEFAULT_UNIT = "MINDEF/SG-OGTIE"


class Sequence(models.Model):
    """Per series (document type), year and issuing unit, the last number handed out."""

    series = models.CharField("serie", max_length=60)
    year = models.PositiveIntegerField("año")
    unit = models.CharField("unidad emisora", max_length=60)
    last = models.PositiveIntegerField("último número", default=0)

    class Meta:
        app_label = "documents"
        verbose_name = "numeración de documentos"
        verbose_name_plural = "numeraciones de documentos"
        constraints = [models.UniqueConstraint(fields=["series", "year", "unit"], name="unique_document_sequence")]

    def __str__(self):
        return f"{self.series} {self.year} {self.unit}: {self.last}"


def format_number(pattern: str, *, n: int, year: int, unit: str, type_label: str, series: str) -> str:
    return (pattern or DEFAULT_PATTERN).format(n=n, year=year, unit=unit, type_label=type_label, series=series)


def issue_number(series: str, unit: str = DEFAULT_UNIT, year: int | None = None, *,
                 pattern: str = DEFAULT_PATTERN, type_label: str | None = None) -> tuple[int, str]:
    """The next number of the series for the year and unit, and its printed form. Must run inside
    the transaction that stores it (a rollback returns the number)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("issue_number must run inside the transaction that stores the number")
    year = year or timezone.localdate().year
    sequence, _ = Sequence.objects.select_for_update().get_or_create(series=series, year=year, unit=unit)
    Sequence.objects.filter(pk=sequence.pk).update(last=F("last") + 1)
    sequence.refresh_from_db(fields=["last"])
    n = sequence.last
    return n, format_number(pattern, n=n, year=year, unit=unit, type_label=type_label or series.upper(), series=series)
