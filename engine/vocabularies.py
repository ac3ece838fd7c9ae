"""The closed lists the sheets use (deviation kinds, schedule rules, field types) and the actions
of the audit trail, each key with its Spanish label, read once from catalog/vocabularies.yaml.
No Django here."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

FILE_NAME = "vocabularies.yaml"
SECTIONS = ("deviation_kinds", "schedule_rules", "field_types", "audit_actions")


class VocabularyError(Exception):
    """The vocabulary file cannot be read; the message names the file."""


@dataclass(frozen=True)
class Vocabulary:
    """Keys in the order the file lists them, each with its label. `key in vocabulary` works."""

    name: str
    labels: tuple[tuple[str, str], ...]

    def __contains__(self, key) -> bool:
        return any(k == key for k, _ in self.labels)

    def __iter__(self):
        return (k for k, _ in self.labels)

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.labels)

    def label(self, key) -> str:
        """The Spanish label of a key; the key itself when it is not in the vocabulary."""
        return next((label for k, label in self.labels if k == key), str(key))

    def as_dict(self) -> dict[str, str]:
        return dict(self.labels)


@dataclass(frozen=True)
class Vocabularies:
    deviation_kinds: Vocabulary
    schedule_rules: Vocabulary
    field_types: Vocabulary
    audit_actions: Vocabulary
    source: str = FILE_NAME


def default_catalog_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "catalog"


def parse_vocabularies(text: str, source: str = FILE_NAME) -> Vocabularies:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise VocabularyError(f"{source}: YAML inválido: {exc}") from None
    if not isinstance(raw, dict):
        raise VocabularyError(f"{source}: el archivo debe ser un mapa YAML")
    found = {}
    for section in SECTIONS:
        entries = raw.get(section)
        if not isinstance(entries, dict) or not entries:
            raise VocabularyError(f"{source}: falta el vocabulario «{section}» (un mapa clave: etiqueta)")
        labels = []
        for key, label in entries.items():
            if not isinstance(key, str) or not isinstance(label, str) or not label.strip():
                raise VocabularyError(f"{source}: {section}: la clave «{key}» necesita una etiqueta en español")
            labels.append((key, label.strip()))
        found[section] = Vocabulary(section, tuple(labels))
    return Vocabularies(source=source, **found)


@cache
def load_vocabularies(directory: Path | str | None = None) -> Vocabularies:
    path = Path(directory or default_catalog_dir()) / FILE_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise VocabularyError(f"{FILE_NAME}: no se pudo leer ({exc.strerror})") from None
    return parse_vocabularies(text, FILE_NAME)


def deviation_kind_label(kind: str) -> str:
    return load_vocabularies().deviation_kinds.label(kind)


def schedule_rule_label(rule: str) -> str:
    return load_vocabularies().schedule_rules.label(rule)


def field_type_label(field_type: str) -> str:
    return load_vocabularies().field_types.label(field_type)


def audit_action_label(action: str) -> str:
    return load_vocabularies().audit_actions.label(action)
