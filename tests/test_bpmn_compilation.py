"""Each sheet compiles to BPMN 2.0 that validates against the XSD and carries its diagram."""
import os

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator

from engine.bpmn import BPMN, BPMNDI, compile_sheet
from engine.organization import load_organization
from engine.sheets import load_catalog

ORG = load_organization()
SHEETS = load_catalog()


@pytest.mark.parametrize("sheet", SHEETS, ids=[s.code for s in SHEETS])
def test_sheet_compiles_to_valid_bpmn_with_lanes_and_di(sheet):
    xml = compile_sheet(sheet, ORG)
    root = etree.fromstring(xml)
    BpmnValidator().validate(root, f"{sheet.code}.bpmn")  # raises on XSD violations
    ns = {"bpmn": BPMN, "bpmndi": BPMNDI}
    lanes = {lane.get("name") for lane in root.iterfind(".//bpmn:lane", ns)}
    assert lanes == {ORG.role(a.role).name for a in sheet.activities}
    task_ids = {t.get("id") for t in root.iterfind(".//bpmn:userTask", ns)}
    assert {f"Activity_{a.n}" for a in sheet.activities} <= task_ids
    shapes = {s.get("bpmnElement") for s in root.iterfind(".//bpmndi:BPMNShape", ns)}
    edges = {e.get("bpmnElement") for e in root.iterfind(".//bpmndi:BPMNEdge", ns)}
    flow_nodes = {e.get("id") for e in root.find("bpmn:process", ns) if e.get("id") and not e.tag.endswith(("sequenceFlow", "laneSet", "documentation"))}
    assert flow_nodes <= shapes
    assert {f.get("id") for f in root.iterfind(".//bpmn:sequenceFlow", ns)} == edges


def test_decisions_become_exclusive_gateways_with_declared_conditions():
    sheet = next(s for s in SHEETS if s.code == "S04.03.04.02")
    root = etree.fromstring(compile_sheet(sheet, ORG))
    ns = {"bpmn": BPMN}
    conditions = sorted(c.text for c in root.iterfind(".//bpmn:conditionExpression", ns))
    assert "A2 == si" in conditions and "A2 == no" in conditions
    assert root.find(".//bpmn:exclusiveGateway[@id='Gateway_2']", ns).get("name") == "¿Cumple con los requisitos?"


def test_parallel_branches_become_parallel_gateways():
    sheet = next(s for s in SHEETS if s.code == "S04.02.00.01")
    root = etree.fromstring(compile_sheet(sheet, ORG))
    ns = {"bpmn": BPMN}
    ids = {g.get("id") for g in root.iterfind(".//bpmn:parallelGateway", ns)}
    assert {"Fork_14", "Join_17"} <= ids


def test_cli_compile_writes_one_file_per_procedure(tmp_path):
    from django.core.management import call_command

    call_command("procedures", "compile", "--output", str(tmp_path), verbosity=0)
    assert len(os.listdir(tmp_path)) == 23
