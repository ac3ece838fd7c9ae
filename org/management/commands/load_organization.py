from django.core.management.base import BaseCommand
from django.db import transaction

from engine.organization import load_organization
from org.models import Role, Unit


class Command(BaseCommand):
    help = "Carga (o actualiza) las unidades y roles del manual desde catalog/organization.yaml."

    @transaction.atomic
    def handle(self, *args, **options):
        organization = load_organization()
        units = {}
        for spec in organization.units:
            units[spec.slug], _ = Unit.objects.update_or_create(
                slug=spec.slug, defaults={"acronym": spec.acronym, "name": spec.name}
            )
        for spec in organization.roles:
            Role.objects.update_or_create(
                slug=spec.slug,
                defaults={"name": spec.name, "unit": units[spec.unit], "requester": spec.requester, "coordinator": spec.coordinator},
            )
        self.stdout.write(f"{len(organization.units)} unidades y {len(organization.roles)} roles cargados.")
