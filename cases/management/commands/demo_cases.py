from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cases import workflow
from cases.models import Case

TICKETS = [
    {"asunto": "La PC no enciende", "detalle": "Desde esta mañana la PC de la oficina 302 no enciende.",
     "categoria": "Hardware", "ubicacion": "Piso 3, oficina 302"},
    {"asunto": "Sin acceso al correo institucional", "detalle": "Outlook pide la contraseña una y otra vez.",
     "categoria": "Correo institucional", "ubicacion": "Piso 5, DIPEC"},
    {"asunto": "Impresora atascada", "detalle": "La impresora del área atasca cada hoja.",
     "categoria": "Impresoras", "ubicacion": "Piso 1, mesa de partes"},
]


class Command(BaseCommand):
    help = "Crea algunos casos de demostración en distintas etapas (solo si aún no hay casos)."

    def handle(self, *args, **options):
        if Case.objects.exists():
            self.stdout.write("Ya hay casos; no se crean casos de demostración.")
            return
        users = {u.username: u for u in get_user_model().objects.filter(person__is_demo=True)}
        try:
            employee, operator, technician = users["personal-mindef"], users["operador-mesa-ayuda"], users["soporte-tecnico"]
        except KeyError:
            raise CommandError("Primero cree los usuarios de demostración: mapro demo_users") from None
        waiting = workflow.start_case(employee, "S04.03.04.02", data=TICKETS[0])
        assigned = workflow.start_case(employee, "S04.03.04.02", data=TICKETS[1])
        task = assigned.tasks.get(status="open")
        assigned = workflow.complete_task(task.pk, operator, {"prioridad": "Alta"}, "Sí")
        task = assigned.tasks.get(status="open")
        workflow.complete_task(task.pk, operator, {"especialidad": "Software", "tecnico_asignado": technician.username}, None)
        workflow.start_case(employee, "S04.03.04.02", data=TICKETS[2])
        workflow.start_case(users["jefe-ogtie"], "S04.01.00.01", subject="Plan de Gobierno Digital 2027-2029",
                            priority="high")
        workflow.start_case(users["director-uo"], "S04.02.00.01", subject="Sistema de control de visitas")
        self.stdout.write(f"5 casos de demostración creados (p. ej. {waiting.number}).")
