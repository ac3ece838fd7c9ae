"""JSON API for integrations. Thin: every rule lives in cases.workflow."""
import json
from functools import wraps

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from cases import access, procedures, search, workflow
from cases.models import Case
from engine.export import sheet_detail
from engine.forms import json_schema
from org import second_factor, signin
from org.directory import DIRECTORY_DOWN
from org.models import Role, role_slugs

from . import idempotency
from .completion import decision_register
from .models import ApiToken
from .openapi import OPENAPI


def error(status: int, code: str, detail: str, errors: dict | None = None) -> JsonResponse:
    body = {"error": code, "detail": detail}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status)


class TooLarge(workflow.WorkflowError):
    status, code = 413, "demasiado_grande"


# Body keys that are text wherever the API takes them; anything else there (a list, an object, a
# number) is refused here, once, instead of in each view (`decision: ["Sí"]` used to pass).
TEXT_KEYS = frozenset({"username", "password", "otp", "procedure", "start", "subject", "priority", "reason",
                       "assignee", "decision"})
# Form data is an object of scalars and lists of scalars; nothing the API takes is deeper than this.
MAX_DEPTH = 16


def _unstorable(text: str) -> bool:
    """NUL (PostgreSQL refuses it in text) or a lone surrogate (not UTF-8: breaks every page that
    later shows it)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _refuse_constant(name):
    raise workflow.Invalid(f"{name} no es un número JSON válido; envíe un número finito o texto.")


def _check_tree(body) -> None:
    """Refuse characters the database cannot store and nesting deeper than MAX_DEPTH, naming the
    field (`data.detalle`, `data.equipos[2]`). Iterative: the depth is what is being checked."""
    stack = [(body, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise workflow.Invalid("El cuerpo de la solicitud anida demasiados niveles.", {where or "cuerpo": "demasiado anidado"})
        if isinstance(value, str):
            if _unstorable(value):
                raise workflow.Invalid(f"«{where}» contiene caracteres no permitidos (NUL o sustitutos UTF-16 sueltos).",
                                       {where: "caracteres no permitidos"})
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{where}.{key}" if where else key
                if _unstorable(key):
                    raise workflow.Invalid("Un nombre de campo contiene caracteres no permitidos.",
                                           {(where or "cuerpo"): "nombre de campo no permitido"})
                stack.append((item, name, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value))


def _body(request) -> dict:
    """The request's JSON object, checked once for every view: valid UTF-8 JSON, an object, no NaN
    or Infinity, no NUL or lone surrogates, not absurdly nested, text where the API expects text."""
    try:
        raw = request.body
    except RequestDataTooBig:
        raise TooLarge(f"El cuerpo de la solicitud supera el máximo de "
                       f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024} KB.") from None
    if not raw:
        return {}
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise workflow.Invalid("El cuerpo de la solicitud anida demasiados niveles.", {"cuerpo": "demasiado anidado"}) from None
    except (ValueError, UnicodeDecodeError):
        raise workflow.Invalid("El cuerpo de la solicitud no es JSON válido.") from None
    if not isinstance(body, dict):
        raise workflow.Invalid("El cuerpo de la solicitud debe ser un objeto JSON.")
    _check_tree(body)
    for key in TEXT_KEYS & body.keys():
        if body[key] is not None and not isinstance(body[key], str):
            raise workflow.Invalid(f"«{key}» debe ser texto.", {key: "debe ser texto"})
    return body


def _check_query(request) -> None:
    """Query parameters reach database filters: refuse NUL and other unstorable text up front."""
    for key, values in request.GET.lists():
        if _unstorable(key) or any(_unstorable(v) for v in values):
            raise workflow.Invalid(f"El parámetro «{key}» contiene caracteres no permitidos.",
                                   {key: "caracteres no permitidos"})


def _bearer(request):
    """The ApiToken named by `Authorization: Bearer <token>`, if valid."""
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    return ApiToken.valid(key.strip()) if scheme.lower() == "bearer" and key.strip() else None


def api_view(*methods, auth=True, idempotent=False):
    """JSON errors in Spanish (405 included), bearer-token authentication, no CSRF (tokens are not
    cookies). 404 for unknown paths and 500 come from mapro.handlers, also as JSON under /api/.

    idempotent=True: a POST carrying an `Idempotency-Key` header runs at most once per user and key;
    a retry gets the first answer back (api/idempotency.py)."""
    allowed = ", ".join(methods)

    def decorate(view):
        def respond(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except workflow.WorkflowError as exc:
                return error(exc.status, exc.code, exc.detail, exc.errors)

        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                response = error(405, "metodo_no_permitido",
                                 f"El método {request.method} no se admite aquí; use {allowed}.")
                response["Allow"] = allowed
                return response
            if auth:
                token = _bearer(request)
                if token is None:
                    return error(401, "no_autenticado", "Falta un token válido: Authorization: Bearer <token>.")
                request.user, request.api_token = token.user, token
            try:
                _check_query(request)
                if idempotent and request.method == "POST" and idempotency.HEADER in request.headers:
                    return idempotency.run(request, lambda: respond(request, *args, **kwargs))
                return respond(request, *args, **kwargs)
            except workflow.WorkflowError as exc:
                return error(exc.status, exc.code, exc.detail, exc.errors)
            except RequestDataTooBig:  # a view that reads request.POST or FILES itself
                return error(413, "demasiado_grande", "El cuerpo de la solicitud es demasiado grande.")

        return wrapper

    return decorate


def task_json(task, user) -> dict:
    view = workflow.describe(task, user)  # the form and decision the caller would be shown
    return {
        "id": task.pk,
        "case": task.case_id,
        "case_number": task.case.number,
        "procedure": task.procedure,
        "activity": task.activity,
        "name": task.name,
        "role": task.role,
        "roles": view.roles,
        "assignee": task.assignee.username if task.assignee_id else None,
        "status": task.status,
        "waiting": task.waiting,
        "decisions": [a.label for a in view.decision.answers] if view.decision else [],
        "decision_register": decision_register(view.decision),
        # `user` fields list who may be named in them (oneOf), for an open task.
        "form": json_schema(view.fields, view.people if task.is_open else None),
        "due_at": task.due_at.isoformat(),
        # What the task's case is about and for whom (joined by the task lists' own query).
        "case_subject": task.case.subject,
        "case_priority": task.case.priority,
        "case_requester": access.display_name(task.case.started_by),
        "case_requester_unit": _unit(task.case),
    }


def _unit(case) -> str | None:
    return case.requester_unit.acronym if case.requester_unit_id else None


API_PAGE_SIZE = 50


def case_summary(case: Case) -> dict:
    """A case in a list: what it is about, who asked and from which unit, how urgent."""
    return {
        "id": case.pk,
        "number": case.number,
        "procedure": case.procedure,
        "status": case.status,
        "subject": case.subject,
        "requester": access.display_name(case.started_by),
        "unit": _unit(case),
        "priority": case.priority,
        "created_at": case.created_at.isoformat(),
    }


def case_json(case: Case, user) -> dict:
    sheet = procedures.sheet(case.procedure, case.version)
    personal = access.sees_personal_data(user, case)

    def shown(e):
        if personal or not e.data or not (e.activity and sheet.has_activity(e.activity)):
            return e.data
        return access.mask_data(e.data, sheet.activity(e.activity).form)

    history = [
        {
            "activity": e.activity,
            "name": e.name,
            "role": e.role,
            "user": e.user.username if e.user_id else None,
            "decision": e.decision or None,
            "data": shown(e),
            "completed_at": e.created_at.isoformat(),
        }
        for e in case.events.filter(kind="completed").select_related("user")
    ]
    open_tasks = case.tasks.filter(status="open").select_related(*workflow.LISTED_CASE, "assignee").order_by("activity", "id")
    return {
        "id": case.pk,
        "number": case.number,
        "procedure": case.procedure,
        "version": case.version,
        "status": case.status,
        "started_by": case.started_by.username,
        "subject": case.subject,
        "priority": case.priority,
        "requester": access.display_name(case.started_by),
        "requester_unit": _unit(case),
        "created_at": case.created_at.isoformat(),
        "completed_at": case.completed_at.isoformat() if case.completed_at else None,
        "history": history,
        "open_tasks": [task_json(t, user) for t in open_tasks],
        **case_file_json(case, user),
    }


def case_file_json(case: Case, user) -> dict:
    """The case's conversation and attachments, as the user may see them (api/casefile.py)."""
    from cases import casefile

    from .casefile import attachment_json, comment_json

    return {
        "comments": [comment_json(c) for c in casefile.comments_for(user, case)],
        "attachments": [attachment_json(a) for a in casefile.attachments_for(user, case)],
    }


