from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Restaura una copia de «mapro backup» en una instalación vacía (base recién creada con «mapro migrate», "
            "sin datos): comprueba antes cada suma SHA-256 del manifiesto, carga las filas con sus claves y escribe "
            "los archivos en el almacenamiento con sus nombres. Todo o nada.")

    def add_arguments(self, parser):
        parser.add_argument("archive", help="La copia (.tar.gz) escrita por «mapro backup»")
        parser.add_argument("--verify-only", action="store_true",
                            help="Solo comprobar la copia (sumas, miembros); no restaurar nada")

    def handle(self, *args, archive: str, verify_only: bool, **options):
        from ops import archive as ops_archive

        try:
            if verify_only:
                with ops_archive.open_archive(archive) as tar:
                    manifest = ops_archive.verify(tar)
                rows = sum(t["rows"] for t in manifest["tables"].values())
                self.stdout.write(f"La copia {archive} está completa e íntegra: {rows} filas de "
                                  f"{len(manifest['tables'])} tablas, {manifest['files']['count']} archivos "
                                  f"(hecha el {manifest['created_at']}, mapro {manifest['mapro_version']}).")
                return
            result = ops_archive.restore(archive)
        except ops_archive.ArchiveError as exc:
            raise CommandError(str(exc)) from None
        m = result.manifest
        for warning in result.warnings:
            self.stderr.write(f"Aviso: {warning}")
        self.stdout.write(
            f"Restaurada la copia del {m['created_at']} (mapro {m['mapro_version']}, base {m['database']['vendor']}): "
            f"{result.rows} filas en {result.tables} tablas y {result.files} archivos.")
