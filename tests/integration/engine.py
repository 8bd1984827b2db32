"""Fixtures for engine tests: the demo CSMS on a real socket, services with a running fleet,
and the API over them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from ocppsim.api import create_app
from ocppsim.config import Config
from ocppsim.core.backoff import BackOff
from ocppsim.core.model import OcppVersion
from ocppsim.democsms import DemoCsms
from ocppsim.protocol import schemas
from ocppsim.runtime.fleet import Fleet
from ocppsim.services.container import Services
from ocppsim.services.loadtests import LoadTestLimits
from tests.conftest import fast_hashing

#: Fast reconnects for tests (R11 shape, short numbers).
TEST_BACKOFF = BackOff(wait_minimum=0.2, random_range=0.1, repeat_times=2)


async def wait_until(
    check: Callable[[], Awaitable[bool]] | Callable[[], bool], timeout: float = 10.0
) -> None:
    """Poll ``check`` until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)


@dataclass
class Engine:
    csms: DemoCsms
    services: Services
    api: httpx.AsyncClient
    key: str
    version: str = "1.6"

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}

    async def create(self, chargepoint_id: str, **fields: Any) -> dict[str, Any]:
        body = {
            "chargepoint_id": chargepoint_id,
            "charger_type": "AC",
            "max_power_kw": 22,
            "ocpp_version": self.version,
        }
        body.update(fields)
        r = await self.api.post("/api/chargers", json=body, headers=self.headers)
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def post(
        self, chargepoint_id: str, what: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        return await self.api.post(
            f"/api/chargers/{chargepoint_id}/{what}", json=body or {}, headers=self.headers
        )

    async def state(self, chargepoint_id: str) -> dict[str, Any]:
        r = await self.api.get(f"/api/chargers/{chargepoint_id}", headers=self.headers)
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def wait_state(
        self, chargepoint_id: str, check: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        last: dict[str, Any] = {}

        async def ok() -> bool:
            nonlocal last
            last = await self.state(chargepoint_id)
            return check(last)

        try:
            await wait_until(ok, timeout)
        except AssertionError:
            raise AssertionError(f"state never matched; last: {last}") from None
        return last

    async def ready(self, chargepoint_id: str, timeout: float = 10.0) -> None:
        """Wait until the charger is connected and accepted: it reports its connectors only
        after the backend accepted its BootNotification (B01.FR.05), and only then takes a
        session (``connected`` alone comes a round trip earlier)."""
        await self.wait_state(chargepoint_id, lambda s: s["connected"], timeout)
        await self.csms.wait_for_call(chargepoint_id, "StatusNotification", timeout=timeout)

    def assert_all_sent_payloads_valid(self) -> int:
        """Every CALL the CSMS received validates against its version's official schema."""
        count = 0
        for record in self.csms.records:
            if record.direction == "in" and record.message_type == 2:
                schemas.check(
                    OcppVersion(self.version), record.action, record.payload, response=False
                )
                count += 1
        return count

    # --- version-neutral views of what the CSMS saw ---

    def events(self, cp: str, kind: str) -> list[dict[str, Any]]:
        if self.version == "1.6":
            action = "StartTransaction" if kind == "Started" else "StopTransaction"
            return [r.payload for r in self.csms.calls(cp, action)]
        return [
            r.payload
            for r in self.csms.calls(cp, "TransactionEvent")
            if r.payload["eventType"] == kind
        ]

    async def started(self, cp: str, count: int = 1, timeout: float = 10.0) -> dict[str, Any]:
        """The ``count``-th transaction start: {"id_tag", "payload"}."""
        await wait_until(lambda: len(self.events(cp, "Started")) >= count, timeout)
        p = self.events(cp, "Started")[count - 1]
        tag = p["idTag"] if self.version == "1.6" else p["idToken"]["idToken"]
        return {"id_tag": tag, "payload": p}

    async def ended(self, cp: str, count: int = 1, timeout: float = 10.0) -> dict[str, Any]:
        """The ``count``-th transaction end: {"reason", "meter_stop", "payload"}."""
        await wait_until(lambda: len(self.events(cp, "Ended")) >= count, timeout)
        p = self.events(cp, "Ended")[count - 1]
        if self.version == "1.6":
            return {"reason": p.get("reason"), "meter_stop": p["meterStop"], "payload": p}
        meter = p["meterValue"][0]["sampledValue"][0]["value"]
        return {"reason": p["transactionInfo"]["stoppedReason"], "meter_stop": meter, "payload": p}

    def reason(self, neutral: str) -> str:
        """The stop reason word of this version for an energy-limit, local, remote ... stop."""
        if self.version == "1.6":
            return {"EnergyLimitReached": "EVDisconnected"}.get(neutral, neutral)
        return neutral


@dataclass(frozen=True)
class Stack:
    """The demo CSMS on a real socket, services over a database, and the API (its lifespan
    running) through an in-process client."""

    csms: DemoCsms
    services: Services
    api: httpx.AsyncClient


@asynccontextmanager
async def open_stack(
    db_url: str, *, fleet: Fleet | None = None, loadtest_limits: LoadTestLimits | None = None
) -> AsyncIterator[Stack]:
    """Start the demo CSMS, open the services on ``db_url`` (cheap password hashing) and run the
    app over them; everything is closed when the block ends."""
    csms = DemoCsms()
    await csms.start()
    opened = await Services.open(db_url, fleet=fleet, loadtest_limits=loadtest_limits)
    services = fast_hashing(opened)
    app = create_app(Config(database_url="unused://", demo_csms=False), services=services)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1"
            ) as client:
                yield Stack(csms, services, client)
    finally:
        await opened.close()
        await csms.stop()


async def open_engine(db_url: str, version: str = "1.6") -> AsyncIterator[Engine]:
    async with open_stack(db_url, fleet=Fleet(backoff=TEST_BACKOFF, message_timeout=5.0)) as stack:
        new = await stack.services.accounts.create_user(
            "alice", "a fine password", backend_url=stack.csms.url
        )
        yield Engine(stack.csms, stack.services, stack.api, new.key.key, version)
