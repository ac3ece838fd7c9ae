import os

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Sirve mapro con waitress (archivos estáticos incluidos)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, host, port, threads, **options):
        from waitress import serve

        from mapro.static_app import with_static
        from mapro.wsgi import application

        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"mapro en http://{host}:{port}/  (Ctrl+C para detener)")
        serve(with_static(application), host=host, port=port, threads=threads)
