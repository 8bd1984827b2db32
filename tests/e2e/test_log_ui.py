"""The live OCPP log page, in a real browser: stream, filters, pause, history paging."""

from __future__ import annotations

import json
import re
import time
from contextlib import ExitStack
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Account, PageLog, screenshot
from tests.support.server import Server

ENTRY = ".log-entry"
SHOWN = ".log-entry:not([hidden])"


def create_charger(server: Server, account: Account, chargepoint_id: str) -> None:
    """An autopilot charger: it boots at once, then starts a session (about 16 frames)."""
    answer = httpx.post(
        f"{server.url}/api/chargers",
        headers={"X-API-Key": account.key},
        json={
            "chargepoint_id": chargepoint_id,
            "charger_type": "AC",
            "max_power_kw": 11,
            "mode": "autopilot",
        },
    )
    assert answer.status_code == 201, answer.text


def logs(server: Server, account: Account, **params: Any) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{server.url}/api/logs",
        headers={"X-API-Key": account.key},
        params={"limit": 1000, **params},
    )
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()
    return entries


def settled_logs(server: Server, account: Account, *chargers: str) -> list[dict[str, Any]]:
    """The history once every charger has started its session (its frames have settled)."""
    deadline = time.monotonic() + 15
    while True:
        entries = logs(server, account)
        started = {
            e["chargepoint_id"]
            for e in entries
            if e["message_type"] == "StatusNotification"
            and e["direction"] == "received"
            and any(
                s["message_type"] == "StartTransaction"
                and s["kind"] == "result"
                and s["chargepoint_id"] == e["chargepoint_id"]
                and s["id"] < e["id"]
                for s in entries
            )
        }
        if started >= set(chargers):
            return entries
        assert time.monotonic() < deadline, entries
        time.sleep(0.2)


def open_log(page: Page, page_log: PageLog, path: str = "/log") -> None:
    """The log page; only its own console errors count (not the landing page's after log-in)."""
    page_log.errors.clear()
    page.goto(path)


def entry_ids(page: Page, selector: str = ENTRY) -> list[int]:
    ids: list[int] = page.locator(selector).evaluate_all("nodes => nodes.map(n => +n.dataset.id)")
    return ids


def attribute_values(page: Page, name: str, selector: str = SHOWN) -> set[str]:
    values: list[str] = page.locator(selector).evaluate_all(
        f"nodes => nodes.map(n => n.dataset.{name})"
    )
    return set(values)


def test_frames_arrive_live_newest_on_top_with_pretty_payloads(
    user_page: Page, server: Server, account: Account, page_log: PageLog
) -> None:
    page = user_page
    open_log(page, page_log)
    expect(page.get_by_test_id("stream-state")).to_have_attribute("data-state", "live")
    expect(page.get_by_test_id("log-empty")).to_be_visible()

    create_charger(server, account, "LIVE-AC-1")
    boot = page.locator(f'{ENTRY}[data-action="BootNotification"][data-direction="sent"]')
    expect(boot).to_have_count(1)
    expect(boot.locator(".cp")).to_have_text("LIVE-AC-1")
    expect(boot.locator(".kind")).to_have_text("call")
    expect(boot.locator(".dir")).to_have_text(re.compile("sent"))
    # The payload is the entry's JSON, indented.
    payload = boot.locator("pre.payload").inner_text()
    assert '\n  "chargePointVendor": "ocppsim"' in payload
    assert json.loads(payload)["chargePointSerialNumber"] == "LIVE-AC-1"
    reply = page.locator(f'{ENTRY}[data-action="BootNotification"][data-direction="received"]')
    expect(reply.locator(".kind")).to_have_text("result")
    assert boot.get_attribute("data-message-id") == reply.get_attribute("data-message-id")
    # Connection events are entries too, and the session follows.
    expect(page.locator(f'{ENTRY}[data-action="connected"][data-direction="local"]')).to_have_count(
        1
    )
    expect(page.locator(f'{ENTRY}[data-action="StartTransaction"]')).to_have_count(2)

    settled = settled_logs(server, account, "LIVE-AC-1")
    expect(page.locator(ENTRY)).to_have_count(len(settled))
    ids = entry_ids(page)
    assert ids == sorted(ids, reverse=True) == [e["id"] for e in settled]
    # Clicking a message id marks the call and its reply.
    boot.locator(".msgid").click()
    expect(page.locator(f"{ENTRY}.paired")).to_have_count(2)
    expect(page.get_by_test_id("log-count")).to_have_text(f"{len(settled)} entries on the page")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "log")

    # One-line payloads, and a click opens one in full.
    page.get_by_test_id("compact").check()
    assert boot.locator("pre.payload").inner_text() == json.dumps(
        json.loads(payload), separators=(",", ":")
    )
    boot.locator("pre.payload").click()
    assert boot.locator("pre.payload").inner_text() == payload
    expect(page).to_have_url(re.compile(r"compact=1"))
    assert page_log.errors == []


