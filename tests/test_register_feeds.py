"""The office's registers are written by the activities that change them: each story walks the
procedure that feeds a register through the API, as the manual's roles would, and reads the
register afterwards (the entry's state and values, and the case and activity of each version).
A change the register refuses is a 422 naming the form field, and leaves the case and the
register as they were."""
import threading

import pytest
from django.db import connection

from cases.models import Case, Task
from engine.registers import load_registers
from engine.sheets import load_catalog
from registers import actions
from registers.models import Entry, Version

from .api_client import Api, fill
from .walker import Walker, prepare_registers

pytestmark = pytest.mark.django_db
SHEETS = {s.code: s for s in load_catalog()}


def starter(code, start=None):
    sheet = SHEETS[code]
    first = next(n for key, _, n in sheet.entry_points if start in (None, key))
    roles = sheet.activity(first).roles
    return "personal-mindef" if "personal-mindef" in roles else roles[0]


def payload(walker, task, decision=None, values=None):
    """Sample data for `task` (registers prepared as tests/walker.py does), with `values` over it."""
    data = fill(task["form"], walker.api(Walker.actor(task)), task["case"])
    prepare_registers(task, data, decision)
    data.update(values or {})
    return {"data": data, **({"decision": decision} if decision is not None else {})}


def send(api, task, body):
    return api.post(f"/api/tasks/{task['id']}/complete", body)


def post(walker, task, decision=None, values=None):
    return send(walker.api(Walker.actor(task)), task, payload(walker, task, decision, values))


def walk(code, answers=None, values=None, start=None, until=None, walker=None):
    """Carry a case from its start: `answers` {activity: answer}, `values` {activity: {field: value}}.
    Stops with the task of activity `until` open (returns it), else at the case's end."""
    walker = walker or Walker()
    answers, values = answers or {}, values or {}
    if start is None and len(SHEETS[code].entry_points) > 1:
        start = SHEETS[code].entry_points[0][0]
    case = walker.start(code, starter(code, start), start)
    for _ in range(200):
        if case["status"] != "open":
            return case, None
        task = case["open_tasks"][0]
        if task["activity"] == until:
            return case, task
        decision = answers.get(task["activity"]) if task["decisions"] else None
        if task["decisions"] and decision is None:
            decision = task["decisions"][0]
        response = post(walker, task, decision, values.get(task["activity"]))
        assert response.status_code == 200, (task["activity"], response.content.decode())
        case = walker.case(case["id"], starter(code, start))
    raise AssertionError("el caso no terminó")


def entry(slug, **key):
    r = load_registers()[slug]
    found = actions.current(r, key)
    if found is None:
        found = Entry.objects.filter(register=slug).order_by("-id").first()
        assert found is not None and all(found.data.get(k) == v for k, v in key.items()), (slug, key)
    return found


def history(found):
    return [(v.action, v.state, v.case.number if v.case else None, v.activity)
            for v in Version.objects.filter(entry=found).order_by("n")]


def refused(response, field):
    assert response.status_code == 422, response.content.decode()
    body = response.json()
    assert field in body["errors"], body
    return body["detail"]


def snapshot(slug):
    return sorted((e.key, e.state, e.version, str(e.data)) for e in Entry.objects.filter(register=slug))


# --- Cuentas, accesos y privilegios; Usuarios VPN ------------------------------------------------

NEW = "Creación de cuenta de usuario nuevo"
MODIFY = "Modificación o actualización de cuentas de usuarios, accesos y privilegios"
ACCOUNTS = "Sí — Solicitud de creación de cuentas, otros accesos o privilegios"
VPN = "Sí — Solicitud de acceso a VPN"


