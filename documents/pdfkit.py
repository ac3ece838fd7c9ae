"""The PDF toolkit that the regenerated manual (manual_pdf.py) and the office's documents share.

- Fonts: DejaVu Sans Condensed ships with the project (documents/fonts/, Bitstream Vera licence), so
  a PDF looks the same on every server and needs no network; `load_fonts("base")` uses Helvetica
  (nothing embedded) where a test reads the raw content streams.
- Page templates: A4 portrait and landscape with the ministry's header, the year's name (if the
  office sets MAPRO_YEAR_NAME), «Página X de Y» and, when given, the classification printed at the
  top and bottom of every page.
- Paragraph styles, grid tables, framed boxes and wide matrices (shrunk to the page, header row
  repeated on every page).
- `build_pdf(story, title=...) -> bytes`: deterministic (reportlab's invariant mode: fixed dates
  and document id), so the same input gives the same bytes and a hash can be recorded.
- `document_pdf(...)`: an oficio, informe, memorándum or acta laid out the ministry's way.
"""
from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate, CondPageBreak, Flowable, Frame, KeepTogether, NextPageTemplate, PageBreak,
    PageTemplate, Paragraph, Spacer, Table, TableStyle,
)

FONT_DIR = Path(__file__).resolve().parent / "fonts"

# Colours: the ministry's dark red for headings and rules, greys for table headers.
RED = colors.HexColor("#8B1A1A")
HEAD_BG = colors.HexColor("#D9D9D9")
LABEL_BG = colors.HexColor("#F2F2F2")
GRID = colors.HexColor("#7F7F7F")
MUTED = colors.HexColor("#404040")

MINISTRY = "MINISTERIO DE DEFENSA"
OFFICE = "Oficina General de Tecnologías de la Información y Estadística"
MINISTRY_HEADER = f"{MINISTRY} — {OFFICE}"


# --------------------------------------------------------------------------------------------
# Fonts and text
# --------------------------------------------------------------------------------------------