def test_the_charger_direction_and_action_filters(
    user_page: Page, server: Server, account: Account, page_log: PageLog
) -> None:
    page = user_page
    create_charger(server, account, "FLT-A")
    create_charger(server, account, "FLT-B")
    everything = settled_logs(server, account, "FLT-A", "FLT-B")
    open_log(page, page_log)
    expect(page.locator(ENTRY)).to_have_count(len(everything))
    assert attribute_values(page, "charger") == {"FLT-A", "FLT-B"}

    # Charger (server side): the select lists the user's chargers.
    charger = page.get_by_test_id("filter-charger")
    charger.select_option("FLT-B")
    only_b = [e for e in everything if e["chargepoint_id"] == "FLT-B"]
    expect(page.locator(ENTRY)).to_have_count(len(only_b))
    assert attribute_values(page, "charger", ENTRY) == {"FLT-B"}
    expect(page).to_have_url(re.compile(r"chargepoint_id=FLT-B"))
    expect(page.get_by_test_id("stream-state")).to_have_attribute("data-state", "live")

    # ... or any id typed in.
    charger.select_option("__other__")
    other = page.get_by_test_id("filter-charger-other")
    other.fill("FLT-A")
    other.press("Enter")
    only_a = [e for e in everything if e["chargepoint_id"] == "FLT-A"]
    expect(page.locator(ENTRY)).to_have_count(len(only_a))
    assert attribute_values(page, "charger", ENTRY) == {"FLT-A"}
    other.fill("NOBODY")
    other.press("Enter")
    expect(page.get_by_test_id("log-empty")).to_be_visible()
    expect(page.locator(ENTRY)).to_have_count(0)
    charger.select_option("")
    expect(page.locator(ENTRY)).to_have_count(len(everything))

    # Direction and action (on the page): the action list holds what was seen.
    page.get_by_test_id("filter-direction").select_option("received")
    received = [e for e in everything if e["direction"] == "received"]
    expect(page.locator(SHOWN)).to_have_count(len(received))
    assert attribute_values(page, "direction") == {"received"}
    action = page.get_by_test_id("filter-action")
    seen = action.locator("option").all_inner_texts()
    assert {"BootNotification", "StartTransaction", "connected"} <= set(seen)
    action.select_option("BootNotification")
    expect(page.locator(SHOWN)).to_have_count(2)
    assert attribute_values(page, "action") == {"BootNotification"}
    assert attribute_values(page, "charger") == {"FLT-A", "FLT-B"}
    expect(page.get_by_test_id("log-count")).to_contain_text("2 match the filters")
    screenshot(page, "log-filtered")

    # Live entries obey the filters as they arrive.
    create_charger(server, account, "FLT-C")
    expect(page.locator(f'{SHOWN}[data-charger="FLT-C"]')).to_have_count(1)
    expect(
        page.locator(f'{ENTRY}[data-charger="FLT-C"][data-action="StartTransaction"]')
    ).to_have_count(2)
    assert attribute_values(page, "action") == {"BootNotification"}
    assert attribute_values(page, "direction") == {"received"}
    page.get_by_test_id("filter-direction").select_option("")
    page.get_by_test_id("filter-action").select_option("")
    expect(page.locator(SHOWN)).to_have_count(page.locator(ENTRY).count())
    assert page_log.errors == []


def test_pause_buffers_new_entries_and_resume_shows_them(
    user_page: Page, server: Server, account: Account, page_log: PageLog
) -> None:
    page = user_page
    open_log(page, page_log)
    state = page.get_by_test_id("stream-state")
    expect(state).to_have_attribute("data-state", "live")
    page.get_by_test_id("pause").click()
    expect(state).to_have_attribute("data-state", "paused")
    expect(state).to_have_text("Paused")
    expect(page.get_by_test_id("pause")).to_have_text("Resume")

    create_charger(server, account, "PAUSE-1")
    settled = settled_logs(server, account, "PAUSE-1")
    pending = page.get_by_test_id("pending")
    expect(pending).to_have_text(f"{len(settled)} new")
    expect(page.locator(ENTRY)).to_have_count(0)
    screenshot(page, "log-paused")

    page.get_by_test_id("pause").click()
    expect(state).to_have_attribute("data-state", "live")
    expect(pending).to_be_hidden()
    expect(page.locator(ENTRY)).to_have_count(len(settled))
    assert entry_ids(page) == [e["id"] for e in settled]
    assert page_log.errors == []