def test_an_account_is_created_modified_disabled_and_removed_with_who_authorised_it(staff):
    created, _ = walk("S04.03.01.01", {2: "Sí", 4: NEW, 7: ACCOUNTS}, {
        7: {"nombre_completo": "Juan Pérez Quispe", "dni": "41234567", "cargo": "Analista",
            "autorizacion_sg": "OFICIO N° 00012-2026-MINDEF/SG"},
        9: {"nombre_cuenta": "jperez", "accesos_privilegios": "Correo institucional, SISTRADOC"}})
    account = entry("cuentas-accesos", cuenta="jperez")
    assert account.state == "activa" and account.person == "41234567"
    assert account.data["nombre"] == "Juan Pérez Quispe"
    assert account.data["autorizado_por"] == "OFICIO N° 00012-2026-MINDEF/SG"

    modified, _ = walk("S04.03.01.01", {2: "Sí", 4: MODIFY}, {
        6: {"cuenta_usuario": "jperez", "accesos_actualizados": "Correo, SISTRADOC, USB"}})
    account.refresh_from_db()
    assert account.data["accesos"] == "Correo, SISTRADOC, USB"

    removed, _ = walk("S04.03.01.02", start="eliminacion-de-cuentas-otros-acceso-o-privilegios", values={
        1: {"cuenta_usuario": "jperez", "fecha_cese": "2026-11-30"},
        3: {"ubicacion_backup": r"\\storage\pst\jperez.pst"}, 4: {"fecha_eliminacion_ad": "2026-12-01"}})
    account.refresh_from_db()
    assert account.closed and account.state == "eliminada"
    assert account.data["fecha_cese"] == "2026-11-30" and account.data["ubicacion_backup_pst"].endswith("jperez.pst")
    assert history(account) == [("create", "activa", created["number"], 9), ("update", "activa", modified["number"], 6),
                                ("update", "deshabilitada", removed["number"], 2),
                                ("update", "deshabilitada", removed["number"], 3),
                                ("close", "eliminada", removed["number"], 4)]


def test_removing_an_account_the_register_does_not_hold_is_refused_and_nothing_changes(staff):
    walker = Walker()
    case, task = walk("S04.03.01.02", start="eliminacion-de-cuentas-otros-acceso-o-privilegios", until=1,
                      walker=walker)
    body = payload(walker, task, values={"cuenta_usuario": "cuenta-inexistente"})
    before = snapshot("cuentas-accesos")
    detail = refused(send(walker.api(Walker.actor(task)), task, body), "cuenta_usuario")
    assert "cuenta-inexistente" in detail
    assert Task.objects.get(pk=task["id"]).status == Task.Status.OPEN
    assert snapshot("cuentas-accesos") == before


def test_a_vpn_user_created_by_the_register_is_removed_by_the_register(staff):
    created, _ = walk("S04.03.01.01", {2: "Sí", 4: NEW, 7: VPN, 13: "No"}, {
        7: {"nombre_completo": "Ana Torres", "dni": "42345678"},
        13: {"usuario_vpn": "vpn.atorres"}, 15: {"usuario_vpn": "vpn.atorres", "nombre_completo": "Ana Torres"}})
    user = entry("usuarios-vpn", usuario="vpn.atorres")
    assert user.state == "activo" and user.person == "42345678"

    removed, _ = walk("S04.03.01.02", {6: "Sí"}, {6: {"usuario_vpn": "vpn.atorres"}}, start="eliminacion-de-accesos-vpn")
    user.refresh_from_db()
    assert user.closed and user.state == "eliminado" and user.data["fecha_baja"]
    assert history(user)[-1] == ("close", "eliminado", removed["number"], 8)


def test_removing_a_vpn_user_that_does_not_exist_is_refused(staff):
    walker = Walker()
    case, task = walk("S04.03.01.02", start="eliminacion-de-accesos-vpn", until=6, walker=walker)
    before = snapshot("usuarios-vpn")
    # The register answers «¿Es un usuario VPN existente y activo?»: «Sí» for a stranger is refused.
    body = {"data": {"usuario_vpn": "vpn.fantasma"}, "decision": "Sí"}
    response = send(walker.api(Walker.actor(task)), task, body)
    assert response.status_code == 422 and "decision" in response.json()["errors"]
    assert Task.objects.get(pk=task["id"]).status == Task.Status.OPEN
    assert snapshot("usuarios-vpn") == before

    # Known at activity 6, removed by hand before activity 8: the removal names the field.
    actions.change(None, "usuarios-vpn", "create", {"usuario": "vpn.breve"},
                   {"dni": "43456789", "nombre": "Luis Breve"})
    case, task = walk("S04.03.01.02", {6: "Sí"}, {6: {"usuario_vpn": "vpn.breve"}}, start="eliminacion-de-accesos-vpn",
                      until=8, walker=walker)
    actions.change(None, "usuarios-vpn", "close", {"usuario": "vpn.breve"}, {})
    body = {"data": {"accion_realizada": "Usuario eliminado del concentrador VPN"}}
    before = snapshot("usuarios-vpn")
    refused(send(walker.api(Walker.actor(task)), task, body), "usuario_vpn")
    assert Task.objects.get(pk=task["id"]).status == Task.Status.OPEN
    assert snapshot("usuarios-vpn") == before


