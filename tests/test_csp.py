"""Content-Security-Policy: every response carries it, and no page breaks it.

The policy allows scripts and styles only from the site itself: no inline <script>, no on…=
handlers, no style="…" attributes. A browser reports every violation on the console
("Refused to … because it violates the following Content Security Policy directive") and as a
`securitypolicyviolation` event; the browser test collects both on the pages people use every day
and on the administration, and fails naming the page and what was refused."""
import os

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import pytest  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from cases import workflow  # noqa: E402
from cases.models import Case, Comment  # noqa: E402
from mapro.csp import DEFAULT_POLICY  # noqa: E402
from org.models import Role  # noqa: E402

from .api_client import Api  # noqa: E402
from .browser_helpers import launch, require_chromium  # noqa: E402

TICKET = {"asunto": "Monitor", "detalle": "El monitor parpadea", "categoria": "Hardware", "ubicacion": "Piso 4"}
DIRECTIVES = ("default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
              "object-src 'none'", "base-uri 'self'", "frame-ancestors 'none'", "form-action 'self'")


def _directives(header: str) -> set[str]:
    return {" ".join(d.split()) for d in header.split(";") if d.strip()}


def test_the_default_policy_is_the_one_documented():
    assert _directives(DEFAULT_POLICY) == set(DIRECTIVES)
    assert "unsafe-inline" not in DEFAULT_POLICY and "unsafe-eval" not in DEFAULT_POLICY


@pytest.mark.django_db
def test_every_kind_of_response_carries_the_policy(staff):
    case = workflow.start_case(staff["personal-mindef"], "S04.03.04.02", data=TICKET)
    client = Client()
    responses = {
        "ingreso": client.get("/ingresar/"),
        "redirección": client.get("/"),
        "404": client.get("/no-existe/"),
        "api 401": client.get("/api/tasks"),
        "api openapi": client.get("/api/openapi.json"),
        "estático": client.get("/favicon.ico"),
    }
    client.force_login(staff["jefe-ogtie"])
    responses.update({"bandeja": client.get("/"), "caso": client.get(f"/casos/{case.pk}/"),
                      "lista": client.get("/casos/?all=1"), "htmx": client.get("/?scope=available", HTTP_HX_REQUEST="true")})
    api = Api("personal-mindef")
    responses["api caso"] = api.get(f"/api/cases/{case.pk}")
    for name, response in responses.items():
        assert response.status_code < 500, name
        assert "Content-Security-Policy" in response, f"{name}: sin Content-Security-Policy"
        assert _directives(response["Content-Security-Policy"]) == set(DIRECTIVES), name


@pytest.mark.django_db
def test_the_pages_have_no_inline_script_or_style(staff):
    """A quick check without a browser: no <script> without src, no on…= handler, no style=."""
    import re

    case = workflow.start_case(staff["personal-mindef"], "S04.03.04.02", data=TICKET)
    task = case.tasks.get(status="open")
    client = Client()
    pages = {"/ingresar/": client.get("/ingresar/")}
    client.force_login(staff["operador-mesa-ayuda"])
    for path in ("/", "/?scope=available", "/procedimientos/", "/procedimientos/S04.03.04.02/",
                 f"/casos/{case.pk}/", f"/tareas/{task.pk}/", "/casos/?all=1", "/programacion/"):
        pages[path] = client.get(path)
    for path, response in pages.items():
        assert response.status_code == 200, path
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"{path}: <script> en línea"
        assert not re.search(r"<style\b", html), f"{path}: <style> en línea"
        assert not re.search(r"\sstyle\s*=", html), f"{path}: atributo style"
        assert not re.search(r"\son[a-z]+\s*=", html), f"{path}: manejador on…= en línea"


# --- in a real browser ------------------------------------------------------------------------------
sync_api = pytest.importorskip("playwright.sync_api")

