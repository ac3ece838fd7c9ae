"""Django for one bench database: DATABASE_URL is set by bench.run before this process starts."""
from __future__ import annotations

import io
import os


def setup() -> str:
    """Configure Django, migrate the (fresh) bench database and load the organization."""
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("bench: DATABASE_URL is not set; run `python -m bench.run`.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mapro.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO())
    call_command("load_organization", verbosity=0, stdout=io.StringIO())
    return connection.vendor


def staff_users() -> dict:
    """One user per role (username = role slug, like the demo), each also personal-mindef."""
    from django.contrib.auth import get_user_model

    from org.models import Person, Role

    User = get_user_model()
    requester = Role.objects.get(slug="personal-mindef")
    users = {}
    for role in Role.objects.select_related("unit"):
        user, created = User.objects.get_or_create(username=role.slug, defaults={"first_name": role.name[:150]})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            Person.objects.create(user=user, unit=role.unit)
            role.members.add(user)
            requester.members.add(user)
        users[role.slug] = user
    return users
