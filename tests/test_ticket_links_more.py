"""More sheets move with their help-desk ticket (helpdesk.effects): the requester's ticket is
opened, assigned to the person picked from the list, returned and closed by the activities that
say so, no form asks for a ticket number any more, and the cronograma's visits and the desk's own
work generate internal tickets, which the registers keep by number."""
import pytest

from cases.models import Case
from helpdesk.actions import case_ticket, linked_ticket
from helpdesk.models import Ticket, TicketEvent

from .api_client import fill
from .walker import Walker, prepare_registers

pytestmark = pytest.mark.django_db


def _task(walker, case, activity, as_user="jefe-ogtie"):
    found = [t for t in walker.case(case["id"], as_user)["open_tasks"] if t["activity"] == activity]
    assert found, (activity, [t["activity"] for t in walker.case(case["id"], as_user)["open_tasks"]])
    return found[0]


def _do(walker, case, activity, decision=None, **values):
    """Complete the open task of `activity` with sample data and `values` over it."""
    task = _task(walker, case, activity)
    data = fill(task["form"], walker.api(Walker.actor(task)), task["case"])
    prepare_registers(task, data, decision)
    data.update(values)
    return walker.complete(task, decision, data=data)


def _own(case) -> Ticket:
    found = case_ticket(Case.objects.get(pk=case["id"]))
    assert found is not None
    return found


def _kinds(ticket):
    return list(ticket.events.order_by("id").values_list("kind", flat=True))


def _no_ticket_number_fields(task):
    """No field asks for a ticket's number (numero_ticket, ticket, ticket_pase, «N° de ticket…»)."""
    typed = [k for k, prop in task["form"]["properties"].items()
             if k == "ticket" or k.startswith(("ticket_", "numero_ticket")) or "N° de ticket" in prop.get("title", "")]
    assert not typed, (task["activity"], typed)


# S04.03.04.02 Atención de requerimientos de soporte técnico

def test_a_support_request_is_assigned_to_the_picked_technician_who_closes_it_with_the_action_taken(staff, make_user):
    technician = make_user("rosa.huaman", "soporte-tecnico", unit="ogtie")
    walker = Walker()
    case = walker.start("S04.03.04.02", "personal-mindef", data={
        "asunto": "PC no enciende", "detalle": "La PC de la oficina 302 no enciende desde ayer.",
        "categoria": "Hardware", "ubicacion": "Piso 3, oficina 302"})
    ticket = _own(case)
    assert (ticket.requester, ticket.category, ticket.status) == (staff["personal-mindef"], "equipo", "nuevo")
    assert ticket.description == "La PC de la oficina 302 no enciende desde ayer."

    _do(walker, case, 2, "Sí")
    _do(walker, case, 4, tecnico_asignado=technician.username)
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.team, ticket.status) == (technician, "soporte-tecnico", "asignado")
    assert _task(walker, case, 5)["assignee"] == technician.username

    _do(walker, case, 5, "Sí")
    _do(walker, case, 6, accion_realizada="Se reemplazó la fuente de poder; el equipo enciende.")
    ticket.refresh_from_db()
    assert ticket.status == "cerrado" and ticket.solution == "Se reemplazó la fuente de poder; el equipo enciende."
    assert ticket.events.get(kind=TicketEvent.Kind.CLOSED).actor == technician
    assert Ticket.objects.filter(case_id=case["id"]).count() == 1


def test_a_support_request_without_solution_on_site_is_closed_by_the_contractors_repair(staff):
    walker = Walker()
    case = walker.start("S04.03.04.02", "personal-mindef", data={
        "asunto": "Impresora", "detalle": "No imprime", "categoria": "Impresoras", "ubicacion": "Piso 2"})
    for activity, decision in ((2, "Sí"), (4, None), (5, "No"), (7, "No"), (9, "Sí"), (13, None), (14, None)):
        _do(walker, case, activity, decision)
        assert _own(case).status != "cerrado", activity
    _do(walker, case, 15, accion_realizada="El contratista cambió el fusor por garantía.")
    ticket = _own(case)
    assert ticket.status == "cerrado" and ticket.solution == "El contratista cambió el fusor por garantía."
    assert _kinds(ticket)[-1] == "closed"


