"""OpenAPI 3.1 description of the JSON API (served at /api/openapi.json)."""

_ERROR = {"$ref": "#/components/schemas/Error"}


_TEXTS = {400: "Solicitud inválida", 401: "No autenticado", 403: "No corresponde a sus roles",
          404: "No existe", 409: "Conflicto (ya atendida o tomada por otra persona)", 413: "Cuerpo demasiado grande",
          422: "Datos o decisión inválidos (errors nombra el campo)",
          429: "Demasiados intentos fallidos para ese usuario o dirección (Retry-After dice cuántos segundos esperar)",
          500: "Error del sistema",
          502: "El sistema de trámite documentario (SISTRADOC) no respondió, rechazó el documento o no dio número de registro",
          503: "El directorio de la institución no responde (ingreso con la cuenta del directorio)"}


def _responses(ok_schema, *codes, ok="200"):
    responses = {ok: {"description": "Correcto", "content": {"application/json": {"schema": ok_schema}}}}
    for code in codes:
        responses[str(code)] = {"description": _TEXTS[code], "content": {"application/json": {"schema": _ERROR}}}
    return responses


def _id(name):
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


# POST /api/cases and POST /api/tasks/{id}/complete (api/idempotency.py).
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7E]+$"},
    "description": (
        "Clave que el cliente elige para esta solicitud (p. ej. un UUID). Si la respuesta se pierde, reenvíe la "
        "misma solicitud con la misma clave: no se vuelve a ejecutar y recibe la primera respuesta (mismo código y "
        "cuerpo, con la cabecera Idempotent-Replayed: true). La clave es de cada usuario y vale 24 horas. La misma "
        "clave con otra solicitud (otra dirección o cuerpo) responde 422; mientras la primera aún se procesa, 409 "
        "«La solicitud con esta clave aún se está procesando.» (reintente en un momento). Solo se guardan las "
        "respuestas correctas (2xx): tras un error no se hizo nada y el reintento se ejecuta de nuevo."),
}