# --- Bitácora de acceso al centro de datos -------------------------------------------------------

def test_a_visit_to_the_data_centre_is_logged_on_entry_and_closed_on_exit(staff):
    case, _ = walk("S04.03.01.03", start="visitas-autorizadas-por-la-sg", values={
        3: {"nombre_visitante": "Carlos Ruiz", "dni_visitante": "44567890", "entidad": "Contraloría",
            "motivo": "Auditoría", "hora_ingreso": "2026-11-27T09:00", "acompanante": "Jefe(a) de la OGTIE"},
        5: {"hora_salida": "2026-11-27T10:15"}})
    visit = entry("bitacora-centro-datos", visita=case["number"])
    assert visit.closed and visit.state == "salio" and visit.person == "44567890"
    assert (visit.data["empresa"], visit.data["acompanante"]) == ("Contraloría", "Jefe(a) de la OGTIE")
    assert visit.data["ingreso"].startswith("2026-11-27T09:00") and visit.data["salida"].startswith("2026-11-27T10:15")
    assert history(visit) == [("create", "dentro", case["number"], 3), ("close", "salio", case["number"], 5)]


# --- Servidores críticos; the cronogramas that start cases ---------------------------------------

def test_a_critical_server_and_its_restore_test_are_registered(staff):
    case, _ = walk("S04.03.01.04", {6: "No"}, {
        4: {"servidor": "SRV-AD-01", "tipo_servidor": "Directorio Activo", "frecuencia": "Diaria",
            "ruta_respaldo": r"\\backup\logs\ad"},
        5: {"servidor": "SRV-AD-01", "prueba_restauracion": "Restauración correcta de los eventos del 26/11"}})
    server = entry("servidores-criticos", servidor="SRV-AD-01")
    assert server.data["tipo"] == "Directorio Activo" and server.data["ruta"] == r"\\backup\logs\ad"
    assert server.data["resultado_prueba"].startswith("Restauración correcta")
    assert [h[3] for h in history(server)] == [4, 5]


@pytest.mark.parametrize("slug, activity", [("cronograma-logs", 5), ("cronograma-respaldos", 3),
                                            ("cronograma-configuraciones", 4), ("plan-mantenimiento", 4)])
def test_each_cronograma_starts_its_procedure_at_the_scheduled_work(staff, slug, activity):
    r = load_registers()[slug]
    assert r.starts and r.state(r.starts.pending) and r.state(r.starts.started) and r.closed_states
    case = Walker().start(r.starts.procedure, starter(r.starts.procedure, r.starts.schedule), r.starts.schedule)
    assert [t["activity"] for t in case["open_tasks"]] == [activity]


# --- Incidentes ------------------------------------------------------------------------------------

def test_an_infrastructure_incident_is_registered_and_closed_with_its_solution(staff):
    case, _ = walk("S04.03.01.05", {2: "Sí", 7: "Sí corresponde y se logró resolver", 12: "No"}, {
        4: {"descripcion_incidente": "Caída del servidor de correo", "servicios_afectados": "Correo institucional"},
        12: {"reporte_solucion": "Se reinició el servicio de transporte"}})
    incident = entry("incidentes-infraestructura", caso=case["number"])
    assert incident.closed and incident.state == "resuelto"
    from helpdesk.actions import linked_ticket   # the incident's ticket, generated at activity 4

    assert incident.data["ticket"] == linked_ticket(Case.objects.get(pk=case["id"]), "incidente").number
    assert incident.data["solucion"] == "Se reinició el servicio de transporte"
    assert [h[3] for h in history(incident)] == [4, 6, 12]


