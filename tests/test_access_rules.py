"""Who may see a case: the requester, whoever took part, the office staff of its procedure, the
chief and coordinators, and an outside office or a unit's director only while a task of the case
is offered to them. Everyone else is answered "not found", on every page and API endpoint."""
import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from cases import access, procedures
from cases.models import Case, Task
from notifications.models import Notification
from org.models import Role, Unit

from .api_client import Api, fill

ACCOUNTS = "S04.03.01.01"   # Gestión de cuentas: the requester asks, the help desk validates, a professional creates
DNI = "45678912"
pytestmark = pytest.mark.django_db


def _walk(patterns, prefix=""):
    """(route, pattern name, converter names) of every URL the project serves."""
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.name, tuple(p.pattern.converters)


@pytest.fixture
def accounts_case(staff):
    """A request for a new account, carried to the professional's check of the personal data:
    the case holds a DNI and a task is open for the professional."""
    requester = Api("personal-mindef")
    first = requester.get(f"/api/procedures/{ACCOUNTS}").json()["activities"][0]
    case = requester.post("/api/cases", {"procedure": ACCOUNTS, "subject": "Cuenta para el nuevo analista",
                                         "data": fill(first["form"])}).json()
    operator = Api("operador-mesa-ayuda")
    [task] = case["open_tasks"]
    case = operator.post(f"/api/tasks/{task['id']}/complete", {"data": fill(task["form"]), "decision": "Sí"}).json()
    [task] = case["open_tasks"]
    case = operator.post(f"/api/tasks/{task['id']}/complete", {
        "data": fill(task["form"]), "decision": "Creación de cuenta de usuario nuevo"}).json()
    [task] = case["open_tasks"]
    assert task["activity"] == 7
    professional = Api("profesional-ogtie")
    data = dict(fill(task["form"]), dni=DNI)
    case = professional.post(f"/api/tasks/{task['id']}/complete", {"data": data, "decision": "No"}).json()
    return Case.objects.get(pk=case["id"])


def _expected_viewers(case):
    organization = procedures.organization()
    roles_here = {r for a in procedures.sheet(case.procedure).activities for r in a.roles}
    return {r.slug for r in organization.roles
            if r.slug in organization.leading_roles or (r.slug in organization.office_roles and r.slug in roles_here)}


# Values for the URL parameters of pages that belong to a case. A new parameter name makes the
# test fail until it is added here: every new page is checked for leaks.
def _parameters(case):
    task = case.tasks.order_by("id").first()
    attachment = case.attachments.order_by("id").first()
    notification = Notification.objects.filter(case=case).order_by("id").first()   # someone else's: 404
    ticket = _ticket_of(case)
    document = _document_of(case)
    return {"case_id": case.pk, "task_id": task.pk, "attachment_id": attachment.pk if attachment else 999999,
            "id": case.pk, "notification_id": notification.pk if notification else 999999,
            "ticket_id": ticket.pk, "ticket_attachment_id": 999999,
            # Knowledge-base articles hold no case data (office-wide, cases.access.visible_articles): one that does not exist.
            "article_id": 999999,
            "document_id": document.pk}


def _document_of(case):
    """A document of the case (PÚBLICO: whoever sees the case reads it) that says what the case is
    about: every document page and endpoint is walked with it."""
    from documents.models import Document

    return Document.objects.get_or_create(case=case, type="oficio", defaults=dict(
        year=2026, issuing_unit="MINDEF/SG-OGTIE", subject=case.subject, created_by=case.started_by,
        sender="OGTIE", recipients=case.number))[0]


def _ticket_of(case):
    """A help-desk ticket of the case's requester, linked to the case, that says what the case is
    about: every ticket page and endpoint is walked with it."""
    from helpdesk.models import Ticket

    return Ticket.objects.get_or_create(number="TK-2026-999999", defaults=dict(
        requester=case.started_by, category="cuenta-acceso", type="requerimiento", impact="bajo", urgency="media",
        priority="baja", subject=case.subject, description=case.subject, case=case))[0]