# The project's own copy first; the system's DejaVu only if that copy were removed.
FONT_DIRS = (
    str(FONT_DIR),
    "/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF",
    "/usr/share/fonts/truetype", "/usr/local/share/fonts", "/Library/Fonts",
)
FAMILIES = (
    # (family, regular, bold, italic, bold italic) — first one found wins.
    ("DejaVuSansCondensed", "DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf",
     "DejaVuSansCondensed-Oblique.ttf", "DejaVuSansCondensed-BoldOblique.ttf"),
    ("DejaVuSans", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf"),
)


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str
    italic: str
    bold_italic: str
    unicode: bool  # False: only Windows-1252 characters can be drawn (Helvetica, Vera)


def _find_font(filename: str) -> Path | None:
    for directory in FONT_DIRS:
        base = Path(directory)
        if (base / filename).is_file():
            return base / filename
        if base.is_dir():
            found = next(base.rglob(filename), None)
            if found:
                return found
    return None


def _register(family: str, files: tuple[Path, Path, Path, Path]) -> tuple[str, str, str, str]:
    names = (family, family + "-Bold", family + "-Italic", family + "-BoldItalic")
    for name, path in zip(names, files):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(family, normal=names[0], bold=names[1], italic=names[2], boldItalic=names[3])
    return names


def load_fonts(mode: str = "auto") -> Fonts:
    """auto: DejaVu (full Unicode; the project's copy), else reportlab's own Vera; base: Helvetica.

    Helvetica is one of the 14 standard PDF fonts: nothing is embedded and the text is written
    as plain strings, which is what the tests search when no text extractor is installed.
    """
    if mode == "auto":
        for family, *files in FAMILIES:
            paths = [_find_font(f) for f in files]
            if all(paths):
                return Fonts(*_register(family, tuple(paths)), unicode=True)
        import reportlab

        vera = Path(reportlab.__file__).parent / "fonts"
        files = tuple(vera / f for f in ("Vera.ttf", "VeraBd.ttf", "VeraIt.ttf", "VeraBI.ttf"))
        if all(f.is_file() for f in files):
            return Fonts(*_register("Vera", files), unicode=False)
    elif mode != "base":
        raise ValueError(f"font mode «{mode}»: use auto or base")
    return Fonts("Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique", unicode=False)


# Characters outside Windows-1252 that the sheets or the documents may use, and what to draw instead.
_REPLACEMENTS = {
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2015": "-", "\u2212": "-",
    "\u2192": "->", "\u2190": "<-", "\u2264": "<=", "\u2265": ">=", "\u2260": "!=",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u200b": "", "\ufeff": "",
    "\u25cf": "\u2022", "\u25aa": "\u2022", "\u2713": "v", "\u2714": "v", "\u2717": "x",
}


class Text:
    """Makes any string safe for the chosen font and for Paragraph markup."""

    def __init__(self, fonts: Fonts):
        self.fonts = fonts

    def plain(self, value) -> str:
        text = "" if value is None else str(value)
        text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
        if self.fonts.unicode:
            return text
        out = []
        for ch in text:
            ch = _REPLACEMENTS.get(ch, ch)
            try:
                ch.encode("cp1252")
                out.append(ch)
            except UnicodeEncodeError:
                decomposed = unicodedata.normalize("NFKD", ch).encode("cp1252", "ignore").decode("cp1252")
                out.append(decomposed or "?")
        return "".join(out)

    def __call__(self, value) -> str:
        """Escaped for Paragraph markup."""
        return escape(self.plain(value))


# --------------------------------------------------------------------------------------------
# Paragraph styles and tables
# --------------------------------------------------------------------------------------------

class Styles:
    """The paragraph styles of the manual and the documents, for one set of fonts."""

    def __init__(self, fonts: Fonts):
        f = self.fonts = fonts
        self.body = ParagraphStyle("body", fontName=f.regular, fontSize=9.5, leading=12.5, spaceAfter=4)
        self.justified = ParagraphStyle("justified", parent=self.body, fontSize=10.5, leading=14.5,
                                        spaceAfter=7, alignment=TA_JUSTIFY)
        self.cell = ParagraphStyle("cell", fontName=f.regular, fontSize=8.5, leading=10.6)
        self.cell_bold = ParagraphStyle("cell_bold", parent=self.cell, fontName=f.bold)
        self.cell_head = ParagraphStyle("cell_head", parent=self.cell_bold, alignment=TA_CENTER)
        self.cell_center = ParagraphStyle("cell_center", parent=self.cell, alignment=TA_CENTER)
        self.bullet = ParagraphStyle("bullet", parent=self.body, leftIndent=14, bulletIndent=4, spaceAfter=2,
                                     bulletFontName=f.regular, bulletFontSize=9.5)
        self.doc_bullet = ParagraphStyle("doc_bullet", parent=self.justified, leftIndent=16, bulletIndent=5,
                                         spaceAfter=3, bulletFontName=f.regular, bulletFontSize=10.5)
        self.cell_bullet = ParagraphStyle("cell_bullet", parent=self.cell, leftIndent=11, bulletIndent=1,
                                          bulletFontName=f.regular, bulletFontSize=8.5)
        self.cell_number = ParagraphStyle("cell_number", parent=self.cell_bullet, leftIndent=15)
        self.h1 = ParagraphStyle("h1", fontName=f.bold, fontSize=13, leading=16, spaceBefore=8, spaceAfter=8,
                                 textColor=RED, keepWithNext=1)
        self.h2 = ParagraphStyle("h2", parent=self.h1, fontSize=11.5, leading=14, spaceBefore=6, spaceAfter=6)
        self.h3 = ParagraphStyle("h3", parent=self.h1, fontSize=10.5, leading=13, spaceBefore=4, spaceAfter=6,
                                 textColor=colors.black)
        self.label = ParagraphStyle("label", fontName=f.bold, fontSize=9, leading=11.5, spaceBefore=7,
                                    spaceAfter=3, keepWithNext=1)
        self.doc_title = ParagraphStyle("doc_title", fontName=f.bold, fontSize=13, leading=17,
                                        alignment=TA_CENTER, spaceAfter=2)
        self.doc_number = ParagraphStyle("doc_number", fontName=f.bold, fontSize=11, leading=15,
                                         alignment=TA_CENTER, spaceAfter=12)
        self.meta_label = ParagraphStyle("meta_label", fontName=f.bold, fontSize=10.5, leading=13.5)
        self.meta_value = ParagraphStyle("meta_value", fontName=f.regular, fontSize=10.5, leading=13.5)
        self.signature = ParagraphStyle("signature", fontName=f.regular, fontSize=9.5, leading=12,
                                        alignment=TA_CENTER)


def grid(rows, widths, *, header_rows: int = 1, label_column: bool = False, extra=(), repeat: bool = True) -> Table:
    """A table with a thin grid, grey header rows and (optionally) a grey first column."""
    table = Table(rows, colWidths=widths, repeatRows=header_rows if repeat else 0, splitInRow=1)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header_rows:
        style += [("BACKGROUND", (0, 0), (-1, header_rows - 1), HEAD_BG),
                  ("VALIGN", (0, 0), (-1, header_rows - 1), "MIDDLE")]
    if label_column:
        style.append(("BACKGROUND", (0, 0), (0, -1), LABEL_BG))
    table.setStyle(TableStyle(style + list(extra)))
    return table


def box(flowables, width: float, *, title: str | None = None, styles: Styles | None = None) -> Table:
    """A one-cell framed block (a section of a ficha or of a formato), with an optional bold title."""
    content = list(flowables)
    if title is not None:
        content.insert(0, Paragraph(f"<b>{title}</b>", styles.cell))
    table = Table([[content]], colWidths=[width], splitInRow=1)
    table.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 0.5, GRID),
        ("LEFTPADDING", (0, 0), (-1, -1), 5), ("RIGHTPADDING", (0, 0), (-1, -1), 5),
        ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]))
    return table


