"""The requester withdraws their own request, with a reason, while nobody has acted on it yet."""
import pytest
from django.test import Client

from cases.models import Case, Event, Task, TaskOffer

from .api_client import Api, fill

pytestmark = pytest.mark.django_db
SUPPORT = "S04.03.04.02"


@pytest.fixture
def ticket(staff):
    """A support request whose first activity the employee completed: now with the help desk."""
    requester = Api("personal-mindef")
    first = requester.get(f"/api/procedures/{SUPPORT}").json()["activities"][0]
    case = requester.post("/api/cases", {"procedure": SUPPORT, "data": fill(first["form"])}).json()
    assert [t["activity"] for t in case["open_tasks"]] == [2]
    return case


def web(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_requester_withdraws_before_anyone_acted(ticket, staff):
    assert Api("operador-mesa-ayuda").get("/api/tasks", scope="available").json() != []
    page = web(staff["personal-mindef"]).get(f"/casos/{ticket['id']}/").content.decode()
    assert "Desistir de la solicitud" in page
    assert "Desistir de la solicitud" not in web(staff["operador-mesa-ayuda"]).get(f"/casos/{ticket['id']}/").content.decode()

    response = Api("personal-mindef").post(f"/api/cases/{ticket['id']}/withdraw", {"reason": "El equipo volvió a encender."})
    assert response.status_code == 200, response.content
    case = response.json()
    assert case["status"] == "withdrawn" and case["open_tasks"] == [] and case["id"] == ticket["id"]
    assert not Task.objects.filter(case_id=ticket["id"], status="open").exists()
    assert Task.objects.get(case_id=ticket["id"], activity=2).status == "cancelled"
    assert not TaskOffer.objects.filter(task__case_id=ticket["id"]).exists()
    assert Api("operador-mesa-ayuda").get("/api/tasks", scope="available").json() == []
    event = Event.objects.get(case_id=ticket["id"], kind="withdrawn")
    assert (event.user.username, event.note) == ("personal-mindef", "El equipo volvió a encender.")
    page = web(staff["personal-mindef"]).get(f"/casos/{ticket['id']}/").content.decode()
    assert "Desistido" in page and "El equipo volvió a encender." in page
    assert "Desistir de la solicitud" not in page
    again = Api("personal-mindef").post(f"/api/cases/{ticket['id']}/withdraw", {"reason": "Otra vez"})
    assert again.status_code == 409 and "desistido" in again.json()["detail"]


def test_once_someone_acted_the_request_can_no_longer_be_withdrawn(ticket, staff):
    operator = Api("operador-mesa-ayuda")
    [task] = ticket["open_tasks"]
    assert operator.post(f"/api/tasks/{task['id']}/claim").status_code == 200
    assert operator.post(f"/api/tasks/{task['id']}/release").status_code == 200   # claimed, then let go: still acted
    response = Api("personal-mindef").post(f"/api/cases/{ticket['id']}/withdraw", {"reason": "Ya no lo necesito."})
    assert response.status_code == 409
    assert response.json()["error"] == "conflicto"
    assert "Ya no puede desistir: su solicitud ya está siendo atendida" in response.json()["detail"]
    assert Case.objects.get(pk=ticket["id"]).status == "open"
    page = web(staff["personal-mindef"]).get(f"/casos/{ticket['id']}/").content.decode()
    assert "Desistir de la solicitud" not in page
    refused = web(staff["personal-mindef"]).post(f"/casos/{ticket['id']}/desistir", {"reason": "Ya no lo necesito."})
    assert refused.status_code == 302
    assert Case.objects.get(pk=ticket["id"]).status == "open"


def test_completed_by_the_help_desk_counts_as_acted(ticket):
    [task] = ticket["open_tasks"]
    Api("operador-mesa-ayuda").post(f"/api/tasks/{task['id']}/complete", {"data": fill(task["form"]), "decision": "Sí"})
    response = Api("personal-mindef").post(f"/api/cases/{ticket['id']}/withdraw", {"reason": "Ya no lo necesito."})
    assert response.status_code == 409


def test_only_the_requester_withdraws_and_outsiders_are_not_told_the_case_exists(ticket, staff, make_user):
    viewer = Api("jefe-ogtie")   # sees every case, but did not ask
    response = viewer.post(f"/api/cases/{ticket['id']}/withdraw", {"reason": "Por el usuario"})
    assert response.status_code == 403 and response.json()["error"] == "prohibido"
    make_user("otro-empleado")
    outsider = Api("otro-empleado")
    for path in (f"/api/cases/{ticket['id']}/withdraw", "/api/cases/99999999/withdraw"):
        response = outsider.post(path, {"reason": "Curiosidad"})
        assert response.status_code == 404 and response.json()["error"] == "no_encontrado"
    client = Client()
    client.login(username="otro-empleado", password="clave-segura-123")
    assert client.post(f"/casos/{ticket['id']}/desistir", {"reason": "Curiosidad"}).status_code == 404
    assert Case.objects.get(pk=ticket["id"]).status == "open"


def test_a_reason_is_required_and_kept_when_refused(ticket, staff):
    api = Api("personal-mindef")
    for body in ({}, {"reason": "   "}, {"reason": "x" * 301}, {"reason": 3}):
        response = api.post(f"/api/cases/{ticket['id']}/withdraw", body)
        assert response.status_code == 422, body
        assert "reason" in response.json()["errors"]
    response = web(staff["personal-mindef"]).post(f"/casos/{ticket['id']}/desistir", {"reason": "y" * 301})
    assert response.status_code == 422
    page = response.content.decode()
    assert "y" * 301 in page and "El motivo admite como máximo 300 caracteres" in page
    assert Case.objects.get(pk=ticket["id"]).status == "open"
    done = web(staff["personal-mindef"]).post(f"/casos/{ticket['id']}/desistir", {"reason": "Lo resolví solo."})
    assert done.status_code == 302
    assert Case.objects.get(pk=ticket["id"]).status == "withdrawn"


def test_a_requester_who_has_not_completed_their_first_activity_may_withdraw(staff):
    requester = Api("personal-mindef")
    case = requester.post("/api/cases", {"procedure": SUPPORT}).json()
    assert [t["assignee"] for t in case["open_tasks"]] == ["personal-mindef"]
    assert requester.post(f"/api/cases/{case['id']}/withdraw", {"reason": "Me equivoqué de formulario."}).status_code == 200
