"""What an activity records: JSON Schema for integrations and validation with Spanish messages."""
from __future__ import annotations

import datetime as dt
import ipaddress
import math
import re

from stdnum.pe import cui

from .sheets import FormField

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL = re.compile(r"^https?://\S+$")
# ASCII digits only: `\d` would also take full-width and other scripts' digits.
DNI = re.compile(r"^[0-9]{8}(-?[0-9A-K])?$")
PHONE = re.compile(r"^(\+51)?[0-9]{7,9}$")
EXTENSION = re.compile(r"^[0-9]{1,6}$")

# The longest text each type takes (characters), checked here and set as the inputs' maxlength.
MAX_LENGTH = {
    "text": 200, "textarea": 5000, "document": 120, "user": 150, "email": 254, "url": 2000,
    "ipv4": 15, "port": 5, "ports": 200, "dni": 10, "phone": 12, "extension": 6,
    "date": 10, "datetime": 32, "integer": 20, "number": 30, "entry": 200,
}
OTHER_MAX_LENGTH = 500  # choices (the options are far shorter) and any other type
LARGEST_NUMBER = 10**15  # beyond what a form of the manual counts; keeps JSON and the database exact

# Patterns for the HTML inputs and the JSON Schema (ECMAScript syntax, where \d is ASCII only).
PATTERNS = {
    "dni": r"^\d{8}$",  # the canonical value; a 9th check character is accepted and dropped
    "phone": r"^(\+51)?\d{7,9}$",
    "extension": r"^\d{1,6}$",
    "ports": r"^\d{1,5}(\s*,\s*\d{1,5})*$",
}
HTML_PATTERNS = {
    "dni": "[0-9]{8}(-?[0-9A-Ka-k])?",
    "phone": r"(\+51)?[0-9]{7,9}",
    "extension": "[0-9]{1,6}",
    "ipv4": r"[0-9]{1,3}(\.[0-9]{1,3}){3}",
    "ports": r"[0-9]{1,5}(\s*,\s*[0-9]{1,5})*",
}

_SCHEMA_TYPES = {
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "email": {"type": "string", "format": "email"},
    "url": {"type": "string", "format": "uri"},
    "ipv4": {"type": "string", "format": "ipv4"},
    "port": {"type": "integer", "minimum": 1, "maximum": 65535},
    "ports": {"type": "string", "pattern": PATTERNS["ports"]},
    "dni": {"type": "string", "pattern": PATTERNS["dni"]},
    "phone": {"type": "string", "format": "phone", "pattern": PATTERNS["phone"]},
    "extension": {"type": "string", "format": "extension", "pattern": PATTERNS["extension"]},
    "user": {"type": "string", "format": "username"},
    "file": {"type": "integer", "format": "attachment-id"},
    "entry": {"type": "string", "format": "register-entry"},
}


def max_length(f: FormField) -> int:
    """The longest value (in characters) a field takes."""
    return MAX_LENGTH.get(f.type, OTHER_MAX_LENGTH)


def html_pattern(f: FormField) -> str:
    """The `pattern` attribute of the field's input ("" when the type has none)."""
    return HTML_PATTERNS.get(f.type, "")


