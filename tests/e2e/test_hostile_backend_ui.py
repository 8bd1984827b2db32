"""Text a backend sends is shown as text: a script in it never runs (issue 7, point 7).

A hostile CSMS (a small ``websockets`` server here) sends a DataTransfer whose data is markup
with scripts, and refuses every BootNotification with a CALLERROR whose description is markup
(the charger shows it in its last error). The page must show all of it literally,
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
DESCRIPTION = "<img src=x id=pwned-error onerror=window.__pwned=3>"


async def _hostile(ws: ServerConnection) -> None:
    """Sends markup as DataTransfer data the moment it accepts, and refuses every boot with
    markup."""
    call = [2, "evil-1", "DataTransfer", {"vendorId": "Evil", "data": PAYLOAD}]
    await ws.send(json.dumps(call))
    async for raw in ws:
        message = json.loads(raw)
        if message[0] == 2:
            await ws.send(json.dumps([4, message[1], "InternalError", DESCRIPTION, {}]))


@pytest.fixture
def hostile_csms() -> Iterator[str]:
    port = free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop: asyncio.Future[None] = loop.create_future()

    async def main() -> None:
        async with serve(_hostile, "127.0.0.1", port, subprotocols=["ocpp1.6"]):  # type: ignore[list-item]
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

    # The refusal's description shows in the charger's last error (until the next boot try).
    def last_error() -> str:
        got = httpx.get(f"{server.url}/api/chargers/EVIL-1", headers=headers).json()
        return str(got["last_error"])

    for _ in range(50):
        if DESCRIPTION in last_error():
            break
        page.wait_for_timeout(200)
    assert DESCRIPTION in last_error()

    page.goto("/chargers")
    row = page.locator('[data-chargepoint-id="EVIL-1"]')
    expect(row).to_contain_text(DESCRIPTION)
    screenshot(page, "hostile-chargers")

    page.goto("/log")
    expect(page.locator("main")).to_contain_text('"data": "<img src=\\"x\\" id=\\"pwned-img\\"')
    screenshot(page, "hostile-log")

    for path in ("/chargers", "/log"):
        page.goto(path)
        page.wait_for_timeout(500)
        assert page.evaluate("window.__pwned") is None
        assert page.locator("#pwned-img, #pwned-error, main script").count() == 0
    assert not [e for e in page_log.errors if "pwned" in e]
