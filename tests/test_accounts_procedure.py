"""S04.03.01.01 Creación y modificación de cuentas, accesos y privilegios: nested decisions,
the VPN branch and the loops back to activity 3."""
import pytest

from .walker import Walker, scripted

CODE = "S04.03.01.01"
NEW = "Creación de cuenta de usuario nuevo"
MODIFY = "Modificación o actualización de cuentas de usuarios, accesos y privilegios"
VPN = "Sí — Solicitud de acceso a VPN"
ACCOUNTS = "Sí — Solicitud de creación de cuentas, otros accesos o privilegios"


@pytest.mark.django_db
@pytest.mark.parametrize("answers, expected", [
    ({2: ["No"]}, [1, 2, 3]),
    ({2: ["Sí"], 4: [MODIFY]}, [1, 2, 4, 5, 6, 19, 20]),
    ({2: ["Sí"], 4: [NEW], 7: ["No"]}, [1, 2, 4, 7, 8, 3]),
    ({2: ["Sí"], 4: [NEW], 7: [ACCOUNTS]}, [1, 2, 4, 7, 9, 10, 18, 19, 20]),
    ({2: ["Sí"], 4: [NEW], 7: [VPN], 13: ["Sí"]}, [1, 2, 4, 7, 11, 12, 13, 14, 3]),
    ({2: ["Sí"], 4: [NEW], 7: [VPN], 13: ["No"]}, [1, 2, 4, 7, 11, 12, 13, 15, 16, 17, 18, 19, 20]),
], ids=["devuelto", "modificacion", "datos-incorrectos-vuelve-a-3", "cuenta-nueva", "vpn-existente-vuelve-a-3", "vpn-nuevo"])
def test_every_branch(staff, answers, expected):
    case, path = Walker().run(CODE, "personal-mindef", scripted(answers))
    assert [activity for activity, _ in path] == expected
    assert case["status"] == "completed"


@pytest.mark.django_db
def test_vpn_request_records_the_manual_data_and_the_tasks_go_to_the_named_roles(staff):
    walker = Walker()
    case = walker.start(CODE, "personal-mindef")
    roles = []
    choose = scripted({2: ["Sí"], 4: [NEW], 7: [VPN], 13: ["No"]})
    visits = {}
    while case["status"] == "open":
        task = case["open_tasks"][0]
        roles.append((task["activity"], task["role"]))
        visits[task["activity"]] = visits.get(task["activity"], 0) + 1
        walker.complete(task, choose(task, visits) if task["decisions"] else None)
        case = walker.case(case["id"], "personal-mindef")
    assert dict(roles)[13] == "tecnico-especialista"
    assert dict(roles)[11] == "profesional-redes"
    assert dict(roles)[19] == "soporte-tecnico"