OPENAPI = {
    "openapi": "3.1.0",
    "info": {
        "title": "mapro API",
        "version": "1.0",
        "description": (
            "Procedimientos del MAPRO S04 como casos: catálogo, casos, bandeja de tareas; registros e inventarios, "
            "mesa de ayuda (tickets), documentos de la oficina y avisos. Quien no puede ver algo recibe 404, como si no "
            "existiera.\n\n"
            "Tokens: POST /api/auth/token da un token Bearer que vence a las MAPRO_API_TOKEN_TTL_HOURS horas; "
            "se guarda solo su SHA-256. Deja de valer al cambiar la contraseña, al desactivarse la cuenta y con "
            "POST /api/auth/logout; su dueño los lista (GET /api/auth/tokens) y revoca (DELETE /api/auth/tokens/{id}). "
            "Cada persona tiene como máximo MAPRO_API_TOKENS_PER_USER (10) vigentes: uno más revoca el más antiguo. "
            "Tras 5 intentos fallidos en 15 minutos para un usuario (en la web o la API), se rechazan sus intentos "
            "durante 15 minutos con 429, aun con la contraseña correcta. Administradores, Jefatura y coordinadores "
            "envían además `otp`, el código de 6 dígitos de su aplicación de autenticación (los códigos incorrectos "
            "cuentan como intentos fallidos). Con la cuenta del directorio, si el directorio no responde: 503.\n\n"
            "Errores: siempre JSON {error, detail} con detail en español, también 404 de direcciones inexistentes, "
            "405 (método no admitido, con Allow), 413 y 500. Los cuerpos deben ser un objeto JSON: sin NaN ni "
            "Infinity, sin caracteres NUL ni sustitutos UTF-16 sueltos, con a lo sumo 16 niveles de anidación, y "
            "texto en username, password, otp, procedure, start, subject, priority, reason, assignee y decision; si no, 422."
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
                    "count": {"type": "integer", "description": "Casos que coinciden (todas las páginas), contados hasta 1000"},
                    "count_exact": {"type": "boolean", "description": "false: coinciden más de «count» casos; las páginas siguen («next»)"},
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
                    "comments": {"type": "array", "items": {"$ref": "#/components/schemas/Comment"},
                                 "description": "La conversación, la más antigua primero; las notas internas solo para quienes atienden el caso"},
                    "attachments": {"type": "array", "items": {"$ref": "#/components/schemas/Attachment"},
                                    "description": "Los adjuntos; los internos solo para quienes atienden el caso"},
                },
            },
            "Comment": {
                "type": "object",
                "required": ["id", "body", "internal", "author", "created_at"],
                "properties": {
                    "id": {"type": "integer"}, "body": {"type": "string", "maxLength": 5000},
                    "internal": {"type": "boolean", "description": "Nota interna: el solicitante no la ve"},
                    "author": {"type": "string", "description": "Usuario que la escribió"},
                    "created_at": {"type": "string", "format": "date-time"},
                },
            },
            "Attachment": {
                "type": "object",
                "required": ["id", "name", "size", "content_type", "url"],
                "properties": {
                    "id": {"type": "integer", "description": "Lo que se envía como valor de un campo `file` (format attachment-id)"},
                    "name": {"type": "string", "description": "Nombre original del archivo"},
                    "size": {"type": "integer", "description": "Bytes"},
                    "content_type": {"type": "string", "description": "Tipo reconocido por el contenido, no por el nombre"},
                    "url": {"type": "string", "description": "GET con el mismo token: /api/attachments/{id}"},
                    "sha256": {"type": "string"}, "internal": {"type": "boolean"}, "uploaded_by": {"type": "string"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "task": {"type": ["integer", "null"], "description": "La tarea cuyo formulario lo adjuntó"},
                    "field": {"type": ["string", "null"], "description": "El campo `file` de ese formulario"},
                },
            },
            "AuditEntry": {
                "type": "object",
                "required": ["id", "created_at", "action", "label", "before", "after", "sealed"],
                "properties": {
                    "id": {"type": "integer"},
                    "seq": {"type": ["integer", "null"], "description": "Número en la cadena; null mientras no se sella"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "actor": {"type": ["string", "null"], "description": "Usuario que actuó (o el intentado, en un ingreso fallido); null: el sistema"},
                    "ip": {"type": ["string", "null"], "description": "Dirección desde la que actuó"},
                    "action": {"type": "string", "description": "Clave de catalog/vocabularies.yaml (audit_actions), p. ej. task.completed"},
                    "action_label": {"type": "string"},
                    "object_type": {"type": ["string", "null"], "description": "case, user, role, unit, person, setting, token…"},
                    "object_id": {"type": ["string", "null"]},
                    "label": {"type": "string", "description": "El número del caso, el usuario, la clave del rol…"},
                    "before": {"description": "Los campos que cambiaron, antes (datos personales enmascarados)"},
                    "after": {"description": "Los mismos campos, después (datos personales enmascarados)"},
                    "personal_data": {"type": "boolean", "description": "Si tiene datos personales (enmascarados aquí)"},
                    "sealed": {"type": "boolean"},
                    "hash": {"type": ["string", "null"], "description": "SHA-256 de la cadena"},
                },
            },
            "AuditList": {
                "type": "object",
                "properties": {
                    "count": {"type": "integer", "description": "Entradas que coinciden (todas las páginas)"},
                    "page": {"type": "integer"}, "page_size": {"type": "integer", "const": 50},
                    "next": {"type": ["integer", "null"]}, "previous": {"type": ["integer", "null"]},
                    "results": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEntry"}},
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
                    "properties": {"username": {"type": "string"}, "password": {"type": "string"},
                                   "otp": {"type": "string", "pattern": "^[0-9 ]{6,7}$", "description":
                                           "Código de 6 dígitos de la aplicación de autenticación: obligatorio "
                                           "para administradores, Jefatura y coordinadores (si falta: 401 "
                                           "otp_requerido; si es incorrecto: 401 otp_invalido)"}}}}}},
                "responses": _responses({"type": "object", "properties": {"token": {"type": "string"}}},
                                        401, 422, 429, 503),
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
                "parameters": [_IDEMPOTENCY_KEY],
                "responses": _responses({"$ref": "#/components/schemas/Case"}, 400, 401, 403, 404, 409, 422, ok="201"),
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
        "/api/cases/{id}/comments": {
            "get": {
                "summary": "La conversación del caso (sin notas internas para el solicitante)",
                "parameters": [_id("id")],
                "responses": _responses({"type": "array", "items": {"$ref": "#/components/schemas/Comment"}}, 401, 404),
            },
            "post": {
                "summary": "Comentar el caso, o escribir una nota interna (no el solicitante)",
                "description": "Quien ve el caso puede comentarlo. `internal: true` es una nota que el solicitante no ve; "
                               "el solicitante no puede escribirlas (403). Máximo 5000 caracteres.",
                "parameters": [_id("id")],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["body"],
                    "properties": {"body": {"type": "string", "maxLength": 5000}, "internal": {"type": "boolean", "default": False}}}}}},
                "responses": _responses({"$ref": "#/components/schemas/Comment"}, 401, 403, 404, 422, ok="201"),
            },
        },
        "/api/cases/{id}/attachments": {
            "get": {
                "summary": "Los adjuntos del caso (sin los internos para el solicitante)",
                "parameters": [_id("id")],
                "responses": _responses({"type": "array", "items": {"$ref": "#/components/schemas/Attachment"}}, 401, 404),
            },
            "post": {
                "summary": "Adjuntar un archivo al caso",
                "description": "multipart/form-data con el archivo en el campo `file` (y `internal=true` para un adjunto que el "
                               "solicitante no ve). El tipo se reconoce por el contenido: PDF, PNG, JPEG, DOCX, XLSX, ODT, ODS, "
                               "texto o CSV, correo (.eml); otro tipo (p. ej. un .exe renombrado) es 422. Tamaño máximo: "
                               "MAPRO_ATTACHMENT_MAX_MB (20 MB por defecto), 413 si lo supera. Para un campo `file` de un "
                               "formulario, suba primero el archivo y envíe su `id` como valor en /api/tasks/{id}/complete.",
                "parameters": [_id("id")],
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}, "internal": {"type": "boolean", "default": False}}}}}},
                "responses": {**_responses({"$ref": "#/components/schemas/Attachment"}, 401, 403, 404, 422, ok="201"),
                              "413": {"description": "Archivo demasiado grande", "content": {"application/json": {"schema": _ERROR}}}},
            },
        },
        "/api/attachments/{id}": {
            "get": {
                "summary": "Descargar un adjunto (tras comprobar que puede ver el caso)",
                "description": "Se entrega para guardar: Content-Disposition: attachment; filename*=UTF-8''…, "
                               "X-Content-Type-Options: nosniff y el tipo reconocido al subirlo. 404 si no puede ver el caso, "
                               "o si el adjunto es interno y usted es el solicitante.",
                "parameters": [_id("id")],
                "responses": {**_responses({"type": "string", "format": "binary"}, 401, 404),
                              "200": {"description": "El archivo", "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
            }
        },
        "/api/cases/{id}/withdraw": {
            "post": {
                "summary": "Desistir de la solicitud (solo el solicitante, mientras nadie la haya atendido)",
                "description": "El caso queda «withdrawn», sus tareas pendientes se anulan y dejan de ofrecerse. 409 si alguien "
                               "más ya tomó o atendió una tarea del caso; 403 si usted ve el caso pero no lo solicitó.",
                "parameters": [_id("id")],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["reason"], "properties": {"reason": {"type": "string", "maxLength": 300}}}}}},
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
                "description": "Un campo `file` del formulario ({type: integer, format: attachment-id}) recibe el `id` de un "
                               "adjunto del mismo caso, subido antes con POST /api/cases/{id}/attachments. Con "
                               "Idempotency-Key, un reintento tras perder la respuesta recibe la misma respuesta 200 "
                               "en lugar de 409.",
                "parameters": [_id("id"), _IDEMPOTENCY_KEY],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"data": {"type": "object"}, "decision": {"type": "string", "description": "Etiqueta de la respuesta, p. ej. «Sí»"}}}}}},
                "responses": _responses({"$ref": "#/components/schemas/Case"}, 401, 403, 404, 409, 422),
            }
        },
        "/api/audit": {
            "get": {
                "summary": "Registro de auditoría (Jefe(a), especialista de seguridad y superusuarios)",
                "description": ("Cada cambio de estado, ingreso, salida y lectura de datos personales, del más reciente "
                                "al más antiguo, 50 por página, con los datos personales enmascarados (Ley 29733). "
                                "Para cualquier otra persona esta dirección no existe (404). Un valor inválido "
                                "responde 422 y nombra el parámetro en «errors»."),
                "parameters": [
                    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"},
                     "description": "Desde este día (AAAA-MM-DD o DD/MM/AAAA, hora de Lima)"},
                    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"},
                     "description": "Hasta este día, inclusive"},
                    {"name": "actor", "in": "query", "schema": {"type": "string", "maxLength": 200},
                     "description": "Nombre de usuario (el intentado, en un ingreso fallido)"},
                    {"name": "action", "in": "query", "schema": {"type": "string"},
                     "description": "Una acción (task.completed) o su grupo (task)"},
                    {"name": "object", "in": "query", "schema": {"type": "string", "maxLength": 200},
                     "description": "El objeto tal como se muestra: número del caso, usuario, clave del rol…"},
                    {"name": "ip", "in": "query", "schema": {"type": "string", "maxLength": 45},
                     "description": "Una dirección IP o su comienzo (10.10.)"},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
                ],
                "responses": _responses({"$ref": "#/components/schemas/AuditList"}, 401, 404, 422),
            }
        },
        "/api/openapi.json": {"get": {"summary": "Esta descripción", "security": [], "responses": {"200": {"description": "OpenAPI"}}}},
    },
}


