"""The office edits document templates here, without a developer: saving a template writes a new
version (the documents drafted from the old one keep it); the page shows a preview of the body
rendered for a sample case. Documents, versions, vistos buenos, signatures and numbering are shown
read-only: they change only through documents.actions."""
from django.contrib import admin
from django.utils.html import format_html

import audit

from . import render
from .models import Approval, Document, DocumentTemplate, DocumentVersion, Sequence, Signature

SAMPLE = {
    "caso": {"numero": "S04.03.04.02-2026-000123", "asunto": "Equipo de cómputo no enciende",
             "procedimiento": "S04.03.04.02", "procedimiento_nombre": "Atención de requerimientos de soporte técnico",
             "solicitante": "Ana Quispe Mamani", "unidad": "Dirección General de Recursos Humanos (DIGERH)",
             "unidad_siglas": "DIGERH", "iniciado": "27 de setiembre de 2026", "estado": "En curso",
             "prioridad": "Media", "ticket": "TK-2026-000045"},
    "datos": {"equipo": "PC-0042", "diagnostico": "Fuente de poder dañada"},
    "datos_lista": [("Equipo", "PC-0042"), ("Diagnóstico", "Fuente de poder dañada")],
    "decisiones": [{"actividad": 5, "nombre": "Evaluar el equipo", "decision": "No tiene reparación",
                    "fecha": "28/09/2026 10:30", "usuario": "Soporte Técnico"}],
    "documento": {"numero": "INFORME N° 00045-2026-MINDEF/SG-OGTIE", "tipo": "INFORME", "asunto": "Baja del equipo PC-0042",
                  "remitente": "Soporte Técnico", "destinatarios": "Jefe(a) de la OGTIE", "referencia": "", "folios": 2,
                  "anexos": "", "clasificacion": "PÚBLICO", "fecha": "29 de setiembre de 2026",
                  "unidad_emisora": "MINDEF/SG-OGTIE"},
    "campos": {"conclusiones": "Procede la baja del equipo."}, "filas": [["1", "PC-0042"]],
    "plantilla": "Informe de baja", "actividad": {"n": 5, "nombre": "Evaluar el equipo"}, "hoy": "29 de setiembre de 2026",
}


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "version", "type", "active", "created_at")
    list_filter = ("type", "active")
    search_fields = ("name", "slug", "body")
    readonly_fields = ("slug", "version", "created_by", "created_at", "preview")
    fields = ("slug", "version", "name", "type", "procedures", "classification", "active", "body", "preview",
              "created_by", "created_at")

    def get_queryset(self, request):
        return DocumentTemplate.current() if request.GET.get("historial") is None else super().get_queryset(request)

    @admin.display(description="vista previa (caso de ejemplo)")
    def preview(self, obj):
        if obj is None or not obj.pk:
            return "—"
        try:
            text = render.render_text(obj.body, SAMPLE)
        except render.TemplateError as exc:
            return format_html('<strong class="errornote">{}</strong>', str(exc))
        return format_html('<pre class="template-preview">{}</pre>', text)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ("version", "created_by", "created_at", "preview")

    def save_model(self, request, obj, form, change):
        """An edit is a new row: version + 1, the previous version untouched."""
        try:
            render.render_text(obj.body, SAMPLE)
        except render.TemplateError:
            pass   # the preview shows the error; a template is still saved so that staff can fix it
        if change:
            latest = DocumentTemplate.objects.filter(slug=obj.slug).order_by("-version").first()
            obj.pk = None
            obj._state.adding = True
            obj.version = (latest.version if latest else 0) + 1
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
        audit.record("document_template.changed", actor=request.user, obj=obj,
                     after={"slug": obj.slug, "version": obj.version, "name": obj.name})

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VersionInline(admin.TabularInline):
    model = DocumentVersion
    fields = ("n", "sha256", "frozen", "created_by", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnly):
    list_display = ("__str__", "type", "status", "classification", "subject", "case", "created_at")
    list_filter = ("type", "status", "classification", "direction")
    search_fields = ("number", "subject", "sender", "recipients")
    inlines = [VersionInline]


@admin.register(Approval)
class ApprovalAdmin(ReadOnly):
    list_display = ("document", "version", "user", "created_at")


@admin.register(Signature)
class SignatureAdmin(ReadOnly):
    list_display = ("document", "version", "user", "signer", "created_at")


@admin.register(Sequence)
class SequenceAdmin(ReadOnly):
    list_display = ("series", "year", "unit", "last")
