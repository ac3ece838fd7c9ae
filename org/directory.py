"""Directory login: ministry staff sign in with their Active Directory account (an LDAP bind).

Our own small backend on `ldap3` rather than django-auth-ldap: django-auth-ldap needs python-ldap,
which compiles against libldap2-dev and libsasl2-dev on every machine that installs mapro, and we
would still write the parts that are ours — directory-managed roles kept apart from roles granted
by hand, the person's unit, the `everyone` role, the sign-in lock, the Spanish message when the
directory does not answer. ldap3 is pure Python; the LDAP part below is a search and two binds.

How a sign-in goes (settings MAPRO_LDAP_*, README «Ingreso con la cuenta del directorio»):
1. The service account (MAPRO_LDAP_BIND_DN, or an anonymous bind) searches MAPRO_LDAP_USER_BASE with
   MAPRO_LDAP_USER_FILTER for the person — or, with MAPRO_LDAP_USER_DN_TEMPLATE, the person binds
   directly and reads their own entry.
2. A bind as the person's DN with the password typed proves the password. Nothing else sees it:
   it is never logged, stored, or put in a message.
3. Their groups (searched under MAPRO_LDAP_GROUP_BASE, or their memberOf attribute) give roles
   through MAPRO_LDAP_GROUP_ROLES; their unit attribute gives Person.unit.
4. The Django account is created or updated: names, e-mail, no local password (so the local backend
   never accepts one for it), roles synchronised (DirectoryAccount.roles records which ones the
   directory manages) and the catalog's `everyone` role always granted.

A username that belongs to a local account (admin, demo users, accounts made in the administration
with a password) is never looked up in the directory: nobody takes over a local account by having
the same name in the directory, and a wrong password for it counts as a failure even while the
directory is down. A directory that does not answer (or refuses the service account) sets
`request.mapro_directory_down`: the pages and the API say DIRECTORY_DOWN, and org.signin does not
count the attempt as a failed password."""
from __future__ import annotations

import json
import logging
import math
import re
import ssl
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from .backends import SignInGuard
from .models import DirectoryAccount, Person, Role, Unit

logger = logging.getLogger("mapro.directory")

DIRECTORY_DOWN = "El directorio no responde; intente más tarde o use su cuenta local."
INVALID_CREDENTIALS = 49   # LDAP resultCode invalidCredentials (AD adds why in its message: expired, locked...)

# What is read from the person's entry besides the unit attribute (AD and inetOrgPerson spell them alike).
FIRST_NAME, LAST_NAME, EMAIL, MEMBER_OF = "givenName", "sn", "mail", "memberOf"


class DirectoryUnavailable(Exception):
    """The directory could not be asked: no server answered, TLS failed, or the service account was refused."""


@dataclass
class DirectoryPerson:
    dn: str
    attributes: dict = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)

    def first(self, name: str) -> str:
        """The first value of an attribute (names are case-insensitive in LDAP), or ''."""
        for key, value in self.attributes.items():
            if key.lower() == name.lower():
                if isinstance(value, (list, tuple)):
                    value = value[0] if value else ""
                return str(value or "").strip()
        return ""


# --- settings ---------------------------------------------------------------------------------
def enabled() -> bool:
    return bool(settings.MAPRO_LDAP_URL.strip())


def normalize_dn(dn: str) -> str:
    """A DN in one spelling for comparisons: lower case, no spaces around separators."""
    from ldap3.utils.dn import parse_dn

    try:
        return ",".join(f"{attr.strip().lower()}={value.strip().lower()}" for attr, value, _ in parse_dn(dn, strip=True))
    except Exception:  # not a DN ldap3 can parse: compare it as written, without the spaces
        return re.sub(r"\s*([,=+])\s*", r"\1", dn.strip().lower())


def _pairs(value, what: str) -> list[tuple[str, object]]:
    """`KEY=VALUE;KEY=VALUE` (split at the last `=`, so a DN keeps its own) or a JSON object."""
    if isinstance(value, dict):
        return list(value.items())
    text = (value or "").strip()
    if not text:
        return []
    if text.startswith("{"):
        try:
            loaded = json.loads(text)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{what}: JSON inválido ({exc}).") from None
        if not isinstance(loaded, dict):
            raise ImproperlyConfigured(f"{what}: se esperaba un objeto JSON.")
        return list(loaded.items())
    pairs = []
    for entry in re.split(r"[;\n]", text):
        if not entry.strip():
            continue
        key, sep, val = entry.rpartition("=")
        if not sep or not key.strip() or not val.strip():
            raise ImproperlyConfigured(f"{what}: «{entry.strip()}» no tiene la forma CLAVE=VALOR.")
        pairs.append((key.strip(), val.strip()))
    return pairs


