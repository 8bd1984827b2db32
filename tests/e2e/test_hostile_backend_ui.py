"""Text a backend sends is shown as text: a script in it never runs (issue 7, point 7).

A hostile CSMS (a small ``websockets`` server here) answers the boot, sends a DataTransfer
whose data is markup with scripts, then closes the connection with markup as its reason (the
charger shows that reason as its connection error). The page must show all of it literally,
create no element from it, and run none of it.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect
from websockets.asyncio.server import ServerConnection, serve

from tests.e2e.conftest import Account, PageLog, screenshot
from tests.support.server import Server, free_port

PAYLOAD = '<img src="x" id="pwned-img" onerror="window.__pwned=1"><script>window.__pwned=2</script>'
REASON = "<img src=x id=pwned-close onerror=window.__pwned=3>"


async def _hostile(ws: ServerConnection, state: dict[str, int]) -> None:
    async for raw in ws:
        message = json.loads(raw)
        if message[0] != 2:
            if message[0] == 3 and state["closes"] == 0:
                state["closes"] += 1  # the DataTransfer was answered: now the hostile close
                await ws.close(1011, REASON)
                return
            continue
        _, unique_id, action, _ = message
        answer: dict[str, object] = {}
        if action == "BootNotification":
            answer = {"status": "Accepted", "currentTime": "2026-12-01T00:00:00Z", "interval": 300}
        elif action == "Heartbeat":
            answer = {"currentTime": "2026-12-01T00:00:00Z"}
        await ws.send(json.dumps([3, unique_id, answer]))
        if action == "BootNotification":
            call = [2, "evil-1", "DataTransfer", {"vendorId": "Evil", "data": PAYLOAD}]
            await ws.send(json.dumps(call))


@pytest.fixture
def hostile_csms() -> Iterator[str]:
    port = free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop: asyncio.Future[None] = loop.create_future()
    state = {"closes": 0}

    async def main() -> None:
        async def handler(ws: ServerConnection) -> None:
            await _hostile(ws, state)

        async with serve(handler, "127.0.0.1", port, subprotocols=["ocpp1.6"]):  # type: ignore[list-item]
            ready.set()
            await stop

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(stop.set_result, None)
        thread.join(10)
        loop.close()


def test_a_script_in_backend_text_does_not_run(
    user_page: Page, account: Account, server: Server, hostile_csms: str, page_log: PageLog
) -> None:
    page = user_page
    headers = {"X-API-Key": account.key}
    r = httpx.post(
        f"{server.url}/api/chargers",
        headers=headers,
        json={
            "chargepoint_id": "EVIL-1",
            "charger_type": "AC",
            "max_power_kw": 11.0,
            "ocpp_version": "1.6",
            "backend_url": hostile_csms,
            "mode": "on",
        },
    )
    assert r.status_code == 201, r.text

    # The hostile close shows as the charger's connection error.
    def connection_error() -> str:
        got = httpx.get(f"{server.url}/api/chargers/EVIL-1", headers=headers).json()
        return str(got["connection_error"])

    expect_text = f"disconnected: {REASON}"
    deadline = 50
    while expect_text not in connection_error() and deadline:
        page.wait_for_timeout(200)
        deadline -= 1
    assert expect_text in connection_error()

    page.goto("/chargers")
    row = page.locator('[data-chargepoint-id="EVIL-1"]')
    expect(row).to_contain_text(REASON)
    screenshot(page, "hostile-chargers")

    page.goto("/log")
    expect(page.locator("main")).to_contain_text('"data": "<img src=\\"x\\" id=\\"pwned-img\\"')
    screenshot(page, "hostile-log")

    for path in ("/chargers", "/log"):
        page.goto(path)
        page.wait_for_timeout(500)
        assert page.evaluate("window.__pwned") is None
        assert page.locator("#pwned-img, #pwned-close, main script").count() == 0
    assert not [e for e in page_log.errors if "pwned" in e]