# The registers (registers/api.py): the same access rules as the pages (cases.access).
_REGISTER_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
                  "description": "El registro, p. ej. usuarios-vpn"}
_REGISTER_ENTRY = {"type": "object", "properties": {
    "id": {"type": "integer"}, "register": {"type": "string"}, "key": {"type": "string"}, "title": {"type": "string"},
    "state": {"type": "string"}, "state_label": {"type": "string"}, "closed": {"type": "boolean"},
    "data": {"type": "object", "description": "Valores por campo; los datos personales enmascarados (••••••) para "
                                              "quien no los trata"},
    "version": {"type": "integer"}, "created_at": {"type": "string", "format": "date-time"},
    "updated_at": {"type": "string", "format": "date-time"}}}
_REGISTER_WRITE = {"type": "object", "properties": {
    "data": {"type": "object", "description": "Valores por clave de campo (los tipos y validaciones de los formularios)"},
    "state": {"type": "string", "description": "Estado (por omisión, el inicial; en una baja, el primer estado cerrado)"},
    "note": {"type": "string", "maxLength": 300}}}
OPENAPI["paths"].update({
    "/api/registers": {"get": {
        "summary": "Registros que puedo leer, con sus campos, estados y entradas vigentes",
        "responses": _responses({"type": "array", "items": {"type": "object"}}, 401)}},
    "/api/registers/{slug}": {
        "get": {
            "summary": "Entradas de un registro, buscadas y filtradas (50 por página, la más reciente primero)",
            "description": ("Cualquier otro parámetro es una columna: «campo=valor» (valor exacto, sin distinguir "
                            "tildes ni mayúsculas), y para fechas «campo__desde» y «campo__hasta». Una columna "
                            "desconocida, un estado inexistente o un dato personal que usted no trata responden 422 "
                            "nombrando el parámetro. Quien no lee el registro recibe 404."),
            "parameters": [
                _REGISTER_SLUG,
                {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200},
                 "description": "Palabras de cualquier columna no personal (todas; la última puede ser el comienzo)"},
                {"name": "state", "in": "query", "schema": {"type": "string"},
                 "description": "Clave de un estado, o «todos»; por omisión, las entradas vigentes"},
                {"name": "person", "in": "query", "schema": {"type": "string", "pattern": "^\\d{8}$"},
                 "description": "DNI de la persona (quien trata los datos personales del registro)"},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
            ],
            "responses": _responses({"type": "object", "properties": {
                "count": {"type": "integer"}, "count_exact": {"type": "boolean"}, "page": {"type": "integer"},
                "next": {"type": ["integer", "null"]}, "previous": {"type": ["integer", "null"]},
                "results": {"type": "array", "items": _REGISTER_ENTRY}}}, 401, 404, 422),
        },
        "post": {
            "summary": "Registrar una entrada (quienes escriben en el registro)",
            "parameters": [_REGISTER_SLUG],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _REGISTER_WRITE}}},
            "responses": _responses(_REGISTER_ENTRY, 401, 403, 404, 422, ok="201"),
        },
    },
    "/api/registers/{slug}/{id}": {
        "get": {
            "summary": "Una entrada con su historia (cada versión: quién, cuándo, qué cambió, caso y actividad)",
            "parameters": [_REGISTER_SLUG, _id("id")],
            "responses": _responses(_REGISTER_ENTRY, 401, 404),
        },
        "post": {
            "summary": "Cambiar una entrada: action update (datos y estado), close (baja) o return (devolución)",
            "description": ("La clave no se cambia. Con «version» (la leída) se rechaza con 409 un cambio sobre una "
                            "entrada que otra persona cambió mientras tanto; una entrada dada de baja responde 409."),
            "parameters": [_REGISTER_SLUG, _id("id")],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                **_REGISTER_WRITE, "properties": {**_REGISTER_WRITE["properties"],
                                                  "action": {"type": "string", "enum": ["update", "close", "return"]},
                                                  "version": {"type": "integer"}}}}}},
            "responses": _responses(_REGISTER_ENTRY, 401, 403, 404, 409, 422),
        },
    },
})


