"""Measure 4: searching cases (cases.search) on 100,000 cases.

Run by bench.run once per database, on its own fresh database, with DATABASE_URL set:
    DATABASE_URL=... python -m bench.search --json

The data follow the catalog as the inbox measure's do (random walks along each procedure's
routes, support tickets weighing most), and carry what a search reads: a subject typed by a
person, a priority, a requester with a name and a unit, the form data of every completed
activity (text built from a help desk's vocabulary, document numbers, dates, addresses), the
history events and task rows that decide who may see a case (access.visible_cases), and the
search document cases.search writes (the same form_text over the same fields), which the
database indexes as migration 0005 says. Rows are written with executemany (SQLite) or COPY
(PostgreSQL); secondary indexes are dropped and built again after loading.

Timed, as the case list and GET /api/cases run them: cases.search.count() (exact up to
COUNT_LIMIT, 1,000) plus the first page of 50, for a
coordinator (sees every case), an office technician (sees the cases of their procedures) and a
requester (their own cases), with
- text            q = one common word ("impresora"),
- text_two_words  q = two words, one without its accent ("instalacion antivirus"),
- procedure_status procedure = the support procedure, status = open,
- date_range      created in the last 30 days.
"""
from __future__ import annotations

import argparse
import json
import random
import time
from datetime import timedelta

from .common import BENCH_DIR, bulk_load, emit_json, log, server_info, stats
from .inbox import DEFAULT_HOLDERS, HOLDERS, NOW, OTHER_WEIGHT, PROCEDURE_WEIGHTS, _Clock, _routes, _walk

CASES = 100_000
MAX_STEPS = 9
REQUESTERS = 5_000
SEED = 20260402
SEARCH_P95_TARGET_MS = 100.0
SHARES = {"completed": 0.70, "open": 0.20, "cancelled": 0.07, "withdrawn": 0.03}
PRIORITIES = (("low", 0.2), ("medium", 0.6), ("high", 0.2))

BENCH_USERS = {   # username: (roles, what they see)
    "bench-coordinador": (["coord-infraestructura"], "every case"),
    "bench-tecnico": (["soporte-tecnico"], "the cases of their procedures"),
    "bench-solicitante": ([], "their own cases"),
}
QUERIES = {
    "text": {"q": "impresora"},
    "text_two_words": {"q": "instalacion antivirus"},
    "procedure_status": {"procedure": "S04.03.04.02", "status": "open"},
    "date_range": "last 30 days",
}
SLICE = 50
SERIES_MAX_ITERATIONS = 150
SERIES_MIN_ITERATIONS = 20
SERIES_BUDGET_S = 4.0
SERIES_WARMUP = 3

# --- vocabulary ------------------------------------------------------------------------------
UNITS = [
    ("digedoc", "DIGEDOC", "Dirección General de Documentación y Archivo"),
    ("digrrhh", "DIGRRHH", "Dirección General de Recursos Humanos"),
    ("digepe", "DIGEPE", "Dirección General de Personal"),
    ("oga", "OGA", "Oficina General de Administración"),
    ("ogpp", "OGPP", "Oficina General de Planeamiento y Presupuesto"),
    ("ogaj", "OGAJ", "Oficina General de Asesoría Jurídica"),
    ("occ", "OCC", "Oficina de Comunicación Corporativa"),
    ("oci", "OCI", "Órgano de Control Institucional"),
    ("dgpp", "DGPP", "Dirección General de Política y Planeamiento"),
    ("dgrrii", "DGRRII", "Dirección General de Relaciones Internacionales"),
    ("dgedn", "DGEDN", "Dirección General de Educación y Doctrina"),
    ("procuraduria", "PP", "Procuraduría Pública"),
]
FIRST = ["Ana", "Luis", "María", "José", "Rosa", "Carlos", "Lucía", "Jorge", "Carmen", "Miguel", "Elena", "Víctor",
         "Patricia", "Raúl", "Silvia", "Óscar", "Milagros", "César", "Gladys", "Andrés", "Julia", "Héctor", "Inés",
         "Fernando", "Sofía", "Ángel", "Beatriz", "Iván", "Noemí", "Martín"]
