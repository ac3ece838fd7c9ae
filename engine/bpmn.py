"""Compile a sheet to BPMN 2.0: one lane per role, a user task per activity, gateways for
decisions and parallel branches, and an automatic layout (BPMN DI) so that the file opens in
bpmn.io or Camunda Modeler.

Gateway conditions are written in a tiny declarative form, `<slot> == <answer-key>`, which the
restricted script engine in `engine.runtime` matches against the decision recorded for that
slot. Nothing a user types ever becomes an expression.
"""
from __future__ import annotations

import textwrap
from collections import defaultdict
from dataclasses import dataclass, field

from lxml import etree

from .organization import Organization
from .sheets import END, Sheet, slugify

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "xsi": XSI}

START_SLOT = "start"

SIZES = {"task": (120, 80), "wait": (120, 80), "xor": (50, 50), "and": (50, 50), "start": (36, 36), "end": (36, 36)}
COLUMN_WIDTH = 170
ROW_HEIGHT = 110
LANE_HEADER = 48           # wide enough for a lane name in LANE_LABEL_LINES vertical lines
LANE_PADDING = 20
ORIGIN_X = 80


def process_id(code: str) -> str:
    return "Process_" + code.replace(".", "_")


def activity_task_id(n: int) -> str:
    return f"Activity_{n}"


def wait_task_id(n: int) -> str:
    return f"Wait_{n}"


def activity_slot(n: int) -> str:
    """Key under which an activity's data and decision live in the engine's task data."""
    return f"A{n}"


def condition(slot: str, answer_key: str) -> str:
    return f"{slot} == {answer_key}"


@dataclass
class Node:
    id: str
    kind: str  # task | wait | xor | and | start | end
    name: str
    lane: str
    activity: int | None = None
    x: float = 0
    y: float = 0

    @property
    def size(self):
        return SIZES[self.kind]


@dataclass
class Flow:
    id: str
    source: str
    target: str
    condition: str | None = None
    name: str = ""
    waypoints: list = field(default_factory=list)


@dataclass
class Graph:
    sheet: Sheet
    nodes: dict[str, Node]
    flows: list[Flow]
    lanes: list[tuple[str, str]]  # (role slug, lane name) in display order
    lane_bounds: dict[str, tuple[float, float]] = field(default_factory=dict)  # role -> (y, height)
    width: float = 0
    height: float = 0


def build_graph(sheet: Sheet, organization: Organization) -> Graph:
    nodes: dict[str, Node] = {}
    flows: list[Flow] = []

    def add(node: Node) -> Node:
        nodes[node.id] = node
        return node

    def connect(source: str, target: str, cond: str | None = None, name: str = ""):
        flows.append(Flow(f"Flow_{len(flows) + 1}", source, target, cond, name))

    # Every edge that enters an activity is collected first, so joins and merges can be placed.
    incoming: dict[int, list[tuple[str, int | None, str | None, str]]] = defaultdict(list)
    end_count = 0

    def route_to(source: str, lane: str, goto, from_activity: int | None, cond=None, name=""):
        nonlocal end_count
        if goto == END:
            end_count += 1
            end = add(Node(f"End_{end_count}", "end", "Fin", lane))
            connect(source, end.id, cond, name)
        else:
            incoming[goto].append((source, from_activity, cond, name))

    for activity in sheet.activities:
        add(Node(activity_task_id(activity.n), "task", f"{activity.n}. {activity.name}", activity.role, activity.n))
        out = activity_task_id(activity.n)
        if activity.wait:
            wait = add(Node(wait_task_id(activity.n), "wait", f"Se espera a {activity.wait.party}", activity.role, activity.n))
            connect(out, wait.id)
            out = wait.id
        routes = sheet.routes(activity.n)
        if activity.decision:
            gateway = add(Node(f"Gateway_{activity.n}", "xor", activity.decision.question, activity.role, activity.n))
            connect(out, gateway.id)
            slot = activity_slot(activity.n)
            for answer in activity.decision.answers:
                route_to(gateway.id, activity.role, answer.goto, activity.n, condition(slot, answer.key), answer.label)
        elif activity.parallel:
            fork = add(Node(f"Fork_{activity.n}", "and", "En paralelo", activity.role, activity.n))
            connect(out, fork.id)
            for route in routes:
                route_to(fork.id, activity.role, route.goto, activity.n)
        else:
            route_to(out, activity.role, routes[0].goto, activity.n)

    entries = sheet.entry_points
    first_lane = sheet.activity(entries[0][2]).role
    start = add(Node("StartEvent", "start", "Inicio", first_lane))
    if len(entries) == 1:
        incoming[entries[0][2]].append((start.id, None, None, ""))
    else:
        gateway = add(Node("Gateway_start", "xor", "Inicio", first_lane))
        connect(start.id, gateway.id)
        for key, label, target in entries:
            incoming[target].append((gateway.id, None, condition(START_SLOT, key), label))

    for activity in sheet.activities:
        edges = incoming.get(activity.n, [])
        target = activity_task_id(activity.n)
        joined = [e for e in edges if activity.join and e[1] in activity.join]
        direct = [e for e in edges if e not in joined]
        if joined:
            join = add(Node(f"Join_{activity.n}", "and", "Unión", activity.role, activity.n))
            for source, _, cond, name in joined:
                connect(source, join.id, cond, name)
            direct.append((join.id, None, None, ""))
        if len(direct) > 1:
            merge = add(Node(f"Merge_{activity.n}", "xor", "", activity.role, activity.n))
            for source, _, cond, name in direct:
                connect(source, merge.id, cond, name)
            connect(merge.id, target)
        else:
            for source, _, cond, name in direct:
                connect(source, target, cond, name)

    lanes = []
    for activity in sheet.activities:
        if activity.role not in [slug for slug, _ in lanes]:
            lanes.append((activity.role, organization.role(activity.role).name))
    graph = Graph(sheet, nodes, flows, lanes)
    _layout(graph)
    return graph