# The help desk (helpdesk/api.py): a requester sees only their own tickets (others' are 404); the
# desk, the assignee and the team's holders handle them (cases.access).
_LOCK = {"lock_version": {"type": "integer", "description": "La versión leída del ticket: si otra persona lo cambió "
                                                          "mientras tanto, 409 dice quién y cómo quedó"}}
_PERSON = {"type": ["object", "null"], "properties": {"username": {"type": "string"}, "name": {"type": "string"}}}
_TICKET_SUMMARY = {"type": "object", "properties": {
    "id": {"type": "integer"}, "number": {"type": "string", "examples": ["TK-2026-000123"]}, "subject": {"type": "string"},
    "category": {"type": "string"}, "type": {"type": "string", "enum": ["incidente", "requerimiento"]},
    "status": {"type": "string", "enum": ["nuevo", "asignado", "en_atencion", "en_espera_usuario", "en_espera_proveedor",
                                          "resuelto", "cerrado", "cancelado", "devuelto"]},
    "status_label": {"type": "string"}, "priority": {"type": "string", "enum": ["critica", "alta", "media", "baja"]},
    "impact": {"type": "string"}, "urgency": {"type": "string"},
    "channel": {"type": "string", "enum": ["portal", "correo", "telefono", "presencial", "interno"]},
    "requester": _PERSON, "requester_unit": {"type": ["string", "null"]}, "assignee": _PERSON,
    "team": {"type": ["string", "null"]}, "case": {"type": ["integer", "null"]},
    "created_at": {"type": "string", "format": "date-time"},
    "sla": {"type": "object", "properties": {
        "respond_by": {"type": ["string", "null"], "format": "date-time"},
        "resolve_by": {"type": ["string", "null"], "format": "date-time"},
        "respond": {"type": "string", "enum": ["ok", "warning", "breached", "met"]},
        "resolve": {"type": "string", "enum": ["ok", "warning", "breached", "met"]},
        "paused": {"type": "boolean"}}},
    "lock_version": {"type": "integer"}}}
_TICKET = {"allOf": [_TICKET_SUMMARY, {"type": "object", "properties": {
    "description": {"type": "string"}, "case_number": {"type": ["string", "null"]}, "parent": {"type": ["string", "null"]},
    "links": {"type": "array", "items": {"type": "string"}}, "return_reason": {"type": ["string", "null"]},
    "solution": {"type": ["string", "null"]}, "rating": {"type": ["integer", "null"]},
    "conversation": {"type": "array", "items": {"type": "object"},
                     "description": "Respuestas públicas; las notas internas solo para quienes atienden el ticket"},
    "attachments": {"type": "array", "items": {"type": "object"}},
    "history": {"type": "array", "items": {"type": "object"}, "description": "Cada cambio: qué, quién, antes y después"}}}]}
_TICKET_ID = _id("id")


def _ticket_action(summary, properties=None, required=(), codes=(401, 403, 404, 409, 422)):
    body = {"type": "object", "properties": {**(properties or {})}}
    if required:
        body["required"] = list(required)
    return {"post": {"summary": summary, "parameters": [_TICKET_ID],
                     "requestBody": {"required": bool(required), "content": {"application/json": {"schema": body}}},
                     "responses": _responses(_TICKET, *codes)}}


