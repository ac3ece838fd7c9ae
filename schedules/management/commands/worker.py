"""`mapro worker`: start the manual's periodic work on its dates, and seal the audit trail."""
import signal
import threading
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils.dateparse import parse_datetime

from audit import chain
from schedules import scheduler


class Command(BaseCommand):
    help = (
        "Inicia los casos del trabajo periódico del manual (programaciones de las fichas) en sus fechas. "
        "Cada --interval segundos revisa las fechas vencidas (hora de Lima) que aún no se iniciaron, "
        "mirando hacia atrás como máximo --catch-up días: en una instalación nueva o tras una parada larga "
        "no se inicia el atraso de todo el año, solo el de esos días. Varias instancias pueden correr a la vez: "
        "cada fecha se inicia una sola vez. En cada revisión sella también las entradas nuevas del registro de "
        "auditoría. Termina ordenadamente con SIGTERM o Ctrl+C."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=int, default=60, help="Segundos entre revisiones (por defecto 60).")
        parser.add_argument(
            "--catch-up", type=int, default=scheduler.DEFAULT_CATCH_UP_DAYS, dest="catch_up",
            help="Días hacia atrás que se recuperan si no se iniciaron (por defecto 7; 0 = solo hoy).",
        )
        parser.add_argument("--once", action="store_true", help="Hace una sola revisión y termina.")
        parser.add_argument(
            "--at", dest="at", default=None,
            help="Revisa como si fuera esta fecha y hora de Lima (AAAA-MM-DDTHH:MM); para ensayos y pruebas.",
        )

    def handle(self, *args, interval, catch_up, once, at, **options):
        self.verbosity = options.get("verbosity", 1)
        if interval < 1:
            raise CommandError("--interval debe ser al menos 1 segundo.")
        if catch_up < 0:
            raise CommandError("--catch-up debe ser 0 o más días.")
        now = self._parse_at(at) if at else None
        if once:
            try:
                self._pass(now, catch_up)
            except Exception as exc:  # noqa: BLE001 - e.g. a sheet that does not load
                raise CommandError(f"Error en la revisión: {type(exc).__name__}: {exc}") from exc
            return
        stop = threading.Event()

        def request_stop(signum, frame):
            self.stdout.write("Señal recibida: se detiene el programador al terminar la revisión en curso.")
            stop.set()

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        self.stdout.write(f"Programador iniciado: revisa cada {interval} s, recupera hasta {catch_up} día(s).")
        try:
            while not stop.is_set():
                close_old_connections()
                try:
                    self._pass(now, catch_up)
                except Exception as exc:  # noqa: BLE001 - e.g. the database is briefly unavailable
                    self.stderr.write(f"Error en la revisión: {type(exc).__name__}: {exc}")
                stop.wait(interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            close_old_connections()
        self.stdout.write("Programador detenido.")

    def _parse_at(self, value: str) -> datetime:
        parsed = parse_datetime(value) or parse_datetime(f"{value}T00:00")
        if parsed is None:
            raise CommandError(f"Fecha y hora no válida para --at: «{value}» (use AAAA-MM-DDTHH:MM).")
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=scheduler.LIMA)
        return parsed

    def _pass(self, now, catch_up):
        try:
            self._start(now, catch_up)
        finally:
            self._mail_intake()
            self._seal()   # this pass's cases too; and even if starting failed
            self._notify()   # on the real clock, even under --at: a rehearsal sends no mail from another day

    def _notify(self):
        """Overdue tasks, the outbox and the daily digests (notifications/); the next pass retries."""
        from helpdesk import sla_watch
        from notifications import digest, outbox, overdue

        try:
            told = overdue.notify_overdue()
            warned = sla_watch.warn_due()   # tickets whose SLA is about to break or broke
            digests = digest.send_digests()
            result = outbox.send_due()
        except Exception as exc:  # noqa: BLE001 - the scheduler still runs
            self.stderr.write(f"Error en los avisos: {type(exc).__name__}: {exc}")
            return
        if result.disabled and result.waiting and getattr(self, "_mail_said", "") != result.disabled:
            self._mail_said = result.disabled   # said once, not on every pass
            self.stdout.write(f"Correo: {result.disabled} ({result.waiting} en espera)")
        if result.sent or result.retrying or result.failed or ((told or warned or digests) and self.verbosity >= 2):
            self.stdout.write(f"Avisos: {told} tarea(s) vencida(s) avisada(s), {warned} aviso(s) de SLA de tickets, "
                              f"{digests} resumen(es) diario(s); correos: "
                              f"{result.sent} enviado(s), {result.retrying} por reintentar, {result.failed} fallido(s).")

    def _mail_intake(self):
        """The alert mailbox (MAPRO_MAIL_INTAKE_URL): one «correo sospechoso» ticket per new message
        (helpdesk.mail_intake; a message is never ingested twice, even by several workers)."""
        from helpdesk import mail_intake

        source = mail_intake.intake_url()
        if not source:
            return
        try:
            result = mail_intake.ingest(source)
        except Exception as exc:  # noqa: BLE001 - the mailbox may be down; the next pass reads it
            self.stderr.write(f"Error al leer el buzón de alertas: {type(exc).__name__}: {exc}")
            return
        if result.read or self.verbosity >= 2:
            self.stdout.write(f"Buzón de alertas: {result.summary()}")
        for key, reason in result.failed:
            self.stderr.write(f"Buzón de alertas: {key}: {reason}")

    def _seal(self):
        """Seal the audit trail's new entries (audit.chain); several workers never seal one twice."""
        try:
            sealed = chain.seal()
        except Exception as exc:  # noqa: BLE001 - the scheduler still runs; the next pass seals
            self.stderr.write(f"Error al sellar el registro de auditoría: {type(exc).__name__}: {exc}")
            return
        if sealed and self.verbosity >= 2:
            self.stdout.write(f"Registro de auditoría: {sealed} entradas selladas.")

    def _start(self, now, catch_up):
        started, failed = scheduler.run_pass(now, catch_up)
        for item in started:
            due = item.due
            self.stdout.write(
                f"Iniciado {item.case.number}: {due.sheet.code} «{due.schedule.label}» "
                f"(fecha programada {due.due_date:%d/%m/%Y})."
            )
        for item in failed:
            due = item.due
            self.stderr.write(
                f"No se pudo iniciar {due.sheet.code} «{due.schedule.label}» "
                f"(fecha programada {due.due_date:%d/%m/%Y}): {item.error}"
            )
        from registers import cronograma

        today = scheduler.local_now(now).date()
        dated, undated = cronograma.run_pass(today, scheduler.system_user())
        for item in dated:
            self.stdout.write(f"Iniciado {item.case.number}: {item.register.name} «{item.entry.title or item.entry.key}» "
                              f"(cronograma, fecha {item.entry.data.get(item.register.starts.date)}).")
        for item in undated:
            self.stderr.write(f"No se pudo iniciar {item.register.name} «{item.entry.title or item.entry.key}» "
                              f"(cronograma): {item.error}")
        if not started and not failed and not dated and not undated and self.verbosity >= 2:
            self.stdout.write("Nada por iniciar.")
