"""Cronogramas: registers whose dated entries start the scheduled work (`starts:` in the register).

Each pass of the worker finds the open entries of a cronograma whose date has come (Lima time)
and that are still in the `pending` state, and starts the case of the declared procedure at the
declared start, as the system user. The entry moves to the `started` state with the case in its
version, in the same transaction as the case start: the compare-and-set on the entry's version
means two workers never start the same entry twice, and a case that fails to start leaves the
entry pending for the next pass.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from cases import workflow
from cases.effects import Refused
from cases.models import Case
from engine.registers import Register

from . import actions, catalog
from .models import Entry, FieldValue


ORIGIN_NOTE = "Inicio programado"   # the note of the version that links an entry to the case it started


@dataclass
class Started:
    register: Register
    entry: Entry
    case: Case


@dataclass
class Failed:
    register: Register
    entry: Entry
    error: str


def cronogramas() -> list[Register]:
    return [r for r in catalog.registers().values() if r.starts]


def due_entries(r: Register, today: date) -> list[Entry]:
    dated = FieldValue.objects.filter(register=r.slug, field=r.starts.date, value__lte=today.isoformat())
    return list(Entry.objects.filter(register=r.slug, closed=False, state=r.starts.pending,
                                     pk__in=dated.values("entry_id")).order_by("id"))


def start_entry(r: Register, entry: Entry, user) -> Case | None:
    """Start the entry's case; None when another worker started it first."""
    subject = str(entry.data.get(r.starts.subject) or "") if r.starts.subject else ""
    date_text = entry.data.get(r.starts.date, "")
    subject = subject or f"{r.name}: {entry.title or entry.key} ({date_text})"
    with transaction.atomic():
        prepared = actions.prepare(r, "update", {}, {}, state=r.starts.started, entry=entry)
        case = workflow.start_case(user, r.starts.procedure, start_key=r.starts.schedule, scheduled=True,
                                   subject=subject[:200])
        try:
            prepared.write(user=user, case=case, note=f"{ORIGIN_NOTE}: caso {case.number}")
        except Refused:
            transaction.set_rollback(True)
            return None
    return case


def run_pass(today: date, user) -> tuple[list[Started], list[Failed]]:
    started, failed = [], []
    for r in cronogramas():
        for entry in due_entries(r, today):
            try:
                case = start_entry(r, entry, user)
            except (workflow.WorkflowError, Refused) as exc:
                failed.append(Failed(r, entry, getattr(exc, "detail", None) or str(exc)))
                continue
            if case is not None:
                started.append(Started(r, entry, case))
    return started, failed
