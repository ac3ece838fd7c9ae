"""From a template and a case to the document's text and PDF.

A template's body is Django template syntax, rendered by a sandboxed engine: no loaders (no
{% include %} or {% extends %}), no tag libraries to {% load %}, no {% debug %}, {% url %} or
{% csrf_token %}; the context holds plain dicts, lists and strings only (never a model, so a
template cannot reach a method or a related object). The output is plain text, not HTML: it is
escaped for the PDF's markup by documents.pdfkit, so autoescaping (HTML entities) is left off
here; the admin's preview shows it through Django's normal escaping.

The rendered text is read line by line (see catalog/documents.yaml): «# » the title, «## » a
heading, «- » a bullet, «| a | b |» rows of a table (the first its header), «Etiqueta:: valor» a
row of the heading block (Para, De, Asunto, Fecha...), a blank line between paragraphs.
"""
from __future__ import annotations

import datetime as dt
from functools import cache

from django.template import Context, Engine, Library, TemplateSyntaxError
from django.template import defaultfilters, defaulttags
from django.utils import timezone

from mapro.peru import long_date

from . import pdfkit
from .models import Classification, catalog_entry, document_types

# Tags of the sandbox: the control structures only.
SAFE_TAGS = ("autoescape", "comment", "cycle", "filter", "firstof", "for", "if", "ifchanged", "now",
             "regroup", "spaceless", "templatetag", "verbatim", "with", "widthratio", "lorem")


class Sandbox(Engine):
    default_builtins: list = []


@cache
def engine() -> Engine:
    tags = Library()
    for name in SAFE_TAGS:
        tags.tags[name] = defaulttags.register.tags[name]
    sandbox = Sandbox(dirs=[], app_dirs=False, loaders=[], libraries={}, autoescape=False, debug=False,
                      string_if_invalid="")
    sandbox.template_builtins = [tags, defaultfilters.register]
    return sandbox


class TemplateError(Exception):
    """A template body that does not compile or render; the message is for the office staff."""


def render_text(body: str, context: dict) -> str:
    try:
        template = engine().from_string(body)
        return template.render(Context(context, autoescape=False))
    except TemplateSyntaxError as exc:
        raise TemplateError(f"La plantilla tiene un error de sintaxis: {exc}") from None
    except Exception as exc:  # a filter given a value it cannot take, etc.
        raise TemplateError(f"La plantilla no se pudo aplicar: {exc}") from None


# --- the context ----------------------------------------------------------------------------
def _date(value) -> str:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return long_date(value) if isinstance(value, dt.date) else ""


def _short(value) -> str:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y") if isinstance(value, dt.date) else str(value or "")