def test_a_security_incident_keeps_its_lessons_learned(staff):
    case, _ = walk("S04.04.00.03", {4: "No", 10: "Sí"}, {
        1: {"descripcion_incidente": "La PC no abre mis archivos", "sistema_afectado": "PC-302"},
        4: {"descripcion_incidente": "Ransomware en la PC de la oficina 302"},
        12: {"lecciones_aprendidas": "Bloquear macros en documentos de Office"}}, start="el-reporte-es-notificado-por-u-o")
    incident = entry("incidentes-seguridad", caso=case["number"])
    assert incident.closed and incident.state == "cerrado"
    assert incident.data["descripcion"].startswith("Ransomware")
    assert incident.data["lecciones_aprendidas"] == "Bloquear macros en documentos de Office"
    assert [h[3] for h in history(incident)] == [7, 8, 9, 10, 12]


# --- Respaldos y restauraciones ----------------------------------------------------------------------

def test_a_scheduled_backup_with_an_error_is_logged_with_its_correction(staff):
    case, _ = walk("S04.03.02.01", {3: "Copia de base de datos", 4: "Sí"}, {
        4: {"bases_datos": "BD SIGA", "notificacion": "Falló el job nocturno"},
        5: {"incidencia": "Disco lleno", "correccion": "Se liberó espacio y se reejecutó"}},
        start="copia-de-respaldo-programada-en-el-cronograma")
    log = entry("bitacora-respaldos", caso=case["number"])
    assert log.state == "corregido" and log.data["tipo"] == "Copia de base de datos"
    assert (log.data["resultado"], log.data["error"], log.data["accion"]) == (
        "Falló el job nocturno", "Disco lleno", "Se liberó espacio y se reejecutó")
    assert [h[:2] for h in history(log)] == [("upsert", "con_error"), ("update", "corregido")]


def test_a_restore_is_registered(staff):
    case, _ = walk("S04.03.02.02", {16: "Sí"}, {19: {"respaldo_utilizado": "Backup diario 2026-11-20",
                                                     "fecha_restauracion": "2026-11-27"}})
    restore = entry("restauraciones", caso=case["number"])
    assert restore.data["respaldo_utilizado"] == "Backup diario 2026-11-20"
    assert history(restore) == [("create", "restaurada", case["number"], 19)]


# --- Configuraciones de switch y router ----------------------------------------------------------------

def test_every_configuration_backup_of_a_switch_is_a_version_of_its_entry(staff):
    first, _ = walk("S04.03.03.01", values={8: {"equipo": "SW-CORE-01", "fecha_respaldo": "2026-06-01",
                                               "archivos": "sw-core-01-20260601.cfg"}},
                    start="respaldo-programado-en-el-cronograma")
    second, _ = walk("S04.03.03.01", values={8: {"equipo": "SW-CORE-01", "fecha_respaldo": "2026-12-01",
                                                "archivos": "sw-core-01-20261201.cfg"}},
                     start="respaldo-programado-en-el-cronograma")
    switch = entry("configuraciones-red", equipo="SW-CORE-01")
    assert (switch.data["fecha_respaldo"], switch.data["archivos"]) == ("2026-12-01", "sw-core-01-20261201.cfg")
    assert history(switch) == [("upsert", "vigente", first["number"], 8), ("upsert", "vigente", second["number"], 8)]


# --- Equipos telefónicos ------------------------------------------------------------------------------

def test_a_telephone_is_assigned_to_its_user(staff):
    case, _ = walk("S04.03.03.02", {6: "Sí"}, {
        12: {"codigo_patrimonial": "740899500123"},
        13: {"anexo": "4321", "nombre_usuario": "María Salas", "dni_usuario": "45678901"}})
    phone = entry("equipos-telefonicos", codigo_patrimonial="740899500123")
    assert phone.state == "asignado" and phone.person == "45678901"
    assert (phone.data["anexo"], phone.data["titular"]) == ("4321", "María Salas")
    assert history(phone) == [("assign", "asignado", case["number"], 14)]


# --- Dispositivos para el certificado digital -------------------------------------------------------------

def _certificate_case(walker, dni, name):
    return walk("S04.03.04.01", {2: "Sí"}, {1: {"dni": dni, "nombres_apellidos": name}}, until=8, walker=walker)


