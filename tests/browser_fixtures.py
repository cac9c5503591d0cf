"""Browser fixtures for every test folder: a live server in a thread and Debian's Chromium via Playwright.

Loaded once for the whole run through ``pytest_plugins`` in tests/conftest.py, so that one Chromium
serves every folder (Playwright's sync API allows one running instance per thread).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import IN_CI

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture
def live_server(fresh_app) -> Iterator[LiveServer]:
    app = fresh_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        if IN_CI:
            pytest.fail("Debian's chromium is not installed; .ci/run installs it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def sign_in_page(page, base: str, slug: str, login: str, landing: str | None = None) -> None:
    """Sign in through the real form as one of the standard staff (tests/factories.py), then wait."""
    from tests import factories

    target = landing or f"/{slug}/"
    page.goto(f"{base}/{slug}/login?next={target}")
    page.get_by_label("ログインID").fill(login)
    page.get_by_label("パスワード").fill(factories.PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{base}{target}")