def json_schema(fields: tuple[FormField, ...], choices: dict | None = None) -> dict:
    """JSON Schema of a form. `choices` maps a `user` field's key to the people who may be named in
    it, as (username, display name) pairs: they are listed with `oneOf`."""
    properties = {}
    for f in fields:
        prop = dict(_SCHEMA_TYPES.get(f.type, {"type": "string"}))
        prop["title"] = f.label
        if prop.get("type") == "string" and f.type not in ("date", "datetime", "choice"):
            prop["maxLength"] = max_length(f)
        if f.type == "user" and choices and choices.get(f.key):
            prop["oneOf"] = [{"const": username, "title": name} for username, name in choices[f.key]]
        if f.help:
            prop["description"] = f.help
        if f.assigns is not None:
            prop["description"] = (prop.get("description", "") + f" Usuario que atenderá la actividad {f.assigns}.").strip()
        if f.type == "choice":
            prop["enum"] = list(f.options)
        if f.type == "multichoice":
            prop = {"type": "array", "title": f.label, "items": {"type": "string", "enum": list(f.options)}}
        if f.type == "entry":   # the register whose open entry it names (GET /api/registers/{slug})
            prop["x-register"] = f.register
            if f.holder:
                prop["x-holder"] = f.holder
        if f.min is not None:
            prop["minimum"] = f.min
        if f.max is not None:
            prop["maximum"] = f.max
        properties[f.key] = prop
    return {
        "type": "object",
        "properties": properties,
        "required": [f.key for f in fields if f.required and f.type != "boolean"],
        "additionalProperties": False,
    }


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _check_text(f: FormField, text: str) -> str:
    """Refuse what no form of the manual needs and what breaks pages: NUL bytes, lone UTF-16
    surrogates (invalid in UTF-8) and texts beyond the field's length."""
    if "\x00" in text:
        raise ValueError("contiene un carácter nulo, que no se admite; vuelva a escribir el texto")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        raise ValueError("contiene caracteres no válidos (sustitutos Unicode sueltos); vuelva a escribir el texto")
    limit = max_length(f)
    if len(text) > limit:
        raise ValueError(f"admite como máximo {limit} caracteres (tiene {len(text)})")
    return text


def _printable(text) -> bool:
    return isinstance(text, str) and "\x00" not in text and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


def _check_characters(f: FormField, value):
    if isinstance(value, str):
        _check_text(f, value.strip())
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                _check_text(f, item)


def clean_value(f: FormField, value):
    """Return the value in its canonical form, or raise ValueError with a Spanish message."""
    t = f.type
    _check_characters(f, value)
    if t in ("text", "textarea", "document", "user", "entry"):   # entry: the register entry's key, checked by registers
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError("debe ser texto")
        return _check_text(f, str(value).strip())
    if t == "integer":
        if isinstance(value, bool):
            raise ValueError("debe ser un número entero")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError("debe ser un número entero") from None
        return _bounded(f, number)
    if t == "number":
        if isinstance(value, bool):
            raise ValueError("debe ser un número")
        try:
            number = float(str(value).strip())
        except ValueError:
            raise ValueError("debe ser un número") from None
        if not math.isfinite(number):
            raise ValueError("debe ser un número")
        return _bounded(f, number)
    if t == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "si", "sí", "on", "yes"):
            return True
        if text in ("false", "0", "no", "off", ""):
            return False
        raise ValueError("debe ser sí o no")
    if t == "date":
        text = str(value).strip()
        for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return dt.datetime.strptime(text, pattern).date().isoformat()
            except ValueError:
                pass
        raise ValueError("debe ser una fecha válida (dd/mm/aaaa)")
    if t == "datetime":
        text = str(value).strip()
        for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"):
            try:
                return dt.datetime.strptime(text, pattern).isoformat(timespec="minutes")
            except ValueError:
                pass
        try:
            return dt.datetime.fromisoformat(text).isoformat(timespec="minutes")
        except ValueError:
            raise ValueError("debe ser una fecha y hora válidas (dd/mm/aaaa hh:mm)") from None
    if t == "email":
        text = str(value).strip()
        if not EMAIL.match(text):
            raise ValueError("debe ser un correo electrónico válido")
        return text
    if t == "url":
        text = str(value).strip()
        if not URL.match(text):
            raise ValueError("debe ser una dirección web que empiece con http:// o https://")
        return text
    if t == "ipv4":
        try:
            return str(ipaddress.IPv4Address(str(value).strip()))
        except ValueError:
            raise ValueError("debe ser una dirección IPv4 válida (por ejemplo 10.0.0.15)") from None
    if t == "port":
        try:
            port = int(str(value).strip())
        except ValueError:
            raise ValueError("debe ser un puerto entre 1 y 65535") from None
        if not 1 <= port <= 65535:
            raise ValueError("debe ser un puerto entre 1 y 65535")
        return port
    if t == "ports":
        items = [p.strip() for p in str(value).split(",") if p.strip()]
        ports = []
        for item in items:
            if not item.isdigit() or not 1 <= int(item) <= 65535:
                raise ValueError(f"«{item}» no es un puerto entre 1 y 65535")
            ports.append(str(int(item)))
        if not ports:
            raise ValueError("indique al menos un puerto")
        return ", ".join(ports)
    if t == "dni":
        return clean_dni(str(value))
    if t == "phone":
        text = str(value).strip()
        if not text.isascii() or not PHONE.match(text):
            raise ValueError("debe ser un teléfono de 7 a 9 dígitos, solo números (puede empezar con +51)")
        return text
    if t == "extension":
        text = str(value).strip()
        if not text.isascii() or not EXTENSION.match(text):
            raise ValueError("debe ser un anexo de 1 a 6 dígitos, solo números")
        return text
    if t == "choice":
        text = str(value).strip()
        if text not in f.options:
            raise ValueError("elija una de las opciones: " + ", ".join(f.options))
        return text
    if t == "multichoice":
        values = value if isinstance(value, list) else [v.strip() for v in str(value).split(",") if v.strip()]
        unknown = [v for v in values if v not in f.options]
        if unknown:
            raise ValueError("opción no válida: " + ", ".join(map(str, unknown)))
        return values
    if t == "file":
        # The id of an attachment uploaded to the case first; that it exists and belongs to the
        # case is checked where the database is (cases.casefile.resolve_files).
        if isinstance(value, dict):
            value = value.get("id")
        text = str(value).strip() if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
        if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**63:
            raise ValueError("debe ser el número de un adjunto del caso (súbalo primero)")
        return int(text)
    raise ValueError("tipo de campo desconocido")


