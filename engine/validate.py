"""Refuse a sheet that could not run as the manual says, naming the file and the activity."""
from __future__ import annotations

import re
from collections import Counter

from .organization import Organization
from .sheets import END, Sheet
from .vocabularies import Vocabularies, load_vocabularies

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def validate_sheet(sheet: Sheet, organization: Organization, vocabularies: Vocabularies | None = None) -> list[str]:
    """Every problem found, each as one Spanish sentence that starts with the file name.

    Deviation kinds, schedule rules and field types must be keys of catalog/vocabularies.yaml."""
    errors: list[str] = []
    vocabularies = vocabularies or load_vocabularies()

    def error(where: int | None, message: str):
        place = f"{sheet.source}: actividad {where}: " if where is not None else f"{sheet.source}: "
        errors.append(place + message)

    numbers = [a.n for a in sheet.activities]
    for n, count in Counter(numbers).items():
        if count > 1:
            error(n, f"el número se repite {count} veces")
    known = set(numbers)

    for activity in sheet.activities:
        n = activity.n
        if not activity.name:
            error(n, "falta el nombre")
        if not activity.roles:
            error(n, "falta el rol responsable")
        for role in activity.roles:
            if role not in organization.role_slugs:
                error(n, f"rol desconocido «{role}»")
        if activity.unit not in organization.unit_slugs:
            error(n, f"unidad desconocida «{activity.unit}»")
        ways_out = sum(bool(x) for x in (activity.decision, activity.parallel, activity.end, activity.next is not None))
        if ways_out > 1:
            error(n, "declara más de una salida (decisión, paralelo, fin o continuar)")
        if activity.decision:
            answers = activity.decision.answers
            if not activity.decision.question:
                error(n, "la decisión no tiene pregunta")
            if len(answers) < 2:
                error(n, "la decisión necesita al menos dos respuestas")
            for key, count in Counter(a.key for a in answers).items():
                if count > 1:
                    error(n, f"la respuesta «{key}» se repite")
        for f in activity.form:
            if f.assigns is not None and f.assigns not in known:
                error(n, f"el campo «{f.key}» asigna la actividad {f.assigns}, que no existe")
        for route in sheet.routes(n):
            if route.goto != END and route.goto not in known:
                error(n, f"destino desconocido: actividad {route.goto}")
            if route.goto == n:
                error(n, "la actividad se dirige a sí misma")
        if activity.parallel and len(activity.parallel) < 2:
            error(n, "«en paralelo» necesita al menos dos ramas")
        _validate_form(activity, error, vocabularies)

    for option in list(sheet.start) + list(sheet.schedules):
        if option.activity not in known:
            error(None, f"el inicio «{option.label}» apunta a la actividad {option.activity}, que no existe")
    for key, count in Counter(k for k, _, _ in sheet.entry_points).items():
        if count > 1:
            error(None, f"dos inicios tienen la misma etiqueta «{key}»")
    for schedule in sheet.schedules:
        if schedule.rule not in vocabularies.schedule_rules:
            error(None, f"la programación «{schedule.label}» tiene una regla desconocida «{schedule.rule}» "
                        f"(reglas de {vocabularies.source}: {', '.join(vocabularies.schedule_rules)})")
    for deviation in sheet.deviations:
        if deviation.kind not in vocabularies.deviation_kinds:
            error(None, f"la desviación de la actividad {deviation.activity if deviation.activity is not None else '—'} "
                        f"tiene un tipo desconocido «{deviation.kind}» "
                        f"(tipos de {vocabularies.source}: {', '.join(vocabularies.deviation_kinds)})")

    if errors:
        return errors
    _validate_graph(sheet, error)
    return errors


def _validate_form(activity, error, vocabularies: Vocabularies):
    seen = set()
    for f in activity.form:
        if not KEY_PATTERN.match(f.key):
            error(activity.n, f"el campo «{f.key}» debe escribirse en minúsculas, sin espacios ni tildes")
        if f.key in seen:
            error(activity.n, f"el campo «{f.key}» se repite")
        seen.add(f.key)
        if f.type not in vocabularies.field_types:
            error(activity.n, f"el campo «{f.key}» tiene un tipo desconocido «{f.type}» "
                              f"(tipos de {vocabularies.source}: {', '.join(vocabularies.field_types)})")
        if f.type == "user" and f.assigns is None:
            error(activity.n, f"el campo «{f.key}» de tipo user debe indicar qué actividad asigna (assigns)")
        if f.assigns is not None and f.type != "user":
            error(activity.n, f"el campo «{f.key}» asigna una actividad: debe ser de tipo user")
        if f.type in ("choice", "multichoice") and not f.options:
            error(activity.n, f"el campo «{f.key}» es de opciones pero no lista ninguna")


