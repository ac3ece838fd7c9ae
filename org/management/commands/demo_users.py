import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from org.models import Person, Role, Unit


class Command(BaseCommand):
    help = ("Crea el superusuario «admin» y un usuario de demostración por rol (usuario = slug del rol). "
            "Contraseña: MAPRO_DEMO_PASSWORD, o una aleatoria que se imprime.")

    @transaction.atomic
    def handle(self, *args, **options):
        if not Role.objects.exists():
            raise CommandError("Primero cargue la organización: mapro load_organization")
        password = os.environ.get("MAPRO_DEMO_PASSWORD") or secrets.token_urlsafe(9)
        User = get_user_model()
        admin, _ = User.objects.get_or_create(username="admin", defaults={"is_staff": True, "is_superuser": True})
        admin.is_staff = admin.is_superuser = True
        admin.set_password(password)
        admin.save()
        Person.objects.update_or_create(user=admin, defaults={"is_demo": True, "unit": Unit.objects.filter(slug="ogtie").first()})
        for role in Role.objects.select_related("unit"):
            user, _ = User.objects.get_or_create(username=role.slug)
            user.first_name = role.name[:150]
            user.set_password(password)
            user.save()
            Person.objects.update_or_create(user=user, defaults={"is_demo": True, "unit": role.unit})
            role.members.add(user)
        # Every ministry employee can ask for things: give the requester role to all demo staff.
        requester = Role.objects.get(slug="personal-mindef")
        requester.members.add(*User.objects.filter(person__is_demo=True))
        self.stdout.write(self.style.SUCCESS(
            f"Usuarios de demostración listos ({Role.objects.count()} roles + admin). Contraseña: {password}"
        ))
