"""The global settings form, and the administrator's sign-up switch."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Account, PageLog, log_in, screenshot
from tests.support.server import Server


def test_settings_are_shown_saved_and_refused_with_the_apis_message(
    user_page: Page, account: Account, server: Server, page_log: PageLog
) -> None:
    page = user_page
    page.goto("/settings")
    expect(page.get_by_test_id("heartbeat_interval")).to_have_value("300")
    page.get_by_test_id("heartbeat_interval").fill("120")
    page.get_by_test_id("rfid_card_id").fill("CAFE0001")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("settings-saved")).to_have_text("Saved.")
    got = httpx.get(f"{server.url}/api/settings", headers={"X-API-Key": account.key}).json()
    assert got["settings"]["heartbeat_interval"] == "120"
    assert got["settings"]["rfid_card_id"] == "CAFE0001"
    page.get_by_test_id("heartbeat_interval").fill("5")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("settings-error")).to_contain_text("heartbeat_interval")
    screenshot(page, "settings")
    # Nothing was half-saved.
    got = httpx.get(f"{server.url}/api/settings", headers={"X-API-Key": account.key}).json()
    assert got["settings"]["heartbeat_interval"] == "120"
    assert page_log.errors == []


def test_only_an_administrator_sees_and_turns_the_sign_up_switch(
    page: Page, user_page: Page, server: Server
) -> None:
    user_page.goto("/settings")
    expect(user_page.locator("#server-settings")).to_have_count(0)
    user_page.context.clear_cookies()
    log_in(page, Account("admin", server.password), "/settings")
    switch = page.get_by_test_id("signup_enabled")
    expect(switch).to_be_checked()
    try:
        switch.uncheck()
        page.locator("#server-form").get_by_role("button", name="Save").click()
        expect(page.locator("#server-saved")).to_have_text("Saved.")
        r = httpx.get(f"{server.url}/signup")
        assert r.status_code == 403
        assert "turned off" in r.text
    finally:
        httpx.post(
            f"{server.url}/api/admin/server-settings",
            headers={"X-API-Key": server.key},
            json={"signup_enabled": True},
        ).raise_for_status()
