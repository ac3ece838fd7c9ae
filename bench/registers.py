"""Measure 7: registers at 100,000 entries with 1,000,000 history rows (issue 8).

Run by bench.run once per database, on its own fresh database, with DATABASE_URL set:
    DATABASE_URL=... python -m bench.registers --json

The data: 100,000 entries spread over three registers of catalog/registers/ (one big one,
"Cuentas, accesos y privilegios", 65,000; the certificate devices, 20,000; the VPN users, 15,000;
another register of the catalog stands in for one that is missing), for 70,000 people (a person
holds an account, some a VPN user or a card). Values as the office types them: Spanish names,
AD accounts, DNIs, units, positions, card serials, document numbers, dates; states mostly open.
Each entry has 1 to 19 versions (10 on average, 1,000,000 Version rows): created, then updated one
field at a time, the entry's values being its last version's. The field index (FieldValue) holds
exactly what registers.actions.index_rows writes (checked against it on the first entries): one row
per field with the folded whole value, one per distinct word of the non-personal values.
Rows are written with COPY / executemany by bench.common.bulk_load.

Timed, as the entry list and GET /api/registers/{slug} run them on the big register:
registers.search.parse_filters(register, params, user), then the count and the first page of 50
(registers.search.pages(...).get_page(1), the list's cells included), for a coordinator (sees
personal data), with
- none            no filter (open entries, newest change first),
- field           one column = value (a choice: a contract type),
- text            q = one common word (a surname),
- text_rare       q = one word held by one entry (an AD account),
- text_two_words  q = a surname and a first name,
- prefix          q = the start of a surname ("quis"),
- date_range      <date field>__desde / __hasta: three months,
- state           state = a second open state (e.g. "deshabilitada"),
- person          person = a DNI,
and the entry page's history: the entry (cases.access.register_entry_for) and its versions as
registers.views.history reads them, for 30 entries in turn.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import time
from datetime import datetime, timedelta, timezone as dt_timezone

from .common import (BENCH_DIR, bulk_load, emit_json, explain_queries, log, server_info, stats,
                     timed_series)
from .search import COMPANIES, DOCUMENTS, FIRST, LAST, OFFICES, UNITS, _text_value

P95_TARGET_MS = 50.0
SEED = 20260408
# BENCH_SCALE (e.g. 0.01) shrinks the data for a quick try; the measure is at 1.
SCALE = float(os.environ.get("BENCH_SCALE") or 1)
VERSIONS = int(1_000_000 * SCALE)
PEOPLE = int(70_000 * SCALE)
STAFF = 30
# Preferred registers and their sizes; a missing one is replaced by another register of the catalog.
SPREAD = tuple((slug, int(size * SCALE)) for slug, size in
               (("cuentas-accesos", 65_000), ("dispositivos-certificado", 20_000), ("usuarios-vpn", 15_000)))
CLOSED_SHARE = 0.12
OTHER_OPEN_SHARE = 0.10           # open entries in a state other than the first open one
BENCH_USER = "bench-registros"
BENCH_ROLE = "coord-infraestructura"
HISTORY_ENTRIES = 30

SERIES_BUDGET_S = 4.0
SERIES_MAX = 150
SERIES_MIN = 20
SERIES_WARMUP = 3

NOW = datetime.now(dt_timezone.utc).replace(microsecond=0)

CARGOS = ["Analista de sistemas", "Asistente administrativo", "Especialista legal", "Secretaria", "Técnico en archivo",
          "Especialista en presupuesto", "Director general", "Jefe de oficina", "Coordinador administrativo",
          "Especialista en contrataciones", "Auxiliar de mesa de partes", "Abogado", "Contador", "Ingeniero de redes",
          "Especialista en comunicaciones", "Chofer", "Asesor", "Practicante profesional"]
ACCESOS = ["Correo institucional", "SISTRADOC", "Carpeta compartida de la unidad", "SIGA", "SIAF", "Intranet",
           "Sistema de Planillas", "Impresora de red del piso", "Sistema de Control de Asistencia", "Portal de transparencia"]
MOTIVOS = ["Cese del titular", "Tarjeta dañada", "Cambio de dependencia", "Renovación del certificado", "Pérdida del lector",
           "Término del contrato"]


# --- data ------------------------------------------------------------------------------------
def _pick(rnd, items):
    return items[int(rnd() * len(items))]


def _people(rng):
    """(DNI, name, AD account, unit) of PEOPLE distinct people."""
    rnd = rng.random
    dnis = rng.sample(range(10_000_000, 79_999_999), PEOPLE)
    accounts, people = set(), []
    for dni in dnis:
        first, last, last2 = _pick(rnd, FIRST), _pick(rnd, LAST), _pick(rnd, LAST)
        base = f"{first[0]}{last}{last2[0]}".lower()
        base = base.translate(str.maketrans("áéíóúñÁÉÍÓÚÑ", "aeiounAEIOUN")).lower()
        account, k = base, 1
        while account in accounts:
            k += 1
            account = f"{base}{k}"
        accounts.add(account)
        people.append((f"{dni:08d}", f"{first} {last} {last2}", account, _pick(rnd, UNITS)))
    return people


def _chosen(catalog_registers) -> list[tuple]:
    """[(Register, size)] of the registers measured, the big one first."""
    free = [slug for slug in sorted(catalog_registers) if slug not in dict(SPREAD)]
    chosen = []
    for slug, size in SPREAD:
        if slug not in catalog_registers:
            if not free:
                continue
            slug = free.pop(0)
        chosen.append((catalog_registers[slug], size))
    return chosen


def _date(epoch) -> str:
    return datetime.fromtimestamp(epoch, dt_timezone.utc).date().isoformat()


def _value(rnd, f, person, serial, created, closed, year):
    """A value for the field as the office would record it; None leaves it empty."""
    dni, name, account, unit = person
    key, t = f.key, f.type
    if t == "dni":
        return dni
    if key.startswith("fecha"):
        if any(w in key for w in ("baja", "cese", "devolucion", "eliminacion")):
            return _date(created + int(rnd() * 400 * 86400)) if closed else None
        if "vigencia" in key:
            return _date(created + 365 * 86400)
        return _date(created)
    if t == "choice" and f.options:
        return _pick(rnd, f.options)
    if t == "multichoice" and f.options:
        return [_pick(rnd, f.options)] if rnd() < 0.4 else None
    if key.startswith("serie"):
        return f"{'TC' if 'tarjeta' in key else 'LT'}{serial:09d}"
    if key == "nombre" or "titular" in key:
        return name
    if key in ("cuenta", "usuario_red"):
        return account
    if key == "usuario":
        return f"vpn.{account}"
    if key == "unidad":
        return f"{unit[1]} {unit[2]}"
    if key == "cargo":
        return _pick(rnd, CARGOS)
    if "modalidad" in key:
        return _pick(rnd, ("Orden de servicio", "Régimen CAS", "Decreto Legislativo 276", "Practicante"))
    if key == "accesos":
        return ", ".join(sorted({_pick(rnd, ACCESOS) for _ in range(1 + int(rnd() * 3))}))
    if "motivo" in key:
        return _pick(rnd, MOTIVOS) if closed else None
    if key == "ticket":
        return f"TK-{year}-{1 + int(rnd() * 20000):06d}"
    if "backup" in key or "ubicacion" in key:
        return f"\\\\fs01.mindef.gob.pe\\backup-pst\\{account}.pst" if closed else None
    if t == "document" or "acta" in key or "autorizado" in key or "documento" in key:
        return (f"{_pick(rnd, DOCUMENTS)} N° {1 + int(rnd() * 2000):05d}-{year}-{_pick(rnd, OFFICES)}")
    if "empresa" in key or "proveedor" in key:
        return _pick(rnd, COMPANIES)
    value = _text_value(rnd, f, year)
    return value if value not in ("", []) else None


def _index_rows(r, personal, entry_id, data, fold, words):
    """registers.actions.index_rows as tuples (entry, register, field, value)."""
    rows, seen = [], set()
    for f in r.fields:
        value = data.get(f.key)
        if value in (None, "", []):
            continue
        rows.append((entry_id, r.slug, f.key, fold(value)))
        if f.key not in personal:
            for word in words(value):
                if word not in seen:
                    seen.add(word)
                    rows.append((entry_id, r.slug, "", word))
    return rows


def _ts(epoch, suffix):
    return datetime.fromtimestamp(epoch, dt_timezone.utc).strftime("%Y-%m-%d %H:%M:%S") + suffix


def generate(rng, chosen, people, staff, suffix=""):
    """Rows for entries, versions and field-index rows."""
    from registers import catalog
    from registers.actions import _search_text

    rnd = rng.random
    fold, words = catalog.fold, catalog.words
    now = int(NOW.timestamp())
    entries, versions, values = [], [], []
    entry_id = 0
    serial = 100_000
    total = sum(size for _, size in chosen)
    # 1..19 versions each (10 on average), adjusted so that the total is exactly VERSIONS.
    counts = [1 + int(rnd() * 19) for _ in range(total)]
    drift = VERSIONS - sum(counts)
    i = 0
    while drift:
        step = 1 if drift > 0 else -1
        if 1 <= counts[i % total] + step <= 19:
            counts[i % total] += step
            drift -= step
        i += 1
    for r, size in chosen:
        personal = {f.key for f in r.fields if f.personal or f.type in ("dni", "phone")}
        open_states = [s for s in r.states if not s.closed]
        first_open = next((s for s in open_states if s.key == (r.assigned or r.initial)), open_states[0])
        others = [s for s in open_states if s is not first_open]
        closed_states = [s for s in r.states if s.closed]
        editable = [f for f in r.fields if f.key not in r.key and f.key != r.person and f.type != "dni"]
        editable_keys = {f.key for f in editable}
        for person in rng.sample(people, size):
            entry_id += 1
            serial += 1 + int(rnd() * 7)
            x = rnd()
            state = (closed_states[0] if closed_states and x < CLOSED_SHARE else
                     _pick(rnd, others) if others and x < CLOSED_SHARE + OTHER_OPEN_SHARE else first_open)
            n_versions = counts[entry_id - 1]
            created = now - 30 * 86400 - int(rnd() * 3 * 365 * 86400)
            year = datetime.fromtimestamp(created, dt_timezone.utc).year
            final = {}
            for f in r.fields:
                value = _value(rnd, f, person, serial, created, state.closed, year)
                if value is not None:
                    final[f.key] = value
            # History: created with part of the values, then one field changed per version, the
            # last one the state change; the entry's values are its last version's.
            # The versions' times: random instants between the creation and now, in order.
            times = iter(sorted(created + 60 + int(rnd() * (now - 120 - created)) for _ in range(n_versions - 1)))
            at = created
            data = {k: v for k, v in final.items() if not (k in editable_keys and rnd() < 0.3)}
            start_state = first_open.key if state.closed else state.key
            user = staff[int(rnd() * len(staff))]
            versions.append((entry_id, 1, "create", start_state, json.dumps(data, ensure_ascii=False),
                             json.dumps({k: [None, v] for k, v in data.items()}, ensure_ascii=False), user,
                             _ts(at, suffix), ""))
            for n in range(2, n_versions + 1):
                at = next(times)
                last = n == n_versions
                before = dict(data)
                if last:
                    data = dict(final)
                else:
                    f = _pick(rnd, editable) if editable else None
                    if f is not None:
                        value = _value(rnd, f, person, serial, created, False, year)
                        if value is not None:
                            data[f.key] = value
                changes = {k: [before.get(k), data.get(k)] for k in sorted(set(before) | set(data))
                           if before.get(k) != data.get(k)}
                this_state = state.key if last else start_state
                if last and this_state != start_state:
                    changes["estado"] = [start_state, this_state]
                action = "close" if last and state.closed else "update"
                versions.append((entry_id, n, action, this_state, json.dumps(data, ensure_ascii=False),
                                 json.dumps(changes, ensure_ascii=False), staff[int(rnd() * len(staff))],
                                 _ts(at, suffix), ""))
            updated = at
            if n_versions == 1:
                data = final
                versions[-1] = versions[-1][:4] + (json.dumps(final, ensure_ascii=False),) + versions[-1][5:]
            entries.append((entry_id, r.slug, catalog.natural_key(r, final), state.key, state.closed,
                            str(final.get(r.person) or "") if r.person else "", r.title_of(final)[:300],
                            json.dumps(final, ensure_ascii=False), _search_text(r, final), n_versions,
                            _ts(created, suffix), _ts(updated, suffix)))
            values += _index_rows(r, personal, entry_id, final, fold, words)
    return entries, versions, values


ENTRY_FIELDS = ["id", "register", "key", "state", "closed", "person", "title", "data", "search", "version",
                "created_at", "updated_at"]
VERSION_FIELDS = ["entry", "n", "action", "state", "data", "changes", "user", "created_at", "note"]
VALUE_FIELDS = ["entry", "register", "field", "value"]


def _check_index_rows(chosen, entries, values) -> None:
    """The index rows written are registers.actions.index_rows' for the same entries."""
    from registers.actions import index_rows
    from registers.models import Entry

    registers = {r.slug: r for r, _ in chosen}
    by_entry: dict[int, list] = {}
    for row in values[:2000]:
        by_entry.setdefault(row[0], []).append(row[1:])
    for row in entries[:20]:
        entry = Entry(pk=row[0], register=row[1], data=json.loads(row[7]))
        expected = [(v.register, v.field, v.value) for v in index_rows(registers[row[1]], entry)]
        if expected != by_entry.get(row[0]):
            raise SystemExit(f"bench.registers: the index rows of entry {row[0]} differ from index_rows()")


