"""Tickets of the help desk: what an employee asked, who attends it, the conversation and the
history of every change. Only helpdesk.actions writes them."""
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from cases.models import attachments_storage


# The statuses of a ticket being worked on (assigned, in attention, waiting): lists and indexes.
WORKING = ("asignado", "en_atencion", "en_espera_usuario", "en_espera_proveedor")


class Ticket(models.Model):
    class Type(models.TextChoices):
        INCIDENT = "incidente", "Incidente"
        REQUEST = "requerimiento", "Requerimiento"

    class Channel(models.TextChoices):
        PORTAL = "portal", "Portal"
        MAIL = "correo", "Correo"
        PHONE = "telefono", "Teléfono"
        IN_PERSON = "presencial", "Presencial"
        INTERNAL = "interno", "Interno"

    class Status(models.TextChoices):
        NEW = "nuevo", "Nuevo"
        ASSIGNED = "asignado", "Asignado"
        IN_PROGRESS = "en_atencion", "En atención"
        WAITING_USER = "en_espera_usuario", "En espera del usuario"
        WAITING_SUPPLIER = "en_espera_proveedor", "En espera del proveedor"
        RESOLVED = "resuelto", "Resuelto"
        CLOSED = "cerrado", "Cerrado"
        CANCELLED = "cancelado", "Cancelado"
        RETURNED = "devuelto", "Devuelto al solicitante"

    OPEN_STATUSES = ("nuevo", "asignado", "en_atencion", "en_espera_usuario", "en_espera_proveedor", "devuelto")
    WAITING_STATUSES = ("en_espera_usuario", "en_espera_proveedor")
    DONE_STATUSES = ("resuelto", "cerrado", "cancelado")

    number = models.CharField("número", max_length=20, unique=True)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tickets",
                                  verbose_name="solicitante", db_index=False)
    requester_unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                       verbose_name="unidad solicitante")
    category = models.CharField("categoría", max_length=60)
    type = models.CharField("tipo", max_length=15, choices=Type.choices)
    impact = models.CharField("impacto", max_length=10)
    urgency = models.CharField("urgencia", max_length=10)
    priority = models.CharField("prioridad", max_length=10)
    channel = models.CharField("canal", max_length=12, choices=Channel.choices, default=Channel.PORTAL)
    status = models.CharField("estado", max_length=20, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="tickets_assigned", verbose_name="asignado a", db_index=False)
    team = models.CharField("equipo (rol)", max_length=60, blank=True, default="")
    subject = models.CharField("asunto", max_length=200)
    description = models.TextField("descripción")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets",
                             verbose_name="caso")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates",
                               verbose_name="fusionado en")
    links = models.ManyToManyField("self", blank=True, symmetrical=True, verbose_name="tickets relacionados")
    return_reason = models.CharField("motivo de la devolución", max_length=500, blank=True, default="")
    solution = models.TextField("solución", blank=True, default="")
    created_at = models.DateTimeField("registrado", default=timezone.now)
    updated_at = models.DateTimeField("actualizado", default=timezone.now)
    validated_at = models.DateTimeField("validado", null=True, blank=True)
    first_response_at = models.DateTimeField("primera respuesta", null=True, blank=True)
    resolved_at = models.DateTimeField("resuelto", null=True, blank=True)
    closed_at = models.DateTimeField("cerrado", null=True, blank=True)
    # SLA: the targets copied from the catalogue when the ticket was opened or re-prioritised
    # (business minutes), and the deadlines computed from them on the office calendar.
    respond_minutes = models.PositiveIntegerField("meta de primera respuesta (minutos hábiles)", default=0)
    resolve_minutes = models.PositiveIntegerField("meta de resolución (minutos hábiles)", default=0)
    respond_by = models.DateTimeField("responder antes de", null=True, blank=True)
    resolve_by = models.DateTimeField("resolver antes de", null=True, blank=True)
    rating = models.PositiveSmallIntegerField("calificación (1 a 5)", null=True, blank=True)
    rating_comment = models.CharField("comentario de la calificación", max_length=1000, blank=True, default="")
    lock_version = models.PositiveIntegerField("versión de bloqueo", default=0)

    class Meta:
        verbose_name = "ticket"
        verbose_name_plural = "tickets"
        ordering = ["-created_at"]
        indexes = [
            # The operator's queue (new tickets, oldest first) and the dashboard's backlog.
            models.Index(fields=["status", "created_at"], name="ticket_queue"),
            # "Mis tickets": a requester's own, newest first.
            models.Index(fields=["requester", "created_at"], name="ticket_requester"),
            # "Mis tickets asignados": a technician's open ones.
            models.Index(fields=["assignee", "status", "created_at"], name="ticket_assignee"),
            # A team's tickets.
            models.Index(fields=["team", "status", "created_at"], name="ticket_team"),
            # A team's tickets being worked, oldest first (helpdesk.lists, scope "team"): partial, so the
            # page reads 50 index entries instead of sorting the team's thousands. SQLite uses a partial
            # index only when the query repeats its condition as written: lists.WORKING is this tuple.
            # The assignee is in it so that "the team's others" (assigned page) skips one's own
            # tickets without reading them.
            models.Index(fields=["team", "created_at", "id", "assignee"], name="ticket_working_team",
                         condition=models.Q(status__in=WORKING)),
        ]

    def __str__(self):
        return self.number

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    @property
    def is_waiting(self):
        return self.status in self.WAITING_STATUSES

    def category_name(self):
        from .catalog import catalog

        c = catalog().category(self.category)
        return c.name if c else self.category

    def priority_label(self):
        from .catalog import catalog

        return catalog().priority.get(self.priority, self.priority)

    def impact_label(self):
        from .catalog import catalog

        return catalog().impact.get(self.impact, self.impact)

    def urgency_label(self):
        from .catalog import catalog

        return catalog().urgency.get(self.urgency, self.urgency)