LAST = ["Quispe", "Flores", "Sánchez", "Rodríguez", "García", "Huamán", "Mamani", "Chávez", "Ramírez", "Torres",
        "Vargas", "Castillo", "Mendoza", "Rojas", "Gutiérrez", "Núñez", "Pérez", "Díaz", "Espinoza", "Cárdenas",
        "Salazar", "Paredes", "Córdova", "Ccori", "Valdivia", "Ticona", "Zegarra", "Alvarado", "Benítez", "Ñahui"]
PROBLEMS = ["No enciende", "Falla de", "Lentitud en", "Error al iniciar", "Sin acceso a", "Configuración de",
            "Instalación de", "Actualización de", "Reemplazo de", "Bloqueo de", "Reinicio de", "Solicitud de",
            "Mantenimiento de", "Revisión de", "Cambio de contraseña de", "Traslado de"]
OBJECTS = ["la impresora", "la computadora", "la laptop", "el monitor", "el correo institucional",
           "la red inalámbrica", "el sistema de trámite documentario", "el antivirus", "la VPN", "el escáner",
           "el teléfono IP", "la cuenta de usuario", "el proyector", "el servidor de archivos", "la base de datos",
           "el certificado digital", "Microsoft Office", "el navegador", "la impresora multifuncional",
           "el disco duro", "la memoria RAM", "el teclado", "el mouse", "la red cableada", "el switch del piso",
           "la carpeta compartida", "el SIAF", "el SIGA", "la página web institucional", "el sistema de planillas"]
PLACES = ["piso 1", "piso 2", "piso 3", "piso 4", "piso 5", "piso 6", "piso 7", "mesa de partes", "Despacho",
          "sala de reuniones", "auditorio", "almacén", "archivo central", "sótano"]
SENTENCES = [
    "El equipo se apaga solo después de unos minutos de uso.",
    "Aparece un mensaje de error al abrir el sistema.",
    "Se requiere la instalación del antivirus corporativo en la estación de trabajo.",
    "El usuario no puede imprimir desde su computadora.",
    "La impresora atasca el papel en la bandeja principal.",
    "Se verificó el cableado de red y el punto de red funciona correctamente.",
    "Se reinstaló el controlador y el equipo quedó operativo.",
    "Se cambió el tóner y se realizó una prueba de impresión.",
    "El correo institucional rechaza los mensajes con adjuntos grandes.",
    "Se restableció la contraseña y se comunicó al usuario por teléfono.",
    "Se coordinó con el proveedor la atención de la garantía del equipo.",
    "Se actualizó el sistema operativo y las aplicaciones de ofimática.",
    "El disco duro presenta sectores dañados; se recomienda su reemplazo.",
    "La conexión a la VPN se corta cada cierto tiempo.",
    "Se configuró el acceso a la carpeta compartida de la dirección.",
    "Se realizó el respaldo de la información antes del formateo.",
    "El monitor parpadea y muestra líneas verticales.",
    "Se instaló el certificado digital para la firma de documentos.",
    "La red inalámbrica no llega a la sala de reuniones.",
    "Se atendió de forma remota y el usuario dio su conformidad.",
    "Se elaboró el informe técnico para la baja del equipo.",
    "El servidor de archivos responde con lentitud en horas punta.",
    "Se solicitó la ampliación de memoria RAM por lentitud del equipo.",
    "Se programó el mantenimiento preventivo para el fin de semana.",
    "El proyector no reconoce la señal de la laptop.",
    "La base de datos del sistema de planillas requiere una copia de seguridad.",
    "Se revisaron los registros de auditoría sin encontrar accesos indebidos.",
    "Se habilitó el puerto del switch para el nuevo punto de red.",
    "Se entregó el equipo de reemplazo mientras dura la reparación.",
    "El usuario reporta que el sistema se cuelga al generar reportes.",
    "Se depuraron los archivos temporales y se liberó espacio en disco.",
    "Se ajustó la configuración del navegador para el portal institucional.",
    "La solicitud cuenta con la conformidad del jefe de la unidad.",
    "Se documentó el procedimiento en la base de conocimiento.",
    "Se validó la copia de seguridad restaurando una muestra de archivos.",
    "Se verificó que la cuenta no tenía accesos pendientes de revocar.",
    "El contratista realizó la visita técnica en la fecha coordinada.",
    "Se midió la señal inalámbrica en los ambientes del piso.",
    "Se actualizó el inventario con el nuevo código patrimonial.",
    "Se programó la capacitación para el personal de la unidad.",
]
DOCUMENTS = ["INFORME", "OFICIO", "MEMORÁNDUM", "INFORME TÉCNICO", "PROVEÍDO", "CARTA"]
OFFICES = ["MINDEF/SG-OGTIE", "MINDEF/SG-OGA", "MINDEF/SG", "MINDEF/DM", "MINDEF/SG-OGPP"]