# S04.03.04.01 Entrega y recepción de dispositivos para el uso del certificado digital

def test_a_certificate_request_without_its_sworn_statement_returns_the_ticket(staff):
    walker = Walker()
    case = walker.start("S04.03.04.01", "personal-mindef")
    assert not Ticket.objects.filter(case_id=case["id"]).exists()
    _do(walker, case, 1, detalle="Certificado digital para firmar resoluciones.")
    ticket = _own(case)
    assert ticket.description == "Certificado digital para firmar resoluciones."
    assert (ticket.category, ticket.requester) == ("certificado-digital", staff["personal-mindef"])

    _do(walker, case, 2, "No")
    _do(walker, case, 3, observaciones_a_subsanar="La declaración jurada no está firmada.")
    ticket.refresh_from_db()
    assert ticket.events.get(kind=TicketEvent.Kind.RETURNED).note == "La declaración jurada no está firmada."
    assert ticket.return_reason == "La declaración jurada no está firmada."
    assert ticket.status == "cerrado"           # the case ended with the return


def test_the_certificate_ticket_is_assigned_from_the_list_and_closed_when_the_inventory_is_updated(staff, make_user):
    clerk = make_user("luis.ramos", "soporte-tecnico", unit="ogtie")
    walker = Walker()
    case = walker.start("S04.03.04.01", "personal-mindef")
    _do(walker, case, 1)
    _do(walker, case, 2, "Sí")
    assign = _task(walker, case, 4)
    assert assign["form"]["properties"]["encargado_asignado"].get("format") == "username"
    refused = walker.api("operador-mesa-ayuda").post(f"/api/tasks/{assign['id']}/complete",
                                                     {"data": {"encargado_asignado": "jefe-ogtie"}})
    assert refused.status_code == 422 and "encargado_asignado" in refused.json()["errors"]
    assert _own(case).status == "nuevo"

    _do(walker, case, 4, encargado_asignado=clerk.username)
    assert (_own(case).assignee, _own(case).status) == (clerk, "asignado")
    for activity in (5, 6, 7, 8, 9):
        _do(walker, case, activity)
    _do(walker, case, 10, "No", accion_realizada="Tarjeta y lector registrados en el inventario.")
    ticket = _own(case)
    assert ticket.status == "cerrado" and ticket.solution == "Tarjeta y lector registrados en el inventario."


# S04.03.02.02 Atención de requerimiento de copia de restauración de información

def test_a_restore_request_generates_the_requesters_ticket_which_the_restore_closes(staff, make_user):
    analyst = make_user("carla.soto", "profesional-ogtie", unit="ogtie")
    walker = Walker()
    case = walker.start("S04.03.02.02", "personal-mindef", "inicio", data={
        "tipo_informacion": "Información personal", "detalle": "Carpeta «Informes 2026» borrada por error."})
    ticket = _own(case)
    assert (ticket.category, ticket.requester, ticket.status) == ("restaurar-informacion", staff["personal-mindef"], "nuevo")
    assert ticket.description == "Carpeta «Informes 2026» borrada por error."

    _do(walker, case, 16, "Sí")
    _do(walker, case, 18, profesional_asignado=analyst.username)
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.team) == (analyst, "profesional-ogtie")
    _do(walker, case, 19, informacion_restaurada="Carpeta restaurada desde la copia del 28-11-2026.")
    ticket.refresh_from_db()
    assert ticket.status == "cerrado" and ticket.solution == "Carpeta restaurada desde la copia del 28-11-2026."
    assert ticket.events.get(kind=TicketEvent.Kind.CLOSED).actor == analyst
    assert Case.objects.get(pk=case["id"]).status == Case.Status.COMPLETED


