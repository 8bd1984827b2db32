"""Switching a charger's OCPP version, and Plug & Charge as the backend sees it, end to end."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from ocppsim.core.emaid import iso_check_digit
from ocppsim.core.model import OcppVersion
from ocppsim.protocol import schemas
from ocppsim.store.db import sqlite_url
from tests.integration.engine import Engine, open_engine, wait_until

EMAID_BASE = "DEABC123456789"
EMAID = EMAID_BASE + iso_check_digit(EMAID_BASE)


def started_events(engine: Engine, chargepoint_id: str) -> list[dict[str, Any]]:
    return [
        c.payload
        for c in engine.csms.calls(chargepoint_id, "TransactionEvent")
        if c.payload["eventType"] == "Started"
    ]


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Engine]:
    async for e in open_engine(sqlite_url(tmp_path / "ocppsim.db")):
        yield e


async def test_the_version_switch_changes_the_subprotocol_and_the_messages(engine: Engine) -> None:
    await engine.create("CP-V", mode="on", ocpp_version="1.6")
    await engine.csms.wait_for_call("CP-V", "StatusNotification")
    busy = await engine.post("CP-V", "ocpp-version", {"ocpp_version": "2.0.1"})
    assert busy.status_code == 409
    assert "mode 'off'" in busy.json()["error"]
    expected = ["ocpp1.6"]
    for version in ("2.0.1", "2.1", "1.6"):
        await engine.post("CP-V", "mode", {"mode": "off"})
        await engine.wait_state("CP-V", lambda s: not s["connected"])
        r = await engine.post("CP-V", "ocpp-version", {"ocpp_version": version})
        assert r.status_code == 200, r.text
        assert r.json()["ocpp_version"] == version
        await engine.post("CP-V", "mode", {"mode": "on"})
        expected.append("ocpp" + version)
        await wait_until(lambda: engine.csms.subprotocols["CP-V"] == expected)
        boots = len(expected)
        boot = await engine.csms.wait_for_call("CP-V", "BootNotification", count=boots)
        # Each boot is in the new version's shape and validates against its schema.
        schemas.check(OcppVersion(version), "BootNotification", boot.payload, response=False)
        assert ("chargePointVendor" in boot.payload) == (version == "1.6")
        await engine.ready("CP-V")
    bad = await engine.post("CP-V", "ocpp-version", {"ocpp_version": "2.0"})
    assert bad.status_code == 422
    assert bad.json()["error"].startswith("ocpp_version:")


async def test_a_backend_without_the_subprotocol_is_reported_and_retried_slowly(
    engine: Engine,
) -> None:
    attempts: list[float] = []

    async def handler(connection: ServerConnection) -> None:
        await connection.wait_closed()

    def count(connection: ServerConnection, request: object) -> None:
        attempts.append(asyncio.get_running_loop().time())

    # A WebSocket server that accepts the upgrade but picks no subprotocol.
    async with serve(handler, "127.0.0.1", 0, process_request=count) as server:
        port = server.sockets[0].getsockname()[1]
        await engine.create(
            "CP-S", mode="on", ocpp_version="2.1", backend_url=f"ws://127.0.0.1:{port}"
        )
        state = await engine.wait_state("CP-S", lambda s: "subprotocol" in s["connection_error"])
        assert "ocpp2.1" in state["connection_error"]
        assert state["connected"] is False
        await wait_until(lambda: len(attempts) >= 3, timeout=5)
        await engine.post("CP-S", "mode", {"mode": "off"})
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.19  # back-off, not a tight loop (TEST_BACKOFF starts at 0.2 s)
    assert gaps[1] >= 0.39


async def test_plug_and_charge_authorizes_with_the_emaid_and_certificate_hash(
    engine: Engine,
) -> None:
    created = await engine.create(
        "CP-P",
        mode="manual",
        ocpp_version="2.1",
        auth_mode="plug_and_charge",
        pnc_emaid=EMAID,
        pnc_pcid="PCID0001",
        pnc_certificate_hash="ab12cd34",
        free_charging=False,
    )
    # Seed rule: Plug & Charge chargers are created as OCPP 2.0.1, with a warning saying so.
    assert created["ocpp_version"] == "2.0.1"
    assert any("2.0.1" in w for w in created.get("warnings", []))
    await engine.ready("CP-P")
    assert engine.csms.subprotocols["CP-P"] == ["ocpp2.0.1"]
    r = await engine.post("CP-P", "start", {"energy_kwh": 0.005, "rfid_tag": "IGNORED1"})
    assert r.status_code == 200, r.text

    auth = (await engine.csms.wait_for_call("CP-P", "Authorize")).payload
    assert auth["idToken"] == {"idToken": EMAID, "type": "eMAID"}
    [hash_data] = auth["iso15118CertificateHashData"]
    assert set(hash_data) == {
        "hashAlgorithm",
        "issuerNameHash",
        "issuerKeyHash",
        "serialNumber",
        "responderURL",
    }
    state = await engine.wait_state("CP-P", lambda s: s["status"] == "Charging")
    assert state["last_authorization"] == "Accepted, certificate Accepted"
    assert state["session_id_tag"] == EMAID
    assert started_events(engine, "CP-P")[0]["idToken"] == {"idToken": EMAID, "type": "eMAID"}
    engine.version = "2.0.1"
    assert engine.assert_all_sent_payloads_valid() >= 4


async def test_a_refused_contract_is_visible(engine: Engine) -> None:
    engine.csms.script.rejected_id_tags.add(EMAID)
    await engine.create(
        "CP-R", mode="manual", auth_mode="plug_and_charge", pnc_emaid=EMAID, free_charging=False
    )
    await engine.ready("CP-R")
    await engine.post("CP-R", "start", {"energy_kwh": 1})
    state = await engine.wait_state("CP-R", lambda s: s["last_authorization"] != "")
    assert state["last_authorization"].startswith("Invalid")
    assert EMAID in state["last_error"]
    assert not [
        c
        for c in engine.csms.calls("CP-R", "TransactionEvent")
        if c.payload["eventType"] == "Started"
    ]


async def test_a_plug_and_charge_charger_switched_to_1_6_sends_the_emaid_as_id_tag(
    engine: Engine,
) -> None:
    await engine.create(
        "CP-Q", mode="off", auth_mode="plug_and_charge", pnc_emaid=EMAID, free_charging=False
    )
    r = await engine.post("CP-Q", "ocpp-version", {"ocpp_version": "1.6"})
    assert r.status_code == 200, r.text
    await engine.post("CP-Q", "mode", {"mode": "manual"})
    await engine.ready("CP-Q")
    assert engine.csms.subprotocols["CP-Q"] == ["ocpp1.6"]
    await engine.post("CP-Q", "start", {"energy_kwh": 0.005})
    auth = await engine.csms.wait_for_call("CP-Q", "Authorize")
    assert auth.payload == {"idTag": EMAID}
    start = await engine.csms.wait_for_call("CP-Q", "StartTransaction")
    assert start.payload["idTag"] == EMAID
    assert engine.assert_all_sent_payloads_valid() >= 4


async def test_a_21_backend_limits_the_transaction_energy(engine: Engine) -> None:
    engine.version = "2.1"
    engine.csms.script.transaction_limit = {"max_energy": 5}
    await engine.create("CP-L", mode="manual")
    await engine.ready("CP-L")
    await engine.post("CP-L", "start", {"energy_kwh": 50})
    ended = await engine.ended("CP-L")
    assert ended["reason"] == "EnergyLimitReached"
    assert ended["meter_stop"] == pytest.approx(5, abs=0.01)
    events = [c.payload for c in engine.csms.calls("CP-L", "TransactionEvent")]
    assert [e["triggerReason"] for e in events if e["eventType"] == "Updated"] == ["LimitSet"]
    assert [e["seqNo"] for e in events] == [0, 1, 2]
    assert engine.assert_all_sent_payloads_valid() >= 5