def test_a_card_is_issued_and_returned_when_its_holder_leaves(staff):
    case, _ = walk("S04.03.04.01", {2: "Sí", 10: "Sí"}, {
        1: {"dni": "46789012", "nombres_apellidos": "Rosa Díaz"},
        8: {"serie_tarjeta": "TC-0001", "serie_lector": "LT-0001"},
        9: {"acta_entrega": "ACTA N° 015-2026-MINDEF/OGTIE"},
        11: {"tarjeta": "TC-0001", "motivo_desvinculacion": "Renuncia"},
        12: {"fecha_recepcion": "2026-12-15"}})
    card = entry("dispositivos-certificado", serie_tarjeta="TC-0001")
    assert card.state == "disponible" and card.person == "" and "dni" not in card.data
    assert (card.data["fecha_devolucion"], card.data["motivo_devolucion"]) == ("2026-12-15", "Renuncia")
    assert card.data["acta_entrega"] == "ACTA N° 015-2026-MINDEF/OGTIE"
    assert [h[:2] + h[3:] for h in history(card)] == [
        ("assign", "asignado", 8), ("update", "asignado", 9), ("return", "disponible", 12), ("update", "disponible", 13)]
    assert {h[2] for h in history(card)} == {case["number"]}


def test_a_card_already_issued_to_someone_else_is_refused_and_nothing_changes(staff):
    walker = Walker()
    walk("S04.03.04.01", {2: "Sí", 10: "No"}, {1: {"dni": "46789012", "nombres_apellidos": "Rosa Díaz"},
                                                8: {"serie_tarjeta": "TC-0002"}}, walker=walker)
    case, task = _certificate_case(walker, "47890123", "Pedro Soto")
    body = payload(walker, task, values={"serie_tarjeta": "TC-0002"})
    before = snapshot("dispositivos-certificado")
    detail = refused(send(walker.api(Walker.actor(task)), task, body), "serie_tarjeta")
    assert "otra persona" in detail and "47890123" not in detail and "46789012" not in detail
    assert Task.objects.get(pk=task["id"]).status == Task.Status.OPEN
    assert Case.objects.get(pk=case["id"]).status == Case.Status.OPEN
    assert snapshot("dispositivos-certificado") == before

    # Returning a card the person does not hold is refused as well.
    case, task = walk("S04.03.04.01", {2: "Sí", 10: "Sí"}, {1: {"dni": "47890123", "nombres_apellidos": "Pedro Soto"},
                                                            8: {"serie_tarjeta": "TC-0003"}}, until=11, walker=walker)
    body = payload(walker, task, values={"tarjeta": "TC-0002"})
    before = snapshot("dispositivos-certificado")
    refused(send(walker.api(Walker.actor(task)), task, body), "tarjeta")
    assert snapshot("dispositivos-certificado") == before


@pytest.mark.django_db(transaction=True)
def test_two_people_issuing_the_same_card_at_once_one_wins(staff):
    walker = Walker()
    cases = [_certificate_case(walker, "48901234", "Elena Vega"), _certificate_case(walker, "49012345", "Hugo León")]
    bodies = [(Api(Walker.actor(task)), task, payload(walker, task, values={"serie_tarjeta": "TC-0099"}))
              for _, task in cases]
    answers = []

    def issue(api, task, body):
        answers.append(send(api, task, body))

    if connection.vendor == "postgresql":
        barrier = threading.Barrier(2)

        def run(*args):
            try:
                barrier.wait()
                issue(*args)
            finally:
                connection.close()   # this thread's own connection
        threads = [threading.Thread(target=run, args=args) for args in bodies]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:   # SQLite serialises writers: the second one finds the card issued
        for args in bodies:
            issue(*args)
    assert sorted(r.status_code for r in answers) == [200, 422]
    loser = next(r for r in answers if r.status_code == 422)
    assert "serie_tarjeta" in loser.json()["errors"]
    [card] = Entry.objects.filter(register="dispositivos-certificado", closed=False)
    assert card.person in ("48901234", "49012345") and card.version == 1
    assert Task.objects.filter(case_id__in=[c["id"] for c, _ in cases], activity=8, status=Task.Status.OPEN).count() == 1


# --- Equipos de cómputo e impresoras -------------------------------------------------------------------

