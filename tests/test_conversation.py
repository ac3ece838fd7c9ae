"""The case's conversation: the requester and the people handling the case write to each other on
the case; the staff also keep internal notes the requester never sees, on the pages or the API."""
import pytest
from django.test import Client

from cases.models import Comment

from .api_client import Api, fill

pytestmark = pytest.mark.django_db
SUPPORT = "S04.03.04.02"   # a support ticket: the employee asks, the help desk validates, a technician attends


@pytest.fixture
def ticket(staff):
    """A support request by personal-mindef, validated by the help desk and with the technician."""
    requester = Api("personal-mindef")
    first = requester.get(f"/api/procedures/{SUPPORT}").json()["activities"][0]
    case = requester.post("/api/cases", {"procedure": SUPPORT, "data": fill(first["form"])}).json()
    operator = Api("operador-mesa-ayuda")
    [task] = case["open_tasks"]
    case = operator.post(f"/api/tasks/{task['id']}/complete", {"data": fill(task["form"]), "decision": "Sí"}).json()
    [task] = case["open_tasks"]
    data = dict(fill(task["form"]), tecnico_asignado="soporte-tecnico")
    case = operator.post(f"/api/tasks/{task['id']}/complete", {"data": data}).json()
    [task] = case["open_tasks"]
    assert task["assignee"] == "soporte-tecnico"
    return case


