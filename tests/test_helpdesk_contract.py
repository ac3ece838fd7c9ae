"""The help desk's contract with the office: `mapro procedures validate` checks catalog/helpdesk.yaml
(every procedure, start, team and field it names exists), and the API description documents every
ticket endpoint the API serves."""
import shutil

import pytest
from django.core.management import CommandError, call_command
from django.urls import URLPattern

from helpdesk.urls import api_urlpatterns

from .api_client import Api

pytestmark = pytest.mark.django_db


def test_procedures_validate_reports_a_help_desk_category_that_names_a_missing_procedure(tmp_path, settings, capsys):
    catalog = tmp_path / "catalog"
    shutil.copytree(settings.MAPRO_CATALOG_DIR, catalog)
    helpdesk = catalog / "helpdesk.yaml"
    helpdesk.write_text(helpdesk.read_text(encoding="utf-8").replace("procedure: S04.04.00.02", "procedure: S04.09.09.09")
                        .replace("team: coord-innovacion", "team: jefe-de-nadie"), encoding="utf-8")
    settings.MAPRO_CATALOG_DIR = catalog

    with pytest.raises(CommandError) as failed:
        call_command("procedures", "validate")

    errors = capsys.readouterr().err
    assert "helpdesk.yaml: categoría «correo-sospechoso»: no existe el procedimiento S04.09.09.09" in errors
    assert "helpdesk.yaml: categoría «sistema-nuevo»: el equipo «jefe-de-nadie» no es un rol" in errors
    assert "2 error(es)" in str(failed.value)


def test_procedures_validate_accepts_the_shipped_help_desk_catalogue(capsys):
    call_command("procedures", "validate")
    assert "fichas válidas" in capsys.readouterr().out


def test_the_api_description_documents_every_ticket_endpoint(staff):
    spec = Api().get("/api/openapi.json", auth=False).json()
    served = {"/api/" + str(p.pattern).replace("<int:ticket_id>", "{id}") for p in api_urlpatterns if isinstance(p, URLPattern)}
    assert served - set(spec["paths"]) == set()
    assert spec["paths"]["/api/tickets"]["post"]["responses"]["201"]
    rate = spec["paths"]["/api/tickets/{id}/rate"]["post"]
    assert rate["requestBody"]["content"]["application/json"]["schema"]["properties"]["rating"]["maximum"] == 5
