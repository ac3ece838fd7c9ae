"""OpenAPI 3.1 description of the JSON API (served at /api/openapi.json)."""

_ERROR = {"$ref": "#/components/schemas/Error"}


_TEXTS = {400: "Solicitud inválida", 401: "No autenticado", 403: "No corresponde a sus roles",
          404: "No existe", 409: "Conflicto (ya atendida o tomada por otra persona)", 413: "Cuerpo demasiado grande",
          422: "Datos o decisión inválidos (errors nombra el campo)",
          429: "Demasiados intentos fallidos para ese usuario o dirección (Retry-After dice cuántos segundos esperar)",
          500: "Error del sistema"}


def _responses(ok_schema, *codes, ok="200"):
    responses = {ok: {"description": "Correcto", "content": {"application/json": {"schema": ok_schema}}}}
    for code in codes:
        responses[str(code)] = {"description": _TEXTS[code], "content": {"application/json": {"schema": _ERROR}}}
    return responses


def _id(name):
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


OPENAPI = {
    "openapi": "3.1.0",
    "info": {
        "title": "mapro API",
        "version": "1.0",
        "description": (
            "Procedimientos del MAPRO S04 como casos: catálogo, casos, bandeja de tareas.\n\n"
            "Tokens: POST /api/auth/token da un token Bearer que vence a las MAPRO_API_TOKEN_TTL_HOURS horas; "
            "se guarda solo su SHA-256. Deja de valer al cambiar la contraseña, al desactivarse la cuenta y con "
            "POST /api/auth/logout; su dueño los lista (GET /api/auth/tokens) y revoca (DELETE /api/auth/tokens/{id}). "
            "Cada persona tiene como máximo MAPRO_API_TOKENS_PER_USER (10) vigentes: uno más revoca el más antiguo. "
            "Tras 5 intentos fallidos en 15 minutos para un usuario (en la web o la API), se rechazan sus intentos "
            "durante 15 minutos con 429, aun con la contraseña correcta.\n\n"
            "Errores: siempre JSON {error, detail} con detail en español, también 404 de direcciones inexistentes, "
            "405 (método no admitido, con Allow), 413 y 500. Los cuerpos deben ser un objeto JSON: sin NaN ni "
            "Infinity, sin caracteres NUL ni sustitutos UTF-16 sueltos, con a lo sumo 16 niveles de anidación, y "
            "texto en username, password, procedure, start, subject, priority, reason, assignee y decision; si no, 422."
        ),
    },
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error", "detail"],
                "properties": {
                    "error": {"type": "string"},
                    "detail": {"type": "string", "description": "Mensaje en español"},
                    "errors": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
            "Token": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"}, "created_at": {"type": "string", "format": "date-time"},
                    "expires_at": {"type": "string", "format": "date-time"},
                    "last_used_at": {"type": ["string", "null"], "format": "date-time", "description": "Al minuto"},
                    "current": {"type": "boolean", "description": "Es el token de esta llamada"},
                },
            },
            "Role": {"type": "object", "properties": {"slug": {"type": "string"}, "name": {"type": "string"}, "unit": {"type": "string"}}},
            "ProcedureSummary": {
                "type": "object",
                "properties": {"code": {"type": "string"}, "version": {"type": "integer"}, "name": {"type": "string"}, "startable": {"type": "boolean"}},
            },
            "Procedure": {
                "type": "object",
                "description": "La ficha completa, con actividades, decisiones, formularios y desviaciones.",
                "properties": {
                    "code": {"type": "string"}, "version": {"type": "integer"}, "name": {"type": "string"},
                    "objective": {"type": "string"},
                    "start": {"type": "array", "description": "Cada forma de iniciar que el solicitante puede usar (bloques «Inicio:» y trabajo periódico)", "items": {"type": "object", "properties": {
                        "key": {"type": "string", "description": "Valor de «start» en POST /api/cases"}, "label": {"type": "string"},
                        "activity": {"type": "integer"}, "schedule": {"type": "boolean"},
                        "data_accepted": {"type": "boolean", "description": "Si la primera actividad le corresponde y puede enviar «data»"}}}},
                    "activities": {"type": "array", "items": {"type": "object"}},
                    "deviations": {"type": "array", "items": {"type": "object"}},
                },
            },
            "Task": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"}, "case": {"type": "integer"}, "case_number": {"type": "string"},
                    "procedure": {"type": "string"}, "activity": {"type": "integer", "description": "Número de la actividad en el manual"},
                    "name": {"type": "string"}, "role": {"type": "string"}, "roles": {"type": "array", "items": {"type": "string"}},
                    "assignee": {"type": ["string", "null"]}, "status": {"type": "string", "enum": ["open", "completed", "cancelled"]},
                    "waiting": {"type": "boolean"},
                    "decisions": {"type": "array", "items": {"type": "string"}},
                    "form": {"type": "object", "description": "JSON Schema de los datos a enviar"},
                    "due_at": {"type": "string", "format": "date-time"},
                    "case_subject": {"type": "string", "description": "Asunto del caso"},
                    "case_priority": {"type": "string", "enum": ["low", "medium", "high"]},
                    "case_requester": {"type": "string", "description": "Nombre completo (o usuario) de quien inició el caso"},
                    "case_requester_unit": {"type": ["string", "null"], "description": "Sigla de la unidad solicitante"},
                },
            },
            "HistoryEntry": {
                "type": "object",
                "properties": {
                    "activity": {"type": "integer"}, "name": {"type": "string"}, "role": {"type": "string"},
                    "user": {"type": ["string", "null"]}, "decision": {"type": ["string", "null"]},
                    "data": {"type": "object"}, "completed_at": {"type": "string", "format": "date-time"},
                },
            },
            "CaseSummary": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"}, "number": {"type": "string"}, "procedure": {"type": "string"},
                    "status": {"type": "string", "enum": ["open", "completed", "cancelled", "withdrawn"]},
                    "subject": {"type": "string"},
                    "requester": {"type": "string", "description": "Nombre completo (o usuario) de quien inició el caso"},
                    "unit": {"type": ["string", "null"], "description": "Sigla de la unidad solicitante"},
                    "priority": {"type": "string", "enum": ["low", "medium", "high"]},
                    "created_at": {"type": "string", "format": "date-time"},
                },
            },
            "CaseList": {
                "type": "object",
                "properties": {
                    "count": {"type": "integer", "description": "Casos que coinciden (todas las páginas)"},
                    "page": {"type": "integer"}, "page_size": {"type": "integer", "const": 50},
                    "next": {"type": ["integer", "null"]}, "previous": {"type": ["integer", "null"]},
                    "results": {"type": "array", "items": {"$ref": "#/components/schemas/CaseSummary"}},
                },
            },
            "Case": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"}, "number": {"type": "string"}, "procedure": {"type": "string"},
                    "version": {"type": "integer"}, "status": {"type": "string", "enum": ["open", "completed", "cancelled", "withdrawn"]},
                    "subject": {"type": "string"}, "priority": {"type": "string", "enum": ["low", "medium", "high"]},
                    "requester": {"type": "string", "description": "Nombre completo (o usuario) de quien inició el caso"},
                    "requester_unit": {"type": ["string", "null"], "description": "Sigla de la unidad solicitante"},
                    "history": {"type": "array", "items": {"$ref": "#/components/schemas/HistoryEntry"}},
                    "open_tasks": {"type": "array", "items": {"$ref": "#/components/schemas/Task"}},
                },
            },
        },
    },
    "paths": {
        "/api/auth/token": {
            "post": {
                "summary": "Obtener un token",
                "security": [],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["username", "password"],
                    "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}},
                "responses": _responses({"type": "object", "properties": {"token": {"type": "string"}}}, 401, 422, 429),
            }
        },
        "/api/auth/logout": {
            "post": {
                "summary": "Cerrar sesión: revoca el token con el que se llama",
                "responses": {"204": {"description": "Token revocado"},
                              "401": {"description": _TEXTS[401], "content": {"application/json": {"schema": _ERROR}}}},
            }
        },
        "/api/auth/tokens": {
            "get": {
                "summary": "Mis tokens vigentes (nunca el secreto)",
                "responses": _responses({"type": "array", "items": {"$ref": "#/components/schemas/Token"}}, 401),
            }
        },
        "/api/auth/tokens/{id}": {
            "delete": {
                "summary": "Revocar uno de mis tokens",
                "parameters": [_id("id")],
                "responses": {"204": {"description": "Token revocado"},
                              **{str(c): {"description": _TEXTS[c], "content": {"application/json": {"schema": _ERROR}}}
                                 for c in (401, 404)}},
            }
        },
        "/api/roles": {"get": {"summary": "Roles del manual", "responses": _responses({"type": "array", "items": {"$ref": "#/components/schemas/Role"}}, 401)}},
        "/api/procedures": {"get": {"summary": "Catálogo de procedimientos", "responses": _responses({"type": "array", "items": {"$ref": "#/components/schemas/ProcedureSummary"}}, 401)}},
        "/api/procedures/{code}": {
            "get": {
                "summary": "Ficha de un procedimiento",
                "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": _responses({"$ref": "#/components/schemas/Procedure"}, 401, 404),
            }
        },
        "/api/cases": {
            "get": {
                "summary": "Buscar casos",
                "description": ("Solo los casos que quien consulta puede ver, del más reciente al más antiguo, 50 por "
                                "página. «q» busca palabras (todas deben estar) en el número, el asunto, el "
                                "solicitante, la unidad y los datos de los formularios atendidos, sin distinguir "
                                "tildes ni mayúsculas; una palabra puede ser el comienzo de otra. Los datos "
                                "personales (DNI, teléfono) no se buscan. Un valor inválido responde 422 y nombra "
                                "el parámetro en «errors»."),
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200}},
                    {"name": "procedure", "in": "query", "schema": {"type": "string"}, "description": "Código del procedimiento"},
                    {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["open", "completed", "cancelled", "withdrawn"]}},
                    {"name": "requester", "in": "query", "schema": {"type": "string", "maxLength": 200},
                     "description": "Palabras del usuario o del nombre de quien inició el caso"},
                    {"name": "unit", "in": "query", "schema": {"type": "string"}, "description": "Código o sigla de la unidad solicitante"},
                    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"},
                     "description": "Iniciados desde este día (AAAA-MM-DD o DD/MM/AAAA, hora de Lima)"},
                    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"},
                     "description": "Iniciados hasta este día, inclusive"},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
                ],
                "responses": _responses({"$ref": "#/components/schemas/CaseList"}, 401, 422),
            },
            "post": {
                "summary": "Iniciar un caso",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["procedure"],
                    "properties": {
                        "procedure": {"type": "string"},
                        "data": {"type": "object", "description": "Datos de la primera actividad, si le corresponde al solicitante"},
                        "start": {"type": "string", "description": "Clave (o etiqueta) de una de las formas de iniciar de GET /api/procedures/{code}"},
                        "subject": {"type": "string", "maxLength": 200, "description": "Asunto del caso"},
                        "priority": {"type": "string", "enum": ["low", "medium", "high"], "description": "Solo el personal de la OGTIE"},
                    }}}}},
                "responses": _responses({"$ref": "#/components/schemas/Case"}, 400, 401, 403, 404, 422, ok="201"),
            }
        },
        "/api/cases/{id}": {"get": {"summary": "Un caso con su historial", "parameters": [_id("id")], "responses": _responses({"$ref": "#/components/schemas/Case"}, 401, 404)}},
        "/api/cases/{id}/cancel": {
            "post": {
                "summary": "Anular un caso en curso (Jefe(a) y coordinadores), con motivo",
                "parameters": [_id("id")],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}}}},
                "responses": _responses({"$ref": "#/components/schemas/Case"}, 401, 403, 404, 409, 422),
            }
        },
        "/api/tasks": {
            "get": {
                "summary": "Mis tareas",
                "parameters": [
                    {"name": "scope", "in": "query", "schema": {"type": "string", "enum": ["mine", "available"], "default": "mine"}},
                    {"name": "procedure", "in": "query", "schema": {"type": "string"}},
                    {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "Palabras del caso de la tarea (número, asunto, solicitante, unidad, datos)"},
                ],
                "responses": _responses({"type": "array", "items": {"$ref": "#/components/schemas/Task"}}, 401, 422),
            }
        },
        "/api/tasks/{id}": {"get": {"summary": "Una tarea", "parameters": [_id("id")], "responses": _responses({"$ref": "#/components/schemas/Task"}, 401, 404)}},
        "/api/tasks/{id}/claim": {"post": {"summary": "Tomar una tarea ofrecida a mi rol", "parameters": [_id("id")], "responses": _responses({"$ref": "#/components/schemas/Task"}, 401, 403, 404, 409)}},
        "/api/tasks/{id}/release": {"post": {"summary": "Liberar una tarea tomada", "parameters": [_id("id")], "responses": _responses({"$ref": "#/components/schemas/Task"}, 401, 404, 409)}},
        "/api/tasks/{id}/reassign": {
            "post": {
                "summary": "Reasignar (coordinadores y Jefe(a))",
                "parameters": [_id("id")],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "properties": {"assignee": {"type": "string"}}}}}},
                "responses": _responses({"$ref": "#/components/schemas/Task"}, 401, 403, 404, 409, 422),
            }
        },
        "/api/tasks/{id}/complete": {
            "post": {
                "summary": "Atender una tarea",
                "parameters": [_id("id")],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"data": {"type": "object"}, "decision": {"type": "string", "description": "Etiqueta de la respuesta, p. ej. «Sí»"}}}}}},
                "responses": _responses({"$ref": "#/components/schemas/Case"}, 401, 403, 404, 409, 422),
            }
        },
        "/api/openapi.json": {"get": {"summary": "Esta descripción", "security": [], "responses": {"200": {"description": "OpenAPI"}}}},
    },
}


def _common_errors(paths: dict) -> None:
    """Answers every operation can give: 500; 413 and 422 wherever a body or query is read (the body
    and query checks of api.views run before the view)."""
    for path in paths.values():
        for operation in path.values():
            if operation.get("responses", {}).get("200", {}).get("description") == "OpenAPI":
                continue
            extra = [500]
            if "requestBody" in operation:
                extra += [413, 422]
            if any(p.get("in") == "query" for p in operation.get("parameters", [])):
                extra += [422]
            for code in extra:
                operation["responses"].setdefault(
                    str(code), {"description": _TEXTS[code], "content": {"application/json": {"schema": _ERROR}}})


_common_errors(OPENAPI["paths"])
