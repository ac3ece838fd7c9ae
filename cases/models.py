"""Cases (one run of a procedure), their tasks (denormalized for fast inboxes) and history."""
import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone

from org.models import unit_id_of


def attachments_storage():
    """Where uploaded files go: settings.STORAGES["attachments"] (local disk outside the web
    root by default; an S3-compatible store by setting)."""
    return storages["attachments"]


class Case(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "En curso"
        COMPLETED = "completed", "Concluido"
        CANCELLED = "cancelled", "Anulado"
        WITHDRAWN = "withdrawn", "Desistido"

    class Priority(models.TextChoices):
        LOW = "low", "Baja"
        MEDIUM = "medium", "Media"
        HIGH = "high", "Alta"

    number = models.CharField("número", max_length=40, unique=True)
    procedure = models.CharField("procedimiento", max_length=20, db_index=True)
    version = models.PositiveIntegerField("versión")
    start_key = models.CharField("inicio", max_length=80, blank=True)
    # What the case is about, for people scanning lists: typed at the start, or taken from the
    # form field the sheet marks `subject: true` when that activity is completed.
    subject = models.CharField("asunto", max_length=200, blank=True, default="")
    priority = models.CharField("prioridad", max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField("estado", max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases_started", verbose_name="solicitante")
    requester_unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.SET_NULL, verbose_name="unidad solicitante")
    created_at = models.DateTimeField("iniciado", default=timezone.now)
    updated_at = models.DateTimeField("actualizado", default=timezone.now)
    completed_at = models.DateTimeField("concluido", null=True, blank=True)
    state = models.TextField("estado del motor")
    lock_version = models.PositiveIntegerField("versión de bloqueo", default=0)

    class Meta:
        verbose_name = "caso"
        verbose_name_plural = "casos"
        ordering = ["-created_at"]
        # Lists and searches show the newest cases first: walking this index they check who may
        # see each case (procedure) and the usual filters (status) without reading its row.
        indexes = [
            models.Index(fields=["created_at", "procedure", "status"], name="case_list"),
            models.Index(fields=["procedure", "status", "created_at"], name="case_procedure_status"),
        ]

    def __str__(self):
        return self.number


class CaseSearch(models.Model):
    """A case's search document: what the full-text index reads (cases/search.py keeps it).

    The text columns are denormalized copies, so one row answers a word search without reading
    the case's history. The index itself is the database's own, created by migration 0005: on
    SQLite an FTS5 table over these columns (kept in step by triggers), on PostgreSQL a generated
    tsvector column (Spanish stemming, accents removed) with a GIN index."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="search", verbose_name="caso")
    number = models.CharField("número", max_length=40)
    subject = models.CharField("asunto", max_length=200, blank=True, default="")
    requester = models.CharField("solicitante", max_length=300, blank=True, default="")   # username and full name
    unit = models.CharField("unidad", max_length=300, blank=True, default="")             # acronym and name
    body = models.TextField("texto", blank=True, default="")                              # form data, public comments

    class Meta:
        verbose_name = "documento de búsqueda"
        verbose_name_plural = "documentos de búsqueda"


class CaseSequence(models.Model):
    """Per procedure and year, the last case number handed out."""

    procedure = models.CharField("procedimiento", max_length=20)
    year = models.PositiveIntegerField("año")
    last = models.PositiveIntegerField("último número", default=0)

    class Meta:
        verbose_name = "numeración de casos"
        verbose_name_plural = "numeraciones de casos"
        constraints = [models.UniqueConstraint(fields=["procedure", "year"], name="unique_case_sequence")]


class Task(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Pendiente"
        COMPLETED = "completed", "Atendida"
        CANCELLED = "cancelled", "Anulada"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks", verbose_name="caso")
    procedure = models.CharField("procedimiento", max_length=20)
    engine_id = models.CharField("identificador en el motor", max_length=36)
    activity = models.PositiveIntegerField("actividad")
    waiting = models.BooleanField("espera a un tercero", default=False)
    name = models.CharField("nombre", max_length=300)
    role = models.CharField("rol", max_length=60)
    roles = models.CharField("roles", max_length=400, default="", help_text="Todos los roles que pueden atenderla, separados por comas")
    # assignee, completed_by: indexed with the case (Meta), which is what "the cases this person
    # took part in" (access.visible_cases) reads, from the index alone.
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks_assigned", verbose_name="asignada a", db_index=False)
    # A requesting-unit activity (the Director(a)/Jefe(a) of the unit that asked) is offered only
    # to holders of its roles who belong to that unit.
    unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="solo para la unidad")
    status = models.CharField("estado", max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField("creada", default=timezone.now)
    claimed_at = models.DateTimeField("tomada", null=True, blank=True)
    completed_at = models.DateTimeField("atendida", null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks_completed", verbose_name="atendida por", db_index=False)
    due_at = models.DateTimeField("vence")

    class Meta:
        verbose_name = "tarea"
        verbose_name_plural = "tareas"
        indexes = [
            models.Index(fields=["status", "assignee", "due_at"], name="task_inbox_mine"),
            models.Index(fields=["case", "status"], name="task_case_status"),
            models.Index(fields=["assignee", "case"], name="task_assignee_case"),
            models.Index(fields=["completed_by", "case"], name="task_completed_by_case"),
        ]

    def __str__(self):
        return f"{self.case.number} · {self.activity}. {self.name}"

    @property
    def role_list(self) -> list[str]:
        return self.roles.split(",") if self.roles else [self.role]

    @property
    def offer_roles(self) -> list[str]:
        """The roles an open task is offered to: all of its roles, unless someone holds it."""
        return [] if self.assignee_id else self.role_list

    def is_for_unit_of(self, user) -> bool:
        return self.unit_id is None or unit_id_of(user) == self.unit_id

    @property
    def is_open(self):
        return self.status == self.Status.OPEN

    @property
    def is_overdue(self):
        return self.is_open and self.due_at < timezone.now()


class TaskOffer(models.Model):
    """An open, unclaimed task offered to one of its roles.

    Rows exist only while the task is open and nobody holds it, so the "available" inbox reads
    a small table in due-date order through one index instead of filtering every task."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="offers", verbose_name="tarea")
    role = models.CharField("rol", max_length=60)
    # As Task.unit. No index of its own: "unit IS NULL" matches nearly every offer, and SQLite would
    # pick such an index over the covering offer_inbox_unit.
    unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False,
                             verbose_name="solo para la unidad")
    procedure = models.CharField("procedimiento", max_length=20)
    due_at = models.DateTimeField("vence")

    class Meta:
        verbose_name = "oferta de tarea"
        verbose_name_plural = "ofertas de tareas"
        # Covers the "available" inbox query: no table row is read until the page's tasks are fetched.
        indexes = [models.Index(fields=["role", "due_at", "task", "unit"], name="offer_inbox_unit")]
        constraints = [models.UniqueConstraint(fields=["task", "role"], name="unique_task_offer")]


class Event(models.Model):
    class Kind(models.TextChoices):
        STARTED = "started", "Inicio del caso"
        COMPLETED = "completed", "Actividad atendida"
        CLAIMED = "claimed", "Tarea tomada"
        RELEASED = "released", "Tarea liberada"
        REASSIGNED = "reassigned", "Tarea reasignada"
        CANCELLED = "cancelled", "Caso anulado"
        WITHDRAWN = "withdrawn", "Solicitud desistida"
        FINISHED = "finished", "Fin del procedimiento"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name="caso")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="events", verbose_name="tarea")
    kind = models.CharField("tipo", max_length=12, choices=Kind.choices)
    activity = models.PositiveIntegerField("actividad", null=True, blank=True)
    name = models.CharField("nombre", max_length=300, blank=True)
    role = models.CharField("rol", max_length=60, blank=True)
    # Indexed with the case (Meta), as access.visible_cases reads it.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="usuario", db_index=False)
    decision = models.CharField("decisión", max_length=120, blank=True)
    data = models.JSONField("datos registrados", default=dict, blank=True)
    note = models.CharField("nota", max_length=300, blank=True)
    created_at = models.DateTimeField("fecha", default=timezone.now)

    class Meta:
        verbose_name = "evento del historial"
        verbose_name_plural = "historial de los casos"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["user", "case"], name="event_user_case")]