def _layout(graph: Graph):
    """Columns by longest path from the start (loops ignored), rows by lane."""
    out_edges = defaultdict(list)
    for flow in graph.flows:
        out_edges[flow.source].append(flow.target)

    back_edges = set()
    state: dict[str, int] = {}
    order: list[str] = []

    def visit(node_id: str):
        # Iterative DFS: sheets reach 45 activities, recursion would be fine, but gateways double it.
        stack = [(node_id, iter(out_edges[node_id]))]
        state[node_id] = 1
        while stack:
            current, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[current] = 2
                order.append(current)
                stack.pop()
            elif state.get(child) == 1:
                back_edges.add((current, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(out_edges[child])))

    visit("StartEvent")
    for node_id in graph.nodes:
        if node_id not in state:
            visit(node_id)

    rank = {node_id: 0 for node_id in graph.nodes}
    for node_id in reversed(order):
        for child in out_edges[node_id]:
            if (node_id, child) not in back_edges:
                rank[child] = max(rank[child], rank[node_id] + 1)

    rows: dict[tuple[str, int], int] = defaultdict(int)
    slot_row: dict[str, int] = {}
    for node_id in sorted(graph.nodes, key=lambda i: (rank[i], i)):
        node = graph.nodes[node_id]
        key = (node.lane, rank[node_id])
        slot_row[node_id] = rows[key]
        rows[key] += 1

    y = 0.0
    lane_width_ranks = max(rank.values()) + 1
    width = ORIGIN_X + lane_width_ranks * COLUMN_WIDTH + 40
    row_offset: dict[str, float] = {}
    for slug, name in graph.lanes:
        lane_rows = max([count for (lane, _), count in rows.items() if lane == slug] or [1])
        height = LANE_PADDING * 2 + lane_rows * ROW_HEIGHT
        # A lane is at least as tall as its name needs, wrapped in the header's lines.
        label_height = lane_height_for_label(name)
        row_offset[slug] = max(0.0, (label_height - height) / 2)
        height = max(height, label_height)
        graph.lane_bounds[slug] = (y, height)
        y += height
    graph.width, graph.height = width, y

    for node_id, node in graph.nodes.items():
        lane_y, _ = graph.lane_bounds[node.lane]
        w, h = node.size
        center_x = ORIGIN_X + rank[node_id] * COLUMN_WIDTH + 60
        center_y = lane_y + row_offset[node.lane] + LANE_PADDING + slot_row[node_id] * ROW_HEIGHT + 40
        node.x, node.y = center_x - w / 2, center_y - h / 2

    _route(graph, rank, row_offset)


