import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    @classmethod
    def issue(cls, user) -> str:
        key = secrets.token_urlsafe(32)
        now = timezone.now()
        cls.objects.create(user=user, digest=_digest(key), created_at=now,
                           expires_at=now + timedelta(hours=settings.API_TOKEN_TTL_HOURS))
        return key

    @classmethod
    def user_for(cls, key: str):
        token = cls.objects.select_related("user").filter(digest=_digest(key), expires_at__gt=timezone.now()).first()
        if token and token.user.is_active:
            return token.user
        return None