def test_a_rejected_restore_request_returns_the_ticket_with_the_reason(staff):
    walker = Walker()
    case = walker.start("S04.03.02.02", "personal-mindef", "inicio")
    _do(walker, case, 15)
    _do(walker, case, 16, "No")
    _do(walker, case, 17, motivo_rechazo="La base de datos pedida no tiene copia de respaldo.")
    ticket = _own(case)
    assert ticket.return_reason == "La base de datos pedida no tiene copia de respaldo."
    assert ticket.status == "cerrado"


def test_the_semiannual_restore_report_is_no_request_and_opens_no_ticket(staff):
    walker = Walker()
    case = walker.start("S04.03.02.02", "profesional-ogtie", "informe-semestral-de-copia-de-restauracion")
    for activity in (20, 21, 22):
        _do(walker, case, activity)
    assert Case.objects.get(pk=case["id"]).status == Case.Status.COMPLETED
    assert not Ticket.objects.filter(case_id=case["id"]).exists()


# S04.02.00.02 Mantenimiento de sistemas informáticos

def test_a_system_maintenance_generates_its_quality_production_publication_and_training_tickets(staff, make_user):
    from registers.models import Entry

    engineer = make_user("jorge.paz", "responsable-infraestructura", unit="ogtie")
    walker = Walker()
    case = walker.start("S04.02.00.02", "director-uo")
    answers = {14: "No", 23: "Sí", 25: "Sí", 29: "Sí"}
    values = {20: {"personal_asignado": engineer.username},
              17: {"accion_realizada": "Control de calidad conforme (Acta de QA 12-2026)."}}
    seen = {}
    while case["status"] == "open":
        task = case["open_tasks"][0]
        _no_ticket_number_fields(task)
        _do(walker, case, task["activity"], answers.get(task["activity"]), **values.get(task["activity"], {}))
        internal = Ticket.objects.filter(case_id=case["id"], channel="interno")
        seen[task["activity"]] = {t.id: (t.team, t.assignee_id, t.status) for t in internal}
        case = walker.case(case["id"], "director-uo")

    quality = linked_ticket(Case.objects.get(pk=case["id"]), "calidad")
    assert seen[9] == {quality.id: ("analista-calidad", None, "asignado")}
    assert quality.status == "cerrado" and quality.solution == "Control de calidad conforme (Acta de QA 12-2026)."
    assert quality.subject.startswith("Control de calidad del sistema ")

    release = linked_ticket(Case.objects.get(pk=case["id"]), "pase")
    assert seen[19][release.id] == ("operador-mesa-ayuda", None, "asignado")
    assert seen[20][release.id] == ("responsable-infraestructura", engineer.id, "asignado")
    assert release.status == "cerrado" and release.events.get(kind="closed").actor == staff["operador-mesa-ayuda"]

    published = linked_ticket(Case.objects.get(pk=case["id"]), "publicacion")
    assert published.team == "tecnico-especialista" and published.status == "cerrado"
    assert seen[24][published.id][2] == "asignado"
    entry = Entry.objects.get(register="publicaciones", case_id=case["id"])
    assert entry.data["ticket"] == published.number

    training = linked_ticket(Case.objects.get(pk=case["id"]), "capacitacion")
    assert (training.team, training.status) == ("analista-programador", "cerrado")
    assert Ticket.objects.filter(case_id=case["id"], channel="interno").count() == 4


# S04.03.01.02 Eliminación de cuentas, accesos y privilegios (accesos VPN)

