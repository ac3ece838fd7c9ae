"""The help desk in a real browser: an employee asks for help on the portal, the operator assigns a
technician picked from the list, the technician resolves, the employee gets the e-mail (read from
the SMTP server the test starts), opens its link and rates the service. Screenshots of the portal,
the queue and the ticket at 1280 and 390 px wide go to var/screenshots/helpdesk-*.png."""
import os

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import re  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from django.conf import settings as django_settings  # noqa: E402

from helpdesk.models import Ticket  # noqa: E402
from notifications import outbox  # noqa: E402

from .browser_helpers import launch, login, logout, require_chromium  # noqa: E402
from .smtp_server import smtp_server  # noqa: E402,F401 - fixture

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

SHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"
WIDTHS = {"escritorio": 1280, "telefono": 390}


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


def shots(page, name):
    """The page at both widths; nothing on it may be wider than the phone's screen."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"helpdesk-{name}-{label}.png"), full_page=True)
        if width < 500:
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, f"{name}: la página es {overflow} px más ancha que un teléfono"
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.django_db(transaction=True)
def test_an_employee_asks_for_help_and_rates_the_service_from_the_email(live_server, page, make_user, smtp_server,  # noqa: F811
                                                                         settings):
    settings.MAPRO_EMAIL_URL = smtp_server.url
    settings.MAPRO_EMAIL_FROM = "Mesa de ayuda OGTIE <mesadeayuda@mindef.gob.pe>"
    settings.MAPRO_BASE_URL = live_server.url
    employee = make_user("empleada", unit="uo")
    make_user("operador", "operador-mesa-ayuda", unit="ogtie")
    technician = make_user("tecnico", "soporte-tecnico", unit="ogtie")
    for user, (first, last) in ((employee, ("Rosa", "Quispe")), (technician, ("Luis", "Huamán"))):
        user.first_name, user.last_name, user.email = first, last, f"{user.username}@mindef.gob.pe"
        user.save()
    url = live_server.url

    # --- the employee asks for help on the portal ---------------------------------------------------
    login(page, url, "empleada")
    page.goto(f"{url}/mesa-de-ayuda/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mesa de ayuda de la OGTIE")
    shots(page, "portal")
    page.get_by_role("link", name="No funciona mi equipo").click()
    page.get_by_label("Asunto").fill("La impresora no imprime")
    page.get_by_label(re.compile("^Descripción")).fill("Desde ayer la impresora del piso 3 no imprime nada.")
    page.get_by_role("button", name="Enviar a la mesa de ayuda").click()
    expect(page.get_by_text(re.compile(r"Se registró su ticket TK-\d{4}-\d{6}"))).to_be_visible()
    ticket = Ticket.objects.get()
    logout(page, url, "empleada")

    # --- the operator assigns a technician picked from the list ---------------------------------------
    login(page, url, "operador")
    page.goto(f"{url}/mesa-de-ayuda/cola/")
    expect(page.get_by_role("link", name=ticket.number)).to_be_visible()
    shots(page, "cola")
    page.get_by_role("link", name=ticket.number).click()
    page.get_by_label("Persona").select_option(label="Luis Huamán")
    page.get_by_role("button", name="Asignar").click()
    expect(page.get_by_text("Ticket asignado.")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("Luis Huamán")
    logout(page, url, "operador")

    # --- the technician resolves -----------------------------------------------------------------------
    login(page, url, "tecnico")
    page.goto(f"{url}/mesa-de-ayuda/asignados/")
    page.get_by_role("link", name=ticket.number).click()
    page.get_by_label("Solución aplicada").fill("Se reinstaló el controlador y se limpió la cola de impresión.")
    page.get_by_role("button", name="Resolver").click()
    expect(page.get_by_text("Ticket resuelto.")).to_be_visible()
    shots(page, "ticket-resuelto")
    logout(page, url, "tecnico")

    # --- the worker sends the e-mail; the employee follows its link and rates the service ---------------
    assert outbox.send_due().sent >= 2       # the technician's assignment and the employee's resolution
    mails = smtp_server.wait_for(2)
    [mail] = [m for m in mails if m["To"] == "empleada@mindef.gob.pe"]
    assert mail["Subject"] == f"[mapro] {ticket.number}: su ticket fue resuelto"
    link = re.search(r"https?://\S+", mail.get_content()).group(0)
    assert link == f"{url}/mesa-de-ayuda/tickets/{ticket.pk}/"

    page.goto(link)     # not signed in: the sign-in page, then back to the ticket
    page.get_by_label("Usuario").fill("empleada")
    page.get_by_label("Contraseña").fill("clave-segura-123")
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url(link)
    expect(page.get_by_role("heading", level=1)).to_contain_text(ticket.number)
    expect(page.locator(".card", has=page.get_by_role("heading", name="Solución"))).to_contain_text("Se reinstaló el controlador")
    page.get_by_label("Calificación").select_option("5")
    page.get_by_label("Comentario (opcional)").fill("Rápido y amable.")
    page.get_by_role("button", name="Calificar").click()
    expect(page.get_by_text("Gracias por calificar la atención.")).to_be_visible()
    shots(page, "ticket")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.rating, ticket.rating_comment) == ("cerrado", 5, "Rápido y amable.")
