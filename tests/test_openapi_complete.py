"""An integrator reads /api/openapi.json and finds every endpoint the server answers, with every
method it accepts, a Spanish summary and the errors it can give; and nothing the server does not
serve. The served side is read from the URL configuration itself (every pattern under /api/) and
from the server's own answer: a method an endpoint does not accept is answered 405 with `Allow`."""
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _shape(path: str) -> str:
    """A path with each parameter, Django's <int:x> or OpenAPI's {x}, written as {}."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def _served() -> dict[str, str]:
    """{shape: route} of every URL pattern under /api/."""
    routes = [r for r in _walk(get_resolver().url_patterns) if r.startswith("api/")]
    assert len(routes) > 40, routes
    return {_shape("/" + r): r for r in routes}


def _allowed(route: str) -> set[str]:
    """The methods the endpoint accepts, as it answers an OPTIONS request (405 with Allow)."""
    path = "/" + re.sub(r"<int:[^>]+>", "1", re.sub(r"<(?:str|slug):[^>]+>", "x", route))
    response = Client().options(path)
    assert response.status_code == 405, (path, response.status_code)
    assert response.json()["error"] == "metodo_no_permitido"
    return {m.strip().lower() for m in response["Allow"].split(",")}


@pytest.fixture
def spec():
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_every_api_endpoint_and_method_the_server_answers_is_documented(spec):
    documented = {_shape(path): operations for path, operations in spec["paths"].items()}
    missing, methods = [], []
    for shape, route in sorted(_served().items()):
        if shape not in documented:
            missing.append(shape)
            continue
        allowed = _allowed(route)
        described = {m for m in documented[shape] if m in METHODS}
        if allowed != described:
            methods.append(f"{shape}: el servidor acepta {sorted(allowed)}, la descripción tiene {sorted(described)}")
    assert not missing, f"Direcciones de la API sin describir en /api/openapi.json: {missing}"
    assert not methods, methods


def test_the_description_has_no_endpoint_the_server_does_not_serve(spec):
    served = set(_served())
    stale = [path for path in spec["paths"] if _shape(path) not in served]
    assert not stale, f"Descritas pero no servidas: {stale}"


def test_every_operation_says_in_spanish_what_it_does_and_which_errors_it_gives(spec):
    problems = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            where = f"{method.upper()} {path}"
            summary = operation.get("summary", "")
            if len(summary) < 8 or not summary[0].isupper():
                problems.append(f"{where}: sin resumen")
            codes = set(operation.get("responses", {}))
            if not any(c.startswith("2") for c in codes):
                problems.append(f"{where}: sin respuesta correcta")
            if path == "/api/openapi.json":
                continue
            if operation.get("security") != [] and "401" not in codes:
                problems.append(f"{where}: no documenta 401")
            if "{" in path and "404" not in codes:
                problems.append(f"{where}: no documenta 404 (quien no puede verlo)")
            for code, answer in operation["responses"].items():
                if code[0] in "45" and answer.get("content", {}).get("application/json", {}).get("schema") != {
                        "$ref": "#/components/schemas/Error"}:
                    problems.append(f"{where}: el error {code} no es {{error, detail}}")
                if not answer.get("description"):
                    problems.append(f"{where}: la respuesta {code} no tiene descripción")
    assert not problems, problems


def test_the_documents_and_notifications_endpoints_describe_their_bodies(spec):
    paths = spec["paths"]
    draft = paths["/api/cases/{id}/documents"]["post"]
    assert draft["requestBody"]["content"]["application/json"]["schema"]["required"] == ["template"]
    assert set(draft["responses"]) >= {"201", "401", "403", "404", "422"}
    received = paths["/api/documents"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(received)
    sign = paths["/api/documents/{id}/sign"]["post"]
    assert "multipart/form-data" in sign["requestBody"]["content"] and "409" in sign["responses"]
    assert "502" in paths["/api/documents/{id}/send"]["post"]["responses"]
    assert "application/pdf" in paths["/api/documents/{id}/pdf"]["get"]["responses"]["200"]["content"]
    listed = paths["/api/notifications"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert {"unread", "results", "next"} <= set(listed["properties"])
