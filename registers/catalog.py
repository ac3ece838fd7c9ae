"""The registers of the catalog as the running system sees them: read once per process."""
from __future__ import annotations

import re
import unicodedata
from functools import cache

from django.conf import settings
from django.http import Http404

from engine.registers import Register, load_registers


@cache
def registers() -> dict[str, Register]:
    return load_registers(settings.MAPRO_CATALOG_DIR)


def get(slug: str) -> Register:
    try:
        return registers()[slug]
    except KeyError:
        raise Http404("No existe ese registro.") from None


def reload() -> None:
    registers.cache_clear()


_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fold(value) -> str:
    """A value as filters and keys compare it: accents and case ignored, spaces collapsed."""
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    text = unicodedata.normalize("NFKD", "" if value is None else str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(text.split())[:200]


def words(value) -> list[str]:
    """The searchable words of a value: ASCII letters and digits only (see registers.search)."""
    return [w[:60] for w in _NOT_WORD.split(fold(value)) if w]


def natural_key(register: Register, values: dict) -> str:
    return " | ".join(fold(values.get(k)) for k in register.key)