_REASON = {"reason": {"type": "string", "maxLength": 500}}
OPENAPI["paths"].update({
    "/api/helpdesk/categories": {"get": {
        "summary": "Catálogo de la mesa de ayuda: lo que cualquier empleado puede pedir",
        "responses": _responses({"type": "array", "items": {"type": "object", "properties": {
            "slug": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"},
            "type": {"type": "string"}, "procedure": {"type": ["string", "null"]},
            "required_attachments": {"type": "array", "items": {"type": "object", "properties": {
                "key": {"type": "string"}, "label": {"type": "string"}}}}}}}, 401)}},
    "/api/tickets": {
        "get": {
            "summary": "Tickets: los míos, la cola de la mesa de ayuda, los asignados a mí o a mi equipo (50 por página)",
            "parameters": [
                {"name": "scope", "in": "query", "schema": {"type": "string", "enum": ["mine", "queue", "assigned", "team"],
                                                            "default": "mine"}},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}}],
            "responses": _responses({"type": "object", "properties": {
                "page": {"type": "integer"}, "next": {"type": ["integer", "null"]},
                "results": {"type": "array", "items": _TICKET_SUMMARY}}}, 401, 404),
        },
        "post": {
            "summary": "Registrar un ticket (JSON, o multipart/form-data con los adjuntos que pide la categoría)",
            "description": ("Si la categoría inicia un procedimiento, su caso se inicia en la misma transacción y "
                            "queda enlazado («case»). Los adjuntos requeridos van con su clave; otros, en «file»."),
            "parameters": [_IDEMPOTENCY_KEY],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"type": "object", "required": ["category", "subject", "description"],
                                                "properties": {
                    "category": {"type": "string"}, "subject": {"type": "string", "maxLength": 200},
                    "description": {"type": "string", "maxLength": 5000}, "impact": {"type": "string"},
                    "urgency": {"type": "string"},
                    "channel": {"type": "string", "description": "Solo la mesa de ayuda registra otros canales"},
                    "data": {"type": "object", "description": "Datos de la primera actividad del procedimiento"}}}},
                "multipart/form-data": {"schema": {"type": "object"}}}},
            "responses": _responses({"type": "object", "properties": {
                "id": {"type": "integer"}, "number": {"type": "string"}, "status": {"type": "string"},
                "priority": {"type": "string"}, "case": {"type": ["integer", "null"]},
                "sla": {"type": "object", "properties": {"respond_by": {"type": ["string", "null"], "format": "date-time"},
                                                         "resolve_by": {"type": ["string", "null"], "format": "date-time"}}}}},
                401, 403, 409, 422, ok="201"),
        },
    },
    "/api/tickets/{id}": {"get": {"summary": "Un ticket con su conversación e historial", "parameters": [_TICKET_ID],
                                  "responses": _responses(_TICKET, 401, 404)}},
    "/api/tickets/{id}/assign": _ticket_action(
        "Asignar a una persona (de la lista de la OGTIE, nunca escrita) y/o a un equipo (rol)",
        {"assignee": {"type": "string", "description": "Usuario"}, "team": {"type": "string", "description": "Rol"}, **_LOCK}),
    "/api/tickets/{id}/reply": _ticket_action(
        "Responder (público) o nota interna; la primera respuesta pública de quien atiende cumple el SLA de respuesta",
        {"body": {"type": "string", "maxLength": 5000}, "internal": {"type": "boolean", "default": False},
         "minutes": {"type": "integer", "minimum": 0, "description": "Tiempo dedicado"}}, ["body"]),
    "/api/tickets/{id}/wait": _ticket_action(
        "Poner en espera del usuario o de un proveedor (el SLA se detiene)",
        {"on": {"type": "string", "enum": ["usuario", "proveedor"]}, **_REASON, **_LOCK}, ["on", "reason"]),
    "/api/tickets/{id}/resume": _ticket_action("Reanudar un ticket en espera", dict(_LOCK)),
    "/api/tickets/{id}/resolve": _ticket_action(
        "Resolver con la solución aplicada (se avisa al solicitante)",
        {"solution": {"type": "string", "maxLength": 5000}, **_LOCK}, ["solution"]),
    "/api/tickets/{id}/close": _ticket_action("Cerrar un ticket resuelto (quien lo atiende o su solicitante)", dict(_LOCK)),
    "/api/tickets/{id}/reopen": _ticket_action(
        "Reabrir un ticket resuelto o cerrado dentro de MAPRO_TICKET_REOPEN_DAYS días", {**_REASON, **_LOCK}, ["reason"]),
    "/api/tickets/{id}/return": _ticket_action(
        "Devolver al solicitante con el motivo (su respuesta lo regresa a la cola)", {**_REASON, **_LOCK}, ["reason"]),
    "/api/tickets/{id}/cancel": _ticket_action(
        "Cancelar mientras nadie lo atendió (su caso termina con él)", {**_REASON, **_LOCK}, ["reason"]),
    "/api/tickets/{id}/validate": _ticket_action("Validar un ticket nuevo (mesa de ayuda)", dict(_LOCK)),
    "/api/tickets/{id}/categorise": _ticket_action(
        "Cambiar la categoría (recalcula las metas de SLA)", {"category": {"type": "string"}, **_LOCK}, ["category"]),
    "/api/tickets/{id}/prioritise": _ticket_action(
        "Fijar impacto y urgencia: la prioridad sale de la matriz", {"impact": {"type": "string"},
                                                                      "urgency": {"type": "string"}, **_LOCK}),
    "/api/tickets/{id}/merge": _ticket_action(
        "Fusionar en otro ticket abierto (este queda cancelado como duplicado)",
        {"into": {"type": "string", "description": "Número TK-… o id del ticket que queda"}, **_LOCK}, ["into"]),
    "/api/tickets/{id}/link": _ticket_action(
        "Relacionar con otro ticket", {"other": {"type": "string", "description": "Número TK-… o id"}}, ["other"]),
    "/api/tickets/{id}/rate": _ticket_action(
        "Calificar la atención (1 a 5; cierra el ticket resuelto); solo su solicitante",
        {"rating": {"type": "integer", "minimum": 1, "maximum": 5}, "comment": {"type": "string", "maxLength": 1000}},
        ["rating"]),
})