def _validate_graph(sheet: Sheet, error):
    successors = {a.n: [r.goto for r in sheet.routes(a.n)] for a in sheet.activities}

    reachable = set()
    pending = [activity for _, _, activity in sheet.entry_points]
    while pending:
        n = pending.pop()
        if n in reachable or n == END:
            continue
        reachable.add(n)
        pending.extend(successors[n])
    for activity in sheet.activities:
        if activity.n not in reachable:
            error(activity.n, "no es alcanzable desde el inicio del procedimiento")

    ends = {n for n, targets in successors.items() if END in targets}
    changed = True
    while changed:
        changed = False
        for n, targets in successors.items():
            if n not in ends and any(t in ends for t in targets):
                ends.add(n)
                changed = True
    for activity in sheet.activities:
        if activity.n in reachable and activity.n not in ends:
            error(activity.n, "ningún camino desde esta actividad llega al fin del procedimiento")

    splits = [a for a in sheet.activities if a.parallel]
    for activity in sheet.activities:
        if not activity.join:
            continue
        for branch in activity.join:
            if branch not in successors:
                error(activity.n, f"la unión espera la rama de la actividad {branch}, que no existe")
            elif activity.n not in successors[branch]:
                error(activity.n, f"la unión espera la actividad {branch}, pero esta no continúa con {activity.n}")
        if not any(_split_feeds_join(sheet, split, activity, successors) for split in splits):
            error(activity.n, "unión sin su bifurcación: ninguna actividad «en paralelo» lleva a estas ramas")


def _split_feeds_join(sheet: Sheet, split, join, successors) -> bool:
    """True when each branch of the split reaches one of the join's branches."""
    if len(split.parallel) != len(join.join):
        return False
    for start in split.parallel:
        seen, pending, hit = set(), [start], False
        while pending:
            n = pending.pop()
            if n in seen or n == END:
                continue
            seen.add(n)
            if n in join.join:
                hit = True
                break
            pending.extend(t for t in successors[n] if t != join.n)
        if not hit:
            return False
    return True


# Form field types whose values a register field of another type takes as they are.
_TEXTUAL = {"text", "textarea", "document", "user", "entry", "choice", "email", "url", "ipv4", "ports", "dni",
            "phone", "extension", "integer", "number", "date", "port"}


def _fits(form_types: set[str], register_type: str) -> bool:
    """Whether every type a form field has in the sheet can be written into the register's field."""
    if register_type in ("text", "textarea"):
        return form_types <= _TEXTUAL | {"multichoice", "datetime", "boolean"} - {"file"}
    if register_type == "document":
        return form_types <= {"document", "text"}
    return form_types <= {register_type}


