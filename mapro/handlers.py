"""Error responses: JSON {error, detail} under /api/, the Spanish pages everywhere else.

Django calls these for URLs that match nothing (404, e.g. /api/nope or /api/cases/abc), for
SuspiciousOperation (400), PermissionDenied (403) and any uncaught exception (500; Django has
already logged it with its traceback on the `django.request` logger by then)."""
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views import defaults


def _api(request) -> bool:
    return request.path_info.startswith("/api/")


def _json(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"error": code, "detail": detail}, status=status)


def bad_request(request, exception):
    if _api(request):
        if isinstance(exception, RequestDataTooBig):
            return _json(413, "demasiado_grande", "El cuerpo de la solicitud es demasiado grande.")
        return _json(400, "solicitud_invalida", "La solicitud no es válida.")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _api(request):
        return _json(403, "prohibido", "No tiene permiso para esta operación.")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _api(request):
        return _json(404, "no_encontrado", "No existe esa dirección en la API; vea /api/openapi.json.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _api(request):
        return _json(500, "error_interno", "Ocurrió un error en el sistema. No se perdió ningún dato confirmado; "
                                           "intente nuevamente y, si continúa, avise a la mesa de ayuda de la OGTIE.")
    return defaults.server_error(request)