# Runs in every page before its own scripts, outside the page's policy (injected by the browser).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " +
                              (e.sourceFile || location.pathname) + ":" + e.lineNumber);
});
"""


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


class Visitor:
    """A browser context that records CSP reports and script errors per page."""

    def __init__(self, browser, base_url, user=None):
        self.context = browser.new_context(locale="es-PE", viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(15_000)
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.base_url = base_url
        if user is not None:   # signed in by session cookie: the sign-in form is another test's subject
            client = Client()
            client.force_login(user)
            self.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                                       "url": base_url}])
        self.page = self.context.new_page()
        self.problems = []
        self.page.on("console", lambda m: self._console(m))
        self.page.on("pageerror", lambda e: self.problems.append(f"{self.page.url}: error de script: {e}"))

    def _console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.problems.append(f"{self.page.url}: {message.text}")

    def visit(self, path, expect_status=200):
        response = self.page.goto(self.base_url + path)
        assert expect_status is None or response.status == expect_status, f"{path}: {response.status}"
        assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}, path
        self.page.wait_for_load_state("load")
        self.collect()

    def collect(self):
        self.page.wait_for_timeout(100)   # violation events are dispatched asynchronously
        for report in self.page.evaluate("window.__cspViolations || []"):
            self.problems.append(f"{self.page.url}: {report}")
        self.page.evaluate("window.__cspViolations = []")

    def close(self):
        self.context.close()


@pytest.mark.django_db(transaction=True)
def test_no_page_violates_the_policy_in_a_browser(live_server, browser, staff):
    url = live_server.url
    requester = Api("personal-mindef")
    started = requester.post("/api/cases", {"procedure": "S04.03.04.02", "data": TICKET})
    assert started.status_code == 201, started.content
    case = Case.objects.get(pk=started.json()["id"])
    assert requester.post(f"/api/cases/{case.pk}/comments", {"body": "Gracias"}).status_code == 201
    assert requester.upload(case.pk).status_code == 201
    task = case.tasks.get(status="open")
    problems = []

    anonymous = Visitor(browser, url)
    anonymous.visit("/ingresar/")
    anonymous.visit("/no-existe/", expect_status=404)
    problems += anonymous.problems
    anonymous.close()

    staff_member = Visitor(browser, url, staff["operador-mesa-ayuda"])
    for path in ("/", "/?scope=available", "/procedimientos/", "/procedimientos/S04.03.04.02/",
                 f"/casos/{case.pk}/", f"/tareas/{task.pk}/", "/casos/?all=1", "/programacion/"):
        staff_member.visit(path)
    # htmx under the policy: changing a filter swaps the task table in without a page load.
    staff_member.visit("/?scope=available")
    page = staff_member.page
    with page.expect_response(lambda r: "procedure=S04.03.04.02" in r.url and r.request.headers.get("hx-request")):
        page.get_by_label("Procedimiento").select_option("S04.03.04.02")
    page.locator("#inbox-table").get_by_text("Recibir y validar ticket de atención").wait_for()
    assert page.evaluate("document.querySelectorAll('head style').length") == 0   # no htmx indicator styles
    staff_member.collect()
    # A form posts and the next page loads (form-action 'self').
    staff_member.visit(f"/casos/{case.pk}/")
    page.get_by_label("Mensaje").first.fill("Lo revisamos hoy.")
    page.get_by_role("button", name="Enviar").first.click()
    page.wait_for_load_state("load")
    assert Comment.objects.filter(case=case, body="Lo revisamos hoy.").exists()
    staff_member.collect()
    problems += staff_member.problems
    staff_member.close()

    admin_user = get_user_model().objects.create_superuser("administrador", password="clave-segura-123")
    admin = Visitor(browser, url, admin_user)
    role = Role.objects.get(slug="soporte-tecnico")
    for path in ("/admin/", "/admin/cases/case/", f"/admin/cases/case/{case.pk}/change/", "/admin/cases/event/",
                 "/admin/cases/attachment/", f"/admin/org/role/{role.pk}/change/", "/admin/auth/user/add/",
                 f"/admin/auth/user/{admin_user.pk}/change/", "/admin/schedules/schedulesetting/"):
        admin.visit(path)
    # Pages of the audit trail and of the second factor, where installed.
    for name in ("audit", "second-factor-enrol"):
        try:
            admin.visit(reverse(name), expect_status=None)
        except NoReverseMatch:
            pass
    # The admin's own scripts work: the searchable two-box member picker of a role is drawn by JS.
    admin.visit(f"/admin/org/role/{role.pk}/change/")
    admin.page.locator("#id_members_filter").wait_for()
    admin.collect()
    problems += admin.problems
    admin.close()

    assert not problems, "Violaciones de la política de contenido o errores de script:\n" + "\n".join(problems)
