"""The office's documents: templates (versioned, edited in the admin), documents, their versions
(rendered PDF, hash, frozen once approved or signed), vistos buenos and signatures.

The document register is the Document table itself (documents.views.register, /documentos/).
Types, numbering patterns and the first version of every template: catalog/documents.yaml.
"""
from __future__ import annotations

import uuid
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings
from django.db import models
from django.utils import timezone

from cases.models import attachments_storage

from .numbering import DEFAULT_PATTERN, DEFAULT_UNIT, Sequence  # noqa: F401  (Sequence: a model of this app)



# --- the catalog ----------------------------------------------------------------------------
@cache
def catalog() -> dict:
    with open(Path(settings.MAPRO_CATALOG_DIR) / "documents.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def document_types() -> dict[str, dict]:
    """type slug -> {label, series, numbered, pattern, sistradoc, layout}."""
    data = catalog()
    found = {}
    for slug, t in data["types"].items():
        found[slug] = {"label": t["label"], "series": t.get("series", slug), "numbered": t.get("numbered", True),
                       "pattern": t.get("pattern", data.get("default_pattern", DEFAULT_PATTERN)),
                       "sistradoc": t.get("sistradoc", ""), "layout": t.get("layout", "letter")}
    return found


def default_unit() -> str:
    return catalog().get("default_unit", DEFAULT_UNIT)


def type_label(slug: str) -> str:
    t = document_types().get(slug)
    return t["label"] if t else slug


FORMATO_HEAD = """Unidad:: {{ caso.unidad|default:"Oficina General de Tecnologías de la Información y Estadística" }}
Referencia:: Caso {{ caso.numero }}, {{ caso.asunto }}{% if caso.ticket %} (ticket {{ caso.ticket }}){% endif %}
Fecha:: {{ documento.fecha }}
"""


def formato_body(entry: dict) -> str:
    """The default body of a formato: its heading block, a section per heading (filled from the
    document's fields or the case's data), and its matrix in the formato's own columns."""
    parts = [FORMATO_HEAD, "{{ campos.introduccion|default:documento.asunto }}", ""]
    for n, heading in enumerate(entry.get("sections") or [], start=1):
        key = f"seccion_{n}"
        parts += [f"## {heading}", "{{ campos.%s|default:\"\" }}" % key, ""]
    columns = entry.get("columns") or []
    if columns:
        parts.append("| " + " | ".join(columns) + " |")
        parts.append("{% for fila in filas %}| {% for celda in fila %}{{ celda }} | {% endfor %}\n{% endfor %}")
        parts.append("")
    parts += ["## Datos del caso", "{% for clave, valor in datos_lista %}- {{ clave }}: {{ valor }}",
              "{% endfor %}"]
    return "\n".join(parts) + "\n"


def catalog_templates() -> list[dict]:
    """The catalog's templates with their bodies (a formato's built from its sections and columns)."""
    found = []
    for entry in catalog()["templates"]:
        body = entry.get("body") or formato_body(entry)
        found.append({**entry, "body": body, "procedures": list(entry.get("procedures") or []),
                      "classification": entry.get("classification", "PÚBLICO")})
    return found


def catalog_entry(slug: str) -> dict | None:
    return next((e for e in catalog()["templates"] if e["slug"] == slug), None)


class Classification(models.TextChoices):
    """Security classification, printed on the document; cases.access decides who reads each level."""
    PUBLIC = "publico", "PÚBLICO"
    RESERVED = "reservado", "RESERVADO"
    CONFIDENTIAL = "confidencial", "CONFIDENCIAL"
    SECRET = "secreto", "SECRETO"


# --- templates ------------------------------------------------------------------------------
class DocumentTemplate(models.Model):
    """One version of a template. Editing a template in the admin writes a new row (version + 1);
    documents keep the row they were drafted from."""

    slug = models.SlugField("clave", max_length=80)
    version = models.PositiveIntegerField("versión", default=1)
    name = models.CharField("nombre", max_length=200)
    type = models.CharField("tipo de documento", max_length=40)
    procedures = models.JSONField("procedimientos", default=list, blank=True,
                                  help_text="Códigos de los procedimientos que lo usan; vacío: todos.")
    classification = models.CharField("clasificación por defecto", max_length=12, choices=Classification.choices,
                                      default=Classification.PUBLIC)
    body = models.TextField("cuerpo", help_text="Sintaxis de plantillas de Django; ver catalog/documents.yaml.")
    active = models.BooleanField("vigente", default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name="editado por")
    created_at = models.DateTimeField("fecha", default=timezone.now)

    class Meta:
        verbose_name = "plantilla de documento"
        verbose_name_plural = "plantillas de documentos"
        ordering = ["slug", "-version"]
        constraints = [models.UniqueConstraint(fields=["slug", "version"], name="unique_template_version")]

    def __str__(self):
        return f"{self.name} (v{self.version})"

    def applies_to(self, procedure: str) -> bool:
        return not self.procedures or procedure in self.procedures

    @classmethod
    def current(cls):
        """The latest version of each active template."""
        latest = cls.objects.filter(slug=models.OuterRef("slug")).order_by("-version").values("pk")[:1]
        return cls.objects.filter(pk=models.Subquery(latest), active=True).order_by("name")


# --- documents ------------------------------------------------------------------------------
class Document(models.Model):
    class Status(models.TextChoices):
        DRAFT = "proyecto", "Proyecto"
        APPROVED = "visado", "Visado"
        SIGNED = "firmado", "Firmado"
        SENT = "enviado", "Enviado"
        RECEIVED = "recibido", "Recibido"
        ANNULLED = "anulado", "Anulado"

    class Direction(models.TextChoices):
        ISSUED = "emitido", "Emitido"
        RECEIVED = "recibido", "Recibido"

    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="documents",
                             verbose_name="caso")
    task = models.ForeignKey("cases.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name="tarea")
    activity = models.PositiveIntegerField("actividad", null=True, blank=True)
    template = models.ForeignKey(DocumentTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name="plantilla (versión)")
    type = models.CharField("tipo", max_length=40, db_index=True)
    series = models.CharField("serie", max_length=60, blank=True)
    year = models.PositiveIntegerField("año")
    issuing_unit = models.CharField("unidad emisora", max_length=60)
    sequence_number = models.PositiveIntegerField("correlativo", null=True, blank=True)
    number = models.CharField("número", max_length=120, blank=True, db_index=True)
    classification = models.CharField("clasificación", max_length=12, choices=Classification.choices,
                                      default=Classification.PUBLIC)
    subject = models.CharField("asunto", max_length=300)
    sender = models.CharField("remitente", max_length=300, blank=True)
    recipients = models.TextField("destinatarios", blank=True)
    reference = models.CharField("referencia", max_length=300, blank=True)
    folios = models.PositiveIntegerField("folios", default=1)
    annexes = models.TextField("anexos", blank=True)
    direction = models.CharField("sentido", max_length=10, choices=Direction.choices, default=Direction.ISSUED)
    status = models.CharField("estado", max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="autor")
    created_at = models.DateTimeField("creado", default=timezone.now)
    updated_at = models.DateTimeField("actualizado", default=timezone.now)
    issued_at = models.DateTimeField("numerado", null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name="numerado por")
    sent_at = models.DateTimeField("enviado", null=True, blank=True)
    registration = models.CharField("registro en el sistema documental", max_length=120, blank=True)
    annulled_at = models.DateTimeField("anulado", null=True, blank=True)
    annulled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name="anulado por")
    annul_reason = models.CharField("motivo de la anulación", max_length=300, blank=True)

    class Meta:
        verbose_name = "documento"
        verbose_name_plural = "registro de documentos"
        ordering = ["-created_at", "-id"]
        constraints = [
            # An issued number is never handed out twice (annulled documents keep theirs).
            models.UniqueConstraint(fields=["series", "year", "issuing_unit", "sequence_number"],
                                    condition=models.Q(sequence_number__isnull=False), name="unique_document_number"),
        ]
        indexes = [models.Index(fields=["case", "created_at"], name="document_case_time")]

    def __str__(self):
        return self.number or f"{self.type_label} (proyecto {self.pk})"

    @property
    def type_label(self) -> str:
        return type_label(self.type)

    @property
    def type_info(self) -> dict:
        return document_types().get(self.type, {"label": self.type, "series": self.type, "numbered": True,
                                                  "pattern": DEFAULT_PATTERN, "sistradoc": "", "layout": "letter"})

    @property
    def is_annulled(self) -> bool:
        return self.status == self.Status.ANNULLED

    def current_version(self):
        return self.versions.order_by("-n").first()