PUBLIC_PARAMETERS = {"code": ACCOUNTS,     # the catalogue is public to every signed-in person
                     "category": "equipo",  # the help desk's categories: public to every signed-in person
                     "token_id": 999999}    # one's own API tokens: never another person's (404)
# The registers (registers app): their pages and endpoints are walked with an entry of the VPN
# register that is not the case's (another person's DNI). Whoever may not read the register (or,
# for a person's page, sees no register's personal data) is answered 404 (cases.access).
REGISTER, REGISTER_DNI = "usuarios-vpn", "41234567"
REGISTER_ROUTES = ("registros/", "api/registers")


def _register_parameters(staff):
    from registers import actions

    entry = actions.change(staff["tecnico-especialista"], REGISTER, "create", {"usuario": "mrojas.vpn"},
                           {"dni": REGISTER_DNI, "nombre": "María Rojas Díaz"})
    return {"register": REGISTER, "entry_id": entry.pk, "dni": REGISTER_DNI}


def _register_bound(user, path) -> bool:
    """Whether a register path must answer 404 to the user: it names the register (or a person)
    and the user may not read it."""
    from registers import catalog

    if path.rstrip("/") in ("/registros", "/api/registers"):
        return False
    if path.startswith("/registros/persona/"):
        return not access.person_registers(user)
    return not access.may_read_register(user, catalog.get(REGISTER))


# The audit trail names every case: read by the chief, the security specialist and superusers only
# (audit.access); a page that does not exist (404) for every other role.
AUDIT_ROUTES = ("auditoria/", "api/audit")


def test_every_url_and_endpoint_answers_not_found_to_every_role_that_may_not_see_the_case(accounts_case, staff):
    case = accounts_case
    viewers = _expected_viewers(case)
    values = {**_parameters(case), **_register_parameters(staff)}
    urls = []
    for route, name, converters in _walk(get_resolver().url_patterns):
        if route.startswith("admin/") or route.startswith("static") or name in ("logout", "api-logout"):
            continue    # the admin is for superusers; static files hold no case data; signing out ends the walk
        unknown = set(converters) - set(values) - set(PUBLIC_PARAMETERS)
        assert not unknown, f"{route}: parámetro sin clasificar {unknown}: añádalo a _parameters"
        path = "/" + route
        for key in converters:
            path = path.replace(f"<int:{key}>", str(values.get(key, 0))).replace(f"<str:{key}>", str(PUBLIC_PARAMETERS.get(key, values.get(key))))
            path = path.replace(f"<{key}>", str(values.get(key, PUBLIC_PARAMETERS.get(key))))
            path = path.replace(f"<slug:{key}>", str(values.get(key, PUBLIC_PARAMETERS.get(key))))
        urls.append((path, bool(set(converters) & set(values)) or route.startswith(AUDIT_ROUTES)))
    assert len(urls) > 20
    assert any(path.startswith("/auditoria/") for path, _ in urls) and "/api/audit" in {path for path, _ in urls}
    auditors = procedures.organization().auditor_roles

    checked = 0
    for role in Role.objects.all():
        if role.slug in viewers or role.requester:
            continue
        user = staff[role.slug]
        web, api = Client(), Api(role.slug)
        web.force_login(user)
        for path, bound in urls:
            if path.lstrip("/").startswith(REGISTER_ROUTES):
                bound = _register_bound(user, path)
            if role.slug in auditors and path.lstrip("/").startswith(AUDIT_ROUTES):
                assert web.get(path).status_code == 200 if not path.startswith("/api/") else api.get(path).status_code == 200
                continue   # theirs to read (test_audit_trail)
            for method in ("get", "post"):
                if path.startswith("/api/"):
                    response = getattr(api, method)(path)
                else:
                    response = getattr(web, method)(path)
                body = response.content.decode(errors="replace")
                assert case.number not in body and DNI not in body and "nuevo analista" not in body, (role.slug, method, path)
                if bound:
                    assert response.status_code in (404, 405), (role.slug, method, path, response.status_code)
                checked += 1
        # Lists and search never name the case either.
        for path in ("/casos/?all=1", "/?scope=available", "/programacion/"):
            assert case.number not in web.get(path).content.decode(), (role.slug, path)
        assert case.number not in api.get("/api/tasks", scope="available").content.decode()
    assert checked > 500