def test_a_computer_is_maintained_and_then_retired(staff):
    maintained, _ = walk("S04.03.04.03", {6: "Sí"}, {
        4: {"unidad_organizacion": "DIGEP"},
        6: {"codigo_patrimonial": "PAT-2020-0042", "tipo_mantenimiento": "Preventivo", "accion_realizada": "Limpieza"}})
    pc = entry("equipos-computo", codigo_patrimonial="PAT-2020-0042")
    assert pc.state == "operativo" and pc.data["unidad_organizacion"] == "DIGEP"
    retired, _ = walk("S04.03.04.02", {2: "Sí", 5: "No", 7: "No", 9: "No"}, {
        9: {"codigo_patrimonial": "PAT-2020-0042"}, 10: {"motivo_baja": "Placa madre dañada"}})
    pc.refresh_from_db()
    assert pc.closed and pc.state == "baja" and pc.data["motivo_baja"] == "Placa madre dañada"
    assert [(h[2], h[3]) for h in history(pc)] == [(maintained["number"], 6), (retired["number"], 9),
                                                   (retired["number"], 12)]


# --- Sistemas de información, publicaciones y matriz de cambios ----------------------------------------

def test_a_system_goes_from_development_to_production_and_is_published_and_retired(staff):
    developed, _ = walk("S04.02.00.01", {3: "Sí", 8: "Baja", 22: "No", 30: "Sí", 32: "Sí", 36: "Sí"}, {
        6: {"nombre_sistema": "SIGEDOC", "unidad_propietaria": "DIGEDOC"},
        31: {"ip_privada_destino": "10.10.5.20", "puertos": "443"},
        39: {"url_publicada": "https://sigedoc.mindef.gob.pe"},
        43: {"nombre_sistema": "SIGEDOC", "codigo_inventario": "SI-031"}})
    system = entry("sistemas-informacion", sistema="SIGEDOC")
    assert system.state == "produccion" and system.data["unidad_propietaria"] == "DIGEDOC"
    assert system.data["codigo_inventario"] == "SI-031" and system.data["fecha_produccion"]
    from helpdesk.actions import linked_ticket   # the publication's ticket, generated at activity 31
    from cases.models import Case

    published = linked_ticket(Case.objects.get(pk=developed["id"]), "publicacion")
    assert published.status == "cerrado" and published.team == "tecnico-especialista"
    publication = entry("publicaciones", ticket=published.number)
    assert (publication.data["sistema"], publication.data["ip_privada"], publication.data["url"]) == (
        "SIGEDOC", "10.10.5.20", "https://sigedoc.mindef.gob.pe")
    change = entry("cambios-sistemas", caso=developed["number"])
    assert (change.data["sistema"], change.data["tipo_cambio"]) == ("SIGEDOC", "Puesta en producción")

    retired, _ = walk("S04.02.00.03", values={3: {"nombre_software": "SIGEDOC", "version_software": "1.0",
                                                  "motivo_baja": "Obsolescencia tecnológica"},
                                              6: {"fecha_baja": "2026-12-31"}})
    system.refresh_from_db()
    assert system.closed and system.state == "retirado" and system.data["fecha_baja"] == "2026-12-31"
    assert history(system)[-1] == ("close", "retirado", retired["number"], 7)
    assert entry("cambios-sistemas", caso=retired["number"]).data["tipo_cambio"] == "Baja"


def test_maintaining_a_system_the_inventory_does_not_hold_is_refused(staff):
    walker = Walker()
    case, task = walk("S04.02.00.02", until=1, walker=walker)
    refused(post(walker, task, values={"sistema": "Sistema fantasma"}), "sistema")
    assert Task.objects.get(pk=task["id"]).status == Task.Status.OPEN


# --- Plataformas de seguridad y bloqueos ------------------------------------------------------------------

def test_a_security_platform_keeps_its_administrators_and_rule_changes(staff):
    case, _ = walk("S04.04.00.01", {4: "Configurar reglas de seguridad"}, {
        1: {"plataforma": "FortiGate 600E", "responsable_primario": "tecnico1", "responsable_secundario": "tecnico2"},
        5: {"regla": "Permitir 10.10.5.20:443 desde Internet"}})
    platform = entry("plataformas-seguridad", plataforma="FortiGate 600E")
    assert (platform.data["responsable_primario"], platform.data["responsable_secundario"]) == ("tecnico1", "tecnico2")
    assert platform.data["ultima_regla"] == "Permitir 10.10.5.20:443 desde Internet"
    assert [h[3] for h in history(platform)] == [1, 2, 3, 5]