# --- lane names --------------------------------------------------------------------------------
LANE_LABEL_LINES = 3        # lines of a lane's name in its header (LANE_HEADER wide)
LANE_LABEL_CHAR = 6.3       # average width of a character of the lane label, in layout units
LANE_LABEL_MARGIN = 14


def lane_label_lines(name: str, lane_height: float) -> list[str]:
    """The lane's name wrapped to the lane's height (the header is written vertically)."""
    per_line = max(8, int((lane_height - LANE_LABEL_MARGIN) / LANE_LABEL_CHAR))
    return textwrap.wrap(name, per_line, break_long_words=True) or [""]


def lane_height_for_label(name: str) -> float:
    """The least lane height at which the whole name fits in LANE_LABEL_LINES lines."""
    height = LANE_PADDING * 2 + ROW_HEIGHT
    while len(lane_label_lines(name, height)) > LANE_LABEL_LINES:
        height += 10
    return height


# --- sequence-flow routing ---------------------------------------------------------------------
# Nodes sit in columns (one per rank) and rows. Between two columns there is a vertical gap and
# between two rows (or two lanes) a horizontal corridor where no node is. A flow runs
#   - straight, when source and target face each other on one row with nothing in between;
#   - into the next column: right from the source, down or up in the gap, right into the target;
#   - farther, or backwards: to a corridor (right then down/up in the gap after the source, or
#     straight down from the bottom of the source for a flow that goes back), along the corridor,
#     and down/up in the gap before the target into its left side.
# Every vertical run gets its own track in its gap and every corridor run its own track in its
# corridor, so two flows never share a segment (flows of the same source or the same target may).
TRACK_SPACING = 8
GAP_MARGIN = 7