COMPANIES = ["Tecnología Andina S.A.C.", "Soluciones Informáticas del Sur E.I.R.L.", "Redes y Sistemas Lima S.A.",
             "Grupo Datacom S.A.C.", "Servicios Integrales TI S.R.L.", "Inversiones Cóndor Tech S.A.C."]
SYSTEMS = ["SIAF", "SIGA", "Sistema de Trámite Documentario", "Sistema de Planillas", "Correo institucional",
           "Portal institucional", "Intranet", "Sistema de Control de Asistencia", "Mesa de ayuda", "ERP logístico"]


def _person(rnd):
    return f"{FIRST[int(rnd() * len(FIRST))]} {LAST[int(rnd() * len(LAST))]}"


def _text_value(rnd, f, year):
    """A value such as a person would type for the field, by its type and, for plain text, by what
    its key says it holds (a ticket number, a company, a person, a path...)."""
    t, key = f.type, f.key
    if t == "choice":
        return f.options[int(rnd() * len(f.options))] if f.options else "Otros"
    if t == "multichoice":
        return [f.options[int(rnd() * len(f.options))]] if f.options else []
    if t in ("integer", "port"):
        return 1 + int(rnd() * 50)
    if t == "number":
        return round(1 + rnd() * 50, 1)
    if t == "boolean":
        return rnd() < 0.8
    if t == "date":
        return f"{year}-{1 + int(rnd() * 12):02d}-{1 + int(rnd() * 28):02d}"
    if t == "datetime":
        return f"{year}-{1 + int(rnd() * 12):02d}-{1 + int(rnd() * 28):02d}T{8 + int(rnd() * 9):02d}:00"
    if t == "ipv4":
        return f"10.{10 + int(rnd() * 20)}.{int(rnd() * 255)}.{1 + int(rnd() * 250)}"
    if t == "ports":
        return "443, 8080"
    if t == "url":
        return f"https://sistemas.mindef.gob.pe/app{int(rnd() * 40)}"
    if t == "email":
        return f"usuario{int(rnd() * 5000)}@mindef.gob.pe"
    if t == "dni":
        return f"{40000000 + int(rnd() * 9999999):08d}"
    if t in ("phone", "extension"):
        return f"{1000 + int(rnd() * 8999)}"
    if t == "document":
        return (f"{DOCUMENTS[int(rnd() * len(DOCUMENTS))]} N° {1 + int(rnd() * 2000):05d}-{year}-"
                f"{OFFICES[int(rnd() * len(OFFICES))]}")
    if t in ("user", "file"):
        return None
    if t == "textarea":
        return " ".join(SENTENCES[int(rnd() * len(SENTENCES))] for _ in range(1 + int(rnd() * 2)))
    if "ticket" in key or key == "caso_soporte":
        return f"TCK-{year}-{int(rnd() * 99999):05d}"
    if any(w in key for w in ("empresa", "proveedor", "contratista")):
        return COMPANIES[int(rnd() * len(COMPANIES))]
    if "codigo" in key:
        return f"7408{int(rnd() * 99999999):08d}"
    if any(w in key for w in ("nombre", "asignado", "designado", "responsable", "personal", "visitante",
                              "encargado", "supervisor", "analista")):
        return _person(rnd)
    if "usuario" in key or "cuenta" in key:
        return f"{FIRST[int(rnd() * len(FIRST))][0].lower()}{LAST[int(rnd() * len(LAST))].lower()}"
    if any(w in key for w in ("entidad", "unidad", "oficina")):
        return UNITS[int(rnd() * len(UNITS))][2]
    if "periodo" in key:
        return f"{year}-{'I' if rnd() < 0.5 else 'II'}"
    if any(w in key for w in ("ruta", "ubicacion", "repositorio", "movido", "respaldo")):
        return f"\\\\srv-archivos\\{UNITS[int(rnd() * len(UNITS))][1]}\\{year}\\{int(rnd() * 500):03d}"
    if any(w in key for w in ("servidor", "plataforma", "sistema", "servicio", "software")):
        return SYSTEMS[int(rnd() * len(SYSTEMS))]
    if "version" in key:
        return f"v{1 + int(rnd() * 4)}.{int(rnd() * 10)}"
    if key in ("asunto", "motivo"):
        return _subject(rnd)
    return f"{PROBLEMS[int(rnd() * len(PROBLEMS))]} {OBJECTS[int(rnd() * len(OBJECTS))]}"


