from django.core.management.base import BaseCommand, CommandError

from ops import archive


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


class Command(BaseCommand):
    help = ("Escribe una copia de seguridad completa y coherente (.tar.gz) mientras el sistema funciona: todas las "
            "tablas de la base leídas en un mismo instante, los archivos adjuntos (leídos del almacenamiento, disco "
            "o S3) y un manifest.json con las sumas SHA-256. Contiene datos personales: guárdela protegida.")

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", required=True, help="Archivo a escribir, p. ej. /respaldos/mapro.tar.gz")

    def handle(self, *args, output, **options):
        try:
            result = archive.backup(output)
        except archive.ArchiveError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"No se pudo escribir {output}: {exc}") from None
        m = result.manifest
        self.stdout.write(
            f"Copia escrita en {result.path}: {result.rows} filas de {len(m['tables'])} tablas, "
            f"{m['files']['count']} archivos ({_size(m['files']['bytes'])}); base {m['database']['vendor']}, "
            f"mapro {m['mapro_version']}.")
        if result.missing:
            raise CommandError(
                f"La copia se escribió, pero faltan {len(result.missing)} archivos en el almacenamiento "
                f"(anotados en el manifiesto): " + "; ".join(result.missing[:5]) + ("…" if len(result.missing) > 5 else ""))
