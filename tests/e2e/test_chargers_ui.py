"""The Chargers dashboard: create, live updates from the OCPP stream, sessions, configuration.

Every test signs up a user of its own, whose chargers dial the server's built-in demo CSMS.
"Live" means without a reload: a marker set on ``window`` before the change must still be
there after it (a navigation would have wiped it).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Account, PageLog, screenshot
from tests.support.server import Server

LIVE = 15_000  # connecting, booting and the first StatusNotification take a second or two


def api(server: Server, account: Account) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"X-API-Key": account.key}, timeout=10)


def create(server: Server, account: Account, **fields: Any) -> dict[str, Any]:
    body = {"charger_type": "AC", "max_power_kw": 11.0, **fields}
    with api(server, account) as client:
        r = client.post("/api/chargers", json=body)
    assert r.status_code == 201, r.text
    got: dict[str, Any] = r.json()
    return got


def charger(server: Server, account: Account, chargepoint_id: str) -> dict[str, Any]:
    with api(server, account) as client:
        r = client.get(f"/api/chargers/{chargepoint_id}")
    assert r.status_code == 200, r.text
    got: dict[str, Any] = r.json()
    return got


def row(page: Page, chargepoint_id: str) -> Locator:
    return page.locator(f'tr[data-chargepoint-id="{chargepoint_id}"]')


def open_panel(page: Page, chargepoint_id: str) -> Locator:
    row(page, chargepoint_id).get_by_test_id("toggle").click()
    panel = page.locator(f'[data-panel-for="{chargepoint_id}"]')
    expect(panel).to_be_visible()
    return panel


def mark(page: Page) -> None:
    page.evaluate("window.__samePage = 'yes'")


def assert_same_page(page: Page) -> None:
    assert page.evaluate("window.__samePage") == "yes", "the page reloaded or navigated"


def test_a_charger_created_through_the_form_gets_its_row(
    user_page: Page, account: Account, server: Server, page_log: PageLog
) -> None:
    page = user_page
    page.goto("/chargers")
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    expect(page.get_by_test_id("create-card")).to_have_attribute("open", "")
    # The selects come from the OpenAPI document.
    expect(page.get_by_test_id("create-mode").locator("option")).to_have_text(
        ["off", "on", "autopilot", "manual"]
    )
    mark(page)
    form = page.get_by_test_id("create-form")

    form.get_by_label("Chargepoint id").fill("UI-AC-1")
    form.get_by_label("Name").fill("Bay <b>1</b>")
    form.get_by_label("Max power (kW)").fill("11")
    form.get_by_label("Connectors").fill("2")
    form.get_by_label("OCPP version").select_option("2.0.1")
    form.get_by_text("Authorization and backend").click()
    form.get_by_test_id("create-rfid_tag").fill("CAFE0001")
    page.get_by_role("button", name="Create charger").click()

    new = row(page, "UI-AC-1")
    expect(new).to_be_visible()
    expect(new.get_by_test_id("name")).to_have_text("Bay <b>1</b>")
    expect(new.get_by_test_id("type")).to_contain_text("AC")
    expect(new.get_by_test_id("ocpp")).to_have_text("2.0.1")
    expect(new.get_by_test_id("mode")).to_have_text("off")
    expect(new.get_by_test_id("link")).to_have_attribute("data-connected", "false")
    expect(new.get_by_test_id("connector-status").locator(".conn")).to_have_count(2)
    expect(page.get_by_test_id("empty-state")).to_be_hidden()
    expect(page.get_by_test_id("create-error")).to_be_empty()
    got = charger(server, account, "UI-AC-1")
    assert (got["charger_name"], got["max_power_kw"], got["num_connectors"]) == (
        "Bay <b>1</b>",
        11,
        2,
    )
    assert (got["ocpp_version"], got["rfid_tag"], got["mode"]) == ("2.0.1", "CAFE0001", "off")

    # The API's refusal shows beside the button; the form stays usable.
    form.get_by_label("Chargepoint id").fill("UI-AC-1")
    page.get_by_role("button", name="Create charger").click()
    expect(page.get_by_test_id("create-error")).to_contain_text("UI-AC-1")
    form.get_by_label("Chargepoint id").fill("UI-AC-2")
    form.get_by_label("Max power (kW)").fill("45")
    page.get_by_role("button", name="Create charger").click()
    expect(page.get_by_test_id("create-error")).to_contain_text("max_power_kw")
    screenshot(page, "chargers-create")
    form.get_by_label("Max power (kW)").fill("22")
    page.get_by_role("button", name="Create charger").click()
    expect(row(page, "UI-AC-2")).to_be_visible()
    expect(page.get_by_test_id("create-error")).to_be_empty()
    expect(page.locator("tr[data-chargepoint-id]")).to_have_count(2)

    # Doubts about a configuration show in the row as warnings.
    form.get_by_label("Chargepoint id").fill("UI-PNC")
    form.get_by_label("OCPP version").select_option("1.6")
    form.get_by_label("Auth mode").select_option("plug_and_charge")
    form.get_by_test_id("create-pnc_emaid").fill("abc123")
    form.get_by_role("button", name="Create charger").click()
    warnings = row(page, "UI-PNC").get_by_test_id("warning")
    expect(warnings).to_have_count(2)
    expect(warnings.nth(0)).to_contain_text("created as OCPP 2.0.1")
    expect(warnings.nth(1)).to_contain_text("ISO 15118")
    expect(row(page, "UI-PNC").get_by_test_id("ocpp")).to_have_text("2.0.1")
    assert_same_page(page)
    assert page_log.errors == []


def test_autopilot_connects_and_charges_live_without_a_reload(
    user_page: Page, account: Account, server: Server, page_log: PageLog
) -> None:
    page = user_page
    create(server, account, chargepoint_id="LIVE-1", charger_name="Autopilot bay")
    page.goto("/chargers")
    expect(page.get_by_test_id("stream-state")).to_have_attribute("data-state", "live")
    mark(page)
    live = row(page, "LIVE-1")
    expect(live.get_by_test_id("link")).to_have_attribute("data-connected", "false")

    panel = open_panel(page, "LIVE-1")
    panel.get_by_test_id("mode-autopilot").click()
    expect(panel.get_by_test_id("mode-autopilot")).to_have_attribute("aria-pressed", "true")
    expect(live.get_by_test_id("mode")).to_have_text("autopilot")
    expect(live.get_by_test_id("link")).to_have_attribute("data-connected", "true", timeout=LIVE)
    expect(live.get_by_test_id("link")).to_have_text("online")
    expect(live.get_by_test_id("status")).to_have_attribute("data-status", "Charging", timeout=LIVE)
    expect(live.get_by_test_id("power")).not_to_have_text("0.0 kW")
    # Energy moves between meter values (the page polls a charging charger).
    energy = live.get_by_test_id("session-energy")
    first = energy.inner_text()
    expect(energy).not_to_have_text(first, timeout=LIVE)
    expect(page.get_by_test_id("fleet-summary")).to_contain_text("1 charging")
    screenshot(page, "charger-panel")
    live.get_by_test_id("toggle").click()
    expect(panel).to_be_hidden()

    # Chargers made elsewhere (by the API) appear from the stream once they talk.
    create(server, account, chargepoint_id="LIVE-2", mode="on", num_connectors=2)
    expect(row(page, "LIVE-2").get_by_test_id("link")).to_have_attribute(
        "data-connected", "true", timeout=LIVE
    )
    expect(row(page, "LIVE-2").get_by_test_id("status")).to_have_attribute(
        "data-status", "Available", timeout=LIVE
    )
    create(server, account, chargepoint_id="LIVE-3", mode="on", backend_url="ws://127.0.0.1:9")
    expect(row(page, "LIVE-3").get_by_test_id("connection-error")).to_contain_text(
        "Connection: ", timeout=LIVE
    )
    expect(row(page, "LIVE-3").get_by_test_id("link")).to_have_text("offline")
    screenshot(page, "chargers")

    panel = open_panel(page, "LIVE-1")
    panel.get_by_test_id("mode-off").click()
    expect(live.get_by_test_id("link")).to_have_attribute("data-connected", "false", timeout=LIVE)
    expect(live.get_by_test_id("mode")).to_have_text("off")
    assert_same_page(page)
    assert page_log.errors == []


def test_a_manual_session_starts_and_stops_and_refusals_show_beside_the_button(
    user_page: Page, account: Account, server: Server, page_log: PageLog
) -> None:
    page = user_page
    create(server, account, chargepoint_id="MAN-1", mode="manual", num_connectors=2)
    page.goto("/chargers")
    mark(page)
    manual = row(page, "MAN-1")
    expect(manual.get_by_test_id("link")).to_have_attribute("data-connected", "true", timeout=LIVE)
    expect(manual.get_by_test_id("status")).to_have_attribute(
        "data-status", "Available", timeout=LIVE
    )
    panel = open_panel(page, "MAN-1")

    panel.get_by_test_id("start-energy").fill("0")
    panel.get_by_test_id("start").click()
    expect(panel.get_by_test_id("error-start")).to_contain_text("energy_kwh")
    panel.get_by_test_id("stop").click()
    expect(panel.get_by_test_id("error-stop")).not_to_be_empty()

    panel.get_by_test_id("start-energy").fill("3")
    panel.get_by_test_id("start-rfid").fill("TAG0042")
    panel.get_by_test_id("start-connector").select_option("2")
    panel.get_by_test_id("start").click()
    expect(panel.get_by_test_id("error-start")).to_be_empty()
    expect(panel.get_by_test_id("error-stop")).to_be_empty()
    expect(manual.get_by_test_id("status")).to_have_attribute(
        "data-status", "Charging", timeout=LIVE
    )
    expect(manual.locator('.conn[data-connector="2"]')).to_contain_text("Charging")
    expect(manual.get_by_test_id("session")).to_contain_text("of 3.00 kWh")
    expect(panel.get_by_test_id("session-info")).to_contain_text("tag TAG0042")

    panel.get_by_test_id("stop").click()
    expect(panel.get_by_test_id("error-stop")).to_be_empty()
    expect(manual.get_by_test_id("status")).not_to_have_attribute(
        "data-status", "Charging", timeout=LIVE
    )
    expect(manual.get_by_test_id("power")).to_have_text("0.0 kW")
    assert charger(server, account, "MAN-1")["status"] != "Charging"

    # Faults: injected and cleared from the panel.
    panel.get_by_test_id("error-code").select_option("GroundFailure")
    panel.get_by_test_id("set-error").click()
    expect(manual.get_by_test_id("error")).to_have_text("GroundFailure")
    expect(manual.get_by_test_id("status")).to_have_attribute(
        "data-status", "Faulted", timeout=LIVE
    )
    panel.get_by_test_id("error-code").select_option("NoError")
    panel.get_by_test_id("set-error").click()
    expect(manual.get_by_test_id("error")).to_have_text("—")

    panel.get_by_test_id("free-charging").check()
    expect(manual.get_by_test_id("free")).to_have_text("free")
    assert charger(server, account, "MAN-1")["free_charging"] is True
    assert_same_page(page)
    assert page_log.errors == []


def test_the_panel_configures_renames_and_deletes(
    user_page: Page, account: Account, server: Server, page_log: PageLog
) -> None:
    page = user_page
    create(server, account, chargepoint_id="CFG-1")
    page.goto("/chargers")
    mark(page)
    panel = open_panel(page, "CFG-1")
    cfg = row(page, "CFG-1")

    panel.get_by_label("Name", exact=True).fill("Depot west")
    panel.get_by_test_id("save-name").click()
    expect(cfg.get_by_test_id("name")).to_have_text("Depot west")
    expect(panel.get_by_test_id("ok-name")).to_have_text("Saved")

    panel.get_by_test_id("rfid-input").fill("CAFE1234")
    panel.get_by_test_id("save-rfid").click()
    expect(panel.get_by_test_id("ok-rfid")).to_have_text("Saved")
    assert charger(server, account, "CFG-1")["rfid_tag"] == "CAFE1234"
    panel.get_by_test_id("rfid-input").fill("has space")
    panel.get_by_test_id("save-rfid").click()
    expect(panel.get_by_test_id("error-rfid")).to_contain_text("rfid_tag")

    panel.get_by_test_id("connectors-input").fill("3")
    panel.get_by_test_id("set-connectors").click()
    expect(cfg.get_by_test_id("connector-status").locator(".conn")).to_have_count(3)
    expect(panel.get_by_test_id("start-connector").locator("option")).to_have_count(4)

    panel.get_by_test_id("backend-input").fill("http://example.invalid")
    panel.get_by_test_id("save-backend").click()
    expect(panel.get_by_test_id("error-backend")).to_contain_text("backend_url")
    panel.get_by_test_id("backend-input").fill("")
    panel.get_by_test_id("save-backend").click()
    expect(panel.get_by_test_id("error-backend")).to_be_empty()

    panel.get_by_test_id("version-select").select_option("2.1")
    panel.get_by_test_id("set-version").click()
    expect(cfg.get_by_test_id("ocpp")).to_have_text("2.1")

    panel.get_by_test_id("auth-mode").select_option("plug_and_charge")
    panel.get_by_test_id("auth-pcid").fill("PCID-7")
    panel.get_by_test_id("save-auth").click()
    expect(panel.get_by_test_id("ok-auth")).to_have_text("Saved")
    expect(panel.get_by_test_id("auth-emaid")).to_have_value(re.compile(r"^DESIMC"))
    got = charger(server, account, "CFG-1")
    assert (got["auth_mode"], got["pnc_pcid"]) == ("plug_and_charge", "PCID-7")

    panel.get_by_test_id("security-profile").select_option("1")
    panel.get_by_test_id("save-security").click()
    expect(panel.get_by_test_id("error-security")).to_contain_text("basic_auth_password")
    panel.get_by_test_id("security-password").fill("a-password-of-16+")
    panel.get_by_test_id("save-security").click()
    expect(panel.get_by_test_id("security-status")).to_contain_text("password set")
    expect(panel.get_by_test_id("error-security")).to_be_empty()

    # Renaming needs mode off; a refusal while on shows beside the button.
    panel.get_by_test_id("mode-on").click()
    expect(cfg.get_by_test_id("mode")).to_have_text("on")
    panel.get_by_test_id("rename-input").fill("CFG-RENAMED")
    panel.get_by_test_id("rename").click()
    expect(panel.get_by_test_id("error-rename")).to_contain_text("off")
    panel.get_by_test_id("mode-off").click()
    expect(cfg.get_by_test_id("mode")).to_have_text("off")
    panel.get_by_test_id("rename").click()
    renamed = row(page, "CFG-RENAMED")
    expect(renamed).to_be_visible()
    expect(row(page, "CFG-1")).to_have_count(0)
    expect(renamed.get_by_test_id("name")).to_have_text("Depot west")
    screenshot(page, "charger-configured")

    panel = page.locator('[data-panel-for="CFG-RENAMED"]')
    page.once("dialog", lambda dialog: dialog.accept())
    panel.get_by_test_id("delete").click()
    expect(renamed).to_have_count(0)
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    with api(server, account) as client:
        assert client.get("/api/chargers/CFG-RENAMED").status_code == 404
    assert_same_page(page)
    assert page_log.errors == []
