"""Draw a compiled procedure as SVG from the same layout as its BPMN DI.

The web shows this server-side drawing (no JavaScript modeler is shipped), with the case's
current activities highlighted and the done ones shaded.
"""
from __future__ import annotations

import textwrap
from html import escape

from .bpmn import LANE_HEADER, Graph, build_graph, lane_label_lines

LANE_LINE_HEIGHT = 12
from .organization import Organization
from .sheets import Sheet


def _wrap(text: str, width: int, lines: int) -> list[str]:
    wrapped = textwrap.wrap(text, width) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: width - 1] + "…"
    return wrapped


def render_svg(graph: Graph, current: set[int] = frozenset(), done: set[int] = frozenset()) -> str:
    w, h = graph.width + 10, graph.height + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0f} {h:.0f}" width="{w:.0f}" height="{h:.0f}" '
        f'class="diagram" role="img" aria-label="Diagrama de flujo de {escape(graph.sheet.code)}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>',
    ]
    for slug, name in graph.lanes:
        y, lane_h = graph.lane_bounds[slug]
        out.append(f'<rect x="0" y="{y:.0f}" width="{graph.width:.0f}" height="{lane_h:.0f}" class="lane"/>')
        out.append(f'<rect x="0" y="{y:.0f}" width="{LANE_HEADER}" height="{lane_h:.0f}" class="lane-head"><title>{escape(name)}</title></rect>')
        # The whole name, wrapped on up to LANE_LABEL_LINES vertical lines (the lane is tall enough).
        lines = lane_label_lines(name, lane_h)
        cy = y + lane_h / 2
        for i, line in enumerate(lines):
            cx = LANE_HEADER / 2 + (i - (len(lines) - 1) / 2) * LANE_LINE_HEIGHT + 3.5
            out.append(f'<text x="{cx:.1f}" y="{cy:.0f}" transform="rotate(-90 {cx:.1f} {cy:.0f})" '
                       f'class="lane-label">{escape(line)}</text>')
    for flow in graph.flows:
        points = " ".join(f"{x:.0f},{y:.0f}" for x, y in flow.waypoints)
        out.append(f'<polyline points="{points}" class="flow" marker-end="url(#arrow)"/>')
        if flow.name:
            # On the last bend, i.e. on the segment that enters the target: never on a shared trunk.
            x, y = flow.waypoints[-2] if len(flow.waypoints) > 2 else flow.waypoints[0]
            out.append(f'<text x="{x + 4:.0f}" y="{y - 4:.0f}" class="flow-label">{escape(flow.name[:24])}</text>')
    for node in graph.nodes.values():
        nw, nh = node.size
        cx, cy = node.x + nw / 2, node.y + nh / 2
        if node.kind in ("task", "wait"):
            state = "current" if node.activity in current else ("done" if node.activity in done else "")
            css = " ".join(c for c in ("task", "wait" if node.kind == "wait" else "", state) if c)
            out.append(f'<g class="{css}" data-activity="{node.activity}"><title>{escape(node.name)}</title>')
            out.append(f'<rect x="{node.x:.0f}" y="{node.y:.0f}" width="{nw}" height="{nh}" rx="10"/>')
            for i, line in enumerate(_wrap(node.name, 21, 5)):
                out.append(f'<text x="{cx:.0f}" y="{node.y + 16 + i * 13:.0f}" class="task-label">{escape(line)}</text>')
            out.append("</g>")
        elif node.kind in ("xor", "and"):
            d = f"M{cx:.0f},{node.y:.0f} L{node.x + nw:.0f},{cy:.0f} L{cx:.0f},{node.y + nh:.0f} L{node.x:.0f},{cy:.0f} z"
            mark = "×" if node.kind == "xor" else "+"
            out.append(f'<g class="gateway"><title>{escape(node.name)}</title><path d="{d}"/>'
                       f'<text x="{cx:.0f}" y="{cy + 7:.0f}" class="gateway-mark">{mark}</text></g>')
        else:
            css = "event start" if node.kind == "start" else "event end"
            out.append(f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="{nw / 2:.0f}" class="{css}"><title>{escape(node.name)}</title></circle>')
    out.append("</svg>")
    return "\n".join(out)


def procedure_svg(sheet: Sheet, organization: Organization, current=frozenset(), done=frozenset()) -> str:
    return render_svg(build_graph(sheet, organization), set(current), set(done))