def test_a_vpn_removal_generates_its_ticket_for_the_picked_specialist_who_closes_it(staff, make_user):
    specialist = make_user("pedro.lima", "tecnico-especialista", unit="ogtie")
    walker = Walker()
    case = walker.start("S04.03.01.02", "operador-mesa-ayuda", "eliminacion-de-accesos-vpn")
    _no_ticket_number_fields(_task(walker, case, 5))
    _do(walker, case, 5, nombre_completo="Juana Ríos Salas", tecnico_asignado=specialist.username)
    ticket = linked_ticket(Case.objects.get(pk=case["id"]), "baja-vpn")
    assert (ticket.channel, ticket.category, ticket.team, ticket.assignee, ticket.status) == (
        "interno", "cuenta-acceso", "tecnico-especialista", specialist, "asignado")
    assert ticket.subject == "Eliminación del acceso VPN de Juana Ríos Salas"
    assert ticket.requester == staff["operador-mesa-ayuda"]

    _do(walker, case, 6, "Sí")
    _do(walker, case, 8, accion_realizada="Usuario VPN jrios eliminado del concentrador.")
    ticket.refresh_from_db()
    assert ticket.status == "cerrado" and ticket.solution == "Usuario VPN jrios eliminado del concentrador."
    assert ticket.events.get(kind="closed").actor == specialist
    _do(walker, case, 9)
    _do(walker, case, 10)
    assert Case.objects.get(pk=case["id"]).status == Case.Status.COMPLETED
    assert Ticket.objects.filter(case_id=case["id"]).count() == 1


def test_a_vpn_user_not_in_the_inventory_has_its_ticket_closed_by_the_desk(staff):
    walker = Walker()
    case = walker.start("S04.03.01.02", "operador-mesa-ayuda", "eliminacion-de-accesos-vpn")
    _do(walker, case, 5)
    ticket = linked_ticket(Case.objects.get(pk=case["id"]), "baja-vpn")
    assert (ticket.team, ticket.assignee, ticket.status) == ("tecnico-especialista", None, "asignado")
    _do(walker, case, 6, "No")
    _do(walker, case, 7)
    assert linked_ticket(Case.objects.get(pk=case["id"]), "baja-vpn").status == "asignado"
    _do(walker, case, 10, accion_realizada="El usuario VPN no figura en el inventario; nada que eliminar.")
    ticket.refresh_from_db()
    assert ticket.status == "cerrado" and ticket.solution == "El usuario VPN no figura en el inventario; nada que eliminar."
    assert ticket.events.get(kind="closed").actor == staff["operador-mesa-ayuda"]


def _walk(walker, case, answers, values=None, as_user="jefe-ogtie"):
    """Complete the case's open tasks (the first listed each time) until it ends."""
    values = values or {}
    for _ in range(80):
        case = walker.case(case["id"], as_user)
        if case["status"] != "open":
            return case
        task = case["open_tasks"][0]
        _no_ticket_number_fields(task)
        _do(walker, case, task["activity"], answers.get(task["activity"]) if task["decisions"] else None,
            **values.get(task["activity"], {}))
    raise AssertionError("el caso no terminó")


# S04.04.00.03 Gestión de incidentes de seguridad informática

def test_a_reported_security_incident_is_kept_in_the_register_under_the_cases_ticket(staff, make_user):
    from registers.models import Entry

    specialist = make_user("elena.vera", "tecnico-especialista", unit="ogtie")
    walker = Walker()
    case = walker.start("S04.04.00.03", "personal-mindef", "el-reporte-es-notificado-por-u-o", data={
        "descripcion_incidente": "Mis archivos aparecen cifrados con extensión .lock",
        "sistema_afectado": "PC-302", "fecha_deteccion": "2026-11-27T09:30"})
    assert not Ticket.objects.filter(case_id=case["id"]).exists()
    _do(walker, case, 2, responsable_asignado=specialist.username)
    ticket = _own(case)
    assert (ticket.requester, ticket.category, ticket.assignee, ticket.team, ticket.status) == (
        staff["personal-mindef"], "incidente-seguridad", specialist, "tecnico-especialista", "asignado")
    assert ticket.description == "Mis archivos aparecen cifrados con extensión .lock"

    _walk(walker, case, {4: "No", 10: "Sí"}, {13: {"accion_realizada": "Equipo reinstalado y archivos restaurados."},
                                              14: {"observaciones": "Conforme."}})
    incident = Entry.objects.get(register="incidentes-seguridad", case_id=case["id"])
    assert incident.data["ticket"] == ticket.number
    ticket.refresh_from_db()
    assert ticket.status == "cerrado" and ticket.solution == "Equipo reinstalado y archivos restaurados."
    assert ticket.events.get(kind="resolved").actor == specialist
    assert ticket.events.get(kind="closed").actor == staff["operador-mesa-ayuda"]