def group_roles(value=None) -> dict[str, tuple[str, ...]]:
    """MAPRO_LDAP_GROUP_ROLES as {normalized group DN: role slugs}. Several roles for one group are
    separated by commas (`DN=rol1,rol2`) or listed in JSON."""
    value = settings.MAPRO_LDAP_GROUP_ROLES if value is None else value
    mapping: dict[str, tuple[str, ...]] = {}
    for dn, roles in _pairs(value, "MAPRO_LDAP_GROUP_ROLES"):
        if isinstance(roles, str):
            roles = roles.split(",")
        if not isinstance(roles, (list, tuple)) or not all(isinstance(r, str) for r in roles):
            raise ImproperlyConfigured(f"MAPRO_LDAP_GROUP_ROLES: los roles de «{dn}» deben ser texto.")
        slugs = tuple(r.strip() for r in roles if r.strip())
        if "=" not in dn or not slugs:
            raise ImproperlyConfigured(f"MAPRO_LDAP_GROUP_ROLES: «{dn}» debe ser el DN de un grupo con al menos un rol.")
        mapping[normalize_dn(dn)] = mapping.get(normalize_dn(dn), ()) + slugs
    return mapping


def unit_map(value=None) -> dict[str, str]:
    """MAPRO_LDAP_UNIT_MAP as {attribute value in lower case: unit acronym or slug}."""
    value = settings.MAPRO_LDAP_UNIT_MAP if value is None else value
    return {str(k).strip().lower(): str(v).strip() for k, v in _pairs(value, "MAPRO_LDAP_UNIT_MAP")}


def _fill(template: str, name: str, **values) -> str:
    try:
        return template % values
    except (KeyError, ValueError, TypeError):
        raise ImproperlyConfigured(f"{name}: use {', '.join(f'%({k})s' for k in values)} en «{template}».") from None


# --- talking to the directory -----------------------------------------------------------------
def _servers():
    from ldap3 import NONE, Server, Tls

    tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=settings.MAPRO_LDAP_CA_FILE or None)
    for url in settings.MAPRO_LDAP_URL.replace(",", " ").split():
        yield Server(url, use_ssl=url.lower().startswith("ldaps://"), tls=tls, get_info=NONE,
                     connect_timeout=settings.MAPRO_LDAP_TIMEOUT)


def _bind(who: str | None, password: str | None):
    """A connection bound as `who` (None: anonymous), or None if the directory says the credentials
    are wrong. Tries each server of MAPRO_LDAP_URL in turn; DirectoryUnavailable if none answers."""
    from ldap3 import ANONYMOUS, SIMPLE, Connection
    from ldap3.core.exceptions import LDAPException

    problem = "MAPRO_LDAP_URL no nombra ningún servidor"
    for server in _servers():
        connection = Connection(server, user=who, password=password, authentication=SIMPLE if who else ANONYMOUS,
                                read_only=True, auto_referrals=False, raise_exceptions=False,
                                receive_timeout=max(1, math.ceil(settings.MAPRO_LDAP_TIMEOUT)))   # whole seconds
        try:
            connection.open()
            if settings.MAPRO_LDAP_START_TLS and not server.ssl and not connection.start_tls():
                raise DirectoryUnavailable(f"StartTLS rechazado: {connection.result}")
            if connection.bind():
                return connection
            code = (connection.result or {}).get("result")
        except (LDAPException, OSError, DirectoryUnavailable) as exc:
            problem = f"{server.host}:{server.port}: {exc.__class__.__name__}: {exc}"
            logger.warning("directory %s:%s does not answer: %s", server.host, server.port, exc.__class__.__name__)
            _close(connection)
            continue
        _close(connection)
        if code == INVALID_CREDENTIALS:
            return None
        problem = f"{server.host}:{server.port}: bind answered {connection.result.get('description')} ({code})"
    raise DirectoryUnavailable(problem)


def _close(connection) -> None:
    try:
        connection.unbind()
    except Exception:
        pass