@api_view("POST", auth=False)
def token(request):
    body = _body(request)
    user = authenticate(request, username=body.get("username") or "", password=body.get("password") or "")
    if user is None:
        until = getattr(request, "mapro_signin_locked", None)
        if until:  # too many failures for this username or address (org.signin)
            response = error(429, "demasiados_intentos", signin.locked_message())
            response["Retry-After"] = str(max(1, int((until - timezone.now()).total_seconds()) + 1))
            return response
        if getattr(request, "mapro_directory_down", None):  # not a wrong password (org.directory)
            return error(503, "directorio_no_disponible", DIRECTORY_DOWN)
        return error(401, "credenciales_invalidas", "Usuario o contraseña incorrectos.")
    if second_factor.required(user):
        # Administrators, the chief and the coordinators: the code of their device too (org.second_factor).
        if not second_factor.has_device(user):
            return error(401, "otp_requerido", "Su cuenta requiere la verificación en dos pasos y aún no la ha "
                                               "activado: ingrese primero por la web para activarla.")
        if not body.get("otp"):
            return error(401, "otp_requerido", "Su cuenta requiere además el código de 6 dígitos de su "
                                               "aplicación de autenticación: envíelo en «otp».")
        if second_factor.check(request, user, body["otp"]) is None:
            return error(401, "otp_invalido", "El código de verificación no es válido.")
    return JsonResponse({"token": _issue_token(request, user)})


