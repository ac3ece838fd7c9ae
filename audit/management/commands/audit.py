"""`mapro audit seal` and `mapro audit verify`: the audit trail's hash chain."""
from django.core.management.base import BaseCommand, CommandError

from audit import chain


class Command(BaseCommand):
    help = ("La cadena del registro de auditoría. «seal» sella ahora las entradas nuevas (lo hace también "
            "`mapro worker` en cada revisión); «verify» recalcula la cadena desde la primera entrada y termina "
            "con error nombrando la primera entrada alterada, borrada o fuera de orden.")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{seal,verify}")
        actions.add_parser("seal", help="Sella las entradas aún no selladas.")
        actions.add_parser("verify", help="Verifica la cadena completa.")

    def handle(self, *args, action, **options):
        if action == "seal":
            sealed = chain.seal()
            self.stdout.write(f"{sealed} entrada{'s' if sealed != 1 else ''} sellada{'s' if sealed != 1 else ''}.")
            return
        verdict = chain.verify()
        if not verdict.ok:
            raise CommandError(f"Cadena de auditoría rota en la {verdict.broken}. "
                               f"Verificadas sin problemas: {verdict.verified} entradas anteriores.")
        pending = f" {verdict.unsealed} aún sin sellar (se verifican una vez selladas)." if verdict.unsealed else ""
        self.stdout.write(f"Cadena de auditoría verificada: {verdict.verified} entradas. "
                          f"Última huella: {verdict.last_hash}.{pending}")