def _search(connection, base: str, search_filter: str, scope, attributes) -> list[dict]:
    """The entries found (referrals, which AD returns for its other partitions, left out)."""
    from ldap3.core.exceptions import LDAPException

    try:
        connection.search(base, search_filter, search_scope=scope, attributes=attributes)
    except LDAPException as exc:
        raise DirectoryUnavailable(f"búsqueda en {base}: {exc.__class__.__name__}: {exc}") from None
    code = (connection.result or {}).get("result")
    if code not in (0, 4, 32):   # success, sizeLimitExceeded (partial answer), noSuchObject (nothing there)
        raise DirectoryUnavailable(f"búsqueda en {base}: {connection.result.get('description')} ({code})")
    return [e for e in connection.response or () if e.get("type") == "searchResEntry"]


def _attributes() -> list[str]:
    names = [FIRST_NAME, LAST_NAME, EMAIL, MEMBER_OF]
    if settings.MAPRO_LDAP_UNIT_ATTRIBUTE:
        names.append(settings.MAPRO_LDAP_UNIT_ATTRIBUTE)
    return names


def find_person(username: str, password: str) -> DirectoryPerson | None:
    """The directory entry of `username` if `password` is theirs, with their groups; None for an
    unknown username or a wrong password; DirectoryUnavailable if the directory cannot say."""
    from ldap3 import BASE, NO_ATTRIBUTES, SUBTREE
    from ldap3.utils.conv import escape_filter_chars
    from ldap3.utils.dn import escape_rdn

    user_filter = _fill(settings.MAPRO_LDAP_USER_FILTER, "MAPRO_LDAP_USER_FILTER", user=escape_filter_chars(username))
    template = settings.MAPRO_LDAP_USER_DN_TEMPLATE
    if template:
        # Direct bind as the person, who then reads their own entry (and their groups).
        connection = _bind(_fill(template, "MAPRO_LDAP_USER_DN_TEMPLATE", user=escape_rdn(username)), password)
        if connection is None:
            return None
        try:
            if settings.MAPRO_LDAP_USER_BASE:
                found = _search(connection, settings.MAPRO_LDAP_USER_BASE, user_filter, SUBTREE, _attributes())
            else:   # the template is the DN itself
                found = _search(connection, connection.user, "(objectClass=*)", BASE, _attributes())
            if len(found) != 1:
                logger.warning("directory sign-in of %r: %d entries found for the bound account", username, len(found))
                return None
            person = DirectoryPerson(found[0]["dn"], dict(found[0].get("attributes") or {}))
            person.groups = _groups(connection, person, NO_ATTRIBUTES, SUBTREE, escape_filter_chars)
            return person
        finally:
            _close(connection)

    service = _bind(settings.MAPRO_LDAP_BIND_DN or None, settings.MAPRO_LDAP_BIND_PASSWORD or None)
    if service is None:
        logger.error("directory refused the service account %r (MAPRO_LDAP_BIND_DN)", settings.MAPRO_LDAP_BIND_DN)
        raise DirectoryUnavailable("la cuenta de servicio fue rechazada")
    try:
        found = _search(service, settings.MAPRO_LDAP_USER_BASE, user_filter, SUBTREE, _attributes())
        if len(found) != 1:
            if found:
                logger.warning("directory sign-in of %r: %d entries match MAPRO_LDAP_USER_FILTER", username, len(found))
            return None
        person = DirectoryPerson(found[0]["dn"], dict(found[0].get("attributes") or {}))
        own = _bind(person.dn, password)   # the password is checked by the directory, here
        if own is None:
            return None
        _close(own)
        person.groups = _groups(service, person, NO_ATTRIBUTES, SUBTREE, escape_filter_chars)
        return person
    finally:
        _close(service)


def _groups(connection, person: DirectoryPerson, no_attributes, subtree, escape) -> list[str]:
    if not settings.MAPRO_LDAP_GROUP_BASE:
        values = next((v for k, v in person.attributes.items() if k.lower() == MEMBER_OF.lower()), [])
        return [values] if isinstance(values, str) else list(values)
    group_filter = _fill(settings.MAPRO_LDAP_GROUP_FILTER, "MAPRO_LDAP_GROUP_FILTER", dn=escape(person.dn))
    return [e["dn"] for e in _search(connection, settings.MAPRO_LDAP_GROUP_BASE, group_filter, subtree, no_attributes)]


