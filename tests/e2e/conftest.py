"""Browser tests: Playwright driving Debian's chromium against a real ``ocppsim serve``.

One server (a subprocess with its own data dir, demo CSMS and ports) serves the whole e2e
session; each test signs up a user of its own, so tests never see each other's chargers.
Screenshots go to ``tests/e2e/artifacts/`` (git-ignored). Chromium: ``OCPPSIM_CHROMIUM`` or
``/usr/bin/chromium`` (``.ci/run`` installs Debian's package); without it these tests fail.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from tests.support.server import Server, run_server

CHROMIUM = os.environ.get("OCPPSIM_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "a long password"
_names = itertools.count(1)
_REFUSAL = re.compile(r"Failed to load resource: the server responded with a status of 4(09|22|29)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with run_server(tmp_path_factory.mktemp("e2e"), {"OCPPSIM_SIGNUP": "1"}) as running:
        yield running


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no chromium at {CHROMIUM}: apt-get install chromium (or set OCPPSIM_CHROMIUM)"
        )
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
    )
    try:
        yield browser
    finally:
        browser.close()


@dataclass
class Account:
    name: str
    password: str
    #: The first API key, as the sign-up page showed it.
    key: str = ""


@dataclass
class PageLog:
    """What the page reported: console errors (CSP violations among them)."""

    errors: list[str] = field(default_factory=list)


def sign_up(server: Server, name: str | None = None) -> Account:
    """A fresh user through the real sign-up form (over HTTP, not the browser)."""
    n = next(_names)
    name = name or f"user{os.getpid()}x{n}"
    # Sign-ups are limited per client address: each comes from its own loopback address.
    transport = httpx.HTTPTransport(local_address=f"127.0.{n // 250 + 1}.{n % 250 + 2}")
    with httpx.Client(base_url=server.url, transport=transport) as client:
        form = client.get("/signup")
        token = re.search(r'name="form_token" value="([^"]+)"', form.text)
        assert token, form.text
        done = client.post(
            "/signup",
            data={
                "form_token": token.group(1),
                "name": name,
                "password": PASSWORD,
                "password2": PASSWORD,
            },
        )
        assert done.status_code == 201, done.text
        key = re.search(r'data-testid="new-key">([^<]+)<', done.text)
        assert key, done.text
    server.issued.append(key.group(1))
    return Account(name, PASSWORD, key.group(1))


@pytest.fixture
def account(server: Server) -> Account:
    return sign_up(server)


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def page(browser: Browser, server: Server, page_log: PageLog) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)

    def on_console(message: ConsoleMessage) -> None:
        # Chromium logs every 4xx answer; the API's refusals are expected, shown in the page.
        if message.type == "error" and not _REFUSAL.match(message.text):
            page_log.errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: page_log.errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()


def log_in(page: Page, account: Account, next_path: str = "") -> None:
    page.goto("/login" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("User name").fill(account.name)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/(chargers|log|loadtest|settings|keys|reference)"))


@pytest.fixture
def user_page(page: Page, account: Account) -> Page:
    """A page logged in as a fresh user."""
    log_in(page, account)
    return page


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