def matrix(columns: Sequence[str], rows: Iterable[Sequence], width: float, fonts: Fonts, *,
           widths: Sequence[float] | None = None, min_size: float = 5.5, max_size: float = 8.5) -> Table:
    """A wide matrix (an inventory, a cronograma, an access matrix) fitted to `width`.

    Column widths follow `widths` (relative weights) or the longest word and header of each
    column; the font shrinks down to `min_size` so that each column's longest word fits, and the
    header row repeats on every page.
    """
    text = Text(fonts)
    rows = [["" if v is None else v for v in row] for row in rows]
    n = len(columns)
    if widths:
        weights = list(widths)
    else:
        weights = []
        for i in range(n):
            values = [str(columns[i])] + [str(r[i]) for r in rows if i < len(r)]
            longest_word = max((len(w) for v in values for w in v.split()), default=1)
            longest = max((len(v) for v in values), default=1)
            weights.append(max(longest_word, min(longest, 40) * 0.6, 3))
    total = sum(weights) or 1
    col_widths = [width * w / total for w in weights]
    size = max_size
    while size > min_size:
        fits = True
        for i in range(n):
            values = [str(columns[i])] + [str(r[i]) for r in rows if i < len(r)]
            words = [w for v in values for w in text.plain(v).split()]
            widest = max((pdfmetrics.stringWidth(w, fonts.bold, size) for w in words), default=0)
            if widest > col_widths[i] - 6:
                fits = False
                break
        if fits:
            break
        size -= 0.5
    cell = ParagraphStyle("matrix_cell", fontName=fonts.regular, fontSize=size, leading=size * 1.22)
    head = ParagraphStyle("matrix_head", parent=cell, fontName=fonts.bold, alignment=TA_CENTER)
    data = [[Paragraph(text(c), head) for c in columns]]
    for row in rows:
        row = list(row) + [""] * (n - len(row))
        data.append([v if isinstance(v, Flowable) else Paragraph(text(v), cell) for v in row[:n]])
    table = grid(data, col_widths, extra=[("LEFTPADDING", (0, 0), (-1, -1), 2.5),
                                          ("RIGHTPADDING", (0, 0), (-1, -1), 2.5)])
    table.font_size = size
    return table


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------