def test_an_incident_the_team_detects_gets_its_ticket_from_the_desk_in_the_teams_name(staff):
    from registers.models import Entry

    walker = Walker()
    case = walker.start("S04.04.00.03", "tecnico-especialista", "el-reporte-es-notificado-por-ogtie")
    _do(walker, case, 3)
    _do(walker, case, 4, "Sí")
    _do(walker, case, 5, detalle_solicitud="Tráfico saliente anómalo desde el servidor de archivos.")
    assert not Ticket.objects.filter(case_id=case["id"]).exists()
    _do(walker, case, 6)
    ticket = _own(case)
    assert (ticket.requester, ticket.team, ticket.status) == (staff["tecnico-especialista"], "tecnico-especialista", "asignado")
    assert ticket.description == "Tráfico saliente anómalo desde el servidor de archivos."
    _do(walker, case, 7)
    assert Entry.objects.get(register="incidentes-seguridad", case_id=case["id"]).data["ticket"] == ticket.number


# S04.04.00.02 Contención de ataques spam y/o phishing

def test_a_phishing_that_succeeded_closes_the_reporters_ticket_and_generates_the_remediation_ticket(staff, make_user):
    from registers.models import Entry

    engineer = make_user("mario.diaz", "responsable-infraestructura", unit="ogtie")
    walker = Walker()
    case = walker.start("S04.04.00.02", "personal-mindef", data={
        "cuenta_reporte": "alerta@mindef.gob.pe (Alerta MINDEF)", "remitente": "soporte@mindef-gob.pe.example",
        "asunto": "Actualice su contraseña hoy", "fecha_recepcion": "2026-11-27"})
    _do(walker, case, 2)
    ticket = _own(case)
    assert (ticket.requester, ticket.category, ticket.team, ticket.status) == (
        staff["personal-mindef"], "correo-sospechoso", "tecnico-especialista", "asignado")

    _walk(walker, case, {5: "Phishing", 8: "Sí"}, {
        13: {"responsable_asignado_infraestructura": engineer.username},
        15: {"accion_realizada": "Cuenta comprometida eliminada; se creó una nueva."},
        16: {"resultado_analisis": "Sin reglas de reenvío maliciosas en el buzón."},
        18: {"cuenta_dominio_bloqueado": "mindef-gob.pe.example"},
        19: {"accion_realizada": "Remitente, dominio y enlaces bloqueados."}})
    ticket.refresh_from_db()
    assert ticket.status == "cerrado" and ticket.solution == "Remitente, dominio y enlaces bloqueados."
    assert Entry.objects.get(register="bloqueos", case_id=case["id"]).data["ticket"] == ticket.number

    remediation = linked_ticket(Case.objects.get(pk=case["id"]), "remediacion")
    assert (remediation.team, remediation.assignee, remediation.category) == (
        "responsable-infraestructura", engineer, "correo-sospechoso")
    assert remediation.subject == "Remediación del phishing concretado «Actualice su contraseña hoy»"
    assert list(remediation.links.all()) == [ticket]
    assert remediation.solution == "Cuenta comprometida eliminada; se creó una nueva."
    assert remediation.status == "cerrado" and remediation.events.get(kind="closed").actor == staff["profesional-ogtie"]


# S04.03.04.03 Ejecución del mantenimiento preventivo y/o correctivo de equipos de cómputo e impresoras