def _display(value) -> str:
    """A recorded form value as text: a file as its name, a list joined, yes/no in Spanish."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Sí" if value else "No"
    if isinstance(value, dict):
        return str(value.get("name") or value.get("label") or ", ".join(f"{k}: {_display(v)}" for k, v in value.items()))
    if isinstance(value, list):
        return ", ".join(_display(v) for v in value)
    return str(value)


def case_context(case) -> dict:
    """What a template reads of a case: caso, datos, datos_lista, decisiones."""
    if case is None:
        return {"caso": {}, "datos": {}, "datos_lista": [], "decisiones": []}
    from cases import access, procedures
    from cases.models import Event

    try:
        sheet = procedures.sheet(case.procedure, case.version)
    except Exception:  # a sheet no longer in the catalog: the case's data is still printed
        sheet = None
    labels, personal = {}, set()
    if sheet is not None:
        for activity in sheet.activities:
            for f in activity.form:
                labels.setdefault(f.key, f.label)
                if access.is_personal(f):
                    personal.add(f.key)
    merged: dict = {}
    decisions = []
    events = Event.objects.filter(case_id=case.pk).select_related("user").order_by("created_at", "id")
    for e in events:
        if e.kind in (Event.Kind.STARTED, Event.Kind.COMPLETED) and isinstance(e.data, dict):
            merged.update({k: v for k, v in e.data.items() if v not in (None, "", [])})
        if e.kind == Event.Kind.COMPLETED:
            decisions.append({"actividad": e.activity, "nombre": e.name, "decision": e.decision,
                              "fecha": _short(e.created_at), "usuario": access.display_name(e.user) if e.user else ""})
    datos = {k: _display(v) for k, v in merged.items()}
    ticket = next((datos[k] for k in datos if "ticket" in k), "")
    unit = case.requester_unit
    caso = {
        "numero": case.number, "asunto": case.subject, "procedimiento": case.procedure,
        "procedimiento_nombre": sheet.name if sheet is not None else "",
        "solicitante": access.display_name(case.started_by),
        "unidad": f"{unit.name} ({unit.acronym})" if unit else "", "unidad_siglas": unit.acronym if unit else "",
        "iniciado": _date(case.created_at), "estado": case.get_status_display(),
        "prioridad": case.get_priority_display(), "ticket": ticket,
    }
    # The automatic list of what the case recorded leaves personal data out (Ley 29733): a template
    # that needs a DNI names it (datos.dni).
    listing = [(labels.get(k, k.replace("_", " ").capitalize()), v) for k, v in datos.items() if k not in personal]
    return {"caso": caso, "datos": datos, "datos_lista": listing, "decisiones": decisions}


def document_context(document, data: dict, case_part: dict | None = None) -> dict:
    """The template's whole context for one version of a document."""
    case_part = case_part if case_part is not None else case_context(document.case)
    when = document.issued_at or timezone.now()
    documento = {
        "numero": document.number, "tipo": document.type_label, "asunto": document.subject,
        "remitente": document.sender, "destinatarios": document.recipients, "referencia": document.reference,
        "folios": document.folios, "anexos": document.annexes,
        "clasificacion": Classification(document.classification).label, "fecha": _date(when),
        "unidad_emisora": document.issuing_unit,
    }
    campos = {str(k): _display(v) for k, v in (data or {}).items()}
    filas = [[_display(c).replace("|", "/") for c in row] for row in (data or {}).get("filas") or []
             if isinstance(row, list)]
    return {**case_part, "documento": documento, "campos": campos, "filas": filas,
            "plantilla": document.template.name if document.template_id else document.type_label,
            "actividad": {"n": document.activity or "", "nombre": (data or {}).get("_actividad", "")},
            "hoy": long_date(timezone.localdate())}


# --- from text to PDF -----------------------------------------------------------------------
def parse_blocks(text: str):
    """(title, heading rows, blocks) of a rendered body; a block is ("p", text), ("h", text),
    ("li", text) or ("table", columns, rows)."""
    title, meta, blocks = None, [], []
    lines = text.replace("\r\n", "\n").split("\n")
    buffer: list[str] = []

    def flush():
        if buffer:
            blocks.append(("p", " ".join(buffer)))
            buffer.clear()

    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(set(c) <= set("-: ") for c in cells):
                    rows.append(cells)
                i += 1
            if rows:
                blocks.append(("table", rows[0], rows[1:] or [[""] * len(rows[0])] * 3))
            continue
        if not line:
            flush()
        elif line.startswith("# ") and title is None:
            flush()
            title = line[2:].strip()
        elif line.startswith("## "):
            flush()
            blocks.append(("h", line[3:].strip().rstrip(":")))
        elif line.startswith("- "):
            flush()
            blocks.append(("li", line[2:].strip()))
        elif "::" in line and not blocks and not buffer:
            label, _, value = line.partition("::")
            meta.append((label.strip(), value.strip()))
        else:
            buffer.append(line)
        i += 1
    flush()
    return title, meta, blocks