class SheetVersion(models.Model):
    """The text of a procedure sheet version some case started on, kept so the case can run to its
    end on that version after the repository's sheet moves on."""

    procedure = models.CharField("procedimiento", max_length=20)
    version = models.PositiveIntegerField("versión")
    text = models.TextField("ficha (YAML)")
    digest = models.CharField("huella del flujo y formularios", max_length=64, help_text="Sheet.behaviour_digest()")
    recorded_at = models.DateTimeField("registrada", default=timezone.now)

    class Meta:
        verbose_name = "versión de ficha"
        verbose_name_plural = "versiones de fichas"
        constraints = [models.UniqueConstraint(fields=["procedure", "version"], name="unique_sheet_version")]

    def __str__(self):
        return f"{self.procedure} v{self.version}"


class Comment(models.Model):
    """A message in the case's conversation. Internal notes are for the people handling the case;
    the requester never sees them."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="comments", verbose_name="caso")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="autor")
    body = models.TextField("mensaje")
    internal = models.BooleanField("nota interna", default=False)
    created_at = models.DateTimeField("fecha", default=timezone.now)

    class Meta:
        verbose_name = "comentario"
        verbose_name_plural = "comentarios"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="comment_case_time")]


def attachment_path(instance, filename):
    # The stored name never comes from the user: the original name is kept in `name`.
    return f"casos/{instance.case_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file added to a case, either on its own or as the value of a `file` field of an activity."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments", verbose_name="caso")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="tarea")
    field_key = models.CharField("campo", max_length=60, blank=True, default="")
    file = models.FileField("archivo", upload_to=attachment_path, storage=attachments_storage, max_length=200)
    name = models.CharField("nombre", max_length=200)
    size = models.PositiveBigIntegerField("tamaño (bytes)")
    content_type = models.CharField("tipo", max_length=100)
    sha256 = models.CharField("SHA-256", max_length=64)
    internal = models.BooleanField("interno", default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="subido por")
    created_at = models.DateTimeField("fecha", default=timezone.now)

    class Meta:
        verbose_name = "adjunto"
        verbose_name_plural = "adjuntos"
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.name
