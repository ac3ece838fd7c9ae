"""Plain-data views of sheets, shared by the CLI export and the API."""
from __future__ import annotations

from dataclasses import asdict

from .forms import json_schema
from .sheets import Activity, Sheet


def activity_dict(sheet: Sheet, activity: Activity, detail: bool = False) -> dict:
    out = {
        "n": activity.n,
        "name": activity.name,
        "unit": activity.unit,
        "role": activity.role,
        "next": [{"goto": r.goto, "condition": r.condition} for r in sheet.routes(activity.n)],
    }
    if detail:
        out.update({
            "roles": list(activity.roles),
            "description": activity.description,
            "decision": {
                "question": activity.decision.question,
                "answers": [{"label": a.label, "goto": a.goto} for a in activity.decision.answers],
            } if activity.decision else None,
            "parallel": list(activity.parallel),
            "join": list(activity.join),
            "wait": {"party": activity.wait.party, "for": activity.wait.awaited} if activity.wait else None,
            "periodicity": activity.periodicity or None,
            "form": json_schema(activity.form),
        })
    return out


def sheet_summary(sheet: Sheet) -> dict:
    return {
        "code": sheet.code,
        "version": sheet.version,
        "name": sheet.name,
        "activities": [activity_dict(sheet, a) for a in sheet.activities],
    }


def sheet_detail(sheet: Sheet) -> dict:
    return {
        "code": sheet.code,
        "version": sheet.version,
        "name": sheet.name,
        "owner": sheet.owner,
        "process": sheet.process,
        "objective": sheet.objective,
        "scope": list(sheet.scope),
        "legal_basis": list(sheet.legal_basis),
        "acronyms": list(sheet.acronyms),
        "definitions": list(sheet.definitions),
        "inputs": list(sheet.inputs),
        "products": list(sheet.products),
        "formats": list(sheet.formats),
        "change_control": list(sheet.change_control),
        "start": [{"label": s.label, "activity": s.activity} for s in sheet.start],
        "schedules": [
            {"label": s.label, "activity": s.activity, "rule": s.rule, "printed": s.printed, "months": list(s.months)}
            for s in sheet.schedules
        ],
        "activities": [activity_dict(sheet, a, detail=True) for a in sheet.activities],
        "deviations": [asdict(d) for d in sheet.deviations],
    }
