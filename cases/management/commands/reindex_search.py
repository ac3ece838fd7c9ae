from django.core.management.base import BaseCommand

from cases import search


class Command(BaseCommand):
    help = ("Reconstruye el documento de búsqueda de cada caso (número, asunto, solicitante, unidad, datos de "
            "formularios y comentarios públicos). Úselo tras cargar casos por otra vía o si una búsqueda no "
            "encuentra lo que el caso dice.")

    def handle(self, *args, **options):
        done = search.reindex_all(log=lambda n: self.stdout.write(f"  {n} casos…") if n % 5000 == 0 else None)
        self.stdout.write(f"Documentos de búsqueda reconstruidos: {done}.")
