"""S04.03.04.02 Atención de requerimientos de soporte técnico: every branch of the sheet."""
import pytest

from .walker import Walker, scripted

CODE = "S04.03.04.02"
TICKET = {"asunto": "PC no enciende", "detalle": "La PC de la oficina 302 no enciende desde ayer.",
          "categoria": "Hardware", "ubicacion": "Piso 3, oficina 302"}


@pytest.fixture
def walker(staff):
    return Walker()


def test_employee_starts_and_operator_receives_validation_task(walker):
    case = walker.start(CODE, "personal-mindef", data=TICKET)
    assert case["number"].startswith(f"{CODE}-")
    assert case["status"] == "open"
    [task] = case["open_tasks"]
    assert (task["activity"], task["name"], task["role"]) == (2, "Recibir y validar ticket de atención", "operador-mesa-ayuda")
    assert task["decisions"] == ["Sí", "No"]
    inbox = walker.api("operador-mesa-ayuda").get("/api/tasks", scope="available").json()
    assert [t["id"] for t in inbox] == [task["id"]]


@pytest.mark.parametrize("answers, expected", [
    ({2: ["No"]}, [1, 2, 3]),
    ({2: ["Sí"], 5: ["Sí"]}, [1, 2, 4, 5, 6]),
    ({2: ["Sí"], 5: ["No"], 7: ["Sí"]}, [1, 2, 4, 5, 7, 8]),
    ({2: ["Sí"], 5: ["No"], 7: ["No"], 9: ["No"]}, [1, 2, 4, 5, 7, 9, 10, 11, 12]),
    ({2: ["Sí"], 5: ["No"], 7: ["No"], 9: ["Sí"]}, [1, 2, 4, 5, 7, 9, 13, 14, 15]),
], ids=["devuelto", "resuelto-en-sitio", "resuelto-con-apoyo", "baja-sin-garantia", "garantia"])
def test_every_branch_ends_as_the_manual_routes_it(walker, answers, expected):
    case, path = walker.run(CODE, "personal-mindef", scripted(answers))
    assert [activity for activity, _ in path] == expected
    assert case["status"] == "completed"
    assert [h["activity"] for h in case["history"]] == expected
    assert all(h["user"] for h in case["history"])


def test_requester_sees_the_case_closed_with_its_history(walker):
    case, _ = walker.run(CODE, "personal-mindef", scripted({2: ["Sí"], 5: ["Sí"]}))
    seen = walker.case(case["id"], "personal-mindef")
    assert seen["status"] == "completed"
    assert seen["history"][0]["data"]["asunto"] == "Texto de prueba"
    assert seen["history"][1]["decision"] == "Sí"
    assert seen["open_tasks"] == []