PORTRAIT = A4
LANDSCAPE = landscape(A4)
MARGIN_X = 1.8 * cm
MARGIN_TOP = 2.0 * cm
MARGIN_BOTTOM = 1.7 * cm
# Diagram pages and wide matrices use the paper more tightly.
WIDE_MARGIN_X = 1.2 * cm
WIDE_MARGIN_TOP = 1.6 * cm
WIDE_MARGIN_BOTTOM = 1.4 * cm
# Documents: room for the two-line header and the classification banner.
DOC_MARGIN_X = 2.2 * cm
DOC_MARGIN_TOP = 3.0 * cm
DOC_MARGIN_BOTTOM = 2.3 * cm


class NumberedCanvas(Canvas):
    """Writes «Página n de N» once the number of pages is known.

    A page template's onPage sets `canv._footer_at = (x, y)` (right-aligned) on the pages that are
    numbered; pages without it (a cover) are not.
    """

    footer_font = "Helvetica"
    footer_size = 7.5

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved_pages = []

    def showPage(self):
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._saved_pages)
        for state in self._saved_pages:
            self.__dict__.update(state)
            footer = getattr(self, "_footer_at", None)
            if footer:
                self.setFont(self.footer_font, self.footer_size)
                self.setFillColor(MUTED)
                self.drawRightString(*footer, f"Página {self._pageNumber} de {total}")
            super().showPage()
        self.pages_written = total
        super().save()


def page_frame(size, name: str, mx: float, top: float, bottom: float) -> Frame:
    w, h = size
    return Frame(mx, bottom, w - 2 * mx, h - top - bottom, id=name,
                 leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)


# Classification levels of defence documents, as printed (a slug or any spelling is accepted).
CLASSIFICATIONS = {
    "publico": "PÚBLICO", "reservado": "RESERVADO", "confidencial": "CONFIDENCIAL", "secreto": "SECRETO",
}


def classification_label(value: str | None) -> str | None:
    """«reservado», «Reservado», «PUBLICO», «público» -> RESERVADO, PÚBLICO; None or "" -> None."""
    if not value:
        return None
    key = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode().strip().lower()
    if key not in CLASSIFICATIONS:
        raise ValueError(f"clasificación «{value}»: use PÚBLICO, RESERVADO, CONFIDENCIAL o SECRETO")
    return CLASSIFICATIONS[key]


