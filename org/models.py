"""Units, roles and who holds them, as the S04 manual names them."""
from django.conf import settings
from django.db import connection, models


class Unit(models.Model):
    slug = models.SlugField("clave", unique=True)
    acronym = models.CharField("sigla", max_length=60)
    name = models.CharField("nombre", max_length=200)

    class Meta:
        verbose_name = "unidad de organización"
        verbose_name_plural = "unidades de organización"
        ordering = ["acronym"]

    def __str__(self):
        return self.acronym


class Role(models.Model):
    slug = models.SlugField("clave", unique=True)
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

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="person", verbose_name="usuario")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="unidad")
    is_demo = models.BooleanField("usuario de demostración", default=False)

    class Meta:
        verbose_name = "persona"
        verbose_name_plural = "personas"

    def __str__(self):
        return self.user.get_full_name() or self.user.username


def held_roles_sql() -> str:
    """SELECT the slugs of the roles the user given as the one parameter holds. Plain SQL: every
    task action asks this, and the ORM's query compilation cost more than the query."""
    members = Role.members.through._meta.db_table
    return f"SELECT r.slug FROM {Role._meta.db_table} r JOIN {members} m ON m.role_id = r.id WHERE m.user_id = %s"


_ROLE_CACHE = "_mapro_role_slugs"


def remember_role_slugs(user, slugs: frozenset[str]) -> None:
    """Cache on the user object, for the request, the roles a query already read."""
    setattr(user, _ROLE_CACHE, slugs)


def knows_role_slugs(user) -> bool:
    return getattr(user, _ROLE_CACHE, None) is not None


def role_slugs(user) -> frozenset[str]:
    """The role slugs a user holds; cached on the user object for the request."""
    if not user or not user.is_authenticated:
        return frozenset()
    if not knows_role_slugs(user):
        with connection.cursor() as cursor:
            cursor.execute(held_roles_sql(), [user.pk])
            remember_role_slugs(user, frozenset(slug for (slug,) in cursor.fetchall()))
    return getattr(user, _ROLE_CACHE)


def unit_id_of(user) -> int | None:
    """The id of the unit the user belongs to (None without one); cached on the user object."""
    if not user or not user.is_authenticated:
        return None
    if not hasattr(user, "_mapro_unit_id"):
        user._mapro_unit_id = Person.objects.filter(user=user).values_list("unit_id", flat=True).first()
    return user._mapro_unit_id


class SignInFailure(models.Model):
    """One failed sign-in (web, admin or API), by the username tried and the client's address.
    Read by org.signin to refuse further attempts after too many; purged after a day."""

    username = models.CharField("usuario intentado", max_length=150, db_index=True)
    ip = models.GenericIPAddressField("dirección", null=True, blank=True, db_index=True)
    at = models.DateTimeField("fecha", db_index=True)

    class Meta:
        verbose_name = "ingreso fallido"
        verbose_name_plural = "ingresos fallidos"
        ordering = ["-at"]

    def __str__(self):
        return f"{self.username} desde {self.ip or '?'} ({self.at:%d/%m/%Y %H:%M})"


class DirectoryAccount(models.Model):
    """A user who signs in with the ministry's directory (org.directory), and the roles the directory
    gave them. On each sign-in the directory's groups decide these roles: a role here is added or
    removed with the groups; a role the user holds that is not here was granted by hand in the
    administration and is kept."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="directory_account",
                                verbose_name="usuario")
    dn = models.CharField("nombre distinguido (DN)", max_length=500)
    synced_at = models.DateTimeField("última sincronización")
    roles = models.ManyToManyField(
        Role, blank=True, related_name="+", verbose_name="roles otorgados por el directorio",
        help_text="Se quitan cuando la persona deja el grupo del directorio. Quite un rol de esta lista para "
                  "que quede como otorgado a mano.")

    class Meta:
        verbose_name = "cuenta del directorio"
        verbose_name_plural = "cuentas del directorio"
        ordering = ["user__username"]

    def __str__(self):
        return self.dn