def _route(graph: Graph, rank: dict[str, int], row_offset: dict[str, float]):
    nodes = graph.nodes
    column_left = lambda c: ORIGIN_X + c * COLUMN_WIDTH            # noqa: E731 (task zone of a column)
    column_right = lambda c: ORIGIN_X + c * COLUMN_WIDTH + 120     # noqa: E731

    # Horizontal corridors: the bands of each lane (and between lanes) with no node in them.
    bands = []
    for slug, _ in graph.lanes:
        lane_y, lane_h = graph.lane_bounds[slug]
        top = lane_y + row_offset[slug] + LANE_PADDING
        lane_rows = int(round((lane_h - 2 * row_offset[slug] - 2 * LANE_PADDING) / ROW_HEIGHT))
        edges = [lane_y] + [top + r * ROW_HEIGHT + 80 for r in range(lane_rows)]
        starts = [top + r * ROW_HEIGHT for r in range(lane_rows)] + [lane_y + lane_h]
        for y0, y1 in zip(edges, starts):
            if y1 - y0 > 4:
                bands.append([y0, y1])
    bands.sort()
    merged = []
    for band in bands:  # the bottom of a lane and the top of the next one form one corridor
        if merged and band[0] <= merged[-1][1] + 0.5:
            merged[-1][1] = max(merged[-1][1], band[1])
        else:
            merged.append(band)
    corridors = [tuple(b) for b in merged]

    def corridor_near(y: float, below: bool) -> int:
        if below:
            return next((i for i, (y0, _) in enumerate(corridors) if y0 >= y - 0.5), len(corridors) - 1)
        return next((i for i in reversed(range(len(corridors))) if corridors[i][1] <= y + 0.5), 0)

    def corridor_between(y_from: float, y_to: float) -> int:
        lo, hi = min(y_from, y_to), max(y_from, y_to)
        inside = [i for i, (y0, y1) in enumerate(corridors) if lo <= (y0 + y1) / 2 <= hi]
        if inside:
            return min(inside, key=lambda i: abs((corridors[i][0] + corridors[i][1]) / 2 - y_from))
        return corridor_near(y_from + 40, below=True)

    def blocked(y: float, first: int, last: int, ignore) -> bool:
        """Whether a node other than `ignore` sits on row `y` in columns first..last."""
        for node_id, node in nodes.items():
            if node_id in ignore or not first <= rank[node_id] <= last:
                continue
            if node.y - 0.5 <= y <= node.y + node.size[1] + 0.5:
                return True
        return False

    # Each flow as a plan of segments; gap and corridor runs get their coordinate afterwards.
    gap_runs: dict[int, list[dict]] = defaultdict(list)
    corridor_runs: dict[int, list] = defaultdict(list)  # corridor -> [(x0, x1, group, slot)]
    plans = []

    def gap_run(gap, lo, hi, side, flow, out_y, in_y, slot):
        group = flow.target if side == "in" else flow.source
        gap_runs[gap].append({"lo": min(lo, hi), "hi": max(lo, hi), "side": side, "group": group, "flow": flow,
                              "out_y": out_y, "in_y": in_y, "slot": slot})

    for flow in graph.flows:
        source, target = nodes[flow.source], nodes[flow.target]
        sw, sh = source.size
        tw, th = target.size
        sx, sy = source.x + sw, source.y + sh / 2
        tx, ty = target.x, target.y + th / 2
        rs, rt = rank[flow.source], rank[flow.target]
        slot = {"out_dy": 0.0, "in_dy": 0.0}
        if rt > rs and abs(sy - ty) < 0.5 and (rt == rs + 1 or not blocked(sy, rs + 1, rt - 1, {flow.source, flow.target})):
            plans.append((flow, "straight", slot))
        elif rt == rs + 1:
            gap_run(rs, sy, ty, "both", flow, sy, ty, slot)
            plans.append((flow, "next", slot))
        elif rt > rs:
            c = corridor_between(sy, ty)
            mid = sum(corridors[c]) / 2
            gap_run(rs, sy, mid, "out", flow, sy, None, slot.setdefault("out", {}))
            gap_run(rt - 1, mid, ty, "in", flow, None, ty, slot.setdefault("in", {}))
            corridor_runs[c].append((column_right(rs), column_left(rt), None, slot.setdefault("corridor", {})))
            plans.append((flow, "far", slot))
        else:
            # Back to an earlier (or the same) column: down from the source into the corridor below it.
            scx, sbottom = source.x + sw / 2, source.y + sh
            c = corridor_near(sbottom, below=True)
            mid = sum(corridors[c]) / 2
            gap_run(rt - 1, mid, ty, "in", flow, None, ty, slot.setdefault("in", {}))
            corridor_runs[c].append((column_right(rt - 1), scx, flow.source, slot.setdefault("corridor", {})))
            plans.append((flow, "back", slot))
    slots = {id(flow): slot for flow, _, slot in plans}

    # Vertical tracks: in each gap, a flow that leaves a row of the left column runs left of any
    # flow that enters the same row of the right column, so that their stubs on that row do not
    # share a segment; flows that only leave come first, flows that only enter last.
    order = {"out": 0, "both": 1, "in": 2}
    for gap, runs in gap_runs.items():
        def facing(a, b):  # a leaves the row that b enters
            return (a["out_y"] is not None and b["in_y"] is not None and abs(a["out_y"] - b["in_y"]) < 0.5
                    and a["group"] != b["group"])

        before = [[j for j, other in enumerate(runs) if j != i and facing(run, other)] for i, run in enumerate(runs)]
        tracks = _assign_tracks([(r["lo"], r["hi"], r["group"], (order[r["side"]], r["lo"] if r["side"] != "in" else -r["hi"]))
                                 for r in runs], before)
        count = max(tracks) + 1
        left, right = column_right(gap) + GAP_MARGIN, column_left(gap + 1) - GAP_MARGIN - 3
        spacing = min(TRACK_SPACING, (right - left) / max(1, count - 1))
        start = (left + right) / 2 - spacing * (count - 1) / 2
        for run, track in zip(runs, tracks):
            run["slot"]["x"] = start + track * spacing
        # Two flows that swap rows cannot both be ordered: move one stub off the row instead.
        for a in runs:
            for b in runs:
                if a is not b and facing(a, b) and a["slot"]["x"] >= b["slot"]["x"] - 0.5:
                    b_target = nodes[b["flow"].target]
                    a_source = nodes[a["flow"].source]
                    if b_target.kind in ("task", "wait") or a_source.kind not in ("task", "wait"):
                        away = -1 if b["lo"] < b["in_y"] else 1
                        slots[id(b["flow"])]["in_dy"] = away * PORT_SHIFT
                    else:
                        away = -1 if a["lo"] < a["out_y"] else 1
                        slots[id(a["flow"])]["out_dy"] = away * PORT_SHIFT
    for corridor, runs in corridor_runs.items():
        tracks = _assign_tracks([(min(x0, x1), max(x0, x1), group, (min(x0, x1),)) for x0, x1, group, _ in runs])
        count = max(tracks) + 1
        y0, y1 = corridors[corridor]
        y0, y1 = y0 + 5, y1 - 5
        spacing = min(TRACK_SPACING, (y1 - y0) / max(1, count - 1))
        start = (y0 + y1) / 2 - spacing * (count - 1) / 2
        for (_, _, _, slot), track in zip(runs, tracks):
            slot["y"] = start + track * spacing

    for flow, kind, slot in plans:
        source, target = nodes[flow.source], nodes[flow.target]
        sy = source.y + source.size[1] / 2 + slot["out_dy"]
        ty = target.y + target.size[1] / 2 + slot["in_dy"]
        sx, tx = _port_x(source, sy, "right"), _port_x(target, ty, "left")
        if kind == "straight":
            flow.waypoints = [(sx, sy), (tx, ty)]
        elif kind == "next":
            x = slot["x"]
            flow.waypoints = [(sx, sy), (x, sy), (x, ty), (tx, ty)] if abs(sy - ty) >= 0.5 else [(sx, sy), (tx, ty)]
        elif kind == "far":
            x1, y, x2 = slot["out"]["x"], slot["corridor"]["y"], slot["in"]["x"]
            flow.waypoints = [(sx, sy), (x1, sy), (x1, y), (x2, y), (x2, ty), (tx, ty)]
        else:
            scx, sbottom = source.x + source.size[0] / 2, source.y + source.size[1]
            y, x2 = slot["corridor"]["y"], slot["in"]["x"]
            flow.waypoints = [(scx, sbottom), (scx, y), (x2, y), (x2, ty), (tx, ty)]


