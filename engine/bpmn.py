"""Compile a sheet to BPMN 2.0: one lane per role, a user task per activity, gateways for
decisions and parallel branches, and an automatic layout (BPMN DI) so that the file opens in
bpmn.io or Camunda Modeler.

Gateway conditions are written in a tiny declarative form, `<slot> == <answer-key>`, which the
restricted script engine in `engine.runtime` matches against the decision recorded for that
slot. Nothing a user types ever becomes an expression.
"""
from __future__ import annotations

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
LANE_HEADER = 30
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
    for slug, _ in graph.lanes:
        lane_rows = max([count for (lane, _), count in rows.items() if lane == slug] or [1])
        height = LANE_PADDING * 2 + lane_rows * ROW_HEIGHT
        graph.lane_bounds[slug] = (y, height)
        y += height
    graph.width, graph.height = width, y

    for node_id, node in graph.nodes.items():
        lane_y, _ = graph.lane_bounds[node.lane]
        w, h = node.size
        center_x = ORIGIN_X + rank[node_id] * COLUMN_WIDTH + 60
        center_y = lane_y + LANE_PADDING + slot_row[node_id] * ROW_HEIGHT + 40
        node.x, node.y = center_x - w / 2, center_y - h / 2

    for flow in graph.flows:
        source, target = graph.nodes[flow.source], graph.nodes[flow.target]
        sw, sh = source.size
        tw, th = target.size
        sx, sy = source.x + sw, source.y + sh / 2
        tx, ty = target.x, target.y + th / 2
        if tx > sx:
            mid = sx + (tx - sx) / 2
            flow.waypoints = [(sx, sy), (mid, sy), (mid, ty), (tx, ty)] if sy != ty else [(sx, sy), (tx, ty)]
        else:
            below = max(source.y + sh, target.y + th) + 15
            scx, tcx = source.x + sw / 2, target.x + tw / 2
            flow.waypoints = [(scx, source.y + sh), (scx, below), (tcx, below), (tcx, target.y + th)]


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
