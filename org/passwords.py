"""Password rules beyond Django's own validators (settings.AUTH_PASSWORD_VALIDATORS)."""
import re
import unicodedata

from django.core.exceptions import ValidationError

# The names an outsider would try first at the Ministry of Defence's IT office.
ORGANISATION_WORDS = ("ministeriodedefensa", "ministerio", "defensa", "mindef", "ogtie", "mapro", "peru",
                      "gob", "de", "del", "la", "pe")


class OrganisationNameValidator:
    """Refuses a password that is only the organisation's names with digits and symbols:
    «mindef2026», «Mindef-2026!», «OGTIE_mindef_01», «ministeriodedefensa2025»."""

    def __init__(self, words=ORGANISATION_WORDS):
        self.pattern = re.compile("(?:" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + ")+")

    def validate(self, password, user=None):
        letters = "".join(c for c in unicodedata.normalize("NFKD", password.casefold()) if c.isalpha())
        if letters and self.pattern.fullmatch(letters):
            raise ValidationError(
                "Esta contraseña es el nombre de la institución con números o símbolos (como «mindef2026»); "
                "elija otra.",
                code="password_organisation_name",
            )

    def get_help_text(self):
        return "Su contraseña no puede ser el nombre de la institución (MINDEF, OGTIE…) con números o símbolos."
