import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from web.server import DEFAULTS, MaproServer, default_workers


class Command(BaseCommand):
    help = (
        "Sirve mapro en producción (archivos estáticos incluidos): varios procesos (--workers, uno por "
        "núcleo por omisión) bajo un proceso maestro que los reinicia si caen; cada uno lee las solicitudes "
        "completas antes de atenderlas, de modo que los clientes lentos u ociosos no ocupan hilos. "
        "Con SIGTERM deja de aceptar conexiones, termina las solicitudes en curso y se detiene."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("MAPRO_WORKERS", "0")) or None,
                            help=f"Procesos que atienden (por omisión {default_workers()}: uno por núcleo, "
                                 "al menos 2; o MAPRO_WORKERS).")
        parser.add_argument("--threads", type=int, default=DEFAULTS["threads"],
                            help=f"Hilos por proceso (por omisión {DEFAULTS['threads']}).")
        parser.add_argument("--connections", type=int, default=DEFAULTS["connections"],
                            help=f"Conexiones abiertas por proceso (por omisión {DEFAULTS['connections']}).")
        parser.add_argument("--timeout", type=int, default=DEFAULTS["timeout"],
                            help=f"Segundos que una conexión puede quedar en silencio antes de cerrarse "
                                 f"(por omisión {DEFAULTS['timeout']}).")
        parser.add_argument("--graceful-timeout", type=int, default=DEFAULTS["graceful_timeout"],
                            dest="graceful_timeout",
                            help=f"Segundos para terminar las solicitudes en curso al detenerse "
                                 f"(por omisión {DEFAULTS['graceful_timeout']}).")

    def handle(self, *args, host, port, workers, threads, connections, timeout, graceful_timeout, **options):
        for name, value in (("--workers", workers or 1), ("--threads", threads), ("--connections", connections),
                            ("--timeout", timeout), ("--graceful-timeout", graceful_timeout)):
            if value < 1:
                raise CommandError(f"{name} debe ser al menos 1.")
        from mapro.static_app import with_static
        from mapro.wsgi import application

        call_command("collectstatic", interactive=False, verbosity=0)
        workers = workers or default_workers()
        # An upload may be as large as an attachment; anything larger is refused before Django reads it.
        max_body = int((settings.MAPRO_ATTACHMENT_MAX_MB + 1) * 1024 * 1024)
        self.stdout.write(f"mapro en http://{host}:{port}/  ({workers} procesos × {threads} hilos; "
                          "Ctrl+C para detener)")
        self.stdout.flush()
        MaproServer(with_static(application), host=host, port=port, workers=workers, threads=threads,
                    connections=connections, timeout=timeout, graceful_timeout=graceful_timeout,
                    max_body_bytes=max_body).run()
