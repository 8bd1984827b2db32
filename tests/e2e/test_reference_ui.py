"""The API reference page (/reference), in a real browser, logged out and logged in."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from ocppsim.api.ui import reference
from tests.e2e.conftest import Account, PageLog, log_in, screenshot
from tests.support.server import Server


def test_the_reference_is_public_and_its_examples_copy(
    page: Page, server: Server, page_log: PageLog
) -> None:
    page.goto("/reference")
    expect(page).to_have_url(re.compile(r"/reference$"))
    expect(page.get_by_role("heading", name="API reference")).to_be_visible()
    expect(page.get_by_role("heading", name="Authentication")).to_be_visible()
    intro = page.locator("#getting-started")
    for way in ("X-API-Key: $KEY", "Authorization: Bearer $KEY", "?api_key=$KEY"):
        expect(intro).to_contain_text(way)
    expect(intro).to_contain_text('{"error": "Authentication required"}')
    expect(intro).to_contain_text("session cookie")
    expect(page.locator("#getting-started [data-base-url]").first).to_have_text(server.url)
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()

    create = page.get_by_test_id("op-POST /api/chargers")
    expect(create.locator(".method")).to_have_text("POST")
    expect(create.locator(".op-path")).to_have_text("/api/chargers")
    expect(create).to_contain_text("Create a charger")
    expect(create.locator("table.fields")).to_contain_text("max_power_kw")
    curl = create.locator("pre.code").first
    expect(curl).to_contain_text('curl -s -X POST -H "X-API-Key: $KEY"')
    expect(curl).to_contain_text('"chargepoint_id": "SIM-AC-001"')
    expect(curl).to_contain_text("$API/api/chargers")

    # The table of contents leads to the endpoint.
    page.locator(".ref-toc").get_by_role("link", name="POST /api/chargers", exact=True).click()
    expect(page).to_have_url(re.compile(r"#post-api-chargers$"))

    button = create.get_by_role("button", name=re.compile("Copy"))
    button.click()
    expect(button).to_have_text("Copied")
    expect(button).to_have_text("Copy", timeout=5000)

    # The stream endpoint shows the curl -N and the EventSource example.
    stream = page.get_by_test_id("op-GET /api/logs/stream")
    expect(stream).to_contain_text("curl -s -N")
    expect(stream).to_contain_text("new EventSource(")

    # A response example opens.
    example = create.locator("details.response")
    example.locator("summary").click()
    expect(example.locator("pre.code")).to_contain_text('"chargepoint_id": "SIM-AC-001"')

    page.goto("/reference")
    screenshot(page, "reference")
    assert page_log.errors == []


def test_logged_in_the_reference_points_to_the_keys_page(
    page: Page, account: Account, page_log: PageLog
) -> None:
    log_in(page, account, "/reference")
    expect(page).to_have_url(re.compile(r"/reference$"))
    expect(page.locator("#getting-started").get_by_role("link", name="API keys")).to_be_visible()
    assert page_log.errors == []


def test_the_stream_example_opens_a_stream(server: Server, account: Account) -> None:
    """The SSE example's URL, with the key as ``api_key`` as in the EventSource example."""
    doc = httpx.get(f"{server.url}/openapi.json").json()
    streams = [op for op in reference.build(doc).operations() if op.stream]
    assert streams
    for op in streams:
        url = f"{server.url}{op.example_path}"
        url += ("&" if "?" in url else "?") + f"api_key={account.key}"
        with httpx.stream("GET", url, timeout=10) as answer:
            assert answer.status_code == 200, answer.read()
            assert answer.headers["content-type"].startswith("text/event-stream")
