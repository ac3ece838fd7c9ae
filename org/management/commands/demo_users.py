import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from org.models import Person, Role, Unit

PASSWORD_FILE = "demo_password"


def _stored_password(path) -> str | None:
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def _store_password(path, password: str) -> None:
    """Readable by the installation's owner only; never written to the log."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(password + "\n")
    os.chmod(path, 0o600)


class Command(BaseCommand):
    help = ("Crea el superusuario «admin» y un usuario de demostración por rol (usuario = slug del rol). "
            "Contraseña: MAPRO_DEMO_PASSWORD o, si no se define, una aleatoria guardada en var/demo_password "
            "(solo legible por su usuario; se reutiliza en las siguientes ejecuciones). Nunca se imprime.")

    @transaction.atomic
    def handle(self, *args, **options):
        if not Role.objects.exists():
            raise CommandError("Primero cargue la organización: mapro load_organization")
        password_file = settings.VAR_DIR / PASSWORD_FILE
        if os.environ.get("MAPRO_DEMO_PASSWORD"):
            password, where = os.environ["MAPRO_DEMO_PASSWORD"], "la de MAPRO_DEMO_PASSWORD"
        else:
            password = _stored_password(password_file)
            if password is None:
                password = secrets.token_urlsafe(16)  # 22 characters: passes every password rule
                _store_password(password_file, password)
            where = f"la guardada en {password_file}"
        User = get_user_model()
        admin, _ = User.objects.get_or_create(username="admin", defaults={"is_staff": True, "is_superuser": True})
        try:
            validate_password(password, admin)
        except ValidationError as exc:
            raise CommandError(f"La contraseña de demostración ({where}) no cumple la política: "
                               + " ".join(exc.messages)) from None
        admin.is_staff = admin.is_superuser = True
        admin.email = admin.email or f"admin@{os.environ.get('MAPRO_DEMO_EMAIL_DOMAIN', 'demo.mindef.gob.pe')}"
        admin.set_password(password)
        admin.save()
        Person.objects.update_or_create(user=admin, defaults={"is_demo": True, "unit": Unit.objects.filter(slug="ogtie").first()})
        for role in Role.objects.select_related("unit"):
            user, _ = User.objects.get_or_create(username=role.slug)
            user.first_name = role.name[:150]
            # An address per demo user, so that with MAPRO_EMAIL_URL set the notifications arrive somewhere
            # one can watch (e.g. a local test SMTP server); MAPRO_DEMO_EMAIL_DOMAIN changes the domain.
            user.email = user.email or f"{role.slug}@{os.environ.get('MAPRO_DEMO_EMAIL_DOMAIN', 'demo.mindef.gob.pe')}"
            user.set_password(password)
            user.save()
            Person.objects.update_or_create(user=user, defaults={"is_demo": True, "unit": role.unit})
            role.members.add(user)
        # Every ministry employee can ask for things: give the requester role to all demo staff.
        requester = Role.objects.get(slug="personal-mindef")
        requester.members.add(*User.objects.filter(person__is_demo=True))
        self.stdout.write(self.style.SUCCESS(
            f"Usuarios de demostración listos ({Role.objects.count()} roles + admin). Contraseña: {where}."
        ))