PORT_SHIFT = 12


def _port_x(node: Node, y: float, side: str) -> float:
    """Where a horizontal line at `y` meets the node's outline on its left or right side."""
    w, h = node.size
    cx, cy = node.x + w / 2, node.y + h / 2
    dy = min(abs(y - cy), h / 2)
    if node.kind in ("xor", "and"):
        half = w / 2 - dy * (w / h)
    elif node.kind in ("start", "end"):
        half = (max(0.0, (w / 2) ** 2 - dy ** 2)) ** 0.5
    else:
        half = w / 2
    return cx + half if side == "right" else cx - half


def _assign_tracks(runs, before=None) -> list[int]:
    """Track numbers for runs (lo, hi, group, order key): overlapping runs get different tracks,
    except runs of the same group (flows of one source or one target may share their path).
    `before[i]` lists the runs that must lie on a higher track than run i. Runs are placed in the
    order of their key (respecting `before`), each on the lowest track it fits."""
    count = len(runs)
    before = before or [[] for _ in range(count)]
    after = [[] for _ in range(count)]  # after[j]: the runs that must lie below j
    for i, later in enumerate(before):
        for j in later:
            after[j].append(i)
    placed: list[list[tuple[float, float, object]]] = []
    result = [None] * count
    pending = set(range(count))
    while pending:
        ready = [i for i in pending if all(result[k] is not None for k in after[i])]
        index = min(ready or pending, key=lambda i: runs[i][3])  # a cycle: take the first one
        pending.discard(index)
        lo, hi, group, _ = runs[index]
        lowest = max([result[k] + 1 for k in after[index] if result[k] is not None] or [0])
        track = lowest
        while True:
            if track == len(placed):
                placed.append([])
            if all(hi < a - 0.5 or lo > b + 0.5 or (group is not None and group == g) for a, b, g in placed[track]):
                placed[track].append((lo, hi, group))
                result[index] = track
                break
            track += 1
    return result


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def to_bpmn_xml(graph: Graph) -> bytes:
    sheet = graph.sheet
    pid = process_id(sheet.code)
    root = etree.Element(_q(BPMN, "definitions"), nsmap=NSMAP)
    root.set("id", "Definitions_" + pid)
    root.set("targetNamespace", "https://mapro.mindef.gob.pe/bpmn")
    root.set("exporter", "mapro")
    root.set("exporterVersion", str(sheet.version))

    collaboration = etree.SubElement(root, _q(BPMN, "collaboration"), id="Collaboration_" + pid)
    etree.SubElement(
        collaboration, _q(BPMN, "participant"), id="Participant_" + pid,
        name=f"{sheet.code} {sheet.name}", processRef=pid,
    )

    process = etree.SubElement(root, _q(BPMN, "process"), id=pid, name=sheet.name, isExecutable="true")
    documentation = etree.SubElement(process, _q(BPMN, "documentation"))
    documentation.text = sheet.objective
    lane_set = etree.SubElement(process, _q(BPMN, "laneSet"), id="LaneSet_" + pid)
    for slug, name in graph.lanes:
        lane = etree.SubElement(lane_set, _q(BPMN, "lane"), id=lane_id(slug), name=name)
        for node in graph.nodes.values():
            if node.lane == slug:
                etree.SubElement(lane, _q(BPMN, "flowNodeRef")).text = node.id

    flows_in, flows_out = defaultdict(list), defaultdict(list)
    for flow in graph.flows:
        flows_out[flow.source].append(flow.id)
        flows_in[flow.target].append(flow.id)

    tags = {"task": "userTask", "wait": "userTask", "xor": "exclusiveGateway", "and": "parallelGateway",
            "start": "startEvent", "end": "endEvent"}
    for node in graph.nodes.values():
        element = etree.SubElement(process, _q(BPMN, tags[node.kind]), id=node.id)
        if node.name:
            element.set("name", node.name)
        if node.kind == "task":
            doc = etree.SubElement(element, _q(BPMN, "documentation"))
            doc.text = sheet.activity(node.activity).description
        if node.kind == "wait":
            wait = sheet.activity(node.activity).wait
            doc = etree.SubElement(element, _q(BPMN, "documentation"))
            doc.text = f"Se espera a que {wait.party} {wait.awaited}".strip()
        for flow_id in flows_in[node.id]:
            etree.SubElement(element, _q(BPMN, "incoming")).text = flow_id
        for flow_id in flows_out[node.id]:
            etree.SubElement(element, _q(BPMN, "outgoing")).text = flow_id

    for flow in graph.flows:
        element = etree.SubElement(process, _q(BPMN, "sequenceFlow"), id=flow.id, sourceRef=flow.source, targetRef=flow.target)
        if flow.name:
            element.set("name", flow.name)
        if flow.condition:
            expression = etree.SubElement(element, _q(BPMN, "conditionExpression"))
            expression.set(_q(XSI, "type"), "bpmn:tFormalExpression")
            expression.text = flow.condition

    diagram = etree.SubElement(root, _q(BPMNDI, "BPMNDiagram"), id="Diagram_" + pid)
    plane = etree.SubElement(diagram, _q(BPMNDI, "BPMNPlane"), id="Plane_" + pid, bpmnElement=collaboration.get("id"))

    def shape(element_id: str, x, y, w, h, **attrs):
        s = etree.SubElement(plane, _q(BPMNDI, "BPMNShape"), id=f"{element_id}_di", bpmnElement=element_id, **attrs)
        etree.SubElement(s, _q(DC, "Bounds"), x=_n(x), y=_n(y), width=_n(w), height=_n(h))

    shape("Participant_" + pid, 0, 0, graph.width, graph.height, isHorizontal="true")
    for slug, _ in graph.lanes:
        y, h = graph.lane_bounds[slug]
        shape(lane_id(slug), LANE_HEADER, y, graph.width - LANE_HEADER, h, isHorizontal="true")
    for node in graph.nodes.values():
        w, h = node.size
        attrs = {"isMarkerVisible": "true"} if node.kind == "xor" else {}
        shape(node.id, node.x, node.y, w, h, **attrs)
    for flow in graph.flows:
        edge = etree.SubElement(plane, _q(BPMNDI, "BPMNEdge"), id=f"{flow.id}_di", bpmnElement=flow.id)
        for x, y in flow.waypoints:
            etree.SubElement(edge, _q(DI, "waypoint"), x=_n(x), y=_n(y))
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")


def lane_id(role_slug: str) -> str:
    return "Lane_" + slugify(role_slug).replace("-", "_")


def _n(value: float) -> str:
    return str(int(round(value)))


def compile_sheet(sheet: Sheet, organization: Organization) -> bytes:
    return to_bpmn_xml(build_graph(sheet, organization))
