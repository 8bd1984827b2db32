"""Nothing lost: a real ``ocppsim serve`` killed with -9 while its backend is down still
delivers every transaction message once, in order, when both are back (issue 14's report).

The backend is the demo CSMS in this process (independent of the server's process, so it
survives the kill and can be stopped and started on its own port).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import sqlalchemy as sa
from ocpp.v16 import call as call16
from ocpp.v21 import call as call21
from ocpp.v201 import call as call201

from ocppsim.democsms import DemoCsms
from ocppsim.protocol.session import Session
from ocppsim.runtime.journal import JournalWriter
from ocppsim.runtime.runner import Runner
from ocppsim.store.db import sqlite_url
from tests.integration.engine import open_engine, wait_until
from tests.support.server import Server, run_server
from tests.unit.ocpp_peer import Peer, make_session

pytestmark = pytest.mark.slow

VERSIONS = ["1.6", "2.0.1", "2.1"]


@pytest.fixture
async def csms() -> AsyncIterator[DemoCsms]:
    backend = DemoCsms()
    await backend.start()
    try:
        yield backend
    finally:
        await backend.stop()


async def state(api: httpx.AsyncClient, cp: str) -> dict[str, Any]:
    r = await api.get(f"/api/chargers/{cp}")
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


async def wait_state(api: httpx.AsyncClient, cp: str, check: Any, timeout: float = 20.0) -> None:
    async def ok() -> bool:
        return bool(check(await state(api, cp)))

    await wait_until(ok, timeout)


def fast_samples(version: str) -> Any:
    """Meter values every second (1.6 §9.1 MeterValueSampleInterval; 2.x TxUpdatedInterval)."""
    if version == "1.6":
        return call16.ChangeConfiguration(key="MeterValueSampleInterval", value="1")
    module = call201 if version == "2.0.1" else call21
    item = {
        "component": {"name": "SampledDataCtrlr"},
        "variable": {"name": "TxUpdatedInterval"},
        "attribute_value": "1",
    }
    return module.SetVariables(set_variable_data=[item])


async def manual_charger(api: httpx.AsyncClient, csms: DemoCsms, cp: str, version: str) -> None:
    """A charger of ``version`` in mode manual, dialing ``csms``, accepted and reported."""
    body = {"chargepoint_id": cp, "charger_type": "AC", "max_power_kw": 22}
    r = await api.post("/api/chargers", json={**body, "ocpp_version": version})
    assert r.status_code == 201, r.text
    r = await api.post(f"/api/chargers/{cp}/backend-url", json={"backend_url": csms.url})
    assert r.status_code == 200, r.text
    assert (await api.post(f"/api/chargers/{cp}/mode", json={"mode": "manual"})).status_code == 200
    await csms.wait_for_call(cp, "StatusNotification", timeout=20)


def transaction_messages(csms: DemoCsms, cp: str, version: str) -> list[dict[str, Any]]:
    actions = ("MeterValues", "StopTransaction") if version == "1.6" else ("TransactionEvent",)
    return [r.payload for r in csms.calls(cp) if r.action in actions]


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_stop_queued_before_a_kill_9_is_delivered_once_after_the_restart(
    tmp_path: Path, csms: DemoCsms, version: str
) -> None:
    cp = f"CP-K{version.replace('.', '')}"
    with run_server(tmp_path, {"OCPPSIM_DEMO_CSMS": "0"}) as server:
        async with httpx.AsyncClient(
            base_url=server.url, headers={"X-API-Key": server.key}, timeout=10
        ) as api:
            await drive_the_outage(api, server, csms, cp, version)


async def drive_the_outage(
    api: httpx.AsyncClient, server: Server, csms: DemoCsms, cp: str, version: str
) -> None:
    await manual_charger(api, csms, cp, version)
    await csms.call(cp, fast_samples(version))
    r = await api.post(f"/api/chargers/{cp}/start", json={"energy_kwh": 50})
    assert r.status_code == 200, r.text
    await wait_state(api, cp, lambda s: s["session_energy_wh"] > 0 and s["queued_messages"] == 0)

    port = csms.port
    await csms.stop()  # the backend goes away
    await wait_state(api, cp, lambda s: not s["connected"] and s["offline_since"])
    await asyncio.sleep(2.5)  # meter values queue up offline
    r = await api.post(f"/api/chargers/{cp}/stop")
    assert r.status_code == 200, r.text
    queued = (await state(api, cp))["queued_messages"]
    assert queued >= 2  # samples and the stop
    seen_before = len(transaction_messages(csms, cp, version))

    await asyncio.to_thread(server.kill_and_restart)  # kill -9, start again: nothing lost
    after_kill = await state(api, cp)
    assert after_kill["queued_messages"] == queued

    await csms.start(port=port)  # the backend is back
    await wait_state(api, cp, lambda s: s["connected"] and s["queued_messages"] == 0)
    replayed = transaction_messages(csms, cp, version)[seen_before:]
    assert len(replayed) == queued  # each once, none lost
    if version == "1.6":
        assert [p.get("transactionId") for p in replayed][-1] is not None
        stops = csms.calls(cp, "StopTransaction")
        assert len(stops) == 1
        assert stops[0].payload["reason"] == "Local"
        registers = [p["meterStop"] for p in replayed if "meterStop" in p]
        assert registers
    else:
        events = [r.payload for r in csms.calls(cp, "TransactionEvent")]
        seqs = [e["seqNo"] for e in events]
        assert seqs == list(range(len(seqs)))  # contiguous from 0, no repeat (E04.FR.04)
        assert [e["eventType"] for e in events].count("Ended") == 1
        assert events[-1]["eventType"] == "Ended"
    times = [
        p["timestamp"] if "timestamp" in p else p["meterValue"][0]["timestamp"] for p in replayed
    ]
    assert times == sorted(times)  # in the order they happened


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_session_running_at_a_kill_9_ends_with_power_loss_after_the_restart(
    tmp_path: Path, csms: DemoCsms, version: str
) -> None:
    cp = f"CP-P{version.replace('.', '')}"
    with run_server(tmp_path, {"OCPPSIM_DEMO_CSMS": "0"}) as server:
        async with httpx.AsyncClient(
            base_url=server.url, headers={"X-API-Key": server.key}, timeout=10
        ) as api:
            await manual_charger(api, csms, cp, version)
            r = await api.post(f"/api/chargers/{cp}/start", json={"energy_kwh": 50})
            assert r.status_code == 200, r.text
            await wait_state(api, cp, lambda s: s["session_energy_wh"] > 1)
            await asyncio.to_thread(server.kill_and_restart)
            if version == "1.6":
                stop = (await csms.wait_for_call(cp, "StopTransaction", timeout=20)).payload
                assert stop["reason"] == "PowerLoss"
                start = csms.calls(cp, "StartTransaction")[0]
                assert stop["meterStop"] >= start.payload["meterStart"]
            else:

                def ended() -> list[dict[str, Any]]:
                    return [
                        r.payload
                        for r in csms.calls(cp, "TransactionEvent")
                        if r.payload["eventType"] == "Ended"
                    ]

                await csms.wait_for(lambda: bool(ended()), timeout=20)
                (end,) = ended()
                assert end["transactionInfo"]["stoppedReason"] == "PowerLoss"
                seqs = [r.payload["seqNo"] for r in csms.calls(cp, "TransactionEvent")]
                assert seqs == list(range(len(seqs)))
            await wait_state(api, cp, lambda s: s["connected"] and s["queued_messages"] == 0)
            assert (await state(api, cp))["status"] == "Available"


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_full_disk_fails_the_stop_with_503_and_the_stop_is_not_lost(
    tmp_path: Path, version: str
) -> None:
    """SQLITE_FULL while the outbox is written: the action answers 503 with the reason, the
    message waits in memory, and leaves once the store takes it again."""
    async for engine in open_engine(sqlite_url(tmp_path / "full.db"), version=version):
        await engine.create("CP-F", mode="manual")
        await engine.ready("CP-F")
        r = await engine.post("CP-F", "start", {"energy_kwh": 50})
        assert r.status_code == 200, r.text
        await engine.started("CP-F")
        db = engine.services.store.engine
        await engine.create("CP-BALLAST", mode="off")
        async with db.begin() as conn:
            await conn.execute(sa.text("CREATE TABLE ballast (b BLOB)"))
            ballast_id = (
                await conn.execute(
                    sa.text("SELECT id FROM chargers WHERE chargepoint_id = 'CP-BALLAST'")
                )
            ).scalar_one()

        def cap(dbapi_connection: Any, _record: Any) -> None:
            # The file may not grow: max_page_count never goes below the current size.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA max_page_count = 1")
            cursor.close()

        sa.event.listen(db.sync_engine, "connect", cap)
        await db.dispose()
        # Use up the free pages, then the room left in the outbox table's own pages.
        await fill(db, "INSERT INTO ballast VALUES (zeroblob(:n))", {}, (65536, 4096))
        outbox = (
            "INSERT INTO charger_outbox (charger_id, seq, action, payload, attempts) "
            "VALUES (:c, :seq, 'MeterValues', hex(zeroblob(:n)), 0)"
        )
        await fill(db, outbox, {"c": ballast_id}, (1024, 128, 16, 1))
        with pytest.raises(sa.exc.OperationalError, match="full"):  # the disk is full now
            async with db.begin() as conn:
                await conn.execute(sa.text(outbox), {"c": ballast_id, "seq": 0, "n": 1})

        r = await engine.post("CP-F", "stop")
        assert r.status_code == 503, r.text
        assert "full" in r.json()["error"]
        await asyncio.sleep(0.5)
        assert engine.events("CP-F", "Ended") == []  # held back: it is not stored

        sa.event.remove(db.sync_engine, "connect", cap)  # room again
        await db.dispose()
        async with db.begin() as conn:
            await conn.execute(sa.text("DROP TABLE ballast"))
            await conn.execute(
                sa.text("DELETE FROM charger_outbox WHERE charger_id = :c"), {"c": ballast_id}
            )
        ended = await engine.ended("CP-F", timeout=15)
        assert ended  # the stop was kept and went out once the store took it
        state = await engine.state("CP-F")
        assert state["queued_messages"] == 0


async def fill(db: Any, sql: str, params: dict[str, Any], sizes: tuple[int, ...]) -> None:
    """Insert rows of each size (largest first) until the database says it is full."""
    seq = 1
    for size in sizes:
        with contextlib.suppress(sa.exc.OperationalError):
            for _ in range(5_000):
                seq += 1
                async with db.begin() as conn:
                    await conn.execute(sa.text(sql), {**params, "n": size, "seq": seq})


@dataclass
class Host:
    """What the journal writer needs of a runner: its session, and a way to send."""

    session: Session
    flushed: int = 0

    def flush(self) -> None:
        self.flushed += 1


async def test_a_charger_deleted_meanwhile_does_not_hold_back_the_journal_of_others(
    tmp_path: Path,
) -> None:
    async for engine in open_engine(sqlite_url(tmp_path / "j.db")):
        for cp in ("CP-A", "CP-B"):
            await engine.create(cp, mode="off")
        db = engine.services.store.engine
        async with db.connect() as conn:
            rows = await conn.execute(sa.text("SELECT chargepoint_id, id, user_id FROM chargers"))
            found = {cp: (charger_id, user_id) for cp, charger_id, user_id in rows}
        ids = {cp: charger_id for cp, (charger_id, _) in found.items()}
        writer = JournalWriter(engine.services.store.journal)
        writer.start()
        hosts: dict[str, Host] = {}
        for cp in ("CP-A", "CP-B"):
            peer = Peer(make_session(journal=True))
            peer.connect()  # boots: the journal has a first snapshot to write
            hosts[cp] = Host(peer.session)
        assert await engine.services.store.delete_charger(found["CP-B"][1], "CP-B")
        for cp, host in hosts.items():
            writer.mark(ids[cp], cast(Runner, host))
        await writer.flush()  # no error: CP-B's changes are dropped, CP-A's written
        saved = await engine.services.store.journal.load(ids["CP-A"])
        assert saved.state is not None
        assert hosts["CP-A"].flushed == 1
        assert hosts["CP-B"].flushed == 0
        await writer.close()
