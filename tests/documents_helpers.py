"""Shared by the documents' tests (tests/test_documents_*.py): a real case of a procedure carried
one activity forward through the API, and the documents' PDFs kept in the test session's folder."""
import io

import pytest

from cases import procedures
from cases.models import Case

from .api_client import Api, fill


@pytest.fixture(autouse=True)
def documents_storage(attachments_storage):
    """The documents' PDF fields write where the case attachments of the test session go."""
    from documents.models import DocumentVersion, Signature

    fields = [DocumentVersion._meta.get_field("pdf"), Signature._meta.get_field("signed_pdf")]
    originals = [f.storage for f in fields]
    for f in fields:
        f.storage = attachments_storage
    yield attachments_storage
    for f, original in zip(fields, originals):
        f.storage = original


def starter_for(sheet, activity_n):
    roles = sheet.activity(activity_n).roles
    return "personal-mindef" if "personal-mindef" in roles else roles[0]


def case_of(code: str, subject: str = "Renovación de la red del edificio Quiñones") -> Case:
    """A case of the procedure, started with a subject and its first open task completed where it
    can be (so its history holds recorded form data and, where the manual asks, a decision)."""
    sheet = procedures.sheet(code)
    key, _, first = sheet.entry_points[0]
    starter = Api(starter_for(sheet, first))
    body = {"procedure": code, "subject": subject}
    if len(sheet.entry_points) > 1:
        body["start"] = key
    response = starter.post("/api/cases", body)
    assert response.status_code == 201, response.content.decode()
    case = response.json()
    for task in case["open_tasks"][:1]:
        actor = Api(task["assignee"] or task["role"])
        decision = task["decisions"][0] if task["decisions"] else None
        answer = actor.post(f"/api/tasks/{task['id']}/complete",
                            {"data": fill(task["form"], actor, case["id"]), **({"decision": decision} if decision else {})})
        # A form whose fields pick from a register (registers app) needs entries this case does
        # not have: the case then stays at its start, which is still a real case of the procedure.
        assert answer.status_code in (200, 422), answer.content.decode()
    return Case.objects.get(pk=case["id"])


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def version_text(version) -> str:
    with version.pdf.open("rb") as f:
        return pdf_text(f.read())


@pytest.fixture
def document_templates(db):
    """The catalog's templates (the data migration's rows), for transactional tests: the flush that
    ends another transactional test empties every table, these included."""
    from documents.models import load_catalog_templates

    load_catalog_templates()