def _subject(rnd):
    return (f"{PROBLEMS[int(rnd() * len(PROBLEMS))]} {OBJECTS[int(rnd() * len(OBJECTS))]}"
            f" — {PLACES[int(rnd() * len(PLACES))]}")


# --- data ------------------------------------------------------------------------------------
def _users(rng):
    """Requesters (named, in units) and staff; returns (requester (id, unit id), holders by role, bench users)."""
    from django.contrib.auth import get_user_model

    from org.models import Person, Role, Unit

    User = get_user_model()
    units = [Unit(slug=s, acronym=a, name=n) for s, a, n in UNITS]
    Unit.objects.bulk_create(units)
    unit_ids = list(Unit.objects.filter(slug__in=[u[0] for u in UNITS]).values_list("id", flat=True))
    ogtie = Unit.objects.get(slug="ogtie").id
    roles = {r.slug: r for r in Role.objects.all()}
    staff = {slug: [f"{slug}-{i:02d}" for i in range(HOLDERS.get(slug, DEFAULT_HOLDERS))]
             for slug, role in roles.items() if not role.requester}
    rnd = rng.random
    people = []
    for i in range(REQUESTERS):
        first, last = FIRST[int(rnd() * len(FIRST))], f"{LAST[int(rnd() * len(LAST))]} {LAST[int(rnd() * len(LAST))]}"
        people.append((f"solicitante-{i:05d}", first, last, unit_ids[int(rnd() * len(unit_ids))]))
    people += [(n, n.split("-")[0].capitalize(), "OGTIE", ogtie) for us in staff.values() for n in us]
    people += [(name, "Bench", name.split("-")[1].capitalize(), unit_ids[0] if not roles_ else ogtie)
               for name, (roles_, _) in BENCH_USERS.items()]
    User.objects.bulk_create([User(username=u, password="!", first_name=f, last_name=l) for u, f, l, _ in people],
                             batch_size=2000)
    ids = dict(User.objects.filter(username__in=[p[0] for p in people]).values_list("username", "id"))
    Person.objects.bulk_create([Person(user_id=ids[u], unit_id=unit) for u, _, _, unit in people], batch_size=2000)
    Members = Role.members.through
    links = []
    requesters = [(ids[p[0]], p[3]) for p in people[:REQUESTERS]]
    for uid, _ in requesters:
        links.append(Members(role_id=roles["personal-mindef"].id, user_id=uid))
    holders = {slug: [ids[n] for n in us] for slug, us in staff.items()}
    for slug, us in staff.items():
        links += [Members(role_id=roles[slug].id, user_id=ids[n]) for n in us]
    for name, (slugs, _) in BENCH_USERS.items():
        links.append(Members(role_id=roles["personal-mindef"].id, user_id=ids[name]))
        for slug in slugs:
            links.append(Members(role_id=roles[slug].id, user_id=ids[name]))
            holders[slug].append(ids[name])
    requesters.append((ids["bench-solicitante"], unit_ids[0]))
    Members.objects.bulk_create(links, batch_size=5000)
    names = {ids[u]: (u, f"{f} {l}".strip()) for u, f, l, _ in people}
    unit_names = {u.id: f"{u.acronym} {u.name}" for u in Unit.objects.all()}
    return requesters, holders, names, unit_names


