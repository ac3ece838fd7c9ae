"""`mapro manual --output manual.pdf`: regenerate the whole MAPRO S04 from the procedure sheets."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from documents.manual_pdf import build_manual
from engine.sheets import SheetError


class Command(BaseCommand):
    help = "Genera el Manual de Procedimientos (MAPRO S04) completo en PDF a partir de las fichas."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", default="manual.pdf", help="Archivo PDF a escribir (manual.pdf).")
        parser.add_argument("--catalog", default=None,
                            help="Carpeta del catálogo (organization.yaml y sheets/); por defecto, catalog/ del proyecto.")
        parser.add_argument("--fonts", choices=["auto", "base"], default="auto",
                            help="auto: DejaVu si está instalada (si no, Vera de reportlab); base: Helvetica sin incrustar.")

    def handle(self, *args, output, catalog, fonts, **options):
        path = Path(output)
        try:
            result = build_manual(path, catalog_dir=catalog, fonts=fonts, generated=timezone.localtime())
        except (SheetError, OSError, ValueError) as exc:
            raise CommandError(f"No se pudo generar el manual: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(
            f"Manual escrito en {result.path}: {result.pages} páginas, {result.procedures} procedimientos "
            f"({result.diagram_parts} partes de diagramas de flujo) en {result.seconds:.1f} s."
        ))
