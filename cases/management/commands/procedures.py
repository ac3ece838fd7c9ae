import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from engine.bpmn import compile_sheet
from engine.export import sheet_summary
from engine.organization import load_organization
from engine.sheets import SheetError, load_catalog
from engine.registers import load_registers
from engine.validate import validate_catalog


class Command(BaseCommand):
    help = "Fichas de procedimientos: validate | compile [--output DIR] | export --format json"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("validate", help="Valida todas las fichas del catálogo.")
        compile_parser = sub.add_parser("compile", help="Escribe un archivo .bpmn por procedimiento.")
        compile_parser.add_argument("--output", default="bpmn-out", help="Carpeta de salida (por defecto bpmn-out/).")
        export = sub.add_parser("export", help="Exporta el catálogo.")
        export.add_argument("--format", choices=["json"], default="json")

    def _load(self):
        try:
            sheets = load_catalog(settings.MAPRO_CATALOG_DIR)
        except SheetError as exc:
            raise CommandError(str(exc)) from None
        organization = load_organization(settings.MAPRO_CATALOG_DIR)
        try:
            registers = load_registers(settings.MAPRO_CATALOG_DIR)
        except SheetError as exc:
            raise CommandError(str(exc)) from None
        errors = validate_catalog(sheets, organization, registers=registers)
        return sheets, organization, errors + self._helpdesk_problems()

    def _helpdesk_problems(self):
        """catalog/helpdesk.yaml, read afresh: every procedure, start, role and field it names must exist."""
        from helpdesk import catalog as helpdesk

        try:
            found = helpdesk.problems(helpdesk.parse(helpdesk._path().read_text(encoding="utf-8")))
        except Exception as exc:  # noqa: BLE001 - a missing file, bad YAML or a missing key: all reported
            return [f"helpdesk.yaml: no se pudo leer ({type(exc).__name__}: {exc})"]
        return [f"helpdesk.yaml: {message}" for message in found]

    def handle(self, *args, action, **options):
        sheets, organization, errors = self._load()
        if errors:
            for message in errors:
                self.stderr.write(message)
            raise CommandError(f"{len(errors)} error(es) en las fichas.")
        if action == "validate":
            activities = sum(len(s.activities) for s in sheets)
            deviations = sum(len(s.deviations) for s in sheets)
            self.stdout.write(f"{len(sheets)} fichas válidas: {activities} actividades, {deviations} desviaciones registradas.")
        elif action == "compile":
            output = Path(options["output"])
            output.mkdir(parents=True, exist_ok=True)
            for sheet in sheets:
                (output / f"{sheet.code}.bpmn").write_bytes(compile_sheet(sheet, organization))
            self.stdout.write(f"{len(sheets)} archivos BPMN escritos en {output}/")
        elif action == "export":
            self.stdout.write(json.dumps({"procedures": [sheet_summary(s) for s in sheets]}, ensure_ascii=False, indent=2))
