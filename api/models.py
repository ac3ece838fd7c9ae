import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def password_mark(user) -> str:
    """A keyed fingerprint of the user's password hash: it changes whenever the password does (set
    anywhere: the admin, `changepassword`, a reset), so a token issued before stops working without
    any signal having to fire. Deactivating the user ends the tokens too (see `valid`)."""
    return salted_hmac("mapro.api.ApiToken.password_mark", user.password, algorithm="sha256").hexdigest()


def _converted(model, values, alias: str):
    """An instance of `model` from its concrete columns' raw values, converted as the ORM would
    (SQLite returns dates as text and booleans as 0/1)."""
    fields = model._meta.concrete_fields
    values = list(values)
    for i, f in enumerate(fields):
        for convert in (*connection.ops.get_db_converters(f.get_col(alias)), *f.get_db_converters(connection)):
            values[i] = convert(values[i], f, connection)
    return model.from_db(connection.alias, [f.attname for f in fields], values)


def _live_token(digest: str, now):
    """The unexpired token with this digest and its user, in one plain query (every API request
    asks it; the ORM's compilation of select_related cost more than the query). The user's roles
    and unit come in the same query and are remembered for the request (org.models)."""
    from django.contrib.auth import get_user_model

    from org.models import Person, Role, remember_role_slugs

    User = get_user_model()
    token_fields, user_fields = ApiToken._meta.concrete_fields, User._meta.concrete_fields
    aggregate = "string_agg(slug, ',')" if connection.vendor == "postgresql" else "group_concat(slug, ',')"
    sql = (f"SELECT {', '.join('t.' + f.column for f in token_fields)}, {', '.join('u.' + f.column for f in user_fields)}, "
           f"(SELECT {aggregate} FROM {Role._meta.db_table} r JOIN {Role.members.through._meta.db_table} m "
           f"ON m.role_id = r.id WHERE m.user_id = u.id), "
           f"(SELECT unit_id FROM {Person._meta.db_table} WHERE user_id = u.id) "
           f"FROM {ApiToken._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id "
           f"WHERE t.digest = %s AND t.expires_at > %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [digest, connection.ops.adapt_datetimefield_value(now)])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(token_fields)
    token = _converted(ApiToken, row[:split], ApiToken._meta.db_table)
    token.user = _converted(User, row[split:split + len(user_fields)], User._meta.db_table)
    roles, unit_id = row[-2], row[-1]
    remember_role_slugs(token.user, frozenset(roles.split(",")) if roles else frozenset())
    token.user._mapro_unit_id = unit_id
    return token


# Writing last_used_at on every request would turn each API read into a write; once a minute is
# enough to tell an owner which tokens are still in use.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, never the secret itself."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens",
                             verbose_name="usuario")
    digest = models.CharField("huella SHA-256", max_length=64, unique=True)
    created_at = models.DateTimeField("emitido", default=timezone.now)
    expires_at = models.DateTimeField("vence")
    last_used_at = models.DateTimeField("último uso", null=True, blank=True)
    # password_mark(user) when issued; a token whose mark no longer matches is dead.
    password_mark = models.CharField("marca de la contraseña", max_length=64, default="")

    class Meta:
        verbose_name = "token de la API"
        verbose_name_plural = "tokens de la API"

    @classmethod
    def issue(cls, user) -> str:
        """A new token for the user. Expired tokens and tokens from an older password are dropped;
        beyond MAPRO_API_TOKENS_PER_USER live tokens, the oldest are revoked."""
        key = secrets.token_urlsafe(32)
        now = timezone.now()
        mark = password_mark(user)
        with transaction.atomic():
            cls.objects.filter(user=user).filter(Q(expires_at__lte=now) | ~Q(password_mark=mark)).delete()
            cls.objects.create(user=user, digest=_digest(key), created_at=now, password_mark=mark,
                               expires_at=now + timedelta(hours=settings.API_TOKEN_TTL_HOURS))
            surplus = list(cls.objects.filter(user=user).order_by("-created_at", "-id")
                           .values_list("pk", flat=True)[settings.MAPRO_API_TOKENS_PER_USER:])
            if surplus:
                cls.objects.filter(pk__in=surplus).delete()
        return key

    @classmethod
    def valid(cls, key: str):
        """The live token for this secret, with its user loaded; None if unknown, expired, issued
        before the user's last password change, or the user is inactive."""
        now = timezone.now()
        token = _live_token(_digest(key), now)
        if token is None or not token.user.is_active:
            return None
        if not constant_time_compare(token.password_mark, password_mark(token.user)):
            token.delete()  # the password changed: this token can never be valid again
            return None
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            token.last_used_at = now
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
        return token

    @classmethod
    def user_for(cls, key: str):
        token = cls.valid(key)
        return token.user if token else None

    @classmethod
    def live_for(cls, user):
        """The user's tokens that still work, newest first."""
        return cls.objects.filter(user=user, expires_at__gt=timezone.now(),
                                  password_mark=password_mark(user)).order_by("-created_at", "-id")


class IdempotencyKey(models.Model):
    """A POST the API ran, or is running, under a client's `Idempotency-Key` (api/idempotency.py).

    One row per user and key. It is written "in progress" (status empty) before the work starts, so
    the unique constraint decides which of two concurrent retries runs it; the response is stored in
    the same transaction as the work, so a stored response always means the work was done."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name="usuario")
    key = models.CharField("clave", max_length=255)
    fingerprint = models.CharField("huella de la solicitud", max_length=64,
                                   help_text="SHA-256 del método, la dirección y el cuerpo")
    # Which request holds the key while it runs: a request taken over after a crash can no longer store its answer.
    owner = models.CharField("en proceso por", max_length=32)
    status = models.PositiveSmallIntegerField("código de respuesta", null=True, blank=True)
    content_type = models.CharField("tipo de la respuesta", max_length=100, blank=True, default="")
    response = models.TextField("cuerpo de la respuesta", blank=True, default="")
    created_at = models.DateTimeField("recibida", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "clave de idempotencia"
        verbose_name_plural = "claves de idempotencia"
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="unique_idempotency_key")]
