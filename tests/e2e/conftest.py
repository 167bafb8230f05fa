"""Browser tests: Daphne in a subprocess on the test database, driven by Debian's Chromium."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from incidentdesk.embedded_redis import free_port

# Playwright's sync API keeps an event loop in the test thread; the ORM calls the tests make
# there are ordinary blocking ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# An init script that counts the AudioContexts a page makes (the board reuses one).
COUNT_AUDIO = """
    window.audioContextsMade = 0;
    const Real = window.AudioContext;
    window.AudioContext = class extends Real {
        constructor(...args) { super(...args); window.audioContextsMade += 1; }
    };
"""


# Module scope: Playwright's event loop must be gone before other modules' asyncio tests run.
@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def start_daphne(port: int, database: str) -> subprocess.Popen:
    """The whole app under Daphne (HTTP and WebSockets) on this port and test database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "incidentdesk.settings_test",
        "E2E_DATABASE_NAME": database,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "incidentdesk.asgi:application",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"Daphne did not start: {process.stderr.read().decode()}")
        time.sleep(0.1)


def stop_daphne(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def test_database(django_db_setup, django_db_blocker) -> str:
    with django_db_blocker.unblock():
        return str(connection.settings_dict["NAME"])


@pytest.fixture(scope="session")
def server_url(test_database):
    port = free_port()
    process = start_daphne(port, test_database)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_daphne(process)


@pytest.fixture
def own_server(test_database):
    """A Daphne of this test's own, on a fixed port, so the test can restart it."""
    port = free_port()
    server = {"process": start_daphne(port, test_database), "port": port, "db": test_database}
    yield server
    stop_daphne(server["process"])


@pytest.fixture
def new_page(browser, server_url):
    """Pages in fresh browser contexts (one per person), closed after the test."""
    contexts = []

    def open_page():
        context = browser.new_context(base_url=server_url, viewport={"width": 1400, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(5_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def log_in(page, username: str, password: str = "pass-for-tests") -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/incidents/")


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