def parse(text: str):
    """(title, heading rows, paragraphs and inline tables, wide tables) for documents.pdfkit."""
    fonts = pdfkit.load_fonts()
    width = pdfkit.PORTRAIT[0] - 2 * pdfkit.DOC_MARGIN_X
    title, meta, blocks = parse_blocks(text)
    items, wide = [], []
    for kind, *rest in blocks:
        if kind == "table":
            columns, rows = rest
            if len(columns) > pdfkit.WIDE_COLUMNS:
                wide.append(pdfkit.TableSpec(columns=columns, rows=rows, wide=True))
            else:
                items.append(pdfkit.matrix(columns, rows, width, fonts))
        elif kind == "h":
            items.append(rest[0].upper() + ":")
        elif kind == "li":
            items.append("- " + rest[0])
        else:
            items.append(rest[0])
    return title, meta, items, wide


def render_docx(document, data: dict) -> bytes:
    """The same document as DOCX, for staff who keep editing it in a word processor."""
    import io

    from docx import Document as Docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    body = document.template.body if document.template_id else ""
    title, meta, blocks = parse_blocks(render_text(body, document_context(document, data)))
    out = Docx()
    label = Classification(document.classification).label
    out.sections[0].header.paragraphs[0].text = f"MINISTERIO DE DEFENSA — {label}"
    heading = out.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.add_run(title or (document.template.name.upper() if document.template_id else document.type_label)).bold = True
    number = out.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number.add_run(document.number or "PROYECTO – sin numerar").underline = True
    if meta:
        table = out.add_table(rows=0, cols=2)
        for name, value in meta:
            row = table.add_row().cells
            row[0].paragraphs[0].add_run(f"{name}:").bold = True
            row[1].text = value
    for kind, *rest in blocks:
        if kind == "h":
            out.add_paragraph().add_run(rest[0].upper()).bold = True
        elif kind == "li":
            out.add_paragraph(rest[0], style="List Bullet")
        elif kind == "table":
            columns, rows = rest
            table = out.add_table(rows=1, cols=len(columns))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, columns):
                cell.paragraphs[0].add_run(text).bold = True
            for row in rows:
                cells = table.add_row().cells
                for cell, text in zip(cells, list(row) + [""] * len(columns)):
                    cell.text = text
        else:
            out.add_paragraph(rest[0])
    out.add_paragraph(label).alignment = WD_ALIGN_PARAGRAPH.CENTER
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def matrix_rows(document, data: dict) -> tuple[list[str], list[list[str]]] | None:
    """A formato's matrix in its own columns (catalog) and the rows the document holds, or None."""
    entry = catalog_entry(document.template.slug) if document.template_id else None
    columns = (entry or {}).get("columns")
    if not columns:
        return None
    rows = [[_display(c) for c in row][:len(columns)] for row in (data or {}).get("filas") or [] if isinstance(row, list)]
    return list(columns), rows


def signature_blocks(document, template_entry: dict | None) -> list:
    positions = (template_entry or {}).get("signatures")
    if positions:
        return [pdfkit.SignatureBlock(name="", position=p) for p in positions]
    from cases.access import display_name

    return [pdfkit.SignatureBlock(name=document.sender or display_name(document.created_by),
                                  unit="Oficina General de Tecnologías de la Información y Estadística")]


def render_pdf(document, data: dict, *, template_body: str | None = None) -> bytes:
    """The PDF of a document with the given version data (its number printed once issued)."""
    body = template_body if template_body is not None else (document.template.body if document.template_id else "")
    text = render_text(body, document_context(document, data))
    title, meta, items, wide = parse(text)
    info = document.type_info
    title_line = title or (document.template.name.upper() if document.template_id else info["label"])
    number = document.number or ("" if info["numbered"] else None)
    if not info["numbered"]:
        # A formato carries no number of its own: its case is its reference.
        number = f"Caso {document.case.number}" if document.case_id else document.subject
    return pdfkit.document_pdf(
        title_line, number or None, meta, items, tables=wide,
        signature_blocks=signature_blocks(document, catalog_entry(document.template.slug) if document.template_id else None),
        classification=Classification(document.classification).label)


def types_layout(slug: str) -> str:
    return document_types().get(slug, {}).get("layout", "letter")