def version_path(instance, filename):
    return f"documentos/{instance.document_id}/{uuid.uuid4().hex}.pdf"


class DocumentVersion(models.Model):
    """What the document said at one moment, and its PDF. Frozen once it carries a visto bueno or a
    signature: a later change writes a new version."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions", verbose_name="documento")
    n = models.PositiveIntegerField("versión")
    template = models.ForeignKey(DocumentTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name="plantilla")
    data = models.JSONField("datos", default=dict, blank=True)
    pdf = models.FileField("PDF", upload_to=version_path, storage=attachments_storage, max_length=200)
    sha256 = models.CharField("SHA-256", max_length=64)
    frozen = models.BooleanField("congelada", default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="autor")
    created_at = models.DateTimeField("fecha", default=timezone.now)

    class Meta:
        verbose_name = "versión de documento"
        verbose_name_plural = "versiones de documentos"
        ordering = ["document", "n"]
        constraints = [models.UniqueConstraint(fields=["document", "n"], name="unique_document_version")]

    def __str__(self):
        return f"{self.document} v{self.n}"


class Approval(models.Model):
    """A visto bueno: who vouched for which version, when."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="approvals", verbose_name="documento")
    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="approvals", verbose_name="versión")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="visado por")
    sha256 = models.CharField("SHA-256 visado", max_length=64)
    note = models.CharField("nota", max_length=300, blank=True)
    created_at = models.DateTimeField("fecha", default=timezone.now)

    class Meta:
        verbose_name = "visto bueno"
        verbose_name_plural = "vistos buenos"
        ordering = ["created_at", "id"]