def _issue_token(request, user) -> str:
    """A new token for the user and its audit entry ("token.issued": the API's sign-in), together."""
    import audit
    from django.db import transaction

    from .models import _digest

    with transaction.atomic():
        key = ApiToken.issue(user)
        issued = ApiToken.objects.only("pk", "expires_at").get(digest=_digest(key))
        audit.record("token.issued", actor=user, obj=issued, label=user.username, request=request,
                     after={"token": issued.pk, "expires_at": issued.expires_at})
    return key


def _revoke_token(request, token_id) -> bool:
    """Revoke one of the caller's tokens, with its audit entry; False if it is not theirs."""
    import audit
    from django.db import transaction

    with transaction.atomic():
        deleted, _ = ApiToken.objects.filter(pk=token_id, user=request.user).delete()
        if deleted:
            audit.record("token.revoked", actor=request.user, object_type="token", object_id=token_id,
                         label=request.user.username, request=request,
                         after={"token": token_id, "current": token_id == request.api_token.pk})
    return bool(deleted)


def token_json(token, current) -> dict:
    return {
        "id": token.pk,
        "created_at": token.created_at.isoformat(),
        "expires_at": token.expires_at.isoformat(),
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "current": token.pk == current.pk,
    }


@api_view("POST")
def token_logout(request):
    """Revoke the token this request came with."""
    _revoke_token(request, request.api_token.pk)
    return HttpResponse(status=204)


@api_view("GET")
def token_list(request):
    """The caller's tokens that still work (never their secrets)."""
    return JsonResponse([token_json(t, request.api_token) for t in ApiToken.live_for(request.user)], safe=False)


@api_view("DELETE")
def token_revoke(request, token_id):
    # Someone else's token is "not found" too: its number is nobody's business.
    if not _revoke_token(request, token_id):
        return error(404, "no_encontrado", f"No existe el token {token_id} entre los suyos.")
    return HttpResponse(status=204)


@api_view("GET")
def roles(request):
    data = [{"slug": r.slug, "name": r.name, "unit": r.unit.slug} for r in Role.objects.select_related("unit")]
    return JsonResponse(data, safe=False)


@api_view("GET")
def procedure_list(request):
    mine = role_slugs(request.user)
    data = [
        {"code": s.code, "version": s.version, "name": s.name, "startable": procedures.can_start(mine, s)}
        for s in procedures.sheets().values()
    ]
    return JsonResponse(data, safe=False)