def generate(rng, requesters, holders, names, unit_names, suffix=""):
    """Rows for cases, started/completed events, tasks, offers and search documents."""
    from bisect import bisect
    from itertools import accumulate

    from django.conf import settings

    from cases import procedures
    from cases.search import form_text

    rnd = rng.random
    sheets = procedures.sheets()
    codes = sorted(sheets)
    cumulative = list(accumulate(PROCEDURE_WEIGHTS.get(c, OTHER_WEIGHT) for c in codes))
    walks = {code: _routes(sheet) for code, sheet in sheets.items()}
    requester_roles = procedures.requester_roles()
    default_due = settings.MAPRO_TASK_DUE_DAYS
    info = {}
    for code, sheet in sheets.items():
        for a in sheet.activities:
            name = (f"Se espera a {a.wait.party}: {a.wait.awaited}".strip().rstrip(":") if a.wait else a.name)[:300]
            requester = bool(set(a.roles) & requester_roles)
            info[code, a.n] = (name, a.role, ",".join(a.roles), tuple(a.roles), bool(a.wait), requester,
                               86400 * (a.due_days or default_due), None if requester else holders[a.role],
                               () if a.wait else a.form)
    statuses = list(SHARES)
    status_cut = list(accumulate(SHARES.values()))
    priority_cut = list(accumulate(p for _, p in PRIORITIES))
    ts = _Clock(suffix)
    now = int(NOW.timestamp())
    step = 20 * 3600
    cases, events, tasks, offers, documents = [], [], [], [], []
    task_id = event_id = 1
    n_requesters = len(requesters)
    for case_id in range(1, CASES + 1):
        code = codes[bisect(cumulative, rnd() * cumulative[-1])]
        entries, routes = walks[code]
        path, ended = _walk(entries, routes, rnd, 1 + int(rnd() * MAX_STEPS))
        status = statuses[min(bisect(status_cut, rnd()), len(statuses) - 1)]
        if status == "completed" and not ended:
            status = "open" if rnd() < 0.5 else "completed"
        is_open = status == "open"
        starter, unit = requesters[int(rnd() * n_requesters)]
        if is_open:
            created = now - int(rnd() * 20 * 86400) - step * (len(path) - 1)
        else:
            created = now - int(rnd() * 730 * 86400) - step * len(path)
        year = 2025 if created < now - 365 * 86400 else 2026
        sheet = sheets[code]
        subject = _subject(rnd)
        priority = PRIORITIES[min(bisect(priority_cut, rnd()), 2)][0]
        events.append((event_id, case_id, None, "started", None, "", "", starter, "", "{}", "", ts(created)))
        event_id += 1
        body = []
        at = created
        last = len(path) - 1
        for k, n in enumerate(path):
            name, role, roles, role_tuple, waiting, requester, due, pool, form = info[code, n]
            actor = starter if requester else pool[int(rnd() * len(pool))]
            if is_open and k == last:
                claimed = not requester and rnd() < 0.3
                assignee = actor if requester or claimed else None
                due_at = ts(at + due)
                tasks.append((task_id, case_id, code, f"00000000-0000-4000-8000-{task_id:012d}", n, waiting, name,
                              role, roles, assignee, None, "open", ts(at), ts(at + 3600) if claimed else None,
                              None, None, due_at))
                if assignee is None:
                    offers += [(task_id, r, None, code, due_at) for r in role_tuple]
            else:
                done = status in ("completed", "open") or k < last
                tasks.append((task_id, case_id, code, f"00000000-0000-4000-8000-{task_id:012d}", n, waiting, name,
                              role, roles, actor, None, "completed" if done else "cancelled", ts(at), None,
                              ts(at + step), actor if done else None, ts(at + due)))
                if done:
                    data = {}
                    for f in form:
                        value = _text_value(rnd, f, year)
                        if value is not None:
                            data[f.key] = value
                    if code == "S04.03.04.02" and n == 1:
                        data["asunto"] = subject
                    events.append((event_id, case_id, task_id, "completed", n, name, role, actor, "",
                                   json.dumps(data, ensure_ascii=False), "", ts(at + step)))
                    event_id += 1
                    text = form_text(form, data)
                    if text:
                        body.append(text)
            task_id += 1
            at += step
        updated = ts(at - step)
        closed = None if is_open else updated
        number = f"{code}-{year}-{case_id:06d}"
        cases.append((case_id, number, code, sheet.version, "", subject, priority, status, starter, unit,
                      ts(created), updated, closed, "{}", len(path)))
        username, full = names[starter]
        documents.append((case_id, number, subject, f"{username} {full}", unit_names.get(unit, ""), "\n".join(body)))
    return cases, events, tasks, offers, documents


