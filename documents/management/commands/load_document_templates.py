"""mapro load_document_templates: the templates of catalog/documents.yaml into the database
(new templates as version 1; a catalog change to a template nobody edited in the admin as a new
version; the office's own edits are kept)."""
from django.core.management.base import BaseCommand

from documents.models import load_catalog_templates


class Command(BaseCommand):
    help = "Carga las plantillas de documentos de catalog/documents.yaml."

    def handle(self, *args, **options):
        created, updated = load_catalog_templates()
        self.stdout.write(f"Plantillas: {created} nuevas, {updated} actualizadas.")