def test_a_spam_sender_is_blocked(staff):
    case, _ = walk("S04.04.00.02", {5: "Spam"}, {6: {"cuenta_dominio_bloqueado": "ofertas-falsas.com",
                                                    "ip_bloqueada": "203.0.113.7"}})
    block = entry("bloqueos", bloqueado="ofertas-falsas.com")
    assert (block.data["tipo"], block.data["ip_bloqueada"]) == ("Spam", "203.0.113.7")
    assert history(block) == [("upsert", "bloqueado", case["number"], 6)]


# --- PGD, SGSI y estadística -------------------------------------------------------------------------------

def test_the_pgd_portfolio_is_approved_and_followed_up(staff):
    formulated, _ = walk("S04.01.00.01", values={1: {"periodo_pgd": "2027-2029"},
                                                 17: {"acta_reunion": "ACTA N° 3-2026-CGD"}})
    pgd = entry("portafolio-pgd", periodo="2027-2029")
    assert pgd.state == "vigente" and pgd.data["acta_portafolio"] == "ACTA N° 3-2026-CGD"
    followed, _ = walk("S04.01.00.02", {5: "Sí"}, {1: {"periodo_pgd": "2027-2029"},
                                                    3: {"logros": "Tres proyectos implementados"}})
    pgd.refresh_from_db()
    assert pgd.data["logros"] == "Tres proyectos implementados" and pgd.data["modificaciones"]
    assert [h[3] for h in history(pgd) if h[2] == followed["number"]] == [4, 5, 8]


def test_an_sgsi_document_is_approved_and_its_custody_recorded(staff):
    case, _ = walk("S04.01.00.03", {5: "No"}, {
        11: {"documento": "SGSI-POL-001 Política de seguridad", "version_documento": "3"},
        12: {"memorandum": "MEMORANDO N° 120-2026-MINDEF/OGTIE"}, 13: {"ubicacion_custodia": "Archivo OGTIE"}})
    document = entry("documentos-sgsi", documento="SGSI-POL-001 Política de seguridad")
    assert document.state == "vigente" and document.data["version"] == "3"
    assert document.data["memorandum"] == "MEMORANDO N° 120-2026-MINDEF/OGTIE"
    assert document.data["ubicacion_custodia"] == "Archivo OGTIE"


def test_a_statistical_submission_is_registered_against_the_cronograma_and_evaluated(staff):
    case, _ = walk("S04.05.00.01", {10: "No", 29: "No"}, {
        13: {"entidad": "Marina de Guerra del Perú", "periodo": "2026-T3", "fecha_envio": "2026-10-10",
             "fecha_programada": "2026-10-15", "representante": "C. de F. Luis Paz"}})
    submission = entry("envios-estadisticos", entidad="Marina de Guerra del Perú", periodo="2026-T3")
    assert submission.state == "evaluado"
    assert (submission.data["fecha_programada"], submission.data["fecha_envio"]) == ("2026-10-15", "2026-10-10")
    body = entry("comite-estadistica", entidad="Marina de Guerra del Perú")
    assert body.data["representante"] == "C. de F. Luis Paz"


# --- The catalog: every register names the procedures that feed it, and is fed ------------------------

def test_every_register_lists_the_procedures_that_write_or_read_it_and_each_is_fed_or_starts_cases():
    uses = {}
    for sheet in SHEETS.values():
        for a in sheet.activities:
            named = [e.register for e in a.effects] + [f.register for f in a.form if f.type == "entry"]
            named += [a.decision.lookup.register] if a.decision and a.decision.lookup else []
            for slug in named:
                uses.setdefault(slug, set()).add(sheet.code)
    for slug, r in load_registers().items():
        fed = uses.get(slug, set()) | ({r.starts.procedure} if r.starts else set())
        assert fed, f"{slug}: ninguna actividad lo escribe ni inicia casos"
        assert fed == set(r.procedures), (slug, sorted(fed), r.procedures)
