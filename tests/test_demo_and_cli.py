"""Demo accounts and the operator's command line."""
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client


@pytest.mark.django_db
def test_demo_users_exist_per_role_and_only_sign_in_in_demo_mode(organization, settings, monkeypatch):
    monkeypatch.setenv("MAPRO_DEMO_PASSWORD", "demo-clave-123")
    call_command("demo_users", stdout=StringIO())
    settings.DEMO_MODE = False
    assert not Client().login(username="operador-mesa-ayuda", password="demo-clave-123")
    settings.DEMO_MODE = True
    assert Client().login(username="operador-mesa-ayuda", password="demo-clave-123")
    assert Client().login(username="admin", password="demo-clave-123")


def test_validate_reports_all_sheets():
    out = StringIO()
    call_command("procedures", "validate", stdout=out)
    assert out.getvalue().startswith("23 fichas válidas")


def test_export_lists_every_procedure_with_printed_activity_numbers():
    out = StringIO()
    call_command("procedures", "export", "--format", "json", stdout=out)
    procedures = json.loads(out.getvalue())["procedures"]
    assert len(procedures) == 23
    restoration = next(p for p in procedures if p["code"] == "S04.03.02.02")
    assert restoration["activities"][0]["n"] == 15
    support = next(p for p in procedures if p["code"] == "S04.03.04.02")
    assert set(support["activities"][0]) == {"n", "name", "unit", "role", "next"}
    assert support["activities"][1]["next"] == [{"goto": 4, "condition": "Sí"}, {"goto": 3, "condition": "No"}]
    assert support["activities"][2]["next"] == [{"goto": "END", "condition": None}]


@pytest.mark.django_db
def test_demo_cases_fill_the_inboxes_once(organization, monkeypatch):
    from cases.models import Case, Task

    monkeypatch.setenv("MAPRO_DEMO_PASSWORD", "demo-clave-123")
    call_command("demo_users", stdout=StringIO())
    call_command("demo_cases", stdout=StringIO())
    assert Case.objects.count() == 5
    assert Task.objects.filter(status="open", assignee__username="soporte-tecnico", activity=5).exists()
    call_command("demo_cases", stdout=StringIO())
    assert Case.objects.count() == 5


@pytest.mark.django_db
def test_demo_registers_fill_the_registers_once(organization):
    from registers.models import Entry, Version

    out = StringIO()
    call_command("demo_registers", stdout=out)
    written = Entry.objects.count()
    assert f"{written} entradas de demostración cargadas" in out.getvalue() and written >= 15
    assert Version.objects.count() == written
    assert Entry.objects.get(register="dispositivos-certificado", key="tc-2026-00017").state == "asignado"
    assert set(Entry.objects.filter(register="cronograma-respaldos").values_list("state", flat=True)) == {"programado"}
    call_command("demo_registers", stdout=StringIO())
    assert Entry.objects.count() == written


def test_dates_are_written_as_in_peru():
    from datetime import date

    from mapro.peru import long_date

    assert long_date(date(2026, 9, 15)) == "15 de setiembre de 2026"
