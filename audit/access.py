"""Who reads the audit trail: the chief, the roles flagged `auditor` in catalog/organization.yaml
(the security specialist) and superusers. For everyone else its page and API do not exist (404)."""
from cases import procedures
from org.models import role_slugs


def reads_trail(user) -> bool:
    if not user or not user.is_authenticated:
        return False
    return user.is_superuser or bool(role_slugs(user) & procedures.organization().auditor_roles)