@api_view("GET")
def procedure_detail(request, code):
    try:
        s = procedures.sheet(code)
    except procedures.UnknownProcedure:
        return error(404, "no_encontrado", f"No existe el procedimiento {code}.")
    detail = sheet_detail(s)
    # Every way to start that the caller may use, with the key POST /api/cases takes as "start"
    # (omit "start" when there is only one).
    mine = role_slugs(request.user)
    several = len(s.entry_points) > 1
    detail["start"] = [
        {"key": key, "label": label, "activity": n, "schedule": any(sch.key == key for sch in s.schedules),
         "data_accepted": workflow.start_form(request.user, s, key) is not None}
        for key, label, n in s.entry_points if procedures.can_start(mine, s, key if several else None)
    ]
    return JsonResponse(detail)


@api_view("GET", "POST", idempotent=True)
def case_create(request):
    """GET: the cases the caller may see, searched and paged; POST: start a case."""
    if request.method == "GET":
        return _case_list(request)
    body = _body(request)
    if not body.get("procedure"):
        raise workflow.Invalid("Indique el procedimiento.", {"procedure": "obligatorio"})
    case = workflow.start_case(request.user, str(body["procedure"]), body.get("start"), body.get("data"),
                               subject=body.get("subject") or "", priority=body.get("priority"))
    from .completion import completion_json   # the case as GET /api/cases/{id} shows it, built lean

    data = completion_json(case, request.user)
    return JsonResponse({k: data[k] for k in ("id", "number", "procedure", "version", "status", "open_tasks")}, status=201)


def _case_list(request):
    """GET /api/cases?q=&procedure=&status=&requester=&unit=&from=&to=&page= (50 a page)."""
    try:
        filters, _ = search.parse_filters(request.GET)
        page = search.parse_page(request.GET.get("page"))
    except search.BadFilter as exc:
        raise workflow.Invalid(exc.detail, {exc.param: "inválido"}) from None
    cases = search.search(request.user, filters)
    count, exact = search.count(request.user, filters)   # exact up to search.COUNT_LIMIT
    start = (page - 1) * API_PAGE_SIZE
    rows = list(cases[start:start + API_PAGE_SIZE + 1])   # one more: is there a next page?
    return JsonResponse({
        "count": count, "count_exact": exact, "page": page, "page_size": API_PAGE_SIZE,
        "next": page + 1 if len(rows) > API_PAGE_SIZE else None,
        "previous": page - 1 if page > 1 else None,
        "results": [case_summary(c) for c in rows[:API_PAGE_SIZE]],
    })


@api_view("GET")
def case_detail(request, case_id):
    import audit

    case = access.case_for(request.user, case_id)
    audit.personal_data_shown(request, case)
    return JsonResponse(case_json(case, request.user))


@api_view("POST")
def case_cancel(request, case_id):
    body = _body(request)
    case = workflow.cancel_case(case_id, request.user, str(body.get("reason", "")))
    return JsonResponse(case_json(case, request.user))


@api_view("GET")
def task_list(request):
    scope = request.GET.get("scope", "mine")
    q = " ".join(str(request.GET.get("q", "")).split())[:search.MAX_QUERY_LENGTH]
    tasks = workflow.inbox(request.user, scope, request.GET.get("procedure"), q=q)
    tasks = tasks[:500]
    return JsonResponse([task_json(t, request.user) for t in tasks], safe=False)


@api_view("GET")
def task_detail(request, task_id):
    return JsonResponse(task_json(access.task_for(request.user, task_id), request.user))


@api_view("POST")
def task_claim(request, task_id):
    task = workflow.claim_task(task_id, request.user)
    return JsonResponse(task_json(task, request.user))


@api_view("POST")
def task_release(request, task_id):
    task = workflow.release_task(task_id, request.user)
    return JsonResponse(task_json(task, request.user))


@api_view("POST")
def task_reassign(request, task_id):
    body = _body(request)
    task = workflow.reassign_task(task_id, request.user, str(body.get("assignee", "")))
    return JsonResponse(task_json(task, request.user))


@api_view("POST", idempotent=True)
def task_complete(request, task_id):
    body = _body(request)
    data = body.get("data") or {}
    case = workflow.complete_task(task_id, request.user, data, body.get("decision"))
    # The case as GET /api/cases/{id} shows it, without rebuilding it from scratch (api/completion.py).
    from .completion import completion_json

    return JsonResponse(completion_json(case, request.user))


@api_view("GET", auth=False)
def openapi(request):
    return JsonResponse(OPENAPI)