CASE_FIELDS = ["id", "number", "procedure", "version", "start_key", "subject", "priority", "status", "started_by",
               "requester_unit", "created_at", "updated_at", "completed_at", "state", "lock_version"]
EVENT_FIELDS = ["id", "case", "task", "kind", "activity", "name", "role", "user", "decision", "data", "note",
                "created_at"]
TASK_FIELDS = ["id", "case", "procedure", "engine_id", "activity", "waiting", "name", "role", "roles", "assignee",
               "unit", "status", "created_at", "claimed_at", "completed_at", "completed_by", "due_at"]
OFFER_FIELDS = ["task", "role", "unit", "procedure", "due_at"]
SEARCH_FIELDS = ["case", "number", "subject", "requester", "unit", "body"]


def build(vendor) -> dict:
    """Write the users and 100,000 cases with their history, tasks, offers and search documents."""
    from cases.models import Case, CaseSearch, Event, Task, TaskOffer

    rng = random.Random(SEED)
    t0 = time.perf_counter()
    requesters, holders, names, unit_names = _users(rng)
    cases, events, tasks, offers, documents = generate(rng, requesters, holders, names, unit_names,
                                                       suffix="+00" if vendor == "postgresql" else "")
    writes = [(Case, CASE_FIELDS, cases), (Event, EVENT_FIELDS, events), (Task, TASK_FIELDS, tasks),
              (TaskOffer, OFFER_FIELDS, offers), (CaseSearch, SEARCH_FIELDS, documents)]
    t1 = time.perf_counter()
    log(f"  search {vendor}: " + ", ".join(f"{len(rows):,} {model.__name__}" for model, _, rows in writes)
        + f" generated in {t1 - t0:.1f} s; writing...")
    counts = {model._meta.db_table: len(rows) for model, _, rows in writes}
    counts["cases_by_status"] = {s: sum(1 for c in cases if c[7] == s) for s in SHARES}
    loaded = bulk_load(vendor, writes)
    del cases, events, tasks, offers, documents, writes
    log(f"  search {vendor}: rows written in {loaded['write_s']} s (search index included), {loaded['indexes']} "
        f"indexes in {loaded['indexes_s']} s, maintenance {loaded['maintenance_s']} s")
    return {**counts, "generate_s": round(t1 - t0, 1), "write_s": loaded["write_s"],
            "indexes_s": loaded["indexes_s"], "maintenance_s": loaded["maintenance_s"]}


