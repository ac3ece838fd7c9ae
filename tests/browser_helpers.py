"""Playwright (sync API) helpers for the browser stories: Debian's chromium, headless, never `playwright install`."""
import os
import re
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PASSWORD = "clave-segura-123"
SCREENSHOTS = Path(os.environ.get("MAPRO_SCREENSHOTS", "/tmp/mapro-browser"))


def require_chromium():
    """Skip locally without chromium; in CI (which installs it) a missing browser is a failure."""
    if Path(CHROMIUM).exists():
        return
    reason = f"No está {CHROMIUM}: instálelo con `apt-get install -y chromium` (no use `playwright install`)."
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def login(page, base_url, username, password=PASSWORD):
    page.goto(f"{base_url}/ingresar/")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url(f"{base_url}/")
    # The header shows who is signed in.
    page.get_by_role("button", name=f"Salir ({username})").wait_for()


def logout(page, base_url, username):
    page.get_by_role("button", name=f"Salir ({username})").click()
    page.wait_for_url(re.compile(re.escape(f"{base_url}/ingresar/")))


def open_available_task(page, activity_name):
    """From anywhere: Mis tareas → «Disponibles para mis roles» → the task's link."""
    page.get_by_role("link", name="Mis tareas").click()
    page.get_by_role("link", name=re.compile(r"^Disponibles para mis roles")).click()
    page.get_by_role("link", name=re.compile(re.escape(activity_name))).click()
    page.get_by_role("heading", level=1, name=re.compile(re.escape(activity_name))).wait_for()


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
