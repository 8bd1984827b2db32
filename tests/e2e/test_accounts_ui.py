"""Log-in, log-out, sign-up and the API keys page, in a real browser."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Account, PageLog, log_in, screenshot, sign_up
from tests.support.server import Server


def test_the_first_user_logs_in_with_the_printed_password_and_sees_their_keys(
    page: Page, server: Server, page_log: PageLog
) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    screenshot(page, "login")
    log_in(page, Account("admin", server.password))
    expect(page.get_by_test_id("user-name")).to_have_text("admin (admin)")
    page.get_by_role("link", name="API keys").click()
    prefix = server.key.split("_")[0] + "_" + server.key.split("_")[1]
    expect(page.locator("#keys tbody tr").first).to_contain_text(prefix)
    screenshot(page, "keys")
    assert page_log.errors == []


def test_a_wrong_password_gets_one_generic_message(page: Page, account: Account) -> None:
    for name, password in ((account.name, "not the password"), ("nobody-here", "whatever1")):
        page.goto("/login")
        page.get_by_label("User name").fill(name)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_test_id("form-error")).to_have_text("Wrong user name or password.")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_sign_up_shows_the_first_key_once_and_it_works(
    page: Page, server: Server, page_log: PageLog
) -> None:
    page.goto("/login")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("User name").fill("newcomer")
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_label("Password again").fill("correct horse battery")
    page.get_by_role("button", name="Create my account").click()
    key = page.get_by_test_id("new-key").inner_text()
    server.issued.append(key)
    screenshot(page, "signup-first-key")
    assert httpx.get(f"{server.url}/api/me", headers={"X-API-Key": key}).json()["name"] == (
        "newcomer"
    )
    # Shown once: the keys page lists its prefix only.
    page.goto("/keys")
    expect(page.locator("#keys tbody tr")).to_have_count(1)
    assert key not in page.content()
    assert page_log.errors == []


def test_keys_are_created_copied_and_revoked(user_page: Page, server: Server) -> None:
    page = user_page
    page.goto("/keys")
    expect(page.locator("#keys tbody tr")).to_have_count(1)
    page.get_by_role("button", name="Create a key").click()
    new_key = page.get_by_test_id("new-key")
    expect(new_key).to_have_text(re.compile(r"^ocps_"))
    key = new_key.inner_text()
    server.issued.append(key)
    expect(page.locator("#keys tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert httpx.get(f"{server.url}/api/me", headers={"X-API-Key": key}).status_code == 200
    # Revoke the new key: it stops working at once.
    page.once("dialog", lambda dialog: dialog.accept())
    row = page.locator("#keys tbody tr", has_text=key[:13])
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator("#keys tbody tr")).to_have_count(1)
    assert httpx.get(f"{server.url}/api/me", headers={"X-API-Key": key}).status_code == 401
    # The last key cannot go: the API's message shows next to the button.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#keys tbody tr").get_by_role("button", name="Revoke").click()
    expect(page.locator("#keys tbody tr .error")).to_contain_text("last API key")


def test_log_out_ends_the_session(user_page: Page, server: Server) -> None:
    page = user_page
    cookies = page.context.cookies()
    session = next(c for c in cookies if c["name"] == "ocppsim_session")
    assert session["httpOnly"]
    assert session["sameSite"] == "Strict"
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    # The old cookie no longer authenticates anything.
    r = httpx.get(f"{server.url}/api/me", cookies={"ocppsim_session": session["value"]})
    assert r.status_code == 401
    page.goto("/chargers")
    expect(page).to_have_url(re.compile(r"/login\?next=/chargers$"))


def test_a_second_sign_up_of_a_taken_name_is_refused(page: Page, server: Server) -> None:
    taken = sign_up(server)
    page.goto("/signup")
    page.get_by_label("User name").fill(taken.name)
    page.get_by_label("Password", exact=True).fill("another long password")
    page.get_by_label("Password again").fill("another long password")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_test_id("form-error")).to_have_text("That user name is taken.")
