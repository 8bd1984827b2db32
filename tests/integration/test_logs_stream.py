"""The live OCPP log (Server-Sent Events) of a real server over real sockets: latency, resume
without gaps, per-user isolation, stream limits, stalled readers, keys kept out of the logs."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.support.server import Server, run_server
from tests.support.sse import Event, events


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with run_server(tmp_path_factory.mktemp("sse")) as running:
        yield running


@contextlib.asynccontextmanager
async def stream(
    server: Server, key: str, **params: str
) -> AsyncIterator[tuple[httpx.Response, AsyncIterator[Event]]]:
    """An open stream authenticated the EventSource way (``?api_key=``)."""
    headers = {}
    if "last_event_id" in params:
        headers["Last-Event-ID"] = params.pop("last_event_id")
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=20) as client,
        client.stream(
            "GET", "/api/logs/stream", params={"api_key": key, **params}, headers=headers
        ) as response,
    ):
        yield response, events(response)


async def charger(server: Server, key: str, cp: str, **fields: Any) -> None:
    body = {"chargepoint_id": cp, "charger_type": "AC", "max_power_kw": 22, **fields}
    async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": key}) as client:
        r = await client.post("/api/chargers", json=body)
        assert r.status_code == 201, r.text


async def sessions(server: Server, key: str, cp: str, count: int) -> None:
    """Run ``count`` short manual sessions (start, wait until charging, stop)."""
    async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": key}) as client:
        for _ in range(count):
            r = await client.post(f"/api/chargers/{cp}/start", json={"energy_kwh": 100})
            assert r.status_code == 200, r.text
            for _ in range(200):
                state = (await client.get(f"/api/chargers/{cp}")).json()
                if state["status"] == "Charging":
                    break
                await asyncio.sleep(0.02)
            assert (await client.post(f"/api/chargers/{cp}/stop")).status_code == 200
            for _ in range(300):
                state = (await client.get(f"/api/chargers/{cp}")).json()
                if state["status"] == "Available":
                    break
                await asyncio.sleep(0.02)


async def take(
    source: AsyncIterator[Event], count: int, timeout: float = 20
) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        async for event in source:
            assert event.event == "message", event
            entry = orjson.loads(event.data)
            assert event.id == str(entry["id"])
            got.append(entry)
            if len(got) >= count:
                break
    return got


async def test_frames_of_a_running_charger_arrive_within_a_second(server: Server) -> None:
    async with stream(server, server.key, chargepoint_id="LIVE-1") as (response, source):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        await charger(server, server.key, "LIVE-1", mode="on")
        await charger(server, server.key, "LIVE-OTHER", mode="on")  # filtered out
        got = await take(source, 6)
        received_at = datetime.now(UTC).replace(tzinfo=None)
    assert {e["chargepoint_id"] for e in got} == {"LIVE-1"}
    kinds = [(e["kind"], e["message_type"]) for e in got]
    assert ("connection", "connected") in kinds
    assert ("call", "BootNotification") in kinds
    boot = next(e for e in got if e["message_type"] == "BootNotification")
    lag = (received_at - datetime.fromisoformat(boot["timestamp"])).total_seconds()
    assert lag < 1.0, f"BootNotification reached the stream after {lag:.2f} s"


async def test_resume_with_last_event_id_has_no_gap_and_no_duplicate(server: Server) -> None:
    await charger(server, server.key, "RESUME-1", mode="manual")
    async with stream(server, server.key, chargepoint_id="RESUME-1") as (_, source):
        runner = asyncio.create_task(sessions(server, server.key, "RESUME-1", 6))
        first = await take(source, 15)
    # Disconnected while the charger keeps going; reconnect from the last id seen.
    await asyncio.sleep(0.5)
    async with stream(
        server, server.key, chargepoint_id="RESUME-1", last_event_id=str(first[-1]["id"])
    ) as (_, source):
        await runner
        await asyncio.sleep(0.5)  # the writer's last batch
        async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": server.key}) as c:
            history = (
                await c.get("/api/logs", params={"chargepoint_id": "RESUME-1", "limit": 1000})
            ).json()
        stored = sorted(e["id"] for e in history)
        expected_rest = [i for i in stored if i > first[-1]["id"]]
        rest = await take(source, len(expected_rest))
    seen = [e["id"] for e in first + rest]
    assert len(seen) == len(set(seen)), "an entry came twice"
    assert [e["id"] for e in rest] == expected_rest, "a gap or a reordering after resuming"
    assert len(rest) > 20  # the charger really kept talking while the stream was away


async def test_a_users_stream_and_history_carry_no_other_users_entries(server: Server) -> None:
    bob = server.add_user("bob")
    await charger(server, server.key, "ALICE-ISO", mode="manual")
    await charger(server, bob, "BOB-ISO-1", mode="manual")
    await charger(server, bob, "BOB-ISO-2", mode="on")
    async with (
        stream(server, server.key) as (_, alice_source),
        stream(server, bob) as (_, bob_source),
    ):
        await asyncio.gather(
            sessions(server, bob, "BOB-ISO-1", 8), sessions(server, server.key, "ALICE-ISO", 1)
        )
        bobs = await take(bob_source, 100)
        alices = await take(alice_source, 10)
    assert {e["chargepoint_id"] for e in bobs} <= {"BOB-ISO-1", "BOB-ISO-2"}
    assert len(bobs) >= 100
    assert not [e for e in alices if e["chargepoint_id"].startswith("BOB")]
    async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": server.key}) as c:
        history = (await c.get("/api/logs", params={"limit": 1000})).json()
        assert not [e for e in history if e["chargepoint_id"].startswith("BOB")]
        # Asking for Bob's charger by name gives Alice nothing (and no hint that it exists).
        assert (await c.get("/api/logs", params={"chargepoint_id": "BOB-ISO-1"})).json() == []
        async with c.stream(
            "GET", "/api/logs/stream", params={"chargepoint_id": "BOB-ISO-1"}
        ) as spy:
            assert spy.status_code == 200
            with pytest.raises(TimeoutError):
                await take(events(spy), 1, timeout=2)


def _stalled_stream(server: Server, key: str) -> socket.socket:
    """A stream whose client never reads (a tiny receive buffer fills at once)."""
    port = int(server.url.rsplit(":", 1)[1])
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET /api/logs/stream?api_key={key} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return sock


async def test_stream_limit_and_stalled_readers_do_not_slow_anyone(server: Server) -> None:
    carol = server.add_user("carol")
    await charger(server, carol, "CAROL-1", mode="manual")
    stalled = [_stalled_stream(server, carol) for _ in range(4)]
    try:
        async with stream(server, carol) as (response, source):
            assert response.status_code == 200
            async with httpx.AsyncClient(base_url=server.url) as c:
                sixth = await c.get("/api/logs/stream", params={"api_key": carol})
            assert sixth.status_code == 429
            assert "at most 5" in sixth.json()["error"]
            started = time.monotonic()
            runner = asyncio.create_task(sessions(server, carol, "CAROL-1", 10))
            got = await take(source, 100)
            await runner
            elapsed = time.monotonic() - started
            # The healthy stream kept up with the charger despite four readers that read nothing.
            newest = datetime.fromisoformat(got[-1]["timestamp"])
            lag = (datetime.now(UTC).replace(tzinfo=None) - newest).total_seconds()
            assert lag < elapsed  # entries arrived as they happened, not in a burst at the end
    finally:
        for sock in stalled:
            sock.close()
    # Closed streams free their slots.
    async with asyncio.timeout(10):
        while True:
            async with stream(server, carol) as (response, _):
                if response.status_code == 200:
                    break
            await asyncio.sleep(0.2)


async def test_a_revoked_key_closes_its_streams_within_a_second(server: Server) -> None:
    """Reference 4.2: revocation reaches open streams too, not only new requests."""
    dave = server.add_user("dave")
    async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": dave}) as c:
        second = (await c.post("/api/me/api-keys")).json()
        server.issued.append(second["key"])
        async with stream(server, second["key"]) as (response, source):
            assert response.status_code == 200
            assert (await c.delete(f"/api/me/api-keys/{second['prefix']}")).status_code == 204
            revoked = time.monotonic()
            async with asyncio.timeout(5):
                async for _ in source:
                    pass  # ends when the server closes the stream
            assert time.monotonic() - revoked < 2.0
        # The key that stayed keeps its stream.
        async with stream(server, dave) as (response, source):
            assert response.status_code == 200
            await charger(server, dave, "DAVE-1", mode="on")
            assert len(await take(source, 1)) == 1


async def test_log_out_closes_the_sessions_streams(server: Server) -> None:
    """The web UI's EventSource rides on the session cookie: log-out ends it within a second."""
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as browser:
        form = await browser.get("/login")
        token = re.search(r'name="form_token" value="([^"]+)"', form.text)
        assert token
        r = await browser.post(
            "/login",
            data={"form_token": token.group(1), "name": "admin", "password": server.password},
        )
        assert r.status_code == 303
        page = await browser.get("/log")
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        assert csrf
        async with browser.stream("GET", "/api/logs/stream") as response:
            assert response.status_code == 200
            async with httpx.AsyncClient(base_url=server.url, cookies=browser.cookies) as other:
                out = await other.post("/logout", data={"csrf_token": csrf.group(1)})
            assert out.status_code == 303
            ended = time.monotonic()
            async with asyncio.timeout(5):
                async for _ in events(response):
                    pass
            assert time.monotonic() - ended < 2.0