# The documents (documents/api.py): who reads a document is its case's and its classification's
# (cases.access, documents section); outsiders get 404, whatever the body.
_DOCUMENT_ID = _id("id")
_CLASSIFICATION = {"type": "string", "enum": ["PÚBLICO", "RESERVADO", "CONFIDENCIAL", "SECRETO"],
                   "description": "También se acepta la clave en minúsculas (publico, reservado, confidencial, secreto)"}
_DOCUMENT = {"type": "object", "properties": {
    "id": {"type": "integer"},
    "number": {"type": ["string", "null"], "examples": ["OFICIO N° 00123-2026-MINDEF/SG-OGTIE"],
               "description": "null hasta que se numera; el de quien lo emitió en un documento recibido"},
    "type": {"type": "string", "description": "Tipo del catálogo (catalog/documents.yaml): oficio, informe, acta…"},
    "type_label": {"type": "string"},
    "status": {"type": "string", "enum": ["proyecto", "visado", "firmado", "enviado", "recibido", "anulado"]},
    "classification": {"type": "string", "enum": ["PÚBLICO", "RESERVADO", "CONFIDENCIAL", "SECRETO"]},
    "direction": {"type": "string", "enum": ["emitido", "recibido"]},
    "subject": {"type": "string"}, "sender": {"type": "string"}, "recipients": {"type": "string"},
    "reference": {"type": "string"}, "folios": {"type": "integer"}, "annexes": {"type": "string"},
    "case": {"type": ["integer", "null"]}, "case_number": {"type": ["string", "null"]},
    "activity": {"type": ["integer", "null"], "description": "La actividad desde cuya tarea se redactó"},
    "template": {"type": ["string", "null"], "description": "Clave de la plantilla"},
    "created_by": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
    "issued_at": {"type": ["string", "null"], "format": "date-time"},
    "sent_at": {"type": ["string", "null"], "format": "date-time"},
    "registration": {"type": ["string", "null"], "description": "Número de registro que dio SISTRADOC al enviarlo"},
    "annul_reason": {"type": ["string", "null"]},
    "pdf": {"type": "string", "description": "GET con el mismo token: /api/documents/{id}/pdf"}}}
_DOCUMENT_DETAIL = {"allOf": [_DOCUMENT, {"type": "object", "properties": {
    "versions": {"type": "array", "description": "Cada versión del PDF; una versión con visto bueno o firma queda congelada",
                 "items": {"type": "object", "properties": {
                     "n": {"type": "integer"}, "sha256": {"type": "string"}, "frozen": {"type": "boolean"},
                     "created_by": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
                     "pdf": {"type": "string"}}}},
    "approvals": {"type": "array", "description": "Vistos buenos: quién, a qué versión (y su SHA-256)",
                  "items": {"type": "object", "properties": {
                      "user": {"type": "string"}, "version": {"type": "integer"}, "sha256": {"type": "string"},
                      "note": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"}}}},
    "signatures": {"type": "array", "description": "Firmas aceptadas, con el resultado de su verificación",
                   "items": {"type": "object", "properties": {
                       "user": {"type": "string"}, "signer": {"type": "string", "description": "Del certificado"},
                       "version": {"type": "integer"}, "sha256": {"type": "string", "description": "Del PDF firmado"},
                       "verification": {"type": "object"}, "created_at": {"type": "string", "format": "date-time"},
                       "pdf": {"type": "string", "description": "El PDF firmado"}}}}}}]}
_DOCUMENT_FIELDS = {
    "subject": {"type": "string", "maxLength": 200}, "sender": {"type": "string", "maxLength": 300},
    "recipients": {"type": "string", "maxLength": 2000, "description": "Uno por línea"},
    "reference": {"type": "string", "maxLength": 300},
    "folios": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1},
    "annexes": {"type": "string", "maxLength": 2000, "description": "Uno por línea"},
    "classification": _CLASSIFICATION}
_DOCUMENT_DATA = {"type": "object", "description": "Lo que el autor escribe para este documento (campos.<clave> en la "
                                                   "plantilla, p. ej. «cuerpo»); se suma a lo que el caso ya registró"}
_SIGNED_PDF = {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "El PDF firmado (hasta 20 MB)"}}}},
    "application/json": {"schema": {"type": "object", "required": ["pdf"], "properties": {
        "pdf": {"type": "string", "contentEncoding": "base64", "description": "El PDF firmado, en base64"}}}}}