def validate_registers(sheets: list[Sheet], registers: dict, organization: Organization) -> list[str]:
    """Each register on its own, and what the sheets declare about registers against them."""
    from .registers import ACTIONS, check_register

    errors = []
    roles, flags = organization.role_slugs, {"@office", "@chief", "@coordinator", "@auditor", "@everyone"}
    for r in registers.values():
        errors += check_register(r)
        for who in (*r.read, *r.write):
            if who not in roles and who not in flags:
                errors.append(f"{r.source}: «{who}» no es un rol ni un grupo (@office, @chief, @coordinator, @auditor)")
        if r.starts:
            sheet = next((s for s in sheets if s.code == r.starts.procedure), None)
            if sheet is None:
                errors.append(f"{r.source}: starts.procedure «{r.starts.procedure}» no existe")
            elif r.starts.schedule not in {key for key, _, _ in sheet.entry_points}:
                errors.append(f"{r.source}: «{r.starts.schedule}» no es un inicio de {sheet.code} "
                              f"({', '.join(key for key, _, _ in sheet.entry_points)})")
    for sheet in sheets:
        earlier = {f.key for a in sheet.activities for f in a.form}
        types_of: dict[str, set[str]] = {}
        for a in sheet.activities:
            for f in a.form:
                types_of.setdefault(f.key, set()).add(f.type)
        for a in sheet.activities:
            where = f"{sheet.source}: actividad {a.n}"
            for f in a.form:
                if f.type == "entry":
                    if f.register not in registers:
                        errors.append(f"{where}: el campo «{f.key}» elige de un registro desconocido «{f.register}»")
                    elif len(registers[f.register].key) != 1:
                        errors.append(f"{where}: el campo «{f.key}» elige de «{f.register}», cuya clave tiene varios campos")
                if f.holder and f.holder not in earlier:
                    errors.append(f"{where}: holder «{f.holder}» no es un campo de la ficha")
                if f.register and f.type != "entry":
                    errors.append(f"{where}: «register» solo aplica a campos de tipo entry")
            lookups = [a.decision.lookup] if a.decision and a.decision.lookup else []
            for lookup in lookups:
                labels = {x.label for x in a.decision.answers}
                if lookup.found not in labels or lookup.missing not in labels:
                    errors.append(f"{where}: la decisión por registro debe usar respuestas de la decisión ({', '.join(labels)})")
            for e in a.effects:
                r = registers.get(e.register)
                if r is None:
                    errors.append(f"{where}: registro desconocido «{e.register}»")
                    continue
                if e.action not in ACTIONS:
                    errors.append(f"{where}: acción «{e.action}» desconocida ({', '.join(ACTIONS)})")
                from_origin = any(form_field == "@origin" for _, form_field in e.key)
                if from_origin and not (r.starts and r.starts.procedure == sheet.code):
                    errors.append(f"{where}: «@origin» solo nombra la entrada de un cronograma que inicia {sheet.code}")
                if not from_origin and {k for k, _ in e.key} != set(r.key):
                    errors.append(f"{where}: la clave del efecto debe dar {', '.join(r.key)} de «{r.slug}»")
                for register_field, form_field in (*e.key, *e.set):
                    target = r.field(register_field)
                    if target is None:
                        errors.append(f"{where}: «{register_field}» no es un campo de «{r.slug}»")
                    if form_field in ("@today", "@case", "@origin") or form_field.startswith("@ticket"):
                        continue     # @ticket and @ticket:<link>: validate_tickets
                    if form_field not in earlier:
                        errors.append(f"{where}: «{form_field}» no es un campo de ninguna actividad de la ficha")
                    elif target is not None and not _fits(types_of[form_field], target.type):
                        errors.append(f"{where}: «{form_field}» ({'/'.join(sorted(types_of[form_field]))}) no cabe en "
                                      f"«{register_field}» ({target.type}) de «{r.slug}»")
                for register_field, _ in e.fixed:
                    if r.field(register_field) is None:
                        errors.append(f"{where}: «{register_field}» no es un campo de «{r.slug}»")
                if e.state and r.state(e.state) is None:
                    errors.append(f"{where}: el estado «{e.state}» no existe en «{r.slug}»")
                if e.action in ("assign", "return") and not (r.assigned and r.returned):
                    errors.append(f"{where}: «{r.slug}» no declara los estados assigned/returned que usa «{e.action}»")
                if e.when and (not a.decision or e.when not in {x.label for x in a.decision.answers}):
                    errors.append(f"{where}: «when: {e.when}» no es una respuesta de la decisión de la actividad")
            for lookup in lookups:
                r = registers.get(lookup.register)
                if r is None:
                    errors.append(f"{where}: la decisión consulta un registro desconocido «{lookup.register}»")
                elif {k for k, _ in lookup.key} != set(r.key):
                    errors.append(f"{where}: la consulta debe dar la clave {', '.join(r.key)} de «{r.slug}»")
    return errors


def load_ticket_categories(directory=None) -> dict[str, str]:
    """slug -> procedure code ("" when none) of the help desk's categories (catalog/helpdesk.yaml)."""
    import yaml

    from .sheets import default_catalog_dir

    path = (directory or default_catalog_dir()) / "helpdesk.yaml"
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(c["slug"]): str(c.get("procedure") or "") for c in raw.get("categories") or () if isinstance(c, dict)}