class TicketSequence(models.Model):
    """Per year, the last ticket number handed out (locked in the transaction that uses it)."""

    year = models.PositiveIntegerField("año", unique=True)
    last = models.PositiveIntegerField("último número", default=0)

    class Meta:
        verbose_name = "numeración de tickets"
        verbose_name_plural = "numeraciones de tickets"


class TicketEvent(models.Model):
    """One change of a ticket: append-only (never updated or deleted)."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Ticket registrado"
        VALIDATED = "validated", "Ticket validado"
        RETURNED = "returned", "Devuelto al solicitante"
        RESUBMITTED = "resubmitted", "Corregido por el solicitante"
        CATEGORISED = "categorised", "Categoría cambiada"
        PRIORITISED = "prioritised", "Impacto y urgencia cambiados"
        ASSIGNED = "assigned", "Asignado"
        REPLIED = "replied", "Respuesta"
        NOTE = "note", "Nota interna"
        WAITING = "waiting", "En espera"
        RESUMED = "resumed", "Reanudado"
        RESOLVED = "resolved", "Resuelto"
        CLOSED = "closed", "Cerrado"
        REOPENED = "reopened", "Reabierto"
        CANCELLED = "cancelled", "Cancelado"
        MERGED = "merged", "Fusionado"
        LINKED = "linked", "Relacionado"
        RATED = "rated", "Calificado"
        ATTACHED = "attached", "Adjunto agregado"

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events", verbose_name="ticket")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name="quién", db_index=False)
    kind = models.CharField("qué", max_length=15, choices=Kind.choices)
    before = models.JSONField("antes", default=dict, blank=True)
    after = models.JSONField("después", default=dict, blank=True)
    note = models.CharField("nota", max_length=1000, blank=True, default="")
    created_at = models.DateTimeField("cuándo", default=timezone.now)

    class Meta:
        verbose_name = "evento del ticket"
        verbose_name_plural = "historial de los tickets"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_event_time"),
                   models.Index(fields=["actor", "ticket"], name="ticket_event_actor")]


class TicketMessage(models.Model):
    """A public reply (the requester sees it) or an internal note (only those who attend it)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="messages", verbose_name="ticket")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="autor")
    body = models.TextField("mensaje")
    internal = models.BooleanField("nota interna", default=False)
    minutes_spent = models.PositiveIntegerField("tiempo dedicado (minutos)", default=0)
    created_at = models.DateTimeField("fecha", default=timezone.now)

    class Meta:
        verbose_name = "mensaje del ticket"
        verbose_name_plural = "mensajes de los tickets"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_message_time")]


class TicketPause(models.Model):
    """A span in which the ticket waited for its requester or a supplier: the SLA clock stops."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="pauses", verbose_name="ticket")
    status = models.CharField("espera", max_length=20, choices=Ticket.Status.choices)
    started_at = models.DateTimeField("desde")
    ended_at = models.DateTimeField("hasta", null=True, blank=True)

    class Meta:
        verbose_name = "pausa del SLA"
        verbose_name_plural = "pausas del SLA"
        ordering = ["started_at", "id"]


def ticket_attachment_path(instance, filename):
    # The stored name never comes from the user: the original name is kept in `name`.
    return f"tickets/{instance.ticket_id}/{uuid.uuid4().hex}"


class TicketAttachment(models.Model):
    """A file of a ticket: a required one of its category (`key`), or added to the conversation."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="attachments", verbose_name="ticket")
    message = models.ForeignKey(TicketMessage, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments",
                                verbose_name="mensaje")
    key = models.CharField("adjunto requerido", max_length=60, blank=True, default="")
    file = models.FileField("archivo", upload_to=ticket_attachment_path, storage=attachments_storage, max_length=200)
    name = models.CharField("nombre", max_length=200)
    size = models.PositiveBigIntegerField("tamaño (bytes)")
    content_type = models.CharField("tipo", max_length=100)
    sha256 = models.CharField("SHA-256", max_length=64)
    internal = models.BooleanField("interno", default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="subido por")
    created_at = models.DateTimeField("fecha", default=timezone.now)

    class Meta:
        verbose_name = "adjunto del ticket"
        verbose_name_plural = "adjuntos de los tickets"
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.name


