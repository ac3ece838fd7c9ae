"""Units, roles and who holds them, as the S04 manual names them."""
from django.conf import settings
from django.db import models


class Unit(models.Model):
    slug = models.SlugField(unique=True)
    acronym = models.CharField("sigla", max_length=60)
    name = models.CharField("nombre", max_length=200)

    class Meta:
        verbose_name = "unidad de organización"
        verbose_name_plural = "unidades de organización"
        ordering = ["acronym"]

    def __str__(self):
        return self.acronym


class Role(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField("nombre", max_length=200)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="roles", verbose_name="unidad")
    # The requesting unit's people do these activities for their own cases.
    requester = models.BooleanField("rol del solicitante", default=False)
    coordinator = models.BooleanField("coordina un equipo", default=False)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="mapro_roles", verbose_name="titulares")

    class Meta:
        verbose_name = "rol"
        verbose_name_plural = "roles"
        ordering = ["unit__acronym", "name"]

    def __str__(self):
        return f"{self.name} ({self.unit.acronym})"


class Person(models.Model):
    """What the ministry knows of a user beyond Django's account: unit and demo flag."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="person")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="unidad")
    is_demo = models.BooleanField("usuario de demostración", default=False)

    class Meta:
        verbose_name = "persona"
        verbose_name_plural = "personas"

    def __str__(self):
        return self.user.get_full_name() or self.user.username


def role_slugs(user) -> frozenset[str]:
    """The role slugs a user holds; cached on the user object for the request."""
    if not user or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_mapro_role_slugs", None)
    if cached is None:
        cached = frozenset(user.mapro_roles.values_list("slug", flat=True))
        user._mapro_role_slugs = cached
    return cached


def is_coordinator(user) -> bool:
    return user.is_superuser or user.mapro_roles.filter(models.Q(coordinator=True) | models.Q(slug="jefe-ogtie")).exists()
