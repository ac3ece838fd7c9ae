"""The whole MAPRO S04 as a PDF, regenerated from the procedure sheets.

`build_manual(path)` writes: a cover, the table of contents, sections 1 to 4 (front_matter.yaml),
section 5 (inventory of processes; level names from processes.yaml, level codes derived from the
procedure codes) and section 6: per procedure its ficha, its flow diagram (drawn with reportlab
from the same layout as the BPMN, engine.bpmn.build_graph), its change control and the table of
deviations from the printed text that the sheet records.

The office publishes this file instead of editing a word-processor document: whatever the
sheets say is what the manual says.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import (
    BaseDocTemplate, CondPageBreak, Flowable, KeepTogether, NextPageTemplate, PageBreak,
    PageTemplate, Paragraph, Spacer, Table, TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

# The toolkit shared with the office's documents (documents/pdfkit.py): fonts, text, colours,
# page geometry, numbered pages, styles and tables. Re-exported here for the manual's callers.
from documents.pdfkit import (  # noqa: F401
    GRID, HEAD_BG, LABEL_BG, LANDSCAPE, MARGIN_BOTTOM, MARGIN_TOP, MARGIN_X, PORTRAIT, RED, WIDE_MARGIN_BOTTOM,
    WIDE_MARGIN_TOP, WIDE_MARGIN_X, Fonts, NumberedCanvas, Styles, Text, box, grid, load_fonts, page_frame,
)
from engine.bpmn import COLUMN_WIDTH, LANE_HEADER, LANE_PADDING, ORIGIN_X, ROW_HEIGHT, Graph, build_graph
from engine.organization import Organization, load_organization
from engine.sheets import END, Sheet, load_catalog
from engine.vocabularies import load_vocabularies
from mapro.peru import long_date

DATA_DIR = Path(__file__).resolve().parent
PROCESSES_FILE = DATA_DIR / "processes.yaml"
FRONT_MATTER_FILE = DATA_DIR / "front_matter.yaml"


# Deviation kinds and schedule rules are printed with their labels from catalog/vocabularies.yaml.
DEVIATION_KINDS = load_vocabularies().deviation_kinds
SCHEDULE_RULES = load_vocabularies().schedule_rules

# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------

def level_codes(code: str) -> tuple[str, str | None]:
    """S04.03.01.02 -> ("S04.03", "S04.03.01"); S04.01.00.01 -> ("S04.01", None)."""
    parts = code.split(".")
    if len(parts) < 4:
        raise ValueError(f"código de procedimiento «{code}»: se esperan cuatro niveles (S04.03.01.02)")
    level1 = ".".join(parts[:2])
    level2 = None if set(parts[2]) == {"0"} else ".".join(parts[:3])
    return level1, level2


def load_processes(path: Path | str = PROCESSES_FILE) -> dict:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def term_meaning(entry) -> tuple[str, str]:
    """(term, meaning) of an acronym or definition.

    An unquoted flow mapping such as `{term: X, meaning: a, b, c}` reads in YAML as
    meaning "a" plus keys "b" and "c" without value; the commas are put back here.
    """
    if not isinstance(entry, dict):
        return "", str(entry)
    term = str(entry.get("term") or "").strip()
    meaning = "" if entry.get("meaning") is None else str(entry["meaning"]).strip()
    extra = [str(k).strip() for k, v in entry.items() if k not in ("term", "meaning") and v is None]
    if extra:
        meaning = ", ".join([meaning, *extra]) if meaning else ", ".join(extra)
    return term, meaning


def _join_numbers(numbers) -> str:
    numbers = [str(n) for n in numbers]
    if len(numbers) <= 1:
        return "".join(numbers)
    return ", ".join(numbers[:-1]) + " y " + numbers[-1]


# --------------------------------------------------------------------------------------------
# Document template
# --------------------------------------------------------------------------------------------

class ManualDoc(BaseDocTemplate):
    def __init__(self, filename, *, fonts: Fonts, header: str, version: str, **kwargs):
        super().__init__(filename, pagesize=PORTRAIT, leftMargin=MARGIN_X, rightMargin=MARGIN_X,
                         topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM, **kwargs)
        self.fonts = fonts
        self.header = header
        self.version = version
        self.pages_written = 0

        frame = page_frame

        normal = (MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM)
        wide = (WIDE_MARGIN_X, WIDE_MARGIN_TOP, WIDE_MARGIN_BOTTOM)
        self.addPageTemplates([
            PageTemplate("cover", [frame(PORTRAIT, "cover", *normal)], pagesize=PORTRAIT),
            PageTemplate("portrait", [frame(PORTRAIT, "portrait", *normal)], pagesize=PORTRAIT,
                         onPage=lambda canv, doc: self._decorate(canv, *normal)),
            PageTemplate("landscape", [frame(LANDSCAPE, "landscape", *wide)], pagesize=LANDSCAPE,
                         onPage=lambda canv, doc: self._decorate(canv, *wide)),
        ])

    def _decorate(self, canv, mx, mtop, mbottom):
        width, height = canv._pagesize
        canv.saveState()
        canv.setFont(self.fonts.regular, 7.5)
        canv.setFillColor(colors.HexColor("#404040"))
        top = height - mtop + 0.55 * cm
        canv.drawString(mx, top, self.header)
        canv.drawRightString(width - mx, top, f"Versión N° {self.version}")
        canv.setStrokeColor(RED)
        canv.setLineWidth(0.8)
        canv.line(mx, top - 4, width - mx, top - 4)
        canv.line(mx, mbottom - 0.5 * cm, width - mx, mbottom - 0.5 * cm)
        canv.drawString(mx, mbottom - 0.85 * cm, "Ministerio de Defensa – OGTIE")
        canv.restoreState()
        canv._footer_at = (width - mx, mbottom - 0.85 * cm)

    def afterFlowable(self, flowable):
        toc = getattr(flowable, "toc_entry", None)
        if toc:
            level, text, key = toc
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(text, key, level=level, closed=level >= 1)
            self.notify("TOCEntry", (level, text, self.page, key))


# --------------------------------------------------------------------------------------------
# Flow diagram
# --------------------------------------------------------------------------------------------

TASK_FONT = 11       # in layout units (a task is 120 x 80); scaled with the drawing
NOTE_FONT = 9
FLOW_FONT = 8.5
FLOW_LABEL_WIDTH = 80  # fits between two columns of the layout
LABEL_COLUMN = 74    # points: lane names are written horizontally in a column at the left
CAPTION = 28         # points above the drawing
MIN_SCALE = 0.42     # below this the drawing is cut into parts instead of shrunk further
MAX_SCALE = 0.8


@dataclass(frozen=True)
class Window:
    x0: float
    x1: float
    y0: float
    y1: float


def _cuts(start: float, end: float, candidates, span: float) -> list[tuple[float, float]]:
    """Split [start, end] into pieces no longer than span, cutting only at candidates if possible."""
    candidates = sorted(c for c in set(candidates) if start < c < end)
    pieces = []
    lo = start
    while end - lo > span + 1e-6:
        fitting = [c for c in candidates if lo < c <= lo + span]
        cut = fitting[-1] if fitting else lo + span
        pieces.append((lo, cut))
        lo = cut
    pieces.append((lo, end))
    return pieces


def plan_diagram(graph: Graph, width: float, height: float) -> tuple[float, list[Window]]:
    """Scale and windows so that every part fits a (width x height) area of the page.

    The whole diagram is scaled to the page width when that keeps it legible (MIN_SCALE);
    otherwise it is cut into parts between columns (and, if too tall, between lanes or rows).
    """
    area_w, area_h = width - LABEL_COLUMN, height - CAPTION
    graph_w, graph_h = graph.width - LANE_HEADER, graph.height
    scale = max(min(MAX_SCALE, area_w / graph_w, area_h / graph_h), MIN_SCALE)
    windows = _windows(graph, area_w, area_h, scale)
    # As large as possible without needing more pages than at the smallest legible scale.
    candidate = scale
    while candidate + 0.01 <= MAX_SCALE:
        candidate += 0.01
        more = _windows(graph, area_w, area_h, candidate)
        if len(more) > len(windows):
            break
        scale, windows = candidate, more
    return scale, windows


def _windows(graph: Graph, area_w: float, area_h: float, scale: float) -> list[Window]:
    """Bands of columns; in each band, only the lanes from the first to the last one with a node
    in it, cut between lanes or rows when still too tall. Parts without any node are left out."""
    ranks = int(graph.width // COLUMN_WIDTH) + 2
    x_candidates = [ORIGIN_X - 25 + k * COLUMN_WIDTH for k in range(1, ranks)]
    y_candidates = []
    for lane_y, lane_h in graph.lane_bounds.values():
        y_candidates += [lane_y, lane_y + lane_h]
        rows = int((lane_h - 2 * LANE_PADDING) // ROW_HEIGHT)
        y_candidates += [lane_y + LANE_PADDING + r * ROW_HEIGHT - 15 for r in range(1, rows)]
    windows = []
    for x0, x1 in _cuts(LANE_HEADER, graph.width, x_candidates, area_w / scale):
        nodes = [n for n in graph.nodes.values() if x0 <= n.x + n.size[0] / 2 <= x1]
        if not nodes:
            continue
        lanes = [graph.lane_bounds[n.lane] for n in nodes]
        y0 = min(lane_y for lane_y, _ in lanes)
        y1 = max(lane_y + lane_h for lane_y, lane_h in lanes)
        for wy0, wy1 in _cuts(y0, y1, y_candidates, area_h / scale):
            if any(wy0 <= n.y + n.size[1] / 2 <= wy1 for n in nodes):
                windows.append(Window(x0, x1, wy0, wy1))
    return windows


class DiagramPart(Flowable):
    """One page of a procedure's flow diagram: a window of the BPMN layout at a given scale."""

    def __init__(self, graph: Graph, window: Window, scale: float, part: int, parts: int,
                 fonts: Fonts, text: Text, title: str):
        super().__init__()
        self.graph, self.window, self.scale = graph, window, scale
        self.part, self.parts = part, parts
        self.fonts, self.text, self.title = fonts, text, title

    def wrap(self, avail_width, avail_height):
        w = self.window
        self.width = avail_width
        self.height = CAPTION + (w.y1 - w.y0) * self.scale + 2
        return self.width, self.height

    # Layout units -> points on this flowable.
    def _x(self, x):
        return LABEL_COLUMN + (x - self.window.x0) * self.scale

    def _y(self, y):
        return self.height - CAPTION - (y - self.window.y0) * self.scale

    def _visible(self, x0, y0, x1, y1, margin=0):
        w = self.window
        return x1 >= w.x0 - margin and x0 <= w.x1 + margin and y1 >= w.y0 - margin and y0 <= w.y1 + margin

    def activities_shown(self) -> list[int]:
        shown = []
        for node in self.graph.nodes.values():
            nw, nh = node.size
            if node.kind == "task" and self._visible(node.x, node.y, node.x + nw, node.y + nh):
                cx, cy = node.x + nw / 2, node.y + nh / 2
                if self.window.x0 <= cx <= self.window.x1 and self.window.y0 <= cy <= self.window.y1:
                    shown.append(node.activity)
        return sorted(set(shown))

    def draw(self):
        c = self.canv
        f = self.fonts
        s = self.scale
        w = self.window
        area_right = self._x(w.x1)
        area_bottom = self._y(w.y1)
        top = self._y(w.y0)

        # Caption
        c.setFillColor(colors.black)
        c.setFont(f.bold, 10)
        title = self.text.plain(self.title if self.part == 1 else self.title + " (continuación)")
        c.drawString(0, self.height - 11, title[:160])
        shown = self.activities_shown()
        detail = f"Parte {self.part} de {self.parts}" if self.parts > 1 else "Diagrama completo"
        if shown:
            detail += f" · actividades {shown[0]}–{shown[-1]}" if len(shown) > 1 else f" · actividad {shown[0]}"
        detail += f" · escala {round(s * 100)} %"
        c.setFont(f.regular, 7.5)
        c.drawString(0, self.height - 22, self.text.plain(detail))
        self._legend(self.width, self.height - 22)

        # Lanes: names at the left, bands across the drawing
        c.setLineWidth(0.6)
        for slug, name in self.graph.lanes:
            lane_y, lane_h = self.graph.lane_bounds[slug]
            y0, y1 = max(lane_y, w.y0), min(lane_y + lane_h, w.y1)
            if y1 <= y0:
                continue
            pt_top, pt_bottom = self._y(y0), self._y(y1)
            c.setStrokeColor(GRID)
            c.setFillColor(LABEL_BG)
            c.rect(0, pt_bottom, LABEL_COLUMN, pt_top - pt_bottom, stroke=1, fill=1)
            c.setFillColor(colors.white)
            c.rect(LABEL_COLUMN, pt_bottom, area_right - LABEL_COLUMN, pt_top - pt_bottom, stroke=1, fill=1)
            self._lane_label(name, pt_top, pt_bottom)

        c.saveState()
        path = c.beginPath()
        path.rect(LABEL_COLUMN, area_bottom, area_right - LABEL_COLUMN, top - area_bottom)
        c.clipPath(path, stroke=0, fill=0)
        labels = []
        for flow in self.graph.flows:
            self._flow(flow, labels)
        for node in self.graph.nodes.values():
            self._node(node, labels)
        for x, y, lines, size, align in labels:
            self._boxed_text(x, y, lines, size, align)
        c.restoreState()
        c.setStrokeColor(colors.black)
        c.setLineWidth(0.8)
        c.rect(0, area_bottom, area_right, top - area_bottom, stroke=1, fill=0)
        if w.x0 > LANE_HEADER + 1:
            self._continuation(LABEL_COLUMN + 2, area_bottom, top, "◀" if self.fonts.unicode else "<")
        if w.x1 < self.graph.width - 1:
            self._continuation(area_right - 8, area_bottom, top, "▶" if self.fonts.unicode else ">")

    def _continuation(self, x, bottom, top, mark):
        c = self.canv
        c.setFillColor(colors.HexColor("#999999"))
        c.setFont(self.fonts.regular, 7)
        c.drawString(x, (bottom + top) / 2, mark)

    def _legend(self, right, baseline):
        c = self.canv
        f = self.fonts
        items = [("start", "Inicio"), ("end", "Fin"), ("xor", "Decisión"), ("and", "Paralelo / unión"),
                 ("wait", "Espera")]
        c.setFont(f.regular, 7)
        x = right
        for kind, label in reversed(items):
            label = self.text.plain(label)
            x -= pdfmetrics.stringWidth(label, f.regular, 7)
            c.setFillColor(colors.black)
            c.drawString(x, baseline, label)
            x -= 13
            cy = baseline + 2.5
            c.setStrokeColor(colors.black)
            if kind in ("start", "end"):
                c.setLineWidth(0.6 if kind == "start" else 1.6)
                c.setFillColor(colors.white)
                c.circle(x + 5, cy, 3.5, stroke=1, fill=1)
            elif kind in ("xor", "and"):
                c.setLineWidth(0.6)
                c.setFillColor(colors.white)
                p = c.beginPath()
                p.moveTo(x + 5, cy + 4.5)
                p.lineTo(x + 9.5, cy)
                p.lineTo(x + 5, cy - 4.5)
                p.lineTo(x + 0.5, cy)
                p.close()
                c.drawPath(p, stroke=1, fill=1)
                c.setFillColor(colors.black)
                c.setFont(f.bold, 5.5)
                c.drawCentredString(x + 5, cy - 2, "×" if kind == "xor" else "+")
                c.setFont(f.regular, 7)
            else:
                c.setLineWidth(0.6)
                c.setDash(2, 1.5)
                c.setFillColor(colors.HexColor("#FFF7DD"))
                c.roundRect(x, cy - 3.5, 10, 7, 1.5, stroke=1, fill=1)
                c.setDash()
            x -= 12

    def _lane_label(self, name, top, bottom):
        c = self.canv
        size = 6.8
        lines = simpleSplit(self.text.plain(name), self.fonts.bold, size, LABEL_COLUMN - 8)
        room = max(1, int((top - bottom - 4) // (size * 1.2)))
        if len(lines) > room:
            lines = lines[:room]
            lines[-1] = lines[-1].rstrip(" .,") + "…"
        c.setFillColor(colors.black)
        c.setFont(self.fonts.bold, size)
        block = len(lines) * size * 1.2
        y = (top + bottom) / 2 + block / 2 - size
        for line in lines:
            c.drawCentredString(LABEL_COLUMN / 2, y, line)
            y -= size * 1.2

    def _flow(self, flow, labels):
        points = flow.waypoints
        if len(points) < 2:
            return
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        if not self._visible(min(xs), min(ys), max(xs), max(ys), margin=10):
            return
        c = self.canv
        c.setStrokeColor(colors.HexColor("#333333"))
        c.setLineWidth(max(0.5, 1.2 * self.scale))
        path = c.beginPath()
        path.moveTo(self._x(points[0][0]), self._y(points[0][1]))
        for x, y in points[1:]:
            path.lineTo(self._x(x), self._y(y))
        c.drawPath(path, stroke=1, fill=0)
        # Arrow head along the last segment
        (px, py), (tx, ty) = points[-2], points[-1]
        ax, ay, bx, by = self._x(px), self._y(py), self._x(tx), self._y(ty)
        length = ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5 or 1
        ux, uy = (bx - ax) / length, (by - ay) / length
        size = 7 * self.scale
        head = c.beginPath()
        head.moveTo(bx, by)
        head.lineTo(bx - ux * size - uy * size * 0.45, by - uy * size + ux * size * 0.45)
        head.lineTo(bx - ux * size + uy * size * 0.45, by - uy * size - ux * size * 0.45)
        head.close()
        c.setFillColor(colors.HexColor("#333333"))
        c.drawPath(head, stroke=0, fill=1)
        if flow.name:
            self._flow_label(flow, labels)

    def _flow_label(self, flow, labels):
        """The answer (or way of starting) that a flow stands for, written just before its target.

        Flows leave a gateway from one point, so labels near the source would overlap; near the
        target each has its own place, on the side away from the flow's vertical stretch.
        """
        points = flow.waypoints
        (px, py), (tx, ty) = points[-2], points[-1]
        lines = simpleSplit(self.text.plain(flow.name), self.fonts.italic, FLOW_FONT, FLOW_LABEL_WIDTH)
        if len(lines) > 3:
            lines = lines[:3]
            lines[-1] = lines[-1].rstrip(" .,") + "…"
        block = len(lines) * FLOW_FONT * 1.15
        if px < tx and py == ty:  # ends with a horizontal stretch into the target
            came_from_above = len(points) > 2 and points[0][1] < ty
            top = ty + 3 if came_from_above else ty - 3 - block
            labels.append((tx - 4, top, lines, FLOW_FONT, "right"))
        else:  # routed below, back to an earlier activity
            x, y = points[1]
            labels.append((x + 4, y + 3, lines, FLOW_FONT, "left"))

    def _node(self, node, labels):
        nw, nh = node.size
        if not self._visible(node.x, node.y, node.x + nw, node.y + nh, margin=40):
            return
        c = self.canv
        s = self.scale
        x, y_top = self._x(node.x), self._y(node.y)
        w, h = nw * s, nh * s
        y = y_top - h
        cx, cy = x + w / 2, y + h / 2
        c.setStrokeColor(colors.black)
        if node.kind in ("task", "wait"):
            c.setLineWidth(max(0.5, 1.2 * s))
            if node.kind == "wait":
                c.setDash(3, 2)
                c.setFillColor(colors.HexColor("#FFF7DD"))
            else:
                c.setFillColor(colors.HexColor("#EEF3FA"))
            c.roundRect(x, y, w, h, 8 * s, stroke=1, fill=1)
            c.setDash()
            font = self.fonts.regular if node.kind == "task" else self.fonts.italic
            lines = simpleSplit(self.text.plain(node.name), font, TASK_FONT, nw - 8)
            if len(lines) > 6:
                lines = lines[:6]
                lines[-1] = lines[-1].rstrip(" .,") + "…"
            size, leading = TASK_FONT * s, TASK_FONT * 1.15 * s
            c.setFillColor(colors.black)
            c.setFont(font, size)
            block = len(lines) * leading
            ty = cy + block / 2 - size * 0.85
            for line in lines:
                c.drawCentredString(cx, ty, line)
                ty -= leading
        elif node.kind in ("xor", "and"):
            c.setLineWidth(max(0.5, 1.2 * s))
            c.setFillColor(colors.white)
            p = c.beginPath()
            p.moveTo(cx, y + h)
            p.lineTo(x + w, cy)
            p.lineTo(cx, y)
            p.lineTo(x, cy)
            p.close()
            c.drawPath(p, stroke=1, fill=1)
            c.setFillColor(colors.black)
            c.setFont(self.fonts.bold, 22 * s)
            c.drawCentredString(cx, cy - 7.5 * s, "×" if node.kind == "xor" else "+")
            if node.kind == "xor" and node.name and node.id != "Gateway_start":
                lines = simpleSplit(self.text.plain(node.name), self.fonts.italic, NOTE_FONT, 160)
                if len(lines) > 3:
                    lines = lines[:3]
                    lines[-1] = lines[-1].rstrip(" .,?") + "…?"
                block = len(lines) * NOTE_FONT * 1.15
                labels.append((node.x + nw / 2, node.y - 3 - block, lines, NOTE_FONT, "center"))
        else:
            c.setLineWidth(max(0.5, (1.2 if node.kind == "start" else 3.5) * s))
            c.setFillColor(colors.white)
            c.circle(cx, cy, w / 2, stroke=1, fill=1)

    def _boxed_text(self, x, y, lines, size_units, align):
        """Text with a white background; (x, y) is the top, at the left, centre or right (layout units)."""
        c = self.canv
        s = self.scale
        size, leading = size_units * s, size_units * 1.15 * s
        font = self.fonts.italic
        widths = [pdfmetrics.stringWidth(line, font, size) for line in lines]
        if not widths:
            return
        box_w, box_h = max(widths) + 2, leading * len(lines) + 1
        px, py_top = self._x(x), self._y(y)
        left = {"center": px - box_w / 2, "right": px - box_w}.get(align, px)
        c.setFillColor(colors.white)
        c.rect(left, py_top - box_h, box_w, box_h, stroke=0, fill=1)
        c.setFillColor(colors.HexColor("#1F3A5F"))
        c.setFont(font, size)
        ty = py_top - size
        for line in lines:
            if align == "center":
                c.drawCentredString(px, ty, line)
            elif align == "right":
                c.drawRightString(px - 1, ty, line)
            else:
                c.drawString(px + 1, ty, line)
            ty -= leading


# --------------------------------------------------------------------------------------------
# The manual
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ManualResult:
    path: Path
    pages: int
    procedures: int
    diagram_parts: int
    seconds: float


class ManualBuilder:
    def __init__(self, sheets: list[Sheet], organization: Organization, processes: dict, front: dict,
                 fonts: Fonts, generated: datetime):
        self.sheets = sheets
        self.org = organization
        self.processes = processes
        self.front = front
        self.fonts = fonts
        self.t = Text(fonts)
        self.generated = generated
        self.diagram_parts = 0
        self._styles()

    # --- styles -------------------------------------------------------------------------
    def _styles(self):
        f = self.fonts
        shared = Styles(f)
        for name in ("body", "cell", "cell_bold", "cell_head", "cell_center", "bullet", "cell_bullet", "cell_number",
                     "h1", "h2", "h3", "label"):
            setattr(self, name, getattr(shared, name))
        self.toc = TableOfContents(dotsMinLevel=0)
        self.toc.levelStyles = [
            ParagraphStyle("toc0", fontName=f.bold, fontSize=9.5, leading=12, leftIndent=14, firstLineIndent=-14,
                           spaceBefore=4),
            ParagraphStyle("toc1", fontName=f.bold, fontSize=9, leading=11.5, leftIndent=32, firstLineIndent=-18),
            ParagraphStyle("toc2", fontName=f.regular, fontSize=8.5, leading=11, leftIndent=54, firstLineIndent=-22),
            ParagraphStyle("toc3", fontName=f.regular, fontSize=8.5, leading=11, leftIndent=80, firstLineIndent=-26),
        ]

    # --- small helpers ------------------------------------------------------------------
    def p(self, text, style=None):
        return Paragraph(text, style or self.body)

    def heading(self, level: int, text: str, key: str):
        style = (self.h1, self.h2, self.h3, self.h3)[level]
        para = Paragraph(self.t(text), style)
        para.toc_entry = (level, self.t.plain(text), key)
        return para

    def grid(self, rows, widths, header_rows=1, label_column=False, extra=()):
        return grid(rows, widths, header_rows=header_rows, label_column=label_column, extra=extra)

    def box(self, title: str, flowables):
        """A one-cell framed block with a bold title, like the printed ficha's sections."""
        return box(flowables, self.width, title=self.t(title), styles=self)

    def cell_lines(self, text: str) -> list:
        """A multi-line description as cell paragraphs; "- " lines become bullets."""
        out = []
        for line in str(text or "").splitlines():
            line = line.strip()
            if not line:
                continue
            if line[:2] in ("- ", "• ") or line[:1] in "•":
                out.append(Paragraph(self.t(line.lstrip("-• ").strip()), self.cell_bullet, bulletText="•"))
            else:
                out.append(Paragraph(self.t(line), self.cell))
        return out

    def role_name(self, slug: str) -> str:
        try:
            return self.org.role(slug).name
        except StopIteration:
            return slug

    def unit_name(self, slug: str) -> str:
        try:
            return self.org.unit(slug).acronym
        except StopIteration:
            return slug

    @property
    def width(self) -> float:
        return PORTRAIT[0] - 2 * MARGIN_X

    # --- the parts of the manual --------------------------------------------------------
    def story(self) -> list:
        meta = self.processes
        story = self.cover(meta)
        story += [NextPageTemplate("portrait"), PageBreak()]
        story += [Paragraph("Contenido", self.h1), self.toc, PageBreak()]
        story += self.front_sections()
        story += self.inventory()
        story += self.fichas()
        return story

    def cover(self, meta) -> list:
        t = self.t
        title = ParagraphStyle("cover_title", fontName=self.fonts.bold, fontSize=19, leading=25,
                               alignment=TA_CENTER, textColor=RED)
        centered = ParagraphStyle("cover_text", fontName=self.fonts.regular, fontSize=11, leading=15,
                                  alignment=TA_CENTER)
        small = ParagraphStyle("cover_small", parent=centered, fontSize=8.5, leading=11,
                               textColor=colors.HexColor("#404040"))
        entity = Table([[Paragraph("<b>PERÚ</b>", ParagraphStyle("peru", parent=centered, textColor=colors.white)),
                         Paragraph(f"<b>{t(meta.get('entity', 'Ministerio de Defensa'))}</b>", centered)]],
                       colWidths=[3 * cm, 7 * cm])
        entity.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (0, 0), RED), ("BOX", (0, 0), (-1, -1), 0.8, RED),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TOPPADDING", (0, 0), (-1, -1), 7),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
        ]))
        version = meta.get("version", "01")
        moment = self.generated
        return [
            Spacer(1, 2.2 * cm), entity, Spacer(1, 4 * cm),
            Paragraph(t(meta.get("title")), title), Spacer(1, 1.6 * cm),
            Paragraph(f"<b>Versión N° {t(version)}</b>", centered), Spacer(1, 0.3 * cm),
            Paragraph(t(meta.get("office", "")), centered), Spacer(1, 5 * cm),
            Paragraph(f"Fecha de generación: {t(long_date(moment))}, {moment:%H:%M}", centered),
            Spacer(1, 0.3 * cm),
            Paragraph(t(f"Documento generado a partir de las fichas de procedimientos del sistema MAPRO "
                        f"({len(self.sheets)} procedimientos). Las fichas son la fuente: este documento no se edita a mano."),
                      small),
        ]

    def front_sections(self) -> list:
        fm = self.front
        t = self.t
        out = [self.heading(0, "1. Objetivo", "sec-1")]
        objective = fm.get("objective") or {}
        paragraphs = objective.get("paragraphs") or []
        out += [self.p(t(para)) for para in paragraphs]
        out += [Paragraph(t(b), self.bullet, bulletText="•") for b in objective.get("benefits") or []]
        out.append(self.heading(0, "2. Alcance", "sec-2"))
        out += [self.p(t(s)) for s in fm.get("scope") or []]
        out.append(self.heading(0, "3. Siglas y definiciones", "sec-3"))
        out.append(self.heading(1, "3.1 Siglas", "sec-3-1"))
        out += [Paragraph(f"<b>{t(term)}:</b> {t(meaning)}", self.bullet, bulletText="•")
                for term, meaning in map(term_meaning, fm.get("acronyms") or [])]
        out.append(self.heading(1, "3.2 Definiciones", "sec-3-2"))
        out += [Paragraph(f"<b>{t(term)}:</b> {t(meaning)}", self.bullet, bulletText="•")
                for term, meaning in map(term_meaning, fm.get("definitions") or [])]
        out.append(self.heading(0, "4. Base legal", "sec-4"))
        out += [Paragraph(t(item), self.bullet, bulletText="•") for item in fm.get("legal_basis") or []]
        return out

    def _names(self):
        meta = self.processes
        level1 = {p["code"]: p for p in meta.get("level1") or []}
        level2 = {p["code"]: p for p in meta.get("level2") or []}
        return level1, level2

    def _process_name(self, code: str, table: dict, sheet: Sheet | None = None) -> str:
        if code in table:
            return table[code]["name"]
        # Not in processes.yaml: the sheet's "process" field may name it.
        if sheet and sheet.process.startswith(code + " "):
            return sheet.process[len(code) + 1:]
        return ""

    def inventory(self) -> list:
        t = self.t
        meta = self.processes
        level0 = meta.get("level0") or {"code": "S04", "name": "Gestión de tecnologías de la información"}
        title = f"5. Inventario de Procesos del proceso de nivel 0 “{level0['code']} {level0['name']}”"
        out = [PageBreak(), self.heading(0, title, "sec-5")]
        level1, level2 = self._names()
        H = self.cell_head
        rows = [
            [Paragraph("NIVEL 1", H), "", Paragraph("NIVEL 2", H), "", Paragraph("PROCEDIMIENTO RELACIONADO", H), ""],
            [Paragraph(x, H) for x in ("Código", "Proceso de Nivel 1", "Código", "Proceso de Nivel 2", "Código", "Procedimiento")],
        ]
        extra = [("SPAN", (0, 0), (1, 0)), ("SPAN", (2, 0), (3, 0)), ("SPAN", (4, 0), (5, 0)),
                 ("GRID", (0, 0), (-1, 1), 0.5, GRID), ("BOX", (0, 0), (-1, -1), 0.5, GRID),
                 ("LINEBEFORE", (0, 0), (-1, -1), 0.5, GRID)]
        last1 = last2 = None
        for sheet in self.sheets:
            code1, code2 = level_codes(sheet.code)
            r = len(rows)
            new1 = code1 != last1
            new2 = new1 or code2 != last2
            cells = [
                Paragraph(t(code1), self.cell_bold) if new1 else "",
                Paragraph(t(self._process_name(code1, level1, sheet)), self.cell) if new1 else "",
                (Paragraph(t(code2), self.cell_bold) if code2 else Paragraph("-----", self.cell_center)) if new2 else "",
                (Paragraph(t(self._process_name(code2, level2, sheet)), self.cell) if code2
                 else Paragraph("-----", self.cell_center)) if new2 else "",
                Paragraph(t(sheet.code), self.cell),
                Paragraph(t(sheet.name), self.cell),
            ]
            rows.append(cells)
            extra.append(("LINEABOVE", (4, r), (5, r), 0.5, GRID))
            if new1:
                extra.append(("LINEABOVE", (0, r), (-1, r), 0.5, GRID))
            elif new2:
                extra.append(("LINEABOVE", (2, r), (3, r), 0.5, GRID))
            last1, last2 = code1, code2
        widths = [1.6 * cm, 3.0 * cm, 1.9 * cm, 2.8 * cm, 2.3 * cm]
        widths.append(self.width - sum(widths))
        table = Table(rows, colWidths=widths, repeatRows=2)
        table.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"), ("VALIGN", (0, 0), (-1, 1), "MIDDLE"),
            ("BACKGROUND", (0, 0), (-1, 1), HEAD_BG),
            ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ] + extra))
        out.append(table)
        owners = {p.get("owner") for p in [*level1.values(), *level2.values()] if p.get("owner")}
        if len(owners) == 1:
            out.append(Spacer(1, 4))
            out.append(self.p(f"<i>Dueño de los procesos de nivel 1 y 2: {t(owners.pop())}.</i>", self.cell))
        return out

    def fichas(self) -> list:
        out = [PageBreak(), self.heading(0, "6. Fichas de procedimientos y diagramas de flujo", "sec-6")]
        level1, level2 = self._names()
        n1 = n2 = n3 = 0
        last1 = last2 = None
        first = True
        for sheet in self.sheets:
            code1, code2 = level_codes(sheet.code)
            headings = []
            if code1 != last1:
                n1 += 1
                n2 = n3 = 0
                last2 = None
                headings.append(self.heading(1, f"6.{n1} Proceso {code1} {self._process_name(code1, level1, sheet)}",
                                             f"proc-{code1}"))
            if code2 and code2 != last2:
                n2 += 1
                n3 = 0
                headings.append(self.heading(2, f"6.{n1}.{n2} Proceso {code2} {self._process_name(code2, level2, sheet)}",
                                             f"proc-{code2}"))
            if code2:
                n3 += 1
                number, level = f"6.{n1}.{n2}.{n3}", 3
            else:
                n2 += 1
                number, level = f"6.{n1}.{n2}", 2
            last1, last2 = code1, code2
            if not first:
                out.append(PageBreak())
            first = False
            out += headings
            out.append(self.heading(level, f"{number} Procedimiento {sheet.code} {sheet.name}", f"sheet-{sheet.code}"))
            out += self.ficha(sheet)
        return out

    # --- one procedure ------------------------------------------------------------------
    def ficha(self, sheet: Sheet) -> list:
        t = self.t
        meta = self.processes
        fmt = meta.get("ficha_format") or {}
        out = []
        head = Table([[
            Paragraph(f"<b>PERÚ</b><br/>{t(meta.get('entity', 'Ministerio de Defensa'))}", self.cell_center),
            Paragraph("<b>FICHA DE PROCEDIMIENTOS</b>", ParagraphStyle("fh", parent=self.cell_head, fontSize=11, leading=14)),
            Paragraph(f"Código: {t(fmt.get('code', 'FOR-DIDOM-04'))}<br/>Versión: {t(fmt.get('version', '1'))}", self.cell),
        ]], colWidths=[3.6 * cm, self.width - 7.4 * cm, 3.8 * cm])
        head.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, GRID), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                  ("BACKGROUND", (0, 0), (0, 0), LABEL_BG)]))
        out.append(head)
        out.append(Spacer(1, 5))
        B, C = self.cell_bold, self.cell
        ident = self.grid([
            [Paragraph("Código:", B), Paragraph(t(sheet.code), C), Paragraph("Versión:", B), Paragraph(t(sheet.version), C)],
            [Paragraph("Nombre del procedimiento:", B), Paragraph(t(sheet.name), C), "", ""],
            [Paragraph("Dueño del procedimiento:", B), Paragraph(t(sheet.owner), C), "", ""],
        ], [4.2 * cm, self.width - 7.4 * cm, 1.6 * cm, 1.6 * cm], header_rows=0, label_column=True,
            extra=[("SPAN", (1, 1), (3, 1)), ("SPAN", (1, 2), (3, 2)), ("BACKGROUND", (2, 0), (2, 0), LABEL_BG)])
        out.append(ident)
        out.append(Spacer(1, 5))
        out.append(self.box("Objetivo del procedimiento:", [self.p(t(sheet.objective), C)]))
        out.append(Spacer(1, 5))
        out.append(self.box("Alcance del procedimiento:",
                            [Paragraph(t(s), self.cell_bullet, bulletText="•") for s in sheet.scope]
                            or [self.p("No aplica.", C)]))
        out.append(Spacer(1, 5))
        out.append(self.box("Base normativa:",
                            [Paragraph(t(s), self.cell_number, bulletText=f"{i}.") for i, s in enumerate(sheet.legal_basis, 1)]
                            or [self.p("No aplica.", C)]))
        out.append(Spacer(1, 5))
        glossary = [self.p("<b>Siglas</b>", C)]
        glossary += [Paragraph(f"<b>{t(term)}:</b> {t(meaning)}", self.cell_number, bulletText=f"{i}.")
                     for i, (term, meaning) in enumerate(map(term_meaning, sheet.acronyms), 1)] or [self.p("No aplica.", C)]
        glossary.append(self.p("<b>Definiciones</b>", C))
        glossary += [Paragraph(f"<b>{t(term)}:</b> {t(meaning)}", self.cell_number, bulletText=f"{i}.")
                     for i, (term, meaning) in enumerate(map(term_meaning, sheet.definitions), 1)] or [self.p("No aplica.", C)]
        out.append(self.box("Siglas y definiciones:", glossary))

        out.append(Paragraph("Requisitos para iniciar el procedimiento", self.label))
        out.append(self.inputs_table(sheet))
        starts = self.start_lines(sheet)
        if starts:
            out.append(Paragraph("Inicio del procedimiento", self.label))
            out += [Paragraph(line, self.cell_bullet, bulletText="•") for line in starts]
        out.append(CondPageBreak(4 * cm))
        out.append(Paragraph("Actividades del procedimiento", self.label))
        out.append(self.activities_table(sheet))
        out.append(Spacer(1, 8))
        out.append(self.products_table(sheet))
        out.append(Paragraph("Formatos utilizados", self.label))
        if sheet.formats:
            out += [Paragraph(t(f"Formato N° {int(f['number']):02d}. {f.get('name', '')}" if str(f.get("number", "")).isdigit()
                               else f"{f.get('number', '')} {f.get('name', '')}".strip()), self.cell_bullet, bulletText="•")
                    for f in sheet.formats]
            out.append(self.p("<i>Nota: Los formatos a tomar en cuenta son los que se encuentran en el repositorio de "
                              "formatos aprobados de la OGTIE.</i>", C))
        else:
            out.append(Paragraph("No aplica.", self.cell_bullet, bulletText="•"))
        out.append(Paragraph("Proceso relacionado", self.label))
        out.append(self.p(t(sheet.process or "-"), C))
        out += self.diagram(sheet)
        out.append(KeepTogether([Paragraph("Control de cambios", self.label), self.change_control(sheet)]))
        out.append(Paragraph("Desviaciones respecto del texto impreso", self.label))
        out.append(self.deviations_table(sheet))
        return out

    def inputs_table(self, sheet: Sheet):
        t = self.t
        rows = [[Paragraph("Proveedor", self.cell_head), Paragraph("Elemento de entrada", self.cell_head)]]
        groups: list[tuple[str, list[str]]] = []
        for item in sheet.inputs:
            provider = str(item.get("provider") or "").strip()
            element = str(item.get("input") or "").strip()
            if groups and groups[-1][0] == provider:
                groups[-1][1].append(element)
            else:
                groups.append((provider, [element]))
        for provider, elements in groups:
            rows.append([Paragraph(t(provider), self.cell),
                         [Paragraph(t(e), self.cell_bullet, bulletText="•") for e in elements]])
        if len(rows) == 1:
            rows.append([Paragraph("-", self.cell), Paragraph("No aplica.", self.cell)])
        return self.grid(rows, [self.width * 0.38, self.width * 0.62])

    def start_lines(self, sheet: Sheet) -> list[str]:
        t = self.t
        lines = []
        for option in sheet.start:
            lines.append(f"{t(option.label)}: <i>inicia en la actividad {option.activity}.</i>")
        for schedule in sheet.schedules:
            when = schedule.printed or SCHEDULE_RULES.label(schedule.rule).lower()
            lines.append(f"{t(schedule.label)} (programado, {t(when)}): <i>inicia en la actividad {schedule.activity}.</i>")
        if lines and not sheet.start:
            lines.insert(0, f"Inicio a pedido: <i>inicia en la actividad {sheet.activities[0].n}.</i>")
        return lines

    def activity_cell(self, sheet: Sheet, index: int) -> list:
        t = self.t
        a = sheet.activities[index]
        C = self.cell
        italic = ParagraphStyle("cell_italic", parent=C, fontName=self.fonts.italic)
        out = []
        starts = [label for key, label, n in sheet.entry_points if n == a.n]
        if starts:
            if sheet.start or sheet.schedules:
                out.append(Paragraph("Inicio: " + t("; ".join(starts)), italic))
            else:
                out.append(Paragraph("Inicio", italic))
        if a.join:
            out.append(Paragraph(f"Se realiza cuando concluyen las actividades {_join_numbers(a.join)}.", italic))
        out.append(Paragraph(f"<b>{t(a.name)}</b>", C))
        out += self.cell_lines(a.description)
        if a.wait:
            out.append(Paragraph(t(f"Se espera a que {a.wait.party} {a.wait.awaited}.".replace("..", ".")), italic))
        if a.decision:
            out.append(Paragraph(f"<b>{t(a.decision.question)}</b>", C))
            for answer in a.decision.answers:
                target = "Fin del procedimiento." if answer.goto == END else f"Ir a la actividad {answer.goto}."
                out.append(Paragraph(f"{t(answer.label)}: <i>{target}</i>", self.cell_bullet, bulletText="-"))
        elif a.parallel:
            out.append(Paragraph(f"Continuar en paralelo con las actividades {_join_numbers(a.parallel)}.", italic))
        elif a.end or a.next == END:
            out.append(Paragraph("Fin del procedimiento.", italic))
        elif a.next is not None:
            out.append(Paragraph(f"Continuar con la actividad {a.next}.", italic))
        if a.periodicity:
            out.append(Paragraph(f"Periodicidad: {t(a.periodicity)}", italic))
        return out

    def activities_table(self, sheet: Sheet):
        t = self.t
        H = self.cell_head
        rows = [[Paragraph("N°", H), Paragraph("Descripción de la actividad", H),
                 Paragraph("Unidad de organización", H), Paragraph("Responsable", H)]]
        for index, a in enumerate(sheet.activities):
            if len(a.roles) > 1:
                responsible = [Paragraph(t(self.role_name(r)), self.cell_bullet, bulletText="•") for r in a.roles]
            else:
                responsible = [Paragraph(t(self.role_name(r)), self.cell) for r in a.roles]
            rows.append([Paragraph(str(a.n), self.cell_center), self.activity_cell(sheet, index),
                         Paragraph(t(self.unit_name(a.unit)), self.cell_center), responsible])
        rows.append([Paragraph("<b>Fin de procedimiento</b>", self.cell_center), "", "", ""])
        last = len(rows) - 1
        widths = [0.9 * cm, self.width - 0.9 * cm - 2.4 * cm - 4.0 * cm, 2.4 * cm, 4.0 * cm]
        return self.grid(rows, widths, extra=[("SPAN", (0, last), (-1, last)), ("BACKGROUND", (0, last), (-1, last), LABEL_BG)])

    def products_table(self, sheet: Sheet):
        t = self.t
        rows = [[Paragraph("Producto", self.cell_head), Paragraph("Usuario/Cliente", self.cell_head)]]
        for item in sheet.products:
            users = item.get("users") or []
            if isinstance(users, str):
                users = [users]
            rows.append([Paragraph(t(item.get("product", "")), self.cell),
                         [Paragraph(t(u), self.cell_bullet, bulletText="•") for u in users] or Paragraph("-", self.cell)])
        if len(rows) == 1:
            rows.append([Paragraph("-", self.cell), Paragraph("-", self.cell)])
        return self.grid(rows, [self.width * 0.5, self.width * 0.5])

    def change_control(self, sheet: Sheet):
        t = self.t
        rows = [[Paragraph(x, self.cell_head) for x in ("Versión", "Sección del procedimiento", "Descripción del cambio")]]
        for change in sheet.change_control:
            if isinstance(change, dict):
                version = change.get("version", "")
                section = change.get("section", "")
                description = change.get("description") or change.get("change") or ""
            else:
                version, section, description = "", "", change
            rows.append([Paragraph(t(version), self.cell_center), Paragraph(t(section), self.cell),
                         Paragraph(t(description), self.cell)])
        if len(rows) == 1:
            rows.append([Paragraph("---", self.cell_center) for _ in range(3)])
        return self.grid(rows, [2.2 * cm, 5.5 * cm, self.width - 7.7 * cm])

    def deviations_table(self, sheet: Sheet):
        t = self.t
        if not sheet.deviations:
            return self.p("<i>La ficha no registra desviaciones: se ejecuta tal como está impresa.</i>", self.cell)
        rows = [[Paragraph(x, self.cell_head) for x in ("N°", "Act.", "Tipo", "Texto impreso", "Resolución en el sistema")]]
        for i, d in enumerate(sheet.deviations, 1):
            rows.append([
                Paragraph(str(i), self.cell_center),
                Paragraph(t(d.activity) if d.activity is not None else "—" if self.fonts.unicode else "-", self.cell_center),
                Paragraph(t(DEVIATION_KINDS.label(d.kind)), self.cell),
                Paragraph(t(d.printed), self.cell),
                Paragraph(t(d.resolution), self.cell),
            ])
        widths = [0.8 * cm, 1.0 * cm, 2.4 * cm]
        rest = self.width - sum(widths)
        return self.grid(rows, widths + [rest * 0.42, rest * 0.58])

    def diagram(self, sheet: Sheet) -> list:
        graph = build_graph(sheet, self.org)
        width = LANDSCAPE[0] - 2 * WIDE_MARGIN_X
        height = LANDSCAPE[1] - WIDE_MARGIN_TOP - WIDE_MARGIN_BOTTOM - 4
        scale, windows = plan_diagram(graph, width, height)
        title = f"Diagrama de flujo del procedimiento {sheet.code} {sheet.name}"
        out = [NextPageTemplate("landscape"), PageBreak()]
        for i, window in enumerate(windows, 1):
            part = DiagramPart(graph, window, scale, i, len(windows), self.fonts, self.t, title)
            # Short parts share a page; one that does not fit goes on to the next.
            out += [part, Spacer(1, 14)] if i < len(windows) else [part]
        self.diagram_parts += len(windows)
        out += [NextPageTemplate("portrait"), PageBreak()]
        return out