async def test_bad_resume_ids_are_refused(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": server.key}) as c:
        r = await c.get("/api/logs/stream", headers={"Last-Event-ID": "abc"})
        assert r.status_code == 422
        assert r.json()["error"].startswith("Last-Event-ID:")
    async with httpx.AsyncClient(base_url=server.url) as c:
        r = await c.get("/api/logs/stream", params={"api_key": "ocps_wrong"})
        assert r.status_code == 401
        assert r.json() == {"error": "Authentication required"}


def test_no_key_reaches_the_server_log(server: Server) -> None:
    text = server.log()
    assert "/api/logs/stream?api_key=[REDACTED]" in text  # the access log saw the streams
    assert text.count(server.key) == 1  # the first-run banner only
    assert len(server.issued) == 4  # bob's, carol's and dave's two, used in ?api_key= above
    for key in server.issued:
        assert key not in text
        assert key[14:] not in text  # not even the secret part


async def test_open_streams_end_cleanly_when_the_server_stops(tmp_path: Path) -> None:
    with run_server(tmp_path) as own:
        async with stream(own, own.key) as (response, source):
            assert response.status_code == 200
            own.process.terminate()
            async with asyncio.timeout(10):
                async for _ in source:  # the stream ends, it is not cut off
                    pass
        own.process.wait(timeout=10)  # uvicorn re-raises SIGTERM after its graceful shutdown
    assert "Application shutdown complete" in own.log()
    assert "ERROR" not in own.log()