class OfficeDoc(BaseDocTemplate):
    """A4 pages of the ministry: header, optional year's name, classification banner, «Página X de Y».

    Page templates: "portrait" and "landscape" (switch with NextPageTemplate for wide matrices).
    """

    def __init__(self, filename, *, fonts: Fonts, header: str = MINISTRY_HEADER, year_name: str | None = None,
                 classification: str | None = None, footer: str = "Ministerio de Defensa – OGTIE", **kwargs):
        super().__init__(filename, pagesize=PORTRAIT, leftMargin=DOC_MARGIN_X, rightMargin=DOC_MARGIN_X,
                         topMargin=DOC_MARGIN_TOP, bottomMargin=DOC_MARGIN_BOTTOM, **kwargs)
        self.fonts = fonts
        self.text = Text(fonts)
        self.header = header
        self.year_name = year_name
        self.classification = classification_label(classification)
        self.footer = footer
        normal = (DOC_MARGIN_X, DOC_MARGIN_TOP, DOC_MARGIN_BOTTOM)
        wide = (WIDE_MARGIN_X, DOC_MARGIN_TOP, DOC_MARGIN_BOTTOM)
        self.addPageTemplates([
            PageTemplate("portrait", [page_frame(PORTRAIT, "portrait", *normal)], pagesize=PORTRAIT,
                         onPage=lambda canv, doc: self._decorate(canv, *normal)),
            PageTemplate("landscape", [page_frame(LANDSCAPE, "landscape", *wide)], pagesize=LANDSCAPE,
                         onPage=lambda canv, doc: self._decorate(canv, *wide)),
        ])

    @property
    def frame_width(self) -> float:
        return PORTRAIT[0] - 2 * DOC_MARGIN_X

    @property
    def wide_width(self) -> float:
        return LANDSCAPE[0] - 2 * WIDE_MARGIN_X

    def _banner(self, canv, width, y):
        label = self.classification
        size = 9
        text_w = pdfmetrics.stringWidth(label, self.fonts.bold, size)
        box_w = text_w + 16
        x = (width - box_w) / 2
        canv.setStrokeColor(RED)
        canv.setLineWidth(1)
        canv.setFillColor(colors.white)
        canv.rect(x, y - 3.5, box_w, size + 6, stroke=1, fill=1)
        canv.setFillColor(RED)
        canv.setFont(self.fonts.bold, size)
        canv.drawCentredString(width / 2, y, label)

    def _decorate(self, canv, mx, mtop, mbottom):
        t = self.text.plain
        width, height = canv._pagesize
        canv.saveState()
        if self.classification:
            self._banner(canv, width, height - 0.75 * cm)
            self._banner(canv, width, 0.55 * cm)
        top = height - mtop + 1.05 * cm
        canv.setFillColor(colors.black)
        head, _, office = t(self.header).partition(" — ")
        canv.setFont(self.fonts.bold, 8.5)
        canv.drawString(mx, top, head)
        if office:
            canv.setFont(self.fonts.regular, 8)
            canv.drawString(mx, top - 10, office)
        canv.setStrokeColor(RED)
        canv.setLineWidth(0.8)
        canv.line(mx, top - 15, width - mx, top - 15)
        if self.year_name:
            canv.setFont(self.fonts.italic, 8)
            canv.setFillColor(MUTED)
            canv.drawCentredString(width / 2, top - 25, f"«{t(self.year_name)}»")
        canv.setFillColor(MUTED)
        canv.setFont(self.fonts.regular, 7.5)
        canv.line(mx, mbottom - 0.5 * cm, width - mx, mbottom - 0.5 * cm)
        canv.drawString(mx, mbottom - 0.85 * cm, t(self.footer))
        canv.restoreState()
        canv._footer_at = (width - mx, mbottom - 0.85 * cm)


def build_pdf(story: list, *, title: str, classification: str | None = None, header: str = MINISTRY_HEADER,
              year_name: str | None = None, fonts: Fonts | None = None, author: str = "OGTIE – Ministerio de Defensa",
              subject: str = "", compress: bool = True) -> bytes:
    """The story on the ministry's A4 pages, as PDF bytes.

    Deterministic: reportlab's invariant mode fixes the creation date and the document id, so the
    same story gives the same bytes (the hash of an issued version can be recomputed).
    `year_name` None takes settings.MAPRO_YEAR_NAME when Django is configured.
    """
    fonts = fonts or load_fonts()
    if year_name is None:
        year_name = _setting("MAPRO_YEAR_NAME", "")
    buffer = io.BytesIO()
    text = Text(fonts)
    doc = OfficeDoc(buffer, fonts=fonts, header=header, year_name=year_name or None, classification=classification,
                    title=text.plain(title), author=text.plain(author), subject=text.plain(subject),
                    creator="mapro", producer="mapro", invariant=1, pageCompression=1 if compress else 0)

    class Numbered(NumberedCanvas):
        footer_font = fonts.regular

    doc.build(list(story), canvasmaker=Numbered)
    return buffer.getvalue()