def build_manual(output: Path | str = "manual.pdf", *, catalog_dir: Path | str | None = None,
                 fonts: str = "auto", compress: bool = True, generated: datetime | None = None,
                 processes_file: Path | str = PROCESSES_FILE,
                 front_matter_file: Path | str = FRONT_MATTER_FILE) -> ManualResult:
    """Write the manual to `output` and say how many pages and procedures it has."""
    started = time.perf_counter()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    sheets = load_catalog(catalog_dir)
    organization = load_organization(catalog_dir)
    processes = load_processes(processes_file)
    front = yaml.safe_load(Path(front_matter_file).read_text(encoding="utf-8")) or {}
    font_set = load_fonts(fonts)
    builder = ManualBuilder(sheets, organization, processes, front, font_set, generated or datetime.now())
    level0 = processes.get("level0") or {"code": "S04", "name": "Gestión de tecnologías de la información"}
    text = Text(font_set)
    doc = ManualDoc(
        str(output), fonts=font_set, version=text.plain(processes.get("version", "01")),
        header=text.plain(f"MAPRO {level0['code']} – {level0['name']}"),
        title=text.plain(processes.get("title", "MAPRO")), author="OGTIE – Ministerio de Defensa",
        subject=text.plain(f"Manual de procedimientos del proceso {level0['code']}"), creator="mapro manual",
        pageCompression=1 if compress else 0,
    )

    pages = {}

    class Counting(NumberedCanvas):
        footer_font = font_set.regular

        def save(self):
            super().save()
            pages["n"] = self.pages_written

    doc.multiBuild(builder.story(), canvasmaker=Counting)
    return ManualResult(output, pages.get("n", 0), len(sheets), builder.diagram_parts,
                        round(time.perf_counter() - started, 2))
