"""`POST /api/tasks/{id}/complete` answers with the case exactly as `GET /api/cases/{id}` shows it to
the same person (history, open tasks with forms and decisions, conversation, attachments, masked
personal data), although it is built without rebuilding the case (api/completion.py)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engine.sheets import END, load_catalog

from .api_client import Api, fill
from .test_every_procedure_walk import distance_to_end
from .walker import Walker

pytestmark = pytest.mark.django_db
SHEETS = load_catalog()
SUPPORT = "S04.03.04.02"


class CheckingWalker(Walker):
    """Completes tasks as Walker does and compares each answer with the case read right after."""

    checked = 0

    def complete(self, task, decision=None, data=None):
        answer = super().complete(task, decision, data)
        api = self.api(self.actor(task))
        assert answer == api.get(f"/api/cases/{answer['id']}").json(), (task["procedure"], task["activity"])
        self.checked += 1
        return answer


@pytest.mark.parametrize("sheet", SHEETS, ids=[s.code for s in SHEETS])
def test_the_completion_answer_is_the_case_as_its_page_shows_it(staff, sheet):
    walker = CheckingWalker()
    entries = sheet.entry_points
    first = entries[0][2]
    roles = sheet.activity(first).roles
    starter = "personal-mindef" if "personal-mindef" in roles else roles[0]
    distance = distance_to_end(sheet)

    def choose(task, visits):   # each answer once where it can, then the shortest way out
        options = sheet.activity(task["activity"]).decision.answers
        if visits[task["activity"]] <= len(options):
            return options[visits[task["activity"]] - 1].label
        return min(options, key=lambda a: 0 if a.goto == END else distance[a.goto]).label

    case, path = walker.run(sheet.code, starter, choose, start=entries[0][0] if len(entries) > 1 else None)
    assert walker.checked == len(path) > 0


def test_conversation_attachments_and_assignment_fields_are_in_the_answer(staff):
    requester, operator = Api("personal-mindef"), Api("operador-mesa-ayuda")
    first = requester.get(f"/api/procedures/{SUPPORT}").json()["activities"][0]
    case = requester.post("/api/cases", {"procedure": SUPPORT, "data": fill(first["form"])}).json()
    assert requester.post(f"/api/cases/{case['id']}/comments", {"body": "¿Cuándo vienen?"}).status_code == 201
    assert operator.post(f"/api/cases/{case['id']}/comments", {"body": "Nota interna", "internal": True}).status_code == 201
    assert operator.upload(case["id"], "captura.pdf").status_code == 201
    [task] = case["open_tasks"]
    answer = operator.post(f"/api/tasks/{task['id']}/complete", {"data": fill(task["form"]), "decision": "Sí"}).json()
    assert answer == operator.get(f"/api/cases/{case['id']}").json()
    assert [c["body"] for c in answer["comments"]] == ["¿Cuándo vienen?", "Nota interna"]
    assert len(answer["attachments"]) == 1
    [assign] = answer["open_tasks"]
    people = assign["form"]["properties"]["tecnico_asignado"]["oneOf"]     # who may be named, read afresh
    assert {"const": "soporte-tecnico", "title": "soporte-tecnico"} in people
    answer = operator.post(f"/api/tasks/{assign['id']}/complete",
                           {"data": dict(fill(assign["form"]), tecnico_asignado="soporte-tecnico")}).json()
    assert answer == operator.get(f"/api/cases/{case['id']}").json()
    assert answer["open_tasks"][0]["assignee"] == "soporte-tecnico"


def test_the_answer_takes_a_few_queries_however_long_the_history(staff):
    """Three reads after the completion itself, whatever the case has been through."""
    walker = Walker()
    answers = {3: ["Sí"], 8: ["Alta o media"], 22: ["Sí"] * 8 + ["No"], 30: ["No"]}
    case = walker.start("S04.02.00.01", "director-uo")
    counts, visits = {}, {}
    while case["status"] == "open":
        task = case["open_tasks"][0]
        visits[task["activity"]] = visits.get(task["activity"], 0) + 1
        options = answers.get(task["activity"], [None])
        decision = options[min(visits[task["activity"]], len(options)) - 1] if task["decisions"] else None
        api = walker.api(walker.actor(task))
        body = {"data": fill(task["form"], api, case["id"])}
        if decision:
            body["decision"] = decision
        with CaptureQueriesContext(connection) as queries:
            case = api.post(f"/api/tasks/{task['id']}/complete", body).json()
        counts.setdefault(task["activity"], []).append(len(queries))
    # The 1st and the 9th round alike (give or take the token's once-a-minute "last used" write).
    assert len(counts[18]) == 9 and max(counts[18]) - min(counts[18]) <= 1, counts[18]