# --- measure ---------------------------------------------------------------------------------
def _filters(name):
    from django.utils import timezone

    from cases.search import Filters

    if name == "date_range":
        today = timezone.localdate()
        return Filters(date_from=today - timedelta(days=30), date_to=today)
    return Filters(**QUERIES[name])


def _forget(user):
    """As a new request: the user's roles and unit are looked up again."""
    for attr in ("_mapro_role_slugs", "_mapro_unit_id"):
        user.__dict__.pop(attr, None)


def _page(user, filters):
    """What the case list and GET /api/cases run: the count (up to search.COUNT_LIMIT), then the
    first page."""
    from cases.search import count, search

    return count(user, filters)[0], list(search(user, filters)[:SLICE])


def _series(user, filters, budget_s=SERIES_BUDGET_S):
    samples, result = [], (0, [])
    started = time.perf_counter()
    i = 0
    while True:
        _forget(user)
        t0 = time.perf_counter_ns()
        result = _page(user, filters)
        elapsed = time.perf_counter_ns() - t0
        if i >= SERIES_WARMUP:
            samples.append(elapsed)
        i += 1
        n = len(samples)
        if n >= SERIES_MAX_ITERATIONS or (n >= SERIES_MIN_ITERATIONS and time.perf_counter() - started > budget_s):
            return samples, result


def _explain(vendor, user, filters) -> str:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _forget(user)
    with CaptureQueriesContext(connection) as captured:
        _page(user, filters)
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    parts = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql)
            rows = cursor.fetchall()
        plan = "\n".join(r[0] if vendor == "postgresql" else " ".join(str(c) for c in r) for r in rows)
        parts.append(f"-- {query['time']} s as run:\n{sql}\n{plan}")
    return "\n\n".join(parts)


def measure(vendor) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from cases import access
    from cases.models import Case

    results = {"counts": {"cases": Case.objects.count()}, "server": server_info(vendor), "series": {}}
    pooled = {name: [] for name in QUERIES}
    users = {name: get_user_model().objects.get(username=name) for name in BENCH_USERS}
    explains = []
    for username, user in users.items():
        _forget(user)
        visible = access.visible_cases(user).count()
        for name in QUERIES:
            filters = _filters(name)
            samples, (count, page) = _series(user, filters)
            pooled[name] += samples
            result = stats(samples)
            result.update({"user": username, "sees": BENCH_USERS[username][1], "visible_cases": visible,
                           "matching": count, "rows": len(page), "filters": filters.params()})
            result["meets_target"] = result["p95_ms"] <= SEARCH_P95_TARGET_MS
            plan = _explain(vendor, user, filters)
            explains.append(f"== {vendor} {name} {username} ({result['p95_ms']} ms p95)\n{plan}\n")
            if not result["meets_target"]:
                result["explain"] = plan
            results["series"][f"{name}.{username}"] = result
            log(f"  search {vendor} {name:16} {username:17}: p50 {result['median_ms']} ms, p95 {result['p95_ms']} ms "
                f"({count:,} of {visible:,} visible match)")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    (BENCH_DIR / f"explain-search-{vendor}.txt").write_text("\n".join(explains), encoding="utf-8")
    for name in QUERIES:
        series = [v for k, v in results["series"].items() if k.startswith(name + ".")]
        results[name] = {**stats(pooled[name]), "worst_user_p95_ms": max(v["p95_ms"] for v in series),
                         "meets_target": all(v["meets_target"] for v in series)}
    connection.close()
    return results


def main():
    from .django_setup import setup

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    parser.add_argument("--measure-only", action="store_true",
                        help="measure a database this module built before (kept with bench.run --keep)")
    parser.add_argument("--build-only", action="store_true", help="build the data and stop")
    args = parser.parse_args()
    vendor = setup()
    built = {} if args.measure_only else build(vendor)
    if args.build_only:
        return
    results = measure(vendor)
    results["build"] = built
    if args.json:
        emit_json({"vendor": vendor, "results": results})


if __name__ == "__main__":
    main()