def _users(chosen):
    """The staff who wrote the versions and the measuring coordinator; returns the staff's ids."""
    from django.contrib.auth import get_user_model

    from org.models import Role

    User = get_user_model()
    writers = sorted({slug for r, _ in chosen for slug in r.write if not slug.startswith("@")}) or [BENCH_ROLE]
    roles = {r.slug: r for r in Role.objects.filter(slug__in=writers + [BENCH_ROLE])}
    names = [f"registrador-{i:02d}" for i in range(STAFF)]
    User.objects.bulk_create([User(username=n, password="!", first_name=f"Registrador {i}")
                              for i, n in enumerate(names)] + [User(username=BENCH_USER, password="!")])
    ids = dict(User.objects.filter(username__in=names + [BENCH_USER]).values_list("username", "id"))
    Members = Role.members.through
    links = [Members(role_id=roles[writers[i % len(writers)]].id, user_id=ids[n])
             for i, n in enumerate(names) if writers[i % len(writers)] in roles]
    links.append(Members(role_id=roles[BENCH_ROLE].id, user_id=ids[BENCH_USER]))
    Members.objects.bulk_create(links)
    return [ids[n] for n in names]


def build(vendor) -> dict:
    """Write the registers' entries, their history and their field index."""
    from registers import catalog
    from registers.models import Entry, FieldValue, Version

    rng = random.Random(SEED)
    t0 = time.perf_counter()
    chosen = _chosen(catalog.registers())
    staff = _users(chosen)
    entries, versions, values = generate(rng, chosen, _people(rng), staff,
                                         suffix="+00" if vendor == "postgresql" else "")
    _check_index_rows(chosen, entries, values)
    writes = [(Entry, ENTRY_FIELDS, entries), (Version, VERSION_FIELDS, versions), (FieldValue, VALUE_FIELDS, values)]
    t1 = time.perf_counter()
    log(f"  registers {vendor}: " + ", ".join(f"{len(rows):,} {model.__name__}" for model, _, rows in writes)
        + f" generated in {t1 - t0:.1f} s; writing...")
    counts = {model._meta.db_table: len(rows) for model, _, rows in writes}
    counts["entries_by_register"] = {r.slug: size for r, size in chosen}
    counts["open_entries"] = sum(1 for e in entries if not e[4])
    loaded = bulk_load(vendor, writes)
    del entries, versions, values, writes
    log(f"  registers {vendor}: rows written in {loaded['write_s']} s, {loaded['indexes']} indexes in "
        f"{loaded['indexes_s']} s, maintenance {loaded['maintenance_s']} s")
    return {**counts, "generate_s": round(t1 - t0, 1), "write_s": loaded["write_s"],
            "indexes_s": loaded["indexes_s"], "maintenance_s": loaded["maintenance_s"]}


