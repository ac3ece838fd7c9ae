"""mapro mail ingest [--maildir PATH | --imap URL]: the alert mailbox's messages become «correo
sospechoso» tickets (helpdesk.mail_intake). Without options it reads MAPRO_MAIL_INTAKE_URL."""
from django.core.management.base import BaseCommand, CommandError

from helpdesk import mail_intake


class Command(BaseCommand):
    help = ("Buzón de alertas: ingest abre un ticket «correo sospechoso» por cada correo nuevo "
            "(--maildir CARPETA, --imap imaps://usuario:clave@servidor/INBOX o MAPRO_MAIL_INTAKE_URL).")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ingest = sub.add_parser("ingest", help="Lee el buzón y abre un ticket por cada correo no ingresado.")
        source = ingest.add_mutually_exclusive_group()
        source.add_argument("--maildir", help="Carpeta Maildir (con new/, cur/ y tmp/).")
        source.add_argument("--imap", help="imaps://usuario:clave@servidor/CARPETA (imap:// con ?starttls=1).")

    def handle(self, *args, action, maildir=None, imap=None, **options):
        source = maildir or imap or mail_intake.intake_url()
        if not source:
            raise CommandError("Indique el buzón: --maildir CARPETA, --imap imaps://usuario:clave@servidor/INBOX "
                               "o la variable MAPRO_MAIL_INTAKE_URL.")
        try:
            result = mail_intake.ingest_imap(imap) if imap else mail_intake.ingest(source)
        except mail_intake.IntakeError as exc:
            raise CommandError(str(exc)) from None
        for label, reason in result.failed:
            self.stderr.write(f"No se ingresó el correo {label}: {reason} (queda en el buzón para reintentar).")
        self.stdout.write(result.summary())
        if result.failed:
            raise CommandError(f"{len(result.failed)} correo(s) no se pudieron ingresar.")