# --- the Django account -----------------------------------------------------------------------
def roles_for(groups: list[str]) -> set[str]:
    """The role slugs the directory grants for these groups, the catalog's `everyone` role included."""
    from cases import procedures

    mapping = group_roles()
    slugs = {procedures.organization().everyone_role}
    for group in groups:
        slugs.update(mapping.get(normalize_dn(group), ()))
    return slugs


def unit_for(person: DirectoryPerson) -> Unit | None:
    """The unit named by the person's unit attribute (through MAPRO_LDAP_UNIT_MAP, else as an acronym
    or slug), else MAPRO_LDAP_DEFAULT_UNIT; None when neither names a unit."""
    value = person.first(settings.MAPRO_LDAP_UNIT_ATTRIBUTE) if settings.MAPRO_LDAP_UNIT_ATTRIBUTE else ""
    for name in (unit_map().get(value.lower(), value), settings.MAPRO_LDAP_DEFAULT_UNIT):
        name = name.strip()
        if name:
            unit = Unit.objects.filter(acronym__iexact=name).first() or Unit.objects.filter(slug__iexact=name).first()
            if unit:
                return unit
    if value:
        logger.info("directory unit %r of %s names no unit of mapro", value, person.dn)
    return None


@transaction.atomic
def synchronise(user, person: DirectoryPerson):
    """Bring the account in line with the directory: names, e-mail, unit and the directory's roles.
    Roles granted by hand in the administration (held but not in DirectoryAccount.roles) are kept."""
    user.first_name = person.first(FIRST_NAME)[:150]
    user.last_name = person.first(LAST_NAME)[:150]
    user.email = person.first(EMAIL)[:254]
    if user.pk is None:
        user.set_unusable_password()
    user.save()
    account, _ = DirectoryAccount.objects.update_or_create(user=user, defaults={"dn": person.dn[:500],
                                                                                 "synced_at": timezone.now()})
    profile, _ = Person.objects.get_or_create(user=user)
    unit = unit_for(person)
    if unit is not None and profile.unit_id != unit.pk:
        profile.unit = unit
        profile.save(update_fields=["unit"])

    wanted_slugs = roles_for(person.groups)
    wanted = set(Role.objects.filter(slug__in=wanted_slugs).values_list("pk", flat=True))
    if len(wanted) < len(wanted_slugs):
        known = set(Role.objects.filter(slug__in=wanted_slugs).values_list("slug", flat=True))
        logger.error("MAPRO_LDAP_GROUP_ROLES names roles that do not exist: %s", ", ".join(sorted(wanted_slugs - known)))
    held = set(user.mapro_roles.values_list("pk", flat=True))
    managed = set(account.roles.values_list("pk", flat=True))
    # A role the directory manages and the administration took away is given again (added here too).
    added, removed = wanted - held, managed - wanted
    if added:   # m2m_changed is sent for these, as for a change in the administration
        user.mapro_roles.add(*added)
        account.roles.add(*added)
    if removed:
        user.mapro_roles.remove(*removed)
        account.roles.remove(*removed)
    return user


class DirectoryBackend(SignInGuard, ModelBackend):
    """Signs in with the directory (settings MAPRO_LDAP_*); does nothing while MAPRO_LDAP_URL is empty."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        return super().authenticate(request, username, password, **kwargs) if enabled() else None

    def check_credentials(self, request, username, password, **kwargs):
        if not isinstance(username, str) or not isinstance(password, str):
            return None
        username = username.strip()
        # An empty password would be an anonymous bind, which the directory accepts: never.
        if not username or not password or len(username) > 150 or any(ord(c) < 32 for c in username):
            return None
        users = list(get_user_model().objects.filter(username__iexact=username).select_related("directory_account"))
        user = next((u for u in users if hasattr(u, "directory_account")), None)
        if user is None and any(u.has_usable_password() for u in users):
            return None   # a local account: its own password, through DemoAwareBackend, never the directory's
        try:
            group_roles(), unit_map()   # a mistake in the settings is said here, not after the bind
            person = find_person(username, password)
        except (DirectoryUnavailable, ImproperlyConfigured) as exc:
            logger.error("directory sign-in of %r not possible: %s", username, exc)
            if request is not None:
                request.mapro_directory_down = True
            return None
        if person is None:
            return None
        # An account made in the administration without a password is taken over on the first sign-in.
        user = user or (users[0] if users else get_user_model()(username=username.lower()))
        if user.pk is not None and not self.user_can_authenticate(user):
            return None   # deactivated in the administration
        return synchronise(user, person)
