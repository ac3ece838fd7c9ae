"""A person's notifications, their mail preference, and the outbox the worker sends."""
from django.conf import settings
from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    """What a notification is about; the Spanish labels are shown in the list and the e-mails."""
    TASK_OFFERED = "task_offered", "Tarea disponible para su rol"
    TASK_ASSIGNED = "task_assigned", "Tarea asignada a usted"
    REQUEST_RETURNED = "request_returned", "Solicitud devuelta para corrección"
    CASE_COMPLETED = "case_completed", "Solicitud concluida"
    CASE_CANCELLED = "case_cancelled", "Solicitud anulada"
    CASE_WITHDRAWN = "case_withdrawn", "Solicitud desistida"
    COMMENT = "comment", "Nuevo mensaje"
    SLA_WARNING = "sla_warning", "Plazo de atención por vencer"
    TASK_OVERDUE = "task_overdue", "Tarea vencida"
    OTHER = "other", "Aviso"


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  verbose_name="destinatario", db_index=False)
    kind = models.CharField("tipo", max_length=20, choices=Kind.choices)
    title = models.CharField("título", max_length=200)
    body = models.TextField("detalle", blank=True, default="")
    url = models.CharField("enlace", max_length=300, blank=True, default="", help_text="Ruta dentro de mapro, p. ej. /casos/12/")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                             verbose_name="caso")
    created_at = models.DateTimeField("fecha", default=timezone.now)
    read_at = models.DateTimeField("leída", null=True, blank=True)
    # When it went into an e-mail (its own, or a digest); empty: not mailed (yet, or ever).
    mailed_at = models.DateTimeField("enviada por correo", null=True, blank=True)
    # The same fact is notified once per person (e.g. "task.overdue:123"); empty: no deduplication.
    dedupe_key = models.CharField("clave de unicidad", max_length=120, null=True, blank=True)

    class Meta:
        verbose_name = "notificación"
        verbose_name_plural = "notificaciones"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The list (unread first, newest first) and the unread count of the header.
            models.Index(fields=["recipient", "read_at", "created_at"], name="notification_inbox"),
        ]
        constraints = [models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="unique_notification_dedupe")]

    def __str__(self):
        return self.title

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class Preference(models.Model):
    class Mode(models.TextChoices):
        IMMEDIATE = "immediate", "Un correo por cada aviso"
        DIGEST = "digest", "Un resumen diario por correo"
        OFF = "off", "Sin correos (solo en mapro)"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference",
                                verbose_name="persona")
    mode = models.CharField("correos", max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE)
    # The Lima date of the last digest taken for this person: a worker takes a day's digest by
    # moving this forward (one UPDATE), so two workers never send the same digest.
    last_digest_on = models.DateField("último resumen", null=True, blank=True)

    class Meta:
        verbose_name = "preferencia de notificación"
        verbose_name_plural = "preferencias de notificación"

    def __str__(self):
        return f"{self.user} · {self.get_mode_display()}"


def mode_of(user) -> str:
    found = Preference.objects.filter(user=user).values_list("mode", flat=True).first()
    return found or Preference.Mode.IMMEDIATE


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Por enviar"
        SENT = "sent", "Enviado"
        FAILED = "failed", "Fallido"

    to = models.EmailField("para", max_length=254)
    subject = models.CharField("asunto", max_length=250)
    body = models.TextField("texto")
    status = models.CharField("estado", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField("intentos", default=0)
    next_attempt_at = models.DateTimeField("próximo intento", default=timezone.now)
    # A worker sending the row holds it until then; a worker that died mid-send lets it go at that time.
    claimed_until = models.DateTimeField("tomado hasta", null=True, blank=True)
    last_error = models.TextField("último error", blank=True, default="")
    created_at = models.DateTimeField("creado", default=timezone.now)
    sent_at = models.DateTimeField("enviado", null=True, blank=True)
    notification = models.ForeignKey(Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name="notificación")

    class Meta:
        verbose_name = "correo saliente"
        verbose_name_plural = "correos salientes"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self):
        return f"{self.to}: {self.subject}"


class OverdueNotice(models.Model):
    """A task whose lateness was notified: one row per task, inserted with its notifications, so
    the worker tells each late task once (and two workers never both tell it)."""

    task = models.OneToOneField("cases.Task", on_delete=models.CASCADE, primary_key=True, related_name="+", verbose_name="tarea")
    created_at = models.DateTimeField("fecha", default=timezone.now)

    class Meta:
        verbose_name = "aviso de tarea vencida"
        verbose_name_plural = "avisos de tareas vencidas"