def test_a_maintenance_visit_creates_its_internal_ticket_for_the_picked_technician_who_closes_it(staff, make_user):
    technician = make_user("hugo.campos", "soporte-tecnico", unit="ogtie")
    walker = Walker()
    case = walker.start("S04.03.04.03", "soporte-tecnico", "visita-programada-en-el-plan-de-mantenimiento")
    _do(walker, case, 4, unidad_organizacion="DIGEDOC")
    assert not Ticket.objects.filter(case_id=case["id"]).exists()
    _no_ticket_number_fields(_task(walker, case, 5))
    _do(walker, case, 5, tecnico_asignado=technician.username)
    visit = linked_ticket(Case.objects.get(pk=case["id"]), "visita")
    assert (visit.channel, visit.category, visit.team, visit.assignee, visit.status) == (
        "interno", "equipo", "soporte-tecnico", technician, "asignado")
    assert visit.subject == "Mantenimiento de equipos de cómputo e impresoras: DIGEDOC"
    assert visit.requester == staff["operador-mesa-ayuda"]
    assert _task(walker, case, 6)["assignee"] == technician.username

    _do(walker, case, 6, "Sí")
    assert linked_ticket(Case.objects.get(pk=case["id"]), "visita").status == "asignado"
    _do(walker, case, 7, accion_realizada="Limpieza interna y actualización de firmware de 12 equipos.")
    visit.refresh_from_db()
    assert visit.status == "cerrado" and visit.solution == "Limpieza interna y actualización de firmware de 12 equipos."
    assert visit.events.get(kind="closed").actor == technician


def test_a_maintenance_visit_whose_equipment_has_a_warranty_closes_its_ticket_with_the_actions_taken(staff):
    walker = Walker()
    case = walker.start("S04.03.04.03", "soporte-tecnico", "visita-programada-en-el-plan-de-mantenimiento")
    for activity, decision in ((4, None), (5, None), (6, "No"), (8, "Sí")):
        _do(walker, case, activity, decision)
    visit = linked_ticket(Case.objects.get(pk=case["id"]), "visita")
    assert (visit.team, visit.assignee, visit.status) == ("soporte-tecnico", None, "asignado")
    _do(walker, case, 12, acciones_tomadas="Se diagnosticó falla de la placa; equipo en garantía.")
    visit.refresh_from_db()
    assert visit.status == "cerrado" and visit.solution == "Se diagnosticó falla de la placa; equipo en garantía."


# S04.03.03.01 Generación de respaldo de configuración de equipos de conmutación y central telefónica

def test_a_scheduled_configuration_backup_gets_its_ticket_from_the_desk_and_the_log_keeps_its_number(staff):
    from registers.models import Entry

    walker = Walker()
    case = walker.start("S04.03.03.01", "profesional-redes", "respaldo-programado-en-el-cronograma")
    _do(walker, case, 4, fecha_programada="2026-12-01", equipos="Central telefónica y switches del piso 4")
    _no_ticket_number_fields(_task(walker, case, 5))
    _do(walker, case, 5)
    backup = linked_ticket(Case.objects.get(pk=case["id"]), "respaldo")
    assert (backup.team, backup.status, backup.description) == (
        "profesional-redes", "asignado", "Central telefónica y switches del piso 4")
    assert backup.subject == "Respaldo de configuración de equipos de conmutación y central telefónica (2026-12-01)"
    for activity in (6, 7, 8):
        _do(walker, case, activity)
    entry = Entry.objects.filter(register="configuraciones-red", case_id=case["id"]).get()
    assert entry.data["ticket"] == backup.number
    _do(walker, case, 9, observaciones="Respaldo completo.")
    backup.refresh_from_db()
    assert backup.status == "cerrado" and backup.events.get(kind="closed").actor == staff["profesional-redes"]


# S04.03.01.05 Análisis de incidentes de infraestructura tecnológica