def _setting(name: str, default):
    try:
        from django.conf import settings

        return getattr(settings, name, default) if settings.configured else default
    except ImportError:  # pragma: no cover - the toolkit is also usable outside Django
        return default


# --------------------------------------------------------------------------------------------
# Office documents
# --------------------------------------------------------------------------------------------

@dataclass
class TableSpec:
    """A table of a document: its columns, rows, optional title and relative column widths.

    More than `WIDE_COLUMNS` columns (or wide=True) puts it on landscape pages as a matrix.
    """

    columns: Sequence[str]
    rows: Sequence[Sequence]
    title: str | None = None
    widths: Sequence[float] | None = None
    wide: bool | None = None

    @classmethod
    def coerce(cls, value) -> "TableSpec":
        if isinstance(value, TableSpec):
            return value
        if isinstance(value, dict):
            return cls(columns=value["columns"], rows=value.get("rows") or [], title=value.get("title"),
                       widths=value.get("widths"), wide=value.get("wide"))
        columns, rows = value
        return cls(columns=columns, rows=rows)


WIDE_COLUMNS = 7


@dataclass
class SignatureBlock:
    """Who signs (or gives visto bueno): printed name, position and unit under a line."""

    name: str
    position: str = ""
    unit: str = ""
    note: str = ""  # e.g. «Visto bueno» or «Firmado digitalmente»

    @classmethod
    def coerce(cls, value) -> "SignatureBlock":
        if isinstance(value, SignatureBlock):
            return value
        if isinstance(value, dict):
            return cls(name=value.get("name", ""), position=value.get("position") or value.get("role", ""),
                       unit=value.get("unit", ""), note=value.get("note", ""))
        if isinstance(value, str):
            return cls(name=value)
        return cls(*value)


def paragraph_flowables(paragraphs: Iterable, styles: Styles, text: Text) -> list:
    """Plain-text paragraphs (escaped): lines starting with «- » or «• » become bullets, a line
    ending in «:» and written in capitals (e.g. «I. ANTECEDENTES:») becomes a heading; flowables
    pass through."""
    out = []
    for item in paragraphs:
        if isinstance(item, Flowable):
            out.append(item)
            continue
        for line in str(item or "").split("\n"):
            line = line.strip()
            if not line:
                continue
            if line[:2] in ("- ", "• "):
                out.append(Paragraph(text(line[2:].strip()), styles.doc_bullet, bulletText="•"))
            elif line.endswith(":") and line.upper() == line and any(c.isalpha() for c in line):
                out.append(Paragraph(f"<b>{text(line)}</b>", ParagraphStyle(
                    "doc_heading", parent=styles.justified, spaceBefore=6, keepWithNext=1)))
            else:
                out.append(Paragraph(text(line), styles.justified))
    return out