def test_the_people_of_the_case_see_it(accounts_case, staff):
    case = accounts_case
    for username in ["personal-mindef", "operador-mesa-ayuda", "profesional-ogtie", "jefe-ogtie", "coord-infraestructura"]:
        assert Api(username).get(f"/api/cases/{case.pk}").status_code == 200, username
        web = Client()
        web.force_login(staff[username])
        assert web.get(f"/casos/{case.pk}/").status_code == 200, username
    for username in ["ministro", "secretario-general", "cgd", "organo-estadistico", "especialista-estadistico",
                     "analista-calidad", "director-uo"]:
        assert Api(username).get(f"/api/cases/{case.pk}").status_code == 404, username


def test_a_non_numeric_or_huge_id_is_simply_not_found(staff):
    api = Api("jefe-ogtie")
    for path in ("/api/cases/99999999999999999999", "/api/tasks/99999999999999999999", "/api/cases/0"):
        response = api.get(path)
        assert response.status_code == 404 and response.json()["error"] == "no_encontrado"


def test_personal_data_is_shown_to_those_who_handle_the_case_and_masked_for_others(accounts_case, staff, make_user):
    case = accounts_case
    history = Api("profesional-ogtie").get(f"/api/cases/{case.pk}").json()["history"]
    assert DNI in [e["data"].get("dni") for e in history]
    assert DNI in Api("personal-mindef").get(f"/api/cases/{case.pk}").content.decode()
    # A director who is offered a task of the case sees the case but not the DNI.
    Unit.objects.create(slug="digedoc", acronym="DIGEDOC", name="Dirección General de Documentación")
    director = make_user("director-digedoc", "director-uo", unit="digedoc")
    task = case.tasks.filter(status="open").first()
    Task.objects.filter(pk=task.pk).update(assignee=director)
    response = Api("director-digedoc").get(f"/api/cases/{case.pk}")
    assert response.status_code == 200
    assert DNI not in response.content.decode()
    assert access.MASK in [e["data"].get("dni") for e in response.json()["history"]]
    web = Client()
    web.force_login(director)
    page = web.get(f"/casos/{case.pk}/").content.decode()
    assert DNI not in page and access.MASK in page


def test_an_outside_office_sees_a_case_while_a_task_is_offered_to_it(staff):
    case = Case.objects.create(number="X-1", procedure="S04.01.00.01", version=1, started_by=staff["jefe-ogtie"], state="{}")
    sg = staff["secretario-general"]
    assert not access.may_view(sg, case)
    task = Task.objects.create(case=case, procedure=case.procedure, engine_id="e1", activity=20, name="Aprobar",
                               role="secretario-general", roles="secretario-general", due_at=case.created_at)
    from cases.models import TaskOffer
    offer = TaskOffer.objects.create(task=task, role="secretario-general", procedure=case.procedure, due_at=task.due_at)
    assert access.may_view(sg, case)
    assert list(access.visible_cases(sg)) == [case]
    assert not access.may_view(staff["ministro"], case)
    offer.delete()
    assert not access.may_view(sg, case)


def test_the_requester_cannot_release_their_own_activity_for_another_employee_to_do(staff, make_user):
    requester = Api("personal-mindef")
    case = requester.post("/api/cases", {"procedure": "S04.03.04.02"}).json()
    [task] = case["open_tasks"]
    assert task["assignee"] == "personal-mindef"
    refused = requester.post(f"/api/tasks/{task['id']}/release")
    assert refused.status_code == 409
    make_user("otro-empleado")
    assert Api("otro-empleado").post(f"/api/tasks/{task['id']}/complete", {"data": fill(task["form"])}).status_code == 404
