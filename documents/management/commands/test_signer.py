"""`mapro test_signer sign|verify`: sign a PDF with the local test signer, or verify a signed PDF."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from documents.signing import LocalTestSigner, SigningError, prepare, sha256_hex, verify


class Command(BaseCommand):
    help = ("Firma un PDF con el firmante de prueba (solo pruebas y demostración) o verifica la firma de un "
            "PDF firmado con las raíces de confianza configuradas.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sign = sub.add_parser("sign", help="Firma un PDF con el firmante de prueba (PAdES).")
        sign.add_argument("input")
        sign.add_argument("output")
        sign.add_argument("--name", default="APELLIDO NOMBRE", help="Apellidos y nombres del firmante de prueba.")
        sign.add_argument("--dni", default="12345678")
        sign.add_argument("--reason", default="Soy el autor del documento")
        check = sub.add_parser("verify", help="Verifica la firma de un PDF firmado.")
        check.add_argument("input")
        check.add_argument("--sha256", default=None, help="SHA-256 del PDF que se envió a firmar.")

    def handle(self, *args, action, input, **options):
        try:
            data = Path(input).read_bytes()
        except OSError as exc:
            raise CommandError(f"No se puede leer {input}: {exc}") from exc
        if action == "sign":
            try:
                prepared = prepare(data)
                signed = LocalTestSigner.for_person(options["name"], options["dni"]).sign(
                    prepared, reason=options["reason"])
            except (SigningError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
            Path(options["output"]).write_bytes(signed)
            self.stdout.write(self.style.SUCCESS(
                f"PDF firmado en {options['output']} (SHA-256 del PDF enviado a firmar: {sha256_hex(prepared)})."))
            return
        result = verify(data, options["sha256"])
        if not result.valid:
            raise CommandError(f"Firma rechazada: {result.reason}")
        when = result.signed_at.isoformat() if result.signed_at else "sin fecha declarada"
        self.stdout.write(self.style.SUCCESS(
            f"Firma válida de {result.signer_name} (DNI {result.signer_dni or '-'}), {when}; "
            f"{len(result.signatures)} firma(s), documento íntegro."))