def signed_path(instance, filename):
    return f"documentos/{instance.document_id}/firmado-{uuid.uuid4().hex}.pdf"


class Signature(models.Model):
    """A signed PDF of one version, accepted after its signature was verified."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="signatures", verbose_name="documento")
    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="signatures", verbose_name="versión")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="firmado por")
    signed_pdf = models.FileField("PDF firmado", upload_to=signed_path, storage=attachments_storage, max_length=200)
    sha256 = models.CharField("SHA-256 del PDF firmado", max_length=64)
    signer = models.CharField("firmante (certificado)", max_length=300, blank=True)
    verification = models.JSONField("resultado de la verificación", default=dict, blank=True)
    created_at = models.DateTimeField("fecha", default=timezone.now)

    class Meta:
        verbose_name = "firma"
        verbose_name_plural = "firmas"
        ordering = ["created_at", "id"]


def load_catalog_templates(Template=None, user=None) -> tuple[int, int]:
    """Write the catalog's templates into the database: a template not there yet becomes version 1;
    one whose latest version still holds an earlier catalog body (nobody edited it in the admin)
    gets the catalog's new body as a new version; one the office edited is left alone.
    Returns (created, updated). `Template`: the model (a data migration passes its historical one)."""
    Template = Template or DocumentTemplate
    by_label = {label: value for value, label in Classification.choices}
    created = updated = 0
    for entry in catalog_templates():
        latest = Template.objects.filter(slug=entry["slug"]).order_by("-version").first()
        fields = {"name": entry["name"], "type": entry["type"], "procedures": entry["procedures"],
                  "classification": by_label.get(entry["classification"], entry["classification"].lower()),
                  "body": entry["body"]}
        if latest is None:
            Template.objects.create(slug=entry["slug"], version=1, created_by=user, **fields)
            created += 1
        elif latest.created_by_id is None and any(getattr(latest, k) != v for k, v in fields.items()):
            Template.objects.create(slug=entry["slug"], version=latest.version + 1, created_by=user, **fields)
            updated += 1
    return created, updated
