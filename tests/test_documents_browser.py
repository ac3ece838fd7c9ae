"""In a real browser: a specialist drafts an informe from a task, the chief gives the visto bueno,
numbers it and signs it with the test signer, and the informe appears in the register with its
number and on the case's page."""
import os

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import re  # noqa: E402

import pytest  # noqa: E402

from documents.models import Document  # noqa: E402

from .browser_helpers import launch, login, logout, require_chromium, screenshot  # noqa: E402
from .documents_helpers import case_of, document_templates, documents_storage  # noqa: E402,F401

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="es-PE", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    expect.set_options(timeout=15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.django_db(transaction=True)
def test_an_informe_drafted_from_a_task_is_approved_signed_and_registered(live_server, page, staff, settings, document_templates,
                                                                         tmp_path_factory):
    settings.MAPRO_SIGNER = "local-test"
    settings.MAPRO_TEST_SIGNER_DIR = tmp_path_factory.getbasetemp() / "signer-browser"
    case = case_of("S04.03.04.02", subject="PC de la oficina 302 sin reparación")
    task = case.tasks.filter(status="open").first()
    url = live_server.url

    # --- the specialist drafts the informe from the task ----------------------------------------------
    login(page, url, "soporte-tecnico")
    page.goto(f"{url}/tareas/{task.pk}/")
    page.get_by_role("link", name="Redactar documento").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Redactar documento")
    page.get_by_label("Plantilla").select_option(value="informe-baja")
    page.get_by_label("Conclusiones (informes)").fill("El equipo no tiene reparación; procede la baja.")
    page.get_by_role("button", name="Redactar el proyecto").click()
    expect(page.get_by_role("status").filter(has_text="redactado como proyecto")).to_be_visible()
    expect(page.locator("iframe.pdf-preview")).to_have_count(1)
    document = Document.objects.get()
    assert document.task_id == task.pk
    screenshot(page, "documento-proyecto")
    logout(page, url, "soporte-tecnico")

    # --- the chief: visto bueno, number, signature ----------------------------------------------------
    login(page, url, "jefe-ogtie")
    page.goto(f"{url}/documentos/{document.pk}/")
    page.get_by_role("button", name="Dar visto bueno").click()
    expect(page.get_by_role("status").filter(has_text="Visto bueno registrado")).to_be_visible()
    page.get_by_role("button", name="Numerar").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^INFORME TÉCNICO N° 00001-\d{4}-MINDEF/SG-OGTIE$"))
    number = heading.inner_text().strip()
    page.get_by_role("button", name="Firmar (firmador de prueba)").click()
    expect(page.get_by_role("status").filter(has_text="Firma verificada")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("Firmado")

    # --- in the register, with its number, and on the case's page -------------------------------------
    page.get_by_role("link", name="Documentos", exact=True).click()
    expect(page.get_by_role("link", name=number)).to_be_visible()
    page.goto(f"{url}/casos/{case.pk}/")
    expect(page.locator(".case-documents")).to_contain_text(number)
    screenshot(page, "documento-en-el-caso")
