"""The office edits a template in the administration without a developer: the page previews it
for a sample case, saving writes a new version, and documents keep the version they came from. The
template language is sandboxed: no includes, no tag libraries, no debug dump."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from documents import actions, render
from documents.models import DocumentTemplate

from .documents_helpers import case_of, documents_storage, version_text  # noqa: F401

pytestmark = pytest.mark.django_db


def test_saving_a_template_in_the_admin_writes_a_new_version(staff):
    admin = get_user_model().objects.create_superuser("admin", password="clave-segura-123")
    web = Client()
    web.force_login(admin)
    case = case_of("S04.03.01.02")
    old = DocumentTemplate.current().get(slug="memorandum")
    drafted = actions.draft_document(staff["jefe-ogtie"], case, old)

    page = web.get(f"/admin/documents/documenttemplate/{old.pk}/change/").content.decode()
    assert "Vista previa" in page and "S04.03.04.02-2026-000123" in page     # the sample case
    answer = web.post(f"/admin/documents/documenttemplate/{old.pk}/change/", {
        "name": old.name, "type": old.type, "procedures": '["S04.01.00.03"]', "classification": "reservado",
        "active": "on", "body": "Asunto:: {{ documento.asunto }}\n\nTexto nuevo de la oficina para {{ caso.numero }}."})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    new = DocumentTemplate.current().get(slug="memorandum")
    assert new.version == old.version + 1 and new.pk != old.pk and new.created_by == admin
    old.refresh_from_db()
    assert "Texto nuevo" not in old.body and drafted.template_id == old.pk
    fresh = case_of("S04.01.00.03")
    document = actions.draft_document(staff["jefe-ogtie"], fresh, new)
    assert document.classification == "reservado"
    assert f"Texto nuevo de la oficina para {fresh.number}." in " ".join(version_text(document.current_version()).split())


@pytest.mark.parametrize("body", ["{% include 'web/base.html' %}", "{% load static %}", "{% debug %}",
                                  "{% extends 'web/base.html' %}", "{% csrf_token %}{% url 'inbox' %}"])
def test_the_template_language_is_sandboxed(body):
    with pytest.raises(render.TemplateError):
        render.render_text(body, {"caso": {"numero": "X"}})


def test_a_template_error_is_said_in_spanish_and_nothing_is_drafted(staff):
    template = DocumentTemplate.objects.create(slug="roto", name="Roto", type="oficio", body="{% if %}")
    case = case_of("S04.03.04.02")
    from cases.workflow import Invalid

    with pytest.raises(Invalid) as raised:
        actions.draft_document(staff["jefe-ogtie"], case, template)
    assert "error de sintaxis" in raised.value.detail
    assert not case.documents.exists()
