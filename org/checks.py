"""`mapro check` (and every start) says what is wrong in the directory settings (MAPRO_LDAP_*)."""
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register(checks.Tags.security)
def directory_settings(app_configs=None, **kwargs):
    from cases import procedures

    from . import directory

    if not directory.enabled():
        return []
    problems = []
    for url in settings.MAPRO_LDAP_URL.replace(",", " ").split():
        if not url.lower().startswith(("ldap://", "ldaps://")):
            problems.append(checks.Error(f"MAPRO_LDAP_URL: «{url}» debe empezar con ldap:// o ldaps://.", id="org.E001"))
        elif url.lower().startswith("ldap://") and not settings.MAPRO_LDAP_START_TLS:
            problems.append(checks.Warning(
                f"MAPRO_LDAP_URL: {url} sin cifrar: las contraseñas viajarían en claro.",
                hint="Use ldaps:// o MAPRO_LDAP_START_TLS=1.", id="org.W002"))
    if not settings.MAPRO_LDAP_USER_DN_TEMPLATE and not settings.MAPRO_LDAP_USER_BASE:
        problems.append(checks.Error("Falta MAPRO_LDAP_USER_BASE (dónde buscar a las personas en el directorio).",
                                     id="org.E003"))
    try:
        mapping = directory.group_roles()
        directory.unit_map()
    except ImproperlyConfigured as exc:
        problems.append(checks.Error(str(exc), id="org.E004"))
    else:
        known = procedures.organization().role_slugs
        unknown = sorted({slug for slugs in mapping.values() for slug in slugs} - known)
        if unknown:
            problems.append(checks.Error(f"MAPRO_LDAP_GROUP_ROLES nombra roles que no existen: {', '.join(unknown)}.",
                                         hint="Use las claves de catalog/organization.yaml.", id="org.E005"))
    return problems