def validate_tickets(sheets: list[Sheet], organization: Organization, categories: dict[str, str]) -> list[str]:
    """The `ticket:` effects of the sheets (helpdesk.effects) against the help desk's categories,
    the roles and the sheets' own form fields; and the registers' `@ticket:<link>` sources."""
    errors = []
    roles = organization.role_slugs
    for sheet in sheets:
        types = {}
        for a in sheet.activities:
            for f in a.form:
                types.setdefault(f.key, set()).add(f.type)
        created = {t.link for a in sheet.activities for t in a.tickets if t.action == "create"}
        for a in sheet.activities:
            where = f"{sheet.source}: actividad {a.n}: ticket"
            for t in a.tickets:
                def error(message):
                    errors.append(f"{where} {t.action}: {message}")
                if t.category and t.category not in categories:
                    error(f"la categoría «{t.category}» no está en catalog/helpdesk.yaml")
                if t.team and t.team not in roles:
                    error(f"«{t.team}» no es un rol")
                if t.when and (not a.decision or t.when not in {x.label for x in a.decision.answers}):
                    error(f"«when: {t.when}» no es una respuesta de la decisión de la actividad")
                if t.assignee:
                    if t.assignee not in {f.key for f in a.form}:
                        error(f"«assignee: {t.assignee}» no es un campo del formulario de la actividad")
                    elif types[t.assignee] != {"user"}:
                        error(f"«assignee: {t.assignee}» debe ser un campo de tipo user (elegido de una lista)")
                if t.note and t.note not in types:
                    error(f"«note: {t.note}» no es un campo de ninguna actividad de la ficha")
                for name in re.findall(r"\{([a-z0-9_]+)\}", t.subject):
                    if name not in types:
                        error(f"«{{{name}}}» del asunto no es un campo de ninguna actividad de la ficha")
                if t.action == "open":
                    if t.link or t.assignee or t.team:
                        error("abre el ticket del caso: no lleva link, team ni assignee")
                    if not t.category and sheet.code not in categories.values():
                        error(f"ninguna categoría de la mesa de ayuda inicia {sheet.code}: indique «category»")
                elif t.action == "create":
                    if not t.link or not t.category:
                        error("un ticket generado necesita «link» (su nombre en la ficha) y «category»")
                    if not (t.team or t.assignee):
                        error("indique a qué equipo («team») o persona («assignee») se asigna")
                else:
                    if t.link and t.link not in created:
                        error(f"ninguna actividad genera el ticket «{t.link}» (ticket: create, link: {t.link})")
                    if t.action == "assign" and not t.team:
                        error("indique el equipo («team»); «assignee» elige a una persona de ese equipo")
                    if t.category or t.subject:
                        error("category y subject solo aplican a open y create")
            for e in a.effects:
                for _, source in (*e.key, *e.set):
                    if source.startswith("@ticket:") and source[len("@ticket:"):] not in created:
                        errors.append(f"{sheet.source}: actividad {a.n}: «{source}»: ninguna actividad genera ese ticket")
                    elif source.startswith("@ticket") and source != "@ticket" and not source.startswith("@ticket:"):
                        errors.append(f"{sheet.source}: actividad {a.n}: fuente desconocida «{source}» (@ticket o @ticket:<link>)")
    return errors


def validate_catalog(sheets: list[Sheet], organization: Organization,
                     vocabularies: Vocabularies | None = None, registers: dict | None = None,
                     categories: dict | None = None) -> list[str]:
    errors = []
    if registers is None:
        from .registers import load_registers

        registers = load_registers()
    errors += validate_registers(sheets, registers, organization)
    errors += validate_tickets(sheets, organization, load_ticket_categories() if categories is None else categories)
    codes = Counter(s.code for s in sheets)
    for code, count in codes.items():
        if count > 1:
            errors.append(f"el código {code} aparece en {count} fichas")
    for sheet in sheets:
        if sheet.source and sheet.source != f"{sheet.code}.yaml":
            errors.append(f"{sheet.source}: el archivo debe llamarse {sheet.code}.yaml")
        errors.extend(validate_sheet(sheet, organization, vocabularies))
    return errors
