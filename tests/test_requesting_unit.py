"""The Director(a)/Jefe(a) activities of a case go to the director of the unit that asked,
not to every director of the ministry."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from org.models import Unit

from .api_client import Api, fill

PHONES = "S04.03.03.02"   # 1. Solicitar equipos telefónicos para personal de la U.O. (Director(a)/Jefe(a))
pytestmark = pytest.mark.django_db


@pytest.fixture
def two_units(make_user):
    for slug, name in (("digedoc", "Dirección General de Documentación"), ("digrrhh", "Dirección General de Recursos Humanos")):
        Unit.objects.create(slug=slug, acronym=slug.upper(), name=name)
    make_user("empleada-digedoc", unit="digedoc")
    make_user("director-digedoc", "director-uo", unit="digedoc")
    make_user("director-digrrhh", "director-uo", unit="digrrhh")
    make_user("coordinadora", "coord-infraestructura", unit="ogtie")


def _available(username):
    return [(t["procedure"], t["activity"]) for t in Api(username).get("/api/tasks", scope="available").json()]


def test_an_employee_request_waits_for_the_director_of_their_own_unit(two_units):
    case = Api("empleada-digedoc").post("/api/cases", {"procedure": PHONES}).json()
    [task] = case["open_tasks"]
    assert task["activity"] == 1 and task["assignee"] is None

    assert _available("director-digedoc") == [(PHONES, 1)]
    assert _available("director-digrrhh") == []

    # Another unit's director does not even learn that the request exists.
    refused = Api("director-digrrhh").post(f"/api/tasks/{task['id']}/complete", {"data": fill(task["form"])})
    assert refused.status_code == 404
    assert refused.json()["detail"] == "No existe la tarea."
    assert Api("director-digrrhh").post(f"/api/tasks/{task['id']}/claim").status_code == 404

    done = Api("director-digedoc").post(f"/api/tasks/{task['id']}/complete", {"data": fill(task["form"])})
    assert done.status_code == 200, done.content
    assert [e["user"] for e in done.json()["history"]] == ["director-digedoc"]


def test_a_coordinator_cannot_hand_it_to_another_units_director(two_units):
    [task] = Api("empleada-digedoc").post("/api/cases", {"procedure": PHONES}).json()["open_tasks"]
    coordinator = Api("coordinadora")
    refused = coordinator.post(f"/api/tasks/{task['id']}/reassign", {"assignee": "director-digrrhh"})
    assert refused.status_code == 422
    assert refused.json()["detail"] == "director-digrrhh no pertenece a la unidad solicitante (DIGEDOC)."
    assert coordinator.post(f"/api/tasks/{task['id']}/reassign", {"assignee": "director-digedoc"}).status_code == 200


def test_a_director_who_asks_does_the_directors_activity(two_units):
    [task] = Api("director-digrrhh").post("/api/cases", {"procedure": PHONES}).json()["open_tasks"]
    assert task["assignee"] == "director-digrrhh"


def test_a_unit_without_a_director_in_the_system_is_offered_to_every_director(two_units, make_user):
    Unit.objects.create(slug="digeco", acronym="DIGECO", name="Dirección General de Economía")
    make_user("empleado-digeco", unit="digeco")
    Api("empleado-digeco").post("/api/cases", {"procedure": PHONES})
    assert _available("director-digedoc") == [(PHONES, 1)]
    assert _available("director-digrrhh") == [(PHONES, 1)]


def test_the_task_page_says_whose_unit_it_is_for(two_units):
    [task] = Api("empleada-digedoc").post("/api/cases", {"procedure": PHONES}).json()["open_tasks"]
    own, other = Client(), Client()
    own.force_login(get_user_model().objects.get(username="director-digedoc"))
    other.force_login(get_user_model().objects.get(username="director-digrrhh"))
    page = own.get(f"/tareas/{task['id']}/").content.decode()
    assert "Director(a) / Jefe(a) de DIGEDOC (unidad solicitante)" in page
    assert other.get(f"/tareas/{task['id']}/").status_code == 404
