"""S04.03.04.02 in a real browser: employee → help desk → technician → employee, through the HTML pages."""
import os

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import re  # noqa: E402

import pytest  # noqa: E402

from cases.models import Case  # noqa: E402

from .browser_helpers import launch, login, logout, open_available_task, require_chromium, screenshot  # noqa: E402

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

PROCEDURE = "S04.03.04.02 Atención de requerimientos de soporte técnico"


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
    context.set_default_timeout(10_000)
    expect.set_options(timeout=10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.django_db(transaction=True)
def test_support_ticket_from_request_to_closure(live_server, page, make_user):
    make_user("empleada", unit="uo")
    make_user("operador", "operador-mesa-ayuda", unit="ogtie")
    make_user("tecnico", "soporte-tecnico", unit="ogtie")
    url = live_server.url

    # --- the employee files the ticket ----------------------------------------------------------------
    login(page, url, "empleada")
    page.get_by_role("link", name="Procedimientos", exact=True).click()
    page.get_by_role("link", name=PROCEDURE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PROCEDURE)
    page.get_by_label("Asunto").fill("PC no enciende")
    page.get_by_label("Detalle del requerimiento").fill("La PC de la oficina 302 no enciende desde ayer.")
    page.get_by_label("Categoría").select_option("Hardware")
    page.get_by_label("Ubicación (oficina / piso)").fill("Piso 3, oficina 302")
    page.get_by_role("button", name="Iniciar").click()
    expect(page.get_by_role("status").filter(has_text="iniciado")).to_be_visible()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^Caso S04\.03\.04\.02-\d{4}-\d{6}$"))
    number = heading.inner_text().removeprefix("Caso ").strip()
    expect(page.locator(".facts")).to_contain_text("En curso")
    logout(page, url, "empleada")

    # --- the help desk validates: first without the required priority, then properly ------------------
    login(page, url, "operador")
    expect(page.get_by_role("link", name="Disponibles para mis roles (1)")).to_be_visible()
    open_available_task(page, "Recibir y validar ticket de atención")
    expect(page.locator(".crumbs")).to_contain_text(number)
    expect(page.get_by_role("group", name="¿Cumple con los requisitos?")).to_be_visible()
    yes, no = page.get_by_role("button", name="Sí", exact=True), page.get_by_role("button", name="No", exact=True)
    expect(yes).to_be_visible()
    expect(no).to_be_visible()
    expect(page.locator('svg.diagram g.task.current[data-activity="2"]')).to_have_count(1)
    expect(page.locator('svg.diagram g.task.done[data-activity="1"]')).to_have_count(1)

    page.get_by_label("Observaciones").fill("Ticket completo; falta confirmar el anexo.")
    # The browser itself stops a form whose required field is empty ...
    yes.click()
    expect(page.locator("select[name=prioridad]:invalid")).to_have_count(1)
    assert Case.objects.get(number=number).tasks.filter(status="completed").count() == 1
    # ... and the server says the same to a browser that skips that check.
    page.evaluate("document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))")
    yes.click()
    expect(page.locator(".field.has-error small.error")).to_have_text("«Prioridad» es obligatorio.")
    expect(page.get_by_label("Observaciones")).to_have_value("Ticket completo; falta confirmar el anexo.")
    expect(page.get_by_label("Prioridad")).to_have_value("")
    assert Case.objects.get(number=number).status == Case.Status.OPEN
    shot = screenshot(page, "01-tarea-con-error")
    assert shot.stat().st_size > 0

    page.get_by_label("Prioridad").select_option("Alta")
    page.get_by_role("button", name="Sí", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Actividad 2 atendida.")).to_be_visible()
    # The next activity is the operator's own: the system opens it directly.
    expect(page.get_by_role("heading", level=1)).to_have_text("4. Asignar ticket de atención")
    page.get_by_label("Especialidad").select_option("Hardware")
    page.get_by_role("button", name="Completar actividad").click()
    expect(page.get_by_role("status").filter(has_text="Actividad 4 atendida.")).to_be_visible()
    logout(page, url, "operador")

    # --- the technician takes the ticket, solves it and closes it ---------------------------------------
    login(page, url, "tecnico")
    open_available_task(page, "Revisar el ticket de atención y atender la solicitud")
    page.get_by_role("button", name="Tomar tarea").click()
    expect(page.get_by_role("status").filter(has_text="Tomó la tarea")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("asignada a tecnico")
    expect(page.locator('svg.diagram g.task.current[data-activity="5"]')).to_have_count(1)
    shot = screenshot(page, "02-tarea-tecnico")
    assert shot.stat().st_size > 0
    page.get_by_label("Modalidad de atención").select_option("Presencial")
    page.get_by_label("Diagnóstico").fill("Fuente de poder desconectada.")
    page.get_by_label("Acción realizada").fill("Se conectó la fuente y se probó el encendido.")
    page.get_by_role("button", name="Sí", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Actividad 5 atendida.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("6. Cerrar el ticket de atención")
    page.get_by_label("Acción realizada").fill("Equipo operativo; usuaria conforme.")
    page.get_by_role("button", name="Completar actividad").click()
    expect(page.get_by_role("status").filter(has_text="Actividad 6 atendida.")).to_be_visible()
    logout(page, url, "tecnico")

    # --- the employee sees the case closed ---------------------------------------------------------------
    login(page, url, "empleada")
    page.get_by_role("link", name="Casos", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mis solicitudes")
    row = page.get_by_role("row").filter(has_text=number)
    expect(row).to_contain_text("Concluido")
    row.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Caso {number}")
    expect(page.locator(".facts")).to_contain_text("Concluido")
    expect(page.get_by_text("Ninguna.")).to_be_visible()
    history = page.locator(".history")
    for step in ("1. Ingresar ticket de atención", "2. Recibir y validar ticket de atención",
                 "4. Asignar ticket de atención", "5. Revisar el ticket de atención y atender la solicitud",
                 "6. Cerrar el ticket de atención"):
        expect(history).to_contain_text(step)
    expect(page.locator("svg.diagram g.task.current")).to_have_count(0)
    expect(page.locator('svg.diagram g.task.done[data-activity="6"]')).to_have_count(1)
    shot = screenshot(page, "03-caso-concluido")
    assert shot.stat().st_size > 0
    logout(page, url, "empleada")

    assert Case.objects.get(number=number).status == Case.Status.COMPLETED