def clean_dni(value: str) -> str:
    """The 8 digits of a Peruvian DNI (CUI). A 9th check character, as printed on the card, is
    accepted when it is right and dropped. Full-width or other non-ASCII digits are refused."""
    text = value.strip()
    if not text.isascii() or not DNI.match(text.upper()):
        raise ValueError("debe tener 8 dígitos (0-9)")
    number = text.replace("-", "").upper()
    if not cui.is_valid(number):
        raise ValueError("tiene un carácter de verificación que no corresponde a esos 8 dígitos")
    digits = number[:8]
    if len(set(digits)) == 1:
        raise ValueError(f"no es un número de DNI válido ({digits})")
    return digits


def _bounded(f: FormField, number):
    if abs(number) > LARGEST_NUMBER:
        raise ValueError("es demasiado grande")
    if f.min is not None and number < f.min:
        raise ValueError(f"debe ser al menos {f.min}")
    if f.max is not None and number > f.max:
        raise ValueError(f"debe ser como máximo {f.max}")
    return number


def validate_submission(fields: tuple[FormField, ...], data: dict) -> tuple[dict, dict[str, str]]:
    """(clean data, errors by field key). Unknown keys are errors: nothing is silently dropped."""
    if not isinstance(data, dict):
        return {}, {"data": "Los datos deben ser un objeto JSON."}
    clean, errors = {}, {}
    by_key = {f.key: f for f in fields}
    for key in data:
        if key not in by_key:
            shown = key if _printable(key) else str(key).encode("unicode_escape").decode("ascii")
            errors[key] = f"El campo «{shown}» no pertenece a esta actividad."
    for f in fields:
        value = data.get(f.key)
        if _empty(value):
            if f.type == "boolean":
                clean[f.key] = False
            elif f.required:
                errors[f.key] = f"«{f.label}» es obligatorio."
            continue
        try:
            clean[f.key] = clean_value(f, value)
        except ValueError as exc:
            errors[f.key] = f"«{f.label}» {exc}."
    return clean, errors
