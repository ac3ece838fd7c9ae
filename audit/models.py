"""The audit trail: one append-only row per change of state, sign-in and read of personal data.

Writers insert an entry with its seal fields empty (audit.record, or cases.store for a task's
completion, in the change's own transaction); they never compute a hash, so concurrent writers are
not serialised on one. The sealer (audit.chain.seal, run by `mapro worker`) numbers unsealed entries
in id order under a row lock on ChainHead and fills seq, prev_hash, hash and sealed_at: each hash
covers the previous one and the entry's own content, so altering, deleting or reordering a sealed
entry breaks the chain, which `mapro audit verify` recomputes.

Append-only as far as the database allows: save() refuses to update, delete() refuses; triggers
(migration 0001) refuse UPDATE of a sealed row or of an unsealed row's content, and DELETE.
"""
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

GENESIS = "0" * 64   # the prev_hash of the first entry
SEAL_FIELDS = ("seq", "prev_hash", "hash", "sealed_at")


class AppendOnly(Exception):
    """An audit entry cannot be changed or deleted."""


class Entry(models.Model):
    created_at = models.DateTimeField("fecha", default=timezone.now)
    # No database constraint and nothing done when the user is deleted: the entry must not change,
    # and actor_name keeps who it was (and is what the trail is searched by: no index here).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, db_index=False, related_name="+", verbose_name="usuario")
    actor_name = models.CharField("nombre de usuario", max_length=150, blank=True,
                                  help_text="Vacío: el sistema (programador, carga de la organización)")
    ip = models.GenericIPAddressField("dirección IP", null=True, blank=True)
    action = models.CharField("acción", max_length=40, help_text="catalog/vocabularies.yaml, audit_actions")
    object_type = models.CharField("tipo de objeto", max_length=20, blank=True)
    object_id = models.CharField("identificador del objeto", max_length=64, blank=True)
    label = models.CharField("objeto", max_length=200, blank=True, help_text="El número del caso, el usuario…")
    before = models.JSONField("antes", null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField("después", null=True, blank=True, encoder=DjangoJSONEncoder)
    # Paths ("data.dni") of the values in before/after that are personal data: masked when shown.
    personal = models.JSONField("datos personales", default=list, blank=True)
    seq = models.BigIntegerField("número en la cadena", null=True, blank=True, unique=True)
    prev_hash = models.CharField("huella anterior", max_length=64, blank=True, default="")
    hash = models.CharField("huella", max_length=64, blank=True, default="")
    sealed_at = models.DateTimeField("sellada", null=True, blank=True)

    class Meta:
        verbose_name = "entrada de auditoría"
        verbose_name_plural = "registro de auditoría"
        ordering = ["-id"]
        # What the trail's filters use (an address is looked up within a date range: no index of its
        # own). Every index is one more write in each task completion.
        indexes = [
            models.Index(fields=["created_at", "id"], name="audit_created"),
            models.Index(fields=["action", "created_at"], name="audit_action"),
            models.Index(fields=["actor_name", "created_at"], name="audit_actor"),
            models.Index(fields=["label", "created_at"], name="audit_label"),
            # The sealer's queue: only the few entries not yet sealed.
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="audit_unsealed"),
        ]

    def __str__(self):
        return f"{self.action} · {self.label or self.object_type} · {self.actor_name or 'sistema'}"

    @property
    def sealed(self) -> bool:
        return self.seq is not None

    @property
    def action_label(self) -> str:
        from engine.vocabularies import audit_action_label

        return audit_action_label(self.action)

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("Una entrada de auditoría no se modifica.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Una entrada de auditoría no se borra.")


class ChainHead(models.Model):
    """The end of the sealed chain (one row, id 1): the sealer locks it, so two sealers never
    number the same entries, and verify checks that no entry after it was removed."""

    seq = models.BigIntegerField("última entrada sellada", default=0)
    hash = models.CharField("huella de la última entrada", max_length=64, default=GENESIS)
    sealed_at = models.DateTimeField("último sellado", null=True, blank=True)

    class Meta:
        verbose_name = "cabeza de la cadena de auditoría"
        verbose_name_plural = "cabeza de la cadena de auditoría"

    def __str__(self):
        return f"n.º {self.seq}"