def test_an_infrastructure_incident_ticket_stays_open_while_the_contractor_works_and_closes_with_the_solution(staff, make_user):
    from registers.models import Entry

    engineer = make_user("raul.chavez", "responsable-infraestructura", unit="ogtie")
    walker = Walker()
    case = walker.start("S04.03.01.05", "responsable-infraestructura")
    _do(walker, case, 1)
    _do(walker, case, 2, "Sí")
    _do(walker, case, 4, servicios_afectados="Correo institucional", descripcion_incidente="Caída del servidor de correo")
    incident = linked_ticket(Case.objects.get(pk=case["id"]), "incidente")
    assert (incident.team, incident.status, incident.subject) == (
        "operador-mesa-ayuda", "asignado", "Incidente de infraestructura tecnológica: Correo institucional")

    _do(walker, case, 5, responsable_asignado=engineer.username)
    incident.refresh_from_db()
    assert (incident.team, incident.assignee) == ("responsable-infraestructura", engineer)
    _do(walker, case, 6)
    assert Entry.objects.get(register="incidentes-infraestructura", case_id=case["id"]).data["ticket"] == incident.number
    _do(walker, case, 7, "No corresponde a Infraestructura tecnológica")
    _do(walker, case, 8)
    _do(walker, case, 9, "No")
    assert linked_ticket(Case.objects.get(pk=case["id"]), "incidente").status == "asignado"
    _do(walker, case, 10)
    _do(walker, case, 11)
    _do(walker, case, 12, "No", reporte_solucion="El proveedor reemplazó el disco del arreglo.")
    incident.refresh_from_db()
    assert incident.status == "cerrado" and incident.solution == "El proveedor reemplazó el disco del arreglo."


# S04.03.03.02 Atención de requerimientos de equipos telefónicos

def test_a_phone_request_gets_its_ticket_when_the_network_team_asks_for_it_and_delivery_closes_it(staff, make_user):
    clerk = make_user("ines.paredes", "profesional-redes", unit="ogtie")
    walker = Walker()
    case = walker.start("S04.03.03.02", "director-uo")
    _no_ticket_number_fields(_task(walker, case, 1))
    for activity in (1, 2, 3):
        _do(walker, case, activity)
    assert not Ticket.objects.filter(case_id=case["id"]).exists()
    _do(walker, case, 4)
    ticket = _own(case)
    assert (ticket.requester, ticket.category, ticket.status) == (staff["director-uo"], "equipo-telefonico", "nuevo")
    _no_ticket_number_fields(_task(walker, case, 5))
    _do(walker, case, 5, encargado=clerk.username)
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.team, ticket.status) == (clerk, "profesional-redes", "asignado")
    for activity, decision in ((6, "Sí"), (9, None), (10, None), (11, None), (12, None), (13, None)):
        _do(walker, case, activity, decision)
    assert _own(case).status == "asignado"
    _do(walker, case, 14)
    ticket.refresh_from_db()
    assert ticket.status == "cerrado" and ticket.events.get(kind="closed").actor == staff["profesional-redes"]


# S04.03.01.03 Acceso al centro de datos

def test_a_contractors_visit_gets_its_ticket_from_the_desk_and_the_exit_closes_it(staff):
    walker = Walker()
    case = walker.start("S04.03.01.03", "coord-infraestructura", "mantenimiento-de-equipos-de-ogie")
    for activity in (7, 8):
        _do(walker, case, activity)
    _no_ticket_number_fields(_task(walker, case, 9))
    _do(walker, case, 9, empresa="Redes del Sur SAC", nombre="Pedro Salas", dni="43218765")
    visit = linked_ticket(Case.objects.get(pk=case["id"]), "visita")
    assert (visit.team, visit.channel, visit.status) == ("responsable-infraestructura", "interno", "asignado")
    assert visit.subject == "Visita al centro de datos: Redes del Sur SAC (Pedro Salas)"
    while True:
        [task] = walker.case(case["id"], "jefe-ogtie")["open_tasks"]
        if task["activity"] == 16:
            break
        _do(walker, case, task["activity"], task["decisions"][0] if task["decisions"] else None)
    _do(walker, case, 16, hora_salida="2026-11-27T17:30")
    visit.refresh_from_db()
    assert visit.status == "cerrado"