def _document_action(summary, description, body=None, codes=(401, 403, 404, 409, 422), required=False):
    operation = {"summary": summary, "description": description, "parameters": [_DOCUMENT_ID],
                 "responses": _responses(_DOCUMENT_DETAIL, *codes)}
    operation["requestBody"] = {"required": required, "content": body or {
        "application/json": {"schema": {"type": "object"}}}}
    return {"post": operation}


OPENAPI["paths"].update({
    "/api/document-templates": {"get": {
        "summary": "Plantillas de documentos vigentes (la última versión de cada una)",
        "description": "La oficina las edita en la administración; cada edición es una versión nueva y los "
                       "documentos ya redactados conservan la suya.",
        "responses": _responses({"type": "array", "items": {"type": "object", "properties": {
            "slug": {"type": "string", "description": "Valor de «template» al redactar"}, "name": {"type": "string"},
            "type": {"type": "string"}, "version": {"type": "integer"},
            "procedures": {"type": "array", "items": {"type": "string"},
                           "description": "Procedimientos en los que se usa; vacía: todos"},
            "classification": {"type": "string", "description": "Clasificación por omisión"}}}}, 401)}},
    "/api/cases/{id}/documents": {
        "get": {
            "summary": "Documentos del caso que usted puede leer (según su clasificación), el más reciente primero",
            "parameters": [_id("id")],
            "responses": _responses({"type": "array", "items": _DOCUMENT}, 401, 404),
        },
        "post": {
            "summary": "Redactar un documento del caso desde una plantilla (proyecto, versión 1 con su PDF)",
            "description": ("Redactan el personal de la OGTIE del procedimiento del caso, la jefatura y las "
                            "coordinaciones (los demás que ven el caso: 403). La plantilla debe corresponder al "
                            "procedimiento (422 en «template»). El documento se llena con lo que el caso registró; "
                            "«data» agrega lo que escribe el autor."),
            "parameters": [_id("id")],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["template"], "properties": {
                    "template": {"type": "string", "description": "Clave, de GET /api/document-templates"},
                    "task": {"type": "integer", "description": "La tarea del caso desde la que se redacta"},
                    "data": _DOCUMENT_DATA, **_DOCUMENT_FIELDS}}}}},
            "responses": _responses(_DOCUMENT, 401, 403, 404, 422, ok="201"),
        },
    },
    "/api/documents": {
        "get": {
            "summary": "Registro de documentos: los que usted puede leer, filtrados (hasta 500, el más reciente primero)",
            "description": "Un filtro con un valor desconocido responde 422 nombrándolo en «errors».",
            "parameters": [
                {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200},
                 "description": "Palabras del número, el asunto, el remitente, los destinatarios o el número del caso"},
                {"name": "type", "in": "query", "schema": {"type": "string"}, "description": "Tipo de documento"},
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": [
                    "proyecto", "visado", "firmado", "enviado", "recibido", "anulado"]}},
                {"name": "classification", "in": "query", "schema": {"type": "string", "enum": [
                    "publico", "reservado", "confidencial", "secreto"]}},
                {"name": "direction", "in": "query", "schema": {"type": "string", "enum": ["emitido", "recibido"]}},
                {"name": "case", "in": "query", "schema": {"type": "string"}, "description": "Id o número del caso"},
                {"name": "year", "in": "query", "schema": {"type": "integer", "minimum": 2000, "maximum": 2100}},
            ],
            "responses": _responses({"type": "array", "items": _DOCUMENT}, 401, 422),
        },
        "post": {
            "summary": "Registrar un documento recibido de otra unidad o entidad (con su propio número)",
            "description": ("Lo registran el personal de la OGTIE, la jefatura y las coordinaciones (los demás: 403). "
                            "El PDF es opcional: multipart en «file» o base64 en «pdf»; sin él se guarda una hoja de "
                            "registro. Con «case», el caso debe ser uno que usted ve (si no, 404)."),
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"type": "object", "required": ["type", "number", "sender", "subject"],
                                                "properties": {
                    "type": {"type": "string", "description": "Tipo de documento del catálogo"},
                    "number": {"type": "string", "maxLength": 120, "description": "Su número, tal como vino"},
                    "sender": {"type": "string", "maxLength": 300, "description": "Unidad o entidad que lo remite"},
                    "subject": {"type": "string", "maxLength": 200},
                    "recipients": {"type": "string", "maxLength": 2000},
                    "case": {"type": "integer", "description": "El caso al que se relaciona"},
                    "classification": _CLASSIFICATION,
                    "folios": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1},
                    "annexes": {"type": "string", "maxLength": 2000},
                    "pdf": {"type": "string", "contentEncoding": "base64"}}}},
                "multipart/form-data": {"schema": {"type": "object", "properties": {
                    "file": {"type": "string", "format": "binary"}}}}}},
            "responses": _responses(_DOCUMENT, 401, 403, 404, 422, ok="201"),
        },
    },
    "/api/documents/{id}": {"get": {
        "summary": "Un documento con sus versiones, vistos buenos y firmas",
        "parameters": [_DOCUMENT_ID], "responses": _responses(_DOCUMENT_DETAIL, 401, 404)}},
    "/api/documents/{id}/pdf": {"get": {
        "summary": "El PDF de un documento (la versión vigente, otra con ?version=n, la firmada con ?signed=1)",
        "description": "Tras comprobar que usted puede leerlo; la descarga queda en el registro de auditoría. 404 si "
                       "la versión no existe o no está firmada.",
        "parameters": [_DOCUMENT_ID,
                       {"name": "version", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                       {"name": "signed", "in": "query", "schema": {"type": "string", "enum": ["1"]},
                        "description": "El PDF firmado de esa versión"}],
        "responses": {**_responses({"type": "string"}, 401, 404),
                      "200": {"description": "El PDF", "content": {"application/pdf": {
                          "schema": {"type": "string", "format": "binary"}}}}}}},
    "/api/documents/{id}/edit": _document_action(
        "Corregir un documento: sus datos o su encabezado",
        "Su autor, la jefatura o las coordinaciones. Si la versión vigente tiene visto bueno o firma (congelada), se "
        "escribe una versión nueva y el documento vuelve a «proyecto». Un documento enviado, recibido o anulado: 409.",
        {"application/json": {"schema": {"type": "object", "properties": {"data": _DOCUMENT_DATA, **_DOCUMENT_FIELDS}}}}),
    "/api/documents/{id}/approve": _document_action(
        "Dar visto bueno a la versión vigente (la congela)",
        "La jefatura y las coordinaciones. 409 si ya dio visto bueno a esta versión o el documento ya no es un proyecto.",
        {"application/json": {"schema": {"type": "object", "properties": {"note": {"type": "string", "maxLength": 300}}}}}),
    "/api/documents/{id}/issue": _document_action(
        "Numerar el documento (número correlativo de su tipo, año y unidad, sin saltos)",
        "Su autor, la jefatura o las coordinaciones. El número se toma en la misma transacción que la versión "
        "numerada: dos personas nunca reciben el mismo y una falla no deja un salto. 409 si ya tiene número, si su "
        "tipo no se numera (formatos) o si ya está firmado."),
    "/api/documents/{id}/sign": _document_action(
        "Entregar el PDF firmado (PAdES) de la versión vigente",
        "La jefatura y las coordinaciones. La firma se verifica antes de aceptarla: el archivo firmado debe ser "
        "exactamente el PDF de la versión vigente más la firma, de una autoridad de confianza; si no, 422 con el "
        "motivo. Un documento que se numera debe estar numerado (409).", _SIGNED_PDF, required=True),
    "/api/documents/{id}/send": _document_action(
        "Enviar un documento firmado vía SISTRADOC (o solo registrarlo, sin MAPRO_SISTRADOC_URL)",
        "Su autor, la jefatura o las coordinaciones. Si SISTRADOC falla, 502 con su detalle y el documento no queda "
        "enviado.", codes=(401, 403, 404, 409, 422, 502)),
    "/api/documents/{id}/annul": _document_action(
        "Anular un documento con motivo (su número queda registrado y no se vuelve a dar)",
        "La jefatura y las coordinaciones. 409 si ya está anulado.",
        {"application/json": {"schema": {"type": "object", "required": ["reason"], "properties": {
            "reason": {"type": "string", "maxLength": 300}}}}}, required=True),
})