def test_scrolling_back_loads_older_pages_until_the_start(
    user_page: Page, server: Server, account: Account, page_log: PageLog
) -> None:
    page = user_page
    create_charger(server, account, "OLD-1")
    create_charger(server, account, "OLD-2")
    everything = settled_logs(server, account, "OLD-1", "OLD-2")
    open_log(page, page_log, "/log?page_size=2")
    entries = page.locator(ENTRY)
    expect(entries.first).to_be_visible()
    # The first page, and a few more while the end of the list is in view: not all of them.
    expect(page.get_by_test_id("log")).to_have_attribute("aria-busy", "false")
    assert 2 <= entries.count() < len(everything)
    start = page.get_by_test_id("log-start")
    expect(start).to_be_hidden()
    before = entries.count()
    page.get_by_test_id("load-older").click()
    expect(entries).to_have_count(before + 2)

    deadline = time.monotonic() + 15
    while not start.is_visible():
        assert time.monotonic() < deadline, entries.count()
        page.mouse.wheel(0, 4000)
        page.wait_for_timeout(100)
    expect(entries).to_have_count(len(everything))
    assert entry_ids(page) == [e["id"] for e in everything]
    expect(page.get_by_test_id("load-older")).to_be_hidden()
    assert page_log.errors == []


def test_the_page_keeps_a_bounded_number_of_entries(
    user_page: Page, server: Server, account: Account, page_log: PageLog
) -> None:
    page = user_page
    create_charger(server, account, "CAP-1")
    create_charger(server, account, "CAP-2")
    everything = settled_logs(server, account, "CAP-1", "CAP-2")
    assert len(everything) >= 30
    open_log(page, page_log, "/log?page_size=10&max_entries=20")
    entries = page.locator(ENTRY)
    expect(entries).to_have_count(10)
    page.get_by_test_id("load-older").click()
    expect(entries).to_have_count(20)
    # Going further back unloads the newest: the view stops following the live stream.
    page.get_by_test_id("load-older").click()
    expect(page.get_by_test_id("jump-latest")).to_be_visible()
    expect(entries).to_have_count(20)
    # Three pages loaded, the newest page unloaded: the 11th to the 30th newest.
    assert entry_ids(page) == [e["id"] for e in everything[10:30]]
    expect(page.get_by_test_id("log-notices")).to_contain_text("no longer follows")
    page.get_by_test_id("jump-latest").click()
    expect(entries).to_have_count(10)
    assert entry_ids(page) == [e["id"] for e in everything[:10]]
    expect(page.get_by_test_id("jump-latest")).to_be_hidden()
    assert page_log.errors == []


def test_a_refused_stream_is_retried_and_nothing_is_missed(
    user_page: Page, server: Server, account: Account, page_log: PageLog
) -> None:
    """With the user's 5 streams taken, the page's stream is refused (429); it retries, and
    what was stored meanwhile comes from the history: every entry, once."""
    page = user_page
    create_charger(server, account, "RETRY-1")
    with ExitStack() as streams:
        client = streams.enter_context(
            httpx.Client(base_url=server.url, headers={"X-API-Key": account.key}, timeout=10)
        )
        page.goto("about:blank")  # the landing page may hold a stream of its own
        held, deadline = 0, time.monotonic() + 10
        while held < 5:
            answer = streams.enter_context(client.stream("GET", "/api/logs/stream"))
            if answer.status_code == 200:
                held += 1
            else:
                assert answer.status_code == 429
                assert time.monotonic() < deadline
                time.sleep(0.1)
        open_log(page, page_log)
        state = page.get_by_test_id("stream-state")
        expect(state).to_have_attribute("data-state", "offline")
        expect(state).to_contain_text("retrying in")
        expect(page.locator(ENTRY).first).to_be_visible()  # the history, without a stream
        create_charger(server, account, "RETRY-2")  # while the page has no stream
        settled_logs(server, account, "RETRY-1", "RETRY-2")
    expect(state).to_have_attribute("data-state", "live", timeout=15_000)
    everything = settled_logs(server, account, "RETRY-1", "RETRY-2")
    expect(page.locator(ENTRY)).to_have_count(len(everything))
    assert entry_ids(page) == [e["id"] for e in everything]
    assert page_log.errors == []
