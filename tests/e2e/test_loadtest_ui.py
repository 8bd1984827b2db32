"""The load-test page, in a real browser: start a small run against the demo CSMS, watch the
counters and charts, refusals next to the buttons, the error list, stop."""

from __future__ import annotations

import json
import re

import httpx
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import Account, PageLog, screenshot
from tests.support.server import Server


def open_loadtest(page: Page, page_log: PageLog) -> None:
    """The page; only its own console errors count (not the landing page's after log-in)."""
    page_log.errors.clear()
    page.goto("/loadtest")
    expect(page.get_by_test_id("run-state")).to_have_attribute("data-state", "none")


def counter(page: Page, name: str) -> str:
    return f'[data-counter="{name}"] .value'


def settings(server: Server, account: Account) -> dict[str, str]:
    answer = httpx.get(f"{server.url}/api/settings", headers={"X-API-Key": account.key})
    assert answer.status_code == 200, answer.text
    values: dict[str, str] = answer.json()["settings"]
    return values


def test_a_small_run_ramps_up_charges_is_charted_and_stops(
    user_page: Page, server: Server, account: Account, page_log: PageLog
) -> None:
    page = user_page
    open_loadtest(page, page_log)
    expect(page.locator(counter(page, "connected"))).to_have_text("0")
    expect(page.get_by_test_id("chart-connected")).to_contain_text("No run: start one above.")
    expect(page.get_by_test_id("batch-size")).to_have_value("50")
    expect(page.get_by_test_id("batch-note")).to_have_text("Your setting: 50")
    expect(page.get_by_test_id("stop")).to_be_disabled()
    expect(page.locator("#errors tbody")).to_have_text("No errors.")

    page.get_by_test_id("target").fill("5")
    page.get_by_test_id("mode").select_option("charging")
    page.get_by_test_id("batch-size").fill("10")
    page.get_by_test_id("share-1.6").fill("3")
    page.get_by_test_id("share-2.0.1").fill("1")
    page.get_by_test_id("share-2.1").fill("1")
    expect(page.get_by_test_id("mix-note")).to_have_text("1.6: 60 % · 2.0.1: 20 % · 2.1: 20 %")
    page.get_by_test_id("id-prefix").fill("E2E-")
    page.get_by_test_id("apply").click()
    expect(page.get_by_test_id("apply-done")).to_have_text("Started.")
    # The batch size is the user's setting: saved before the run starts.
    assert settings(server, account)["mass_batch_size"] == "10"
    expect(page.get_by_test_id("batch-note")).to_have_text("Your setting: 10")

    expect(page.locator(counter(page, "target"))).to_have_text("5")
    expect(page.locator(counter(page, "connected"))).to_have_text("5", timeout=20_000)
    expect(page.locator(counter(page, "booted"))).to_have_text("5")
    expect(page.locator(counter(page, "charging"))).to_have_text("5", timeout=20_000)
    expect(page.get_by_test_id("run-state")).to_have_attribute("data-state", "running")
    expect(page.get_by_test_id("run-state")).to_have_text("Running · charging")
    expect(page.locator(counter(page, "ramp"))).to_have_text("100 %")
    expect(page.get_by_test_id("apply")).to_have_text("Apply")
    expect(page.get_by_test_id("stop")).to_be_enabled()
    sent = int(page.locator(counter(page, "messages_sent")).inner_text().replace(",", ""))
    assert sent >= 5 * 4  # BootNotification, StatusNotification, Authorize, StartTransaction...
    expect(page.locator(counter(page, "p95"))).to_have_text(re.compile(r"^\d+\.\d ms$"))
    expect(page.locator("#latency tbody tr", has_text="BootNotification")).to_have_count(1)

    # The charts get a point a second, each on its own scale; the target is a dashed line.
    for chart in ("connected", "charging", "mps", "p95"):
        svg = page.get_by_test_id(f"chart-{chart}")
        expect(svg.locator("polyline")).to_have_count(1)
    expect(page.get_by_test_id("chart-connected").locator("line.ref")).to_have_count(1)
    expect(page.get_by_test_id("chart-connected")).to_contain_text("target 5")
    page.wait_for_function("() => +document.getElementById('chart-connected').dataset.points >= 5")
    points = page.get_by_test_id("chart-connected").locator("polyline").get_attribute("points")
    assert points is not None
    assert len(points.split()) >= 5
    page.get_by_test_id("chart-connected").hover()
    expect(page.get_by_test_id("chart-connected").locator("text.readout")).to_have_count(1)
    page.mouse.move(0, 0)
    screenshot(page, "loadtest")

    # A reload shows the run as it is, its values in the form.
    page.reload()
    expect(page.get_by_test_id("run-state")).to_have_attribute("data-state", "running")
    expect(page.get_by_test_id("target")).to_have_value("5")
    expect(page.get_by_test_id("mode")).to_have_value("charging")
    expect(page.get_by_test_id("id-prefix")).to_have_value("E2E-")

    page.get_by_test_id("stop").click()
    expect(page.get_by_test_id("apply-done")).to_have_text("Stopped.")
    for name in ("target", "created", "connected", "booted", "charging"):
        expect(page.locator(counter(page, name))).to_have_text("0")
    expect(page.get_by_test_id("run-state")).to_have_text("No run")
    expect(page.get_by_test_id("apply")).to_have_text("Start")
    expect(page.get_by_test_id("stop")).to_be_disabled()
    assert page_log.errors == []