def document_pdf(title_line: str, number: str | None, meta_rows: Sequence[tuple[str, str]],
                 paragraphs: Sequence, tables: Sequence = (), signature_blocks: Sequence = (),
                 classification: str | None = None, *, year_name: str | None = None,
                 fonts: Fonts | None = None) -> bytes:
    """An oficio, informe, memorándum or acta as PDF bytes.

    title_line: «INFORME TÉCNICO»; number: «INFORME N° 00045-2026-MINDEF/SG-OGTIE» (None or ""
    for a draft, printed «PROYECTO – sin numerar»); meta_rows: [("A", ...), ("De", ...),
    ("Asunto", ...), ("Fecha", ...)]; paragraphs: plain text (see paragraph_flowables); tables:
    TableSpec, dicts {columns, rows, title?, widths?, wide?} or (columns, rows); signature_blocks:
    SignatureBlock, dicts {name, position, unit, note} or (name, position, unit) tuples;
    classification: PÚBLICO, RESERVADO, CONFIDENCIAL or SECRETO, printed at the top and bottom of
    every page.
    """
    fonts = fonts or load_fonts()
    styles = Styles(fonts)
    t = Text(fonts)
    width = PORTRAIT[0] - 2 * DOC_MARGIN_X
    wide_width = LANDSCAPE[0] - 2 * WIDE_MARGIN_X
    story: list = [Paragraph(t(title_line), styles.doc_title)]
    if number:
        story.append(Paragraph(f"<u>{t(number)}</u>", styles.doc_number))
    else:
        story.append(Paragraph(f'<font color="#7F7F7F">{t("PROYECTO – sin numerar")}</font>', styles.doc_number))
    if meta_rows:
        rows = [[Paragraph(t(label).rstrip(":") + ":", styles.meta_label), Paragraph(t(value), styles.meta_value)]
                for label, value in meta_rows]
        meta = Table(rows, colWidths=[3.0 * cm, width - 3.0 * cm])
        meta.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("LINEBELOW", (0, -1), (-1, -1), 0.8, colors.black),
            ("BOTTOMPADDING", (0, -1), (-1, -1), 8),
        ]))
        story += [meta, Spacer(1, 10)]
    story += paragraph_flowables(paragraphs, styles, t)

    landscape_now = False
    for spec in map(TableSpec.coerce, tables):
        wide = spec.wide if spec.wide is not None else len(spec.columns) > WIDE_COLUMNS
        if wide and not landscape_now:
            story += [NextPageTemplate("landscape"), PageBreak()]
            landscape_now = True
        elif not wide and landscape_now:
            story += [NextPageTemplate("portrait"), PageBreak()]
            landscape_now = False
        head = [Paragraph(f"<b>{t(spec.title)}</b>", styles.justified)] if spec.title else []
        table = matrix(spec.columns, spec.rows, wide_width if wide else width, fonts, widths=spec.widths)
        story += [Spacer(1, 6), *head, table, Spacer(1, 6)] if len(spec.rows) > 12 or wide else \
            [Spacer(1, 6), KeepTogether([*head, table]), Spacer(1, 6)]
    if landscape_now:
        story += [NextPageTemplate("portrait"), PageBreak()]

    blocks = [SignatureBlock.coerce(b) for b in signature_blocks]
    if blocks:
        story.append(CondPageBreak(4.5 * cm))
        story.append(Spacer(1, 1.6 * cm))
        per_row = 2 if len(blocks) > 1 else 1
        cells = []
        for b in blocks:
            lines = [f"<b>{t(b.name)}</b>"] + [t(x) for x in (b.position, b.unit) if x]
            if b.note:
                lines.append(f'<font size="8" color="#404040"><i>{t(b.note)}</i></font>')
            cells.append([Paragraph("_" * 34, styles.signature), Paragraph("<br/>".join(lines), styles.signature)])
        rows = [cells[i:i + per_row] for i in range(0, len(cells), per_row)]
        if len(rows[-1]) < per_row:
            rows[-1].append("")
        sig = Table(rows, colWidths=[width / per_row] * per_row)
        sig.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 1), (-1, -1), 36)]))
        story.append(KeepTogether([sig]))
    return build_pdf(story, title=f"{title_line} {number or ''}".strip(), classification=classification,
                     year_name=year_name, fonts=fonts, subject=dict(meta_rows).get("Asunto", "") if meta_rows else "")


__all__ = [
    "CLASSIFICATIONS", "FONT_DIR", "Fonts", "GRID", "HEAD_BG", "LABEL_BG", "LANDSCAPE", "MINISTRY_HEADER",
    "NumberedCanvas", "OfficeDoc", "PORTRAIT", "RED", "SignatureBlock", "Styles", "TableSpec", "Text",
    "box", "build_pdf", "classification_label", "document_pdf", "grid", "load_fonts", "matrix", "page_frame",
]