class MailMessage(models.Model):
    """A message of the alert mailbox already turned into a ticket: its Message-ID is unique, and the
    row is inserted in the ticket's transaction, so a message is never ingested twice."""

    key = models.CharField("clave (SHA-256 del Message-ID)", max_length=64, unique=True)
    message_id = models.CharField("Message-ID", max_length=998)
    sender = models.CharField("remitente", max_length=300, blank=True, default="")
    subject = models.CharField("asunto", max_length=300, blank=True, default="")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="ticket")
    created_at = models.DateTimeField("ingresado", default=timezone.now)

    class Meta:
        verbose_name = "correo ingresado"
        verbose_name_plural = "correos ingresados"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.message_id


class SlaNotice(models.Model):
    """An SLA clock of a ticket that was told about to break (warning) or broken (breached): one row
    per ticket, clock and state, inserted with its notifications, so each is told once."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", verbose_name="ticket")
    clock = models.CharField("plazo", max_length=10)     # respond, resolve
    state = models.CharField("estado", max_length=10)    # warning, breached
    created_at = models.DateTimeField("fecha", default=timezone.now)

    class Meta:
        verbose_name = "aviso de SLA"
        verbose_name_plural = "avisos de SLA"
        constraints = [models.UniqueConstraint(fields=["ticket", "clock", "state"], name="unique_sla_notice")]


class Article(models.Model):
    """An article of the knowledge base: a problem and its solution, written by the office (often
    from a resolved ticket). Staff of the office read every article; employees only the published
    ones (cases.access.visible_articles). Only helpdesk.knowledge writes them."""

    class Status(models.TextChoices):
        DRAFT = "borrador", "Borrador"
        PUBLISHED = "publicado", "Publicado en el portal"
        RETIRED = "retirado", "Retirado"

    title = models.CharField("título", max_length=200)
    problem = models.TextField("problema")
    solution = models.TextField("solución")
    category = models.CharField("categoría", max_length=60, blank=True, default="")
    tags = models.CharField("etiquetas", max_length=300, blank=True, default="")
    source_ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles",
                                      verbose_name="ticket de origen")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="autor")
    status = models.CharField("estado", max_length=10, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField("versión", default=1)
    created_at = models.DateTimeField("creado", default=timezone.now)
    updated_at = models.DateTimeField("actualizado", default=timezone.now)
    published_at = models.DateTimeField("publicado", null=True, blank=True)

    class Meta:
        verbose_name = "artículo de la base de conocimiento"
        verbose_name_plural = "base de conocimiento"
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["status", "category", "updated_at"], name="article_portal")]

    def __str__(self):
        return self.title

    @property
    def published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.split(",") if t.strip()]

    def category_name(self):
        from .catalog import catalog

        c = catalog().category(self.category)
        return c.name if c else self.category


class ArticleVersion(models.Model):
    """Each saved version of an article, as it was: append-only."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions", verbose_name="artículo")
    version = models.PositiveIntegerField("versión")
    title = models.CharField("título", max_length=200)
    problem = models.TextField("problema")
    solution = models.TextField("solución")
    category = models.CharField("categoría", max_length=60, blank=True, default="")
    tags = models.CharField("etiquetas", max_length=300, blank=True, default="")
    status = models.CharField("estado", max_length=10, choices=Article.Status.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="autor")
    created_at = models.DateTimeField("fecha", default=timezone.now)

    class Meta:
        verbose_name = "versión de un artículo"
        verbose_name_plural = "versiones de los artículos"
        ordering = ["article", "-version"]
        constraints = [models.UniqueConstraint(fields=["article", "version"], name="unique_article_version")]


class ArticleWord(models.Model):
    """The search index of the knowledge base: each word (registers.catalog.words: accents and
    case folded) of an article's title, problem, solution and tags. A search asks the (word,
    article) index for each word typed; the last one may be the start of a longer word."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+", verbose_name="artículo", db_index=False)
    word = models.CharField("palabra", max_length=60)

    class Meta:
        verbose_name = "palabra de un artículo"
        verbose_name_plural = "palabras de los artículos"
        constraints = [models.UniqueConstraint(fields=["word", "article"], name="unique_article_word")]
