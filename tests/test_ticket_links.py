"""The ticket and its case move together: the activities of the sheets that register, assign,
return or close «el ticket» do it to the case's ticket, and those that «generan un ticket» create
an internal ticket linked to it, assigned as the manual says (helpdesk.effects)."""
import pytest

from cases.models import Case, Task
from helpdesk import actions
from helpdesk.models import Ticket, TicketEvent

from .walker import Walker, scripted

ACCOUNTS = "S04.03.01.01"
SYSTEMS = "S04.02.00.01"
NEW = "Creación de cuenta de usuario nuevo"
MODIFY = "Modificación o actualización de cuentas de usuarios, accesos y privilegios"
REQUEST = {"modalidad_contratacion": "Régimen CAS", "detalle_solicitud": "Cuenta de red y correo para la nueva analista"}
pytestmark = pytest.mark.django_db


def _task(walker, case, activity, as_user="jefe-ogtie"):
    found = [t for t in walker.case(case["id"], as_user)["open_tasks"] if t["activity"] == activity]
    assert found, (activity, [t["activity"] for t in walker.case(case["id"], as_user)["open_tasks"]])
    return found[0]


def _ticket(case) -> Ticket:
    return Ticket.objects.get(case_id=case["id"], channel__in=["portal", "correo", "telefono", "presencial"])


def test_a_case_started_from_the_procedure_page_opens_its_ticket_and_the_operator_assigns_it(staff, make_user):
    analyst = make_user("ana.quispe", "profesional-ogtie", unit="ogtie")
    walker = Walker()
    case = walker.start(ACCOUNTS, "personal-mindef", data=REQUEST)

    ticket = _ticket(case)
    assert (ticket.requester.username, ticket.category, ticket.status) == ("personal-mindef", "cuenta-acceso", "nuevo")
    assert ticket.subject == Case.objects.get(pk=case["id"]).subject
    assert ticket.description == REQUEST["detalle_solicitud"]

    walker.complete(_task(walker, case, 2), "Sí")
    walker.complete(_task(walker, case, 4), NEW, data={"profesional_asignado": analyst.username})

    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.team, ticket.status) == (analyst, "profesional-ogtie", "asignado")
    assert ticket.events.filter(kind=TicketEvent.Kind.ASSIGNED, actor=staff["operador-mesa-ayuda"]).exists()
    assert Ticket.objects.filter(case_id=case["id"]).count() == 1


def test_assigning_the_ticket_to_someone_outside_the_team_is_refused_and_nothing_is_written(staff):
    walker = Walker()
    case = walker.start(ACCOUNTS, "personal-mindef", data=REQUEST)
    walker.complete(_task(walker, case, 2), "Sí")
    task = _task(walker, case, 4)
    response = walker.api("operador-mesa-ayuda").post(f"/api/tasks/{task['id']}/complete", {
        "data": {"profesional_asignado": "soporte-tecnico"}, "decision": NEW})

    assert response.status_code == 422, response.content.decode()
    assert "profesional_asignado" in response.json()["errors"]
    ticket = _ticket(case)
    assert (ticket.assignee, ticket.status) == (None, "nuevo")
    assert Task.objects.get(pk=task["id"]).status == Task.Status.OPEN


def test_a_returned_request_returns_the_ticket_with_the_observations(staff):
    walker = Walker()
    case = walker.start(ACCOUNTS, "personal-mindef", data=REQUEST)
    walker.complete(_task(walker, case, 2), "No")
    walker.complete(_task(walker, case, 3), data={"observaciones_a_subsanar": "Falta el acta de aceptación de riesgos."})

    ticket = _ticket(case)
    returned = ticket.events.get(kind=TicketEvent.Kind.RETURNED)
    assert returned.note == "Falta el acta de aceptación de riesgos."
    assert ticket.return_reason == "Falta el acta de aceptación de riesgos."
    # The activity ends the procedure: the ticket is closed with the case, its return kept in its history.
    assert Case.objects.get(pk=case["id"]).status == Case.Status.COMPLETED
    assert ticket.status == "cerrado"


def test_the_activity_that_closes_the_ticket_closes_it_with_the_support_data_as_solution(staff):
    case, path = Walker().run(ACCOUNTS, "personal-mindef", scripted({2: ["Sí"], 4: [MODIFY]}))
    assert [a for a, _ in path] == [1, 2, 4, 5, 6, 19, 20]

    ticket = _ticket(case)
    assert ticket.status == "cerrado" and ticket.closed_at and ticket.resolved_at
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds[-3:] == ["assigned", "resolved", "closed"]
    resolved = ticket.events.get(kind="resolved")
    assert resolved.actor == staff["soporte-tecnico"]
    assert ticket.events.get(kind="closed").actor == staff["operador-mesa-ayuda"]
    assert ticket.solution == resolved.after["solution"]