# A person's notices (notifications/api.py): only one's own; another person's is 404.
_NOTIFICATION = {"type": "object", "properties": {
    "id": {"type": "integer"},
    "kind": {"type": "string", "enum": ["task_offered", "task_assigned", "request_returned", "case_completed",
                                        "case_cancelled", "case_withdrawn", "comment", "sla_warning",
                                        "task_overdue", "other"]},
    "kind_label": {"type": "string"}, "title": {"type": "string"}, "body": {"type": "string"},
    "url": {"type": "string", "description": "Dirección completa de la tarea, el caso o el ticket"},
    "case": {"type": ["integer", "null"]}, "created_at": {"type": "string", "format": "date-time"},
    "read_at": {"type": ["string", "null"], "format": "date-time", "description": "null: sin leer"}}}
OPENAPI["paths"].update({
    "/api/notifications": {"get": {
        "summary": "Mis avisos: los no leídos primero, luego del más reciente al más antiguo (50 por página)",
        "parameters": [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}}],
        "responses": _responses({"type": "object", "properties": {
            "unread": {"type": "integer", "description": "Avisos sin leer (todas las páginas)"},
            "page": {"type": "integer"}, "page_size": {"type": "integer", "const": 50},
            "next": {"type": ["integer", "null"]}, "previous": {"type": ["integer", "null"]},
            "results": {"type": "array", "items": _NOTIFICATION}}}, 401, 422)}},
    "/api/notifications/{id}/read": {"post": {
        "summary": "Marcar un aviso como leído",
        "parameters": [_id("id")], "responses": _responses(_NOTIFICATION, 401, 404)}},
    "/api/notifications/read-all": {"post": {
        "summary": "Marcar todos mis avisos como leídos",
        "responses": _responses({"type": "object", "properties": {
            "marked": {"type": "integer", "description": "Cuántos se marcaron"},
            "unread": {"type": "integer", "const": 0}}}, 401)}},
})


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
OPENAPI["paths"]["/api/cases"]["post"]["responses"]["409"]["description"] = (
    "La solicitud con esa Idempotency-Key aún se está procesando")
OPENAPI["paths"]["/api/tasks/{id}/complete"]["post"]["responses"]["409"]["description"] = (
    "Ya atendida o tomada por otra persona, o la solicitud con esa Idempotency-Key aún se está procesando")