# --- measure ---------------------------------------------------------------------------------
QUERIES = ("none", "field", "text", "text_rare", "text_two_words", "prefix", "date_range", "state", "person")


def _params(r) -> dict:
    """The URL parameters of each query, from the register's declaration and its data."""
    from registers.models import Entry

    found = {"none": {}, "text": {"q": "mamani"}, "text_two_words": {"q": "rosa mamani"}, "prefix": {"q": "quis"}}
    choice = next((f for f in r.fields if f.type == "choice" and f.options), None)
    if choice is not None:
        found["field"] = {choice.key: choice.options[min(1, len(choice.options) - 1)]}
    middle = (Entry.objects.filter(register=r.slug, closed=False).order_by("id")
              .values_list("key", "person")[Entry.objects.filter(register=r.slug).count() // 2])
    found["text_rare"] = {"q": middle[0].split(" | ")[0]}
    day = next((f for f in r.fields if f.type == "date"), None)
    if day is not None:
        today = NOW.date()
        found["date_range"] = {day.key + "__desde": (today - timedelta(days=400)).isoformat(),
                               day.key + "__hasta": (today - timedelta(days=310)).isoformat()}
    default = r.assigned or r.initial
    other = next((s for s in r.states if not s.closed and s.key != default and s.key != r.states[0].key), None) \
        or next((s for s in r.states if not s.closed and s.key != default), None)
    if other is not None:
        found["state"] = {"state": other.key}
    if r.person and middle[1]:
        found["person"] = {"person": middle[1]}
    return {name: found[name] for name in QUERIES if name in found}


def _forget(user):
    for attr in ("_mapro_role_slugs", "_mapro_unit_id"):
        user.__dict__.pop(attr, None)


def _list_page(r, params, user):
    """What the entry list and GET /api/registers/{slug} run: parse, count, first page, cells."""
    from cases import access
    from registers import search

    filters = search.parse_filters(r, params, user)
    personal = access.sees_register_personal_data(user, r)
    page = search.pages(r, filters).get_page(1)
    rows = [search.row(r, entry, personal) for entry in page.object_list]
    return page.paginator.count, len(rows)


def _history(user, slug, entry_id):
    """The entry page's reads: the entry, then its versions as registers.views.history reads them."""
    from cases import access
    from registers import views

    r, entry = access.register_entry_for(user, slug, entry_id)
    return len(views.history(user, r, entry))


def _result(samples, extra):
    result = stats(samples)
    result.update(extra)
    result["meets_target"] = result["p95_ms"] <= P95_TARGET_MS
    return result


def measure(vendor) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count

    from registers import catalog
    from registers.models import Entry, FieldValue, Version

    user = get_user_model().objects.get(username=BENCH_USER)
    chosen = _chosen(catalog.registers())
    r = chosen[0][0]
    results = {"counts": {"entries": Entry.objects.count(), "versions": Version.objects.count(),
                          "field_values": FieldValue.objects.count(),
                          "register": r.slug, "register_entries": Entry.objects.filter(register=r.slug).count()},
               "server": server_info(vendor), "series": {}}
    explains = []
    for name, params in _params(r).items():
        samples, (matching, rows) = timed_series(lambda: _list_page(r, params, user), before=lambda: _forget(user),
                                                 budget_s=SERIES_BUDGET_S, warmup=SERIES_WARMUP, min_n=SERIES_MIN,
                                                 max_n=SERIES_MAX)
        result = _result(samples, {"params": params, "matching": matching, "rows": rows})
        _forget(user)
        plan = explain_queries(vendor, lambda: _list_page(r, params, user))
        explains.append(f"== {vendor} {name} {params} ({result['p95_ms']} ms p95)\n{plan}\n")
        if not result["meets_target"]:
            result["explain"] = plan
        results["series"][name] = result
        log(f"  registers {vendor} {name:15}: p50 {result['median_ms']} ms, p95 {result['p95_ms']} ms "
            f"({matching:,} match, {rows} listed) {params}")
    # The entry page's history: 30 entries of the big register in turn, all their versions.
    rng = random.Random(SEED)
    ids = list(Entry.objects.filter(register=r.slug).values_list("id", flat=True))
    picked = rng.sample(ids, HISTORY_ENTRIES)
    turn = iter(range(10**9))
    samples, _ = timed_series(lambda: _history(user, r.slug, picked[next(turn) % len(picked)]),
                              before=lambda: _forget(user), budget_s=SERIES_BUDGET_S, warmup=SERIES_WARMUP,
                              min_n=SERIES_MIN, max_n=SERIES_MAX)
    lengths = dict(Version.objects.filter(entry_id__in=picked).values_list("entry_id").annotate(n=Count("id"))
                   .order_by())
    heaviest = max(picked, key=lambda pk: lengths.get(pk, 0))
    result = _result(samples, {"entries": len(picked), "versions_mean": round(sum(lengths.values()) / len(picked), 1),
                               "versions_max": max(lengths.values())})
    _forget(user)
    plan = explain_queries(vendor, lambda: _history(user, r.slug, heaviest))
    explains.append(f"== {vendor} history entry {heaviest} ({result['p95_ms']} ms p95)\n{plan}\n")
    if not result["meets_target"]:
        result["explain"] = plan
    results["series"]["history"] = result
    log(f"  registers {vendor} {'history':15}: p50 {result['median_ms']} ms, p95 {result['p95_ms']} ms "
        f"({result['versions_mean']} versions on average)")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    (BENCH_DIR / f"explain-registers-{vendor}.txt").write_text("\n".join(explains), encoding="utf-8")
    results["meets_target"] = all(v["meets_target"] for v in results["series"].values())
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