def web(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_requester_and_the_technician_talk(ticket, staff):
    technician, requester = Api("soporte-tecnico"), Api("personal-mindef")
    asked = technician.post(f"/api/cases/{ticket['id']}/comments", {"body": "¿La PC emite algún pitido al encender?"})
    assert asked.status_code == 201
    comment = asked.json()
    assert set(comment) == {"id", "body", "internal", "author", "created_at"}
    assert (comment["body"], comment["internal"], comment["author"]) == ("¿La PC emite algún pitido al encender?", False, "soporte-tecnico")

    # The requester answers from the case page (a plain form; back to the conversation).
    answered = web(staff["personal-mindef"]).post(f"/casos/{ticket['id']}/comentarios", {"body": "Sí, tres pitidos\r\ncortos."})
    assert answered.status_code == 302 and answered["Location"].endswith(f"/casos/{ticket['id']}/#conversacion")

    seen = requester.get(f"/api/cases/{ticket['id']}").json()["comments"]
    assert [(c["author"], c["body"]) for c in seen] == [
        ("soporte-tecnico", "¿La PC emite algún pitido al encender?"), ("personal-mindef", "Sí, tres pitidos\ncortos.")]
    # Both see the conversation, newest last, on the case page and on the technician's task page.
    task_id = ticket["open_tasks"][0]["id"]
    for user, path in ((staff["personal-mindef"], f"/casos/{ticket['id']}/"), (staff["soporte-tecnico"], f"/tareas/{task_id}/")):
        page = web(user).get(path).content.decode()
        assert "Conversación" in page
        assert page.index("algún pitido") < page.index("tres pitidos")
    # The technician answers from the task page and comes back to it.
    back = web(staff["soporte-tecnico"]).post(f"/casos/{ticket['id']}/comentarios", {"body": "Es la memoria RAM.", "tarea": task_id})
    assert back["Location"].endswith(f"/tareas/{task_id}/#conversacion")
    assert technician.get(f"/api/cases/{ticket['id']}/comments").json()[-1]["body"] == "Es la memoria RAM."


def test_the_requester_never_sees_an_internal_note(ticket, staff):
    technician, requester = Api("soporte-tecnico"), Api("personal-mindef")
    note = technician.post(f"/api/cases/{ticket['id']}/comments", {"body": "Usuario reincidente: revisar antivirus.", "internal": True})
    assert note.status_code == 201 and note.json()["internal"] is True
    technician.post(f"/api/cases/{ticket['id']}/comments", {"body": "Pasaré a las 3 pm."})

    # The staff see it, marked as internal.
    assert [c["internal"] for c in technician.get(f"/api/cases/{ticket['id']}").json()["comments"]] == [True, False]
    page = web(staff["soporte-tecnico"]).get(f"/casos/{ticket['id']}/").content.decode()
    assert "Usuario reincidente" in page and "Interna" in page
    assert "Nota interna (el solicitante no la ve)" in page

    # The requester does not: not in the case, not in the list, not on the page, and may not write one.
    assert [c["body"] for c in requester.get(f"/api/cases/{ticket['id']}").json()["comments"]] == ["Pasaré a las 3 pm."]
    assert [c["body"] for c in requester.get(f"/api/cases/{ticket['id']}/comments").json()] == ["Pasaré a las 3 pm."]
    for path in (f"/casos/{ticket['id']}/", f"/tareas/{ticket['open_tasks'][0]['id']}/"):
        page = web(staff["personal-mindef"]).get(path).content.decode()
        assert "Usuario reincidente" not in page and "Nota interna" not in page
    refused = requester.post(f"/api/cases/{ticket['id']}/comments", {"body": "¿Qué dicen de mí?", "internal": True})
    assert refused.status_code == 403 and refused.json()["error"] == "prohibido"
    assert "solicitud" in refused.json()["detail"]
    web(staff["personal-mindef"]).post(f"/casos/{ticket['id']}/comentarios", {"body": "Intento interno", "internal": "on"})
    assert not Comment.objects.filter(body="Intento interno").exists()


def test_a_bad_message_comes_back_with_what_was_typed_and_a_spanish_error(ticket, staff):
    client = web(staff["personal-mindef"])
    long = "Mi equipo " + "x" * 5000
    response = client.post(f"/casos/{ticket['id']}/comentarios", {"body": long})
    assert response.status_code == 422
    page = response.content.decode()
    assert long in page and "El mensaje admite como máximo 5000 caracteres" in page
    response = client.post(f"/casos/{ticket['id']}/comentarios", {"body": "   "})
    assert response.status_code == 422 and "Escriba el mensaje." in response.content.decode()
    # From the task page, the task page comes back.
    task_id = ticket["open_tasks"][0]["id"]
    response = web(staff["soporte-tecnico"]).post(f"/casos/{ticket['id']}/comentarios", {"body": "", "tarea": task_id})
    assert response.status_code == 422 and "Revisar el ticket" in response.content.decode()

    api = Api("personal-mindef")
    for body, status in (({"body": "a\x00b"}, 422), ({"body": "\ud800"}, 422), ({"body": ["lista"]}, 422),
                         ({"body": "x" * 5001}, 422), ({}, 422), ({"body": "ok", "internal": "quizá"}, 422)):
        response = api.post(f"/api/cases/{ticket['id']}/comments", body)
        assert response.status_code == status, (body, response.content)
        assert set(response.json()) >= {"error", "detail"}
    assert api.post(f"/api/cases/{ticket['id']}/comments", {"body": "x" * 5000}).status_code == 201
    assert Comment.objects.count() == 1


def test_an_outsider_cannot_read_or_write_the_conversation(ticket, staff, make_user):
    make_user("otro-empleado")
    outsider = Api("otro-empleado")
    Api("soporte-tecnico").post(f"/api/cases/{ticket['id']}/comments", {"body": "Dato reservado"})
    for response in (outsider.post(f"/api/cases/{ticket['id']}/comments", {"body": "Hola"}),
                     outsider.get(f"/api/cases/{ticket['id']}/comments"),
                     outsider.post("/api/cases/99999999/comments", {"body": "Hola"})):
        assert response.status_code == 404 and response.json()["error"] == "no_encontrado"
        assert "Dato reservado" not in response.content.decode()
    client = Client()
    client.login(username="otro-empleado", password="clave-segura-123")
    assert client.post(f"/casos/{ticket['id']}/comentarios", {"body": "Hola"}).status_code == 404
    assert not Comment.objects.filter(body="Hola").exists()