def test_refusals_show_the_api_error_next_to_the_buttons(
    user_page: Page, server: Server, account: Account, page_log: PageLog
) -> None:
    page = user_page
    open_loadtest(page, page_log)
    error = page.get_by_test_id("apply-error")

    page.get_by_test_id("target").fill("20000")
    page.get_by_test_id("apply").click()
    expect(error).to_have_text("target: Input should be less than or equal to 10000")

    page.get_by_test_id("target").fill("5")
    page.get_by_test_id("batch-size").fill("5")
    expect(page.get_by_test_id("batch-note")).to_contain_text("saved as 5 when you apply")
    page.get_by_test_id("apply").click()
    expect(error).to_have_text("mass_batch_size: Input should be greater than or equal to 10")
    assert settings(server, account)["mass_batch_size"] == "50"

    page.get_by_test_id("batch-size").fill("50")
    page.get_by_test_id("share-1.6").fill("0")
    expect(page.get_by_test_id("mix-note")).to_have_text(
        "Give at least one version a share above 0."
    )
    page.get_by_test_id("apply").click()
    expect(error).to_have_text("versions: at least one version needs a share above 0")

    page.get_by_test_id("share-1.6").fill("1")
    page.get_by_test_id("meter-interval").fill("2")
    page.get_by_test_id("apply").click()
    expect(error).to_have_text("meter_interval: Input should be greater than or equal to 5")

    page.get_by_test_id("meter-interval").fill("")
    page.get_by_test_id("id-prefix").fill("bad prefix!")
    page.get_by_test_id("apply").click()
    expect(error).to_contain_text("id_prefix")
    screenshot(page, "loadtest-refused")
    # Nothing started.
    expect(page.get_by_test_id("run-state")).to_have_text("No run")
    expect(page.locator('[data-counter="target"] .value')).to_have_text("0")
    assert page_log.errors == []


def test_the_error_list_shows_text_as_text_and_clears(user_page: Page, page_log: PageLog) -> None:
    """No run fails against the demo CSMS on purpose, so the list is served by the test."""
    page = user_page
    cleared: list[bool] = []
    errors = [
        {
            "time": "2026-04-09T15:07:41",
            "chargepoint_id": "MASS7-00002",
            "kind": "call_error",
            "message": "<img src=x onerror=alert(1)> StatusNotification: InternalError",
        },
        {
            "time": "2026-04-09T15:07:40",
            "chargepoint_id": "MASS7-00001",
            "kind": "timeout",
            "message": "no answer to Heartbeat within 30 s",
        },
    ]

    def serve_errors(route: Route) -> None:
        body = [] if cleared else errors
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    def note_clear(route: Route) -> None:
        cleared.append(True)
        route.continue_()

    page.route("**/api/mass-charger/errors", serve_errors)
    page.route("**/api/mass-charger/errors/clear", note_clear)
    open_loadtest(page, page_log)
    rows = page.locator("#errors tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("2026-04-09 15:07:41")
    expect(rows.first).to_contain_text("MASS7-00002")
    expect(rows.first).to_contain_text("call_error")
    expect(rows.first.locator("td.message")).to_have_text(
        "<img src=x onerror=alert(1)> StatusNotification: InternalError"
    )
    expect(page.locator("#errors img")).to_have_count(0)

    page.get_by_test_id("clear-errors").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_text("No errors.")
    assert cleared == [True]
    assert page_log.errors == []