def test_the_quality_control_request_generates_an_internal_ticket_for_the_quality_team(staff):
    walker = Walker()
    case = walker.start(SYSTEMS, "director-uo")
    choose = scripted({3: ["Sí"], 8: ["Alta o media"], 22: ["No"], 30: ["No"]})
    visits, generated = {}, None
    while case["status"] == "open":
        task = case["open_tasks"][0]
        visits[task["activity"]] = visits.get(task["activity"], 0) + 1
        walker.complete(task, choose(task, visits) if task["decisions"] else None)
        if task["activity"] == 17:
            generated = Ticket.objects.get(case_id=case["id"], channel="interno")
            assert (generated.team, generated.status, generated.requester) == (
                "analista-calidad", "asignado", staff["analista-programador"])
            assert generated.subject.startswith("Control de calidad del sistema ")
            own = _ticket(case)
            assert own.status == "cerrado"          # the coordinator closed it at activity 6
            assert list(generated.links.all()) == [own]
            # The quality analyst sees it in the team's tickets.
            assert actions.access.may_handle_ticket(staff["analista-calidad"], generated)
        if task["activity"] == 25:
            generated.refresh_from_db()
            assert generated.status == "cerrado"
            assert generated.events.get(kind="closed").actor == staff["analista-calidad"]
        case = walker.case(case["id"], "director-uo")
    assert generated is not None
    internal = Ticket.objects.filter(case_id=case["id"], channel="interno").order_by("id")
    assert [(t.team, t.status) for t in internal] == [
        ("analista-calidad", "cerrado"), ("responsable-infraestructura", "cerrado"), ("analista-programador", "cerrado")]


def test_each_quality_round_with_defects_closes_its_ticket_and_the_next_request_generates_another(staff):
    walker = Walker()
    case = walker.start(SYSTEMS, "director-uo")
    choose = scripted({3: ["Sí"], 8: ["Alta o media"], 22: ["Sí", "No"], 30: ["No"]})
    visits = {}
    while case["status"] == "open":
        task = case["open_tasks"][0]
        visits[task["activity"]] = visits.get(task["activity"], 0) + 1
        walker.complete(task, choose(task, visits) if task["decisions"] else None)
        quality = list(Ticket.objects.filter(case_id=case["id"], team="analista-calidad").order_by("id"))
        if task["activity"] == 22 and visits[22] == 1:
            [first] = quality
            assert first.status == "cerrado"      # defects found: this round's ticket is closed with the results
        if task["activity"] == 17 and visits[17] == 2:
            assert [t.status for t in quality] == ["cerrado", "asignado"]
        case = walker.case(case["id"], "director-uo")
    quality = Ticket.objects.filter(case_id=case["id"], team="analista-calidad")
    assert quality.count() == 2 and set(quality.values_list("status", flat=True)) == {"cerrado"}


def test_a_portal_tickets_case_does_not_open_a_second_ticket(staff):
    with_data = actions.open_ticket(staff["personal-mindef"], "cuenta-acceso", "Cuenta para practicante",
                                    "Cuenta de red para el practicante", data={"modalidad_contratacion": "Régimen CAS"})
    without = actions.open_ticket(staff["personal-mindef"], "cuenta-acceso", "Acceso a SIGA", "Acceso al SIGA")
    assert Task.objects.filter(case=with_data.case, activity=2, status=Task.Status.OPEN).exists()
    # The requester completes the first activity from the inbox later: the case already has its ticket.
    walker = Walker()
    walker.complete(_task(walker, {"id": without.case_id}, 1, "personal-mindef"), data=REQUEST)
    for ticket in (with_data, without):
        assert list(Ticket.objects.filter(case=ticket.case)) == [ticket]


def test_annulling_the_case_cancels_its_ticket(staff):
    walker = Walker()
    case = walker.start(ACCOUNTS, "personal-mindef", data=REQUEST)
    response = walker.api("jefe-ogtie").post(f"/api/cases/{case['id']}/cancel", {"reason": "Solicitud duplicada"})
    assert response.status_code == 200, response.content.decode()

    ticket = _ticket(case)
    assert ticket.status == "cancelado"
    assert ticket.events.get(kind="cancelled").note == f"El caso {case['number']} fue anulado."


def test_a_portal_ticket_cancelled_by_its_requester_withdraws_the_case_once(staff):
    ticket = actions.open_ticket(staff["personal-mindef"], "equipo", "Sin red", "No hay internet en el piso 4.")
    actions.cancel(staff["personal-mindef"], ticket.pk, "Ya se solucionó")
    ticket.refresh_from_db()
    assert ticket.status == "cancelado"
    assert ticket.events.filter(kind="cancelled").count() == 1
    assert ticket.case.status == Case.Status.WITHDRAWN


def test_the_task_and_case_pages_show_the_cases_ticket_to_whoever_may_see_it(staff, make_user):
    from django.urls import reverse

    from .helpdesk_helpers import login

    walker = Walker()
    case = walker.start(ACCOUNTS, "personal-mindef", data=REQUEST)
    ticket = _ticket(case)
    task = _task(walker, case, 2)
    for url in (f"/tareas/{task['id']}/", f"/casos/{case['id']}/"):
        page = login("operador-mesa-ayuda").get(url, follow=True)
        assert page.status_code == 200
        assert ticket.number in page.content.decode() and reverse("ticket", args=[ticket.pk]) in page.content.decode()


def test_a_ticket_opened_by_the_cases_first_activity_takes_the_subject_its_form_gives(staff):
    from cases import workflow

    case = workflow.start_case(staff["personal-mindef"], "S04.03.04.02", data={
        "asunto": "La PC no enciende", "detalle": "Desde esta mañana.", "categoria": "Hardware", "ubicacion": "Piso 3"})
    assert Ticket.objects.get(case=case).subject == "La PC no enciende"
