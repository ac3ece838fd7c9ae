"""What an activity records: JSON Schema for integrations and validation with Spanish messages."""
from __future__ import annotations

import datetime as dt
import ipaddress
import re

from .sheets import FormField

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL = re.compile(r"^https?://\S+$")
DNI = re.compile(r"^\d{8}$")

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
    "ports": {"type": "string", "pattern": r"^\d{1,5}(\s*,\s*\d{1,5})*$"},
    "dni": {"type": "string", "pattern": r"^\d{8}$"},
    "user": {"type": "string", "format": "username"},
}


def json_schema(fields: tuple[FormField, ...]) -> dict:
    properties = {}
    for f in fields:
        prop = dict(_SCHEMA_TYPES.get(f.type, {"type": "string"}))
        prop["title"] = f.label
        if f.help:
            prop["description"] = f.help
        if f.assigns is not None:
            prop["description"] = (prop.get("description", "") + f" Usuario que atenderá la actividad {f.assigns}.").strip()
        if f.type == "choice":
            prop["enum"] = list(f.options)
        if f.type == "multichoice":
            prop = {"type": "array", "title": f.label, "items": {"type": "string", "enum": list(f.options)}}
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


def clean_value(f: FormField, value):
    """Return the value in its canonical form, or raise ValueError with a Spanish message."""
    t = f.type
    if t in ("text", "textarea", "document", "user"):
        if not isinstance(value, (str, int, float)):
            raise ValueError("debe ser texto")
        return str(value).strip()
    if t == "integer":
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError("debe ser un número entero") from None
        return _bounded(f, number)
    if t == "number":
        try:
            number = float(str(value).strip())
        except ValueError:
            raise ValueError("debe ser un número") from None
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
        text = str(value).strip()
        if not DNI.match(text):
            raise ValueError("el DNI debe tener 8 dígitos")
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
    raise ValueError("tipo de campo desconocido")


def _bounded(f: FormField, number):
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
            errors[key] = f"El campo «{key}» no pertenece a esta actividad."
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
