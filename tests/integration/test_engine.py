"""Chargers end to end, for OCPP 1.6, 2.0.1 and 2.1 (one parametrised suite):
REST API -> fleet -> real WebSocket on 127.0.0.1 -> the demo CSMS built on the ocpp package."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from ocpp.exceptions import OCPPError
from ocpp.v16 import call as call16
from ocpp.v21 import call as call21
from ocpp.v201 import call as call201

from ocppsim.store.db import sqlite_url
from tests.integration.engine import Engine, open_engine, wait_until


@pytest.fixture(params=["1.6", "2.0.1", "2.1"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Engine]:
    async for e in open_engine(sqlite_url(tmp_path / "ocppsim.db"), version=request.param):
        yield e


def backend_call(engine: Engine, what: str, **kw: Any) -> Any:
    """The CSMS request ``what`` in the engine's OCPP version."""
    v16 = engine.version == "1.6"
    module = call16 if v16 else call201 if engine.version == "2.0.1" else call21
    match what:
        case "start":
            if v16:
                return call16.RemoteStartTransaction(id_tag=kw["tag"])
            token = {"id_token": kw["tag"], "type": "Central"}
            return module.RequestStartTransaction(id_token=token, remote_start_id=1)
        case "stop":
            if v16:
                return call16.RemoteStopTransaction(transaction_id=kw["tx"])
            return module.RequestStopTransaction(transaction_id=kw["tx"])
        case "heartbeat_interval":
            if v16:
                return call16.GetConfiguration(key=["HeartbeatInterval"])
            item = {
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "HeartbeatInterval"},
            }
            return module.GetVariables(get_variable_data=[item])
        case "meter_interval":
            if v16:
                return call16.ChangeConfiguration(key="MeterValueSampleInterval", value="5")
            setting: dict[str, Any] = {
                "component": {"name": "SampledDataCtrlr"},
                "variable": {"name": "TxUpdatedInterval"},
                "attribute_value": "5",
            }
            return module.SetVariables(set_variable_data=[setting])
        case "trigger_heartbeat":
            return module.TriggerMessage(requested_message="Heartbeat")
        case "data_transfer":
            return module.DataTransfer(vendor_id="x", data="<b>hi</b>")
        case "unsupported":
            return module.GetLocalListVersion()
        case "inoperative":
            if v16:
                return call16.ChangeAvailability(connector_id=1, type="Inoperative")
            return module.ChangeAvailability(operational_status="Inoperative", evse={"id": 1})
        case "reset":
            return call16.Reset(type="Soft") if v16 else module.Reset(type="OnIdle")
    raise AssertionError(what)


async def test_mode_on_connects_boots_and_reports_status(engine: Engine) -> None:
    await engine.create("CP-1", num_connectors=2)
    r = await engine.post("CP-1", "mode", {"mode": "on"})
    assert r.status_code == 200
    state = await engine.wait_state("CP-1", lambda s: s["connected"])
    await engine.csms.wait_for_call("CP-1", "StatusNotification", count=2)
    boot = engine.csms.calls("CP-1", "BootNotification")[0].payload
    if engine.version == "1.6":
        assert boot["chargePointVendor"] == "ocppsim"
    else:
        assert boot["chargingStation"]["vendorName"] == "ocppsim"
    assert state["heartbeat_interval"] == 300
    assert engine.assert_all_sent_payloads_valid() >= 3


async def test_manual_session_to_target_energy(engine: Engine) -> None:
    await engine.create("CP-2", mode="manual", free_charging=False)
    await engine.ready("CP-2")
    await engine.csms.wait_for_call("CP-2", "StatusNotification")
    r = await engine.post("CP-2", "start", {"energy_kwh": 0.01, "rfid_tag": "CAFE01"})
    assert r.status_code == 200, r.text
    start = await engine.started("CP-2")
    assert start["id_tag"] == "CAFE01"
    state = await engine.wait_state("CP-2", lambda s: s["status"] == "Charging")
    assert state["transaction_id"] is not None
    assert state["session_id_tag"] == "CAFE01"
    assert state["current_power_kw"] > 0
    # 10 Wh at 11-22 kW take about 2-4 s.
    stop = await engine.ended("CP-2", timeout=15)
    assert stop["meter_stop"] == pytest.approx(10, abs=0.1)
    assert stop["reason"] == engine.reason("EnergyLimitReached")
    state = await engine.wait_state("CP-2", lambda s: s["status"] == "Available")
    assert state["energy_delivered_wh"] == pytest.approx(10, abs=0.2)
    assert engine.assert_all_sent_payloads_valid() > 5


async def test_stop_and_errors_over_rest(engine: Engine) -> None:
    await engine.create("CP-3", mode="manual")
    await engine.ready("CP-3")
    assert (await engine.post("CP-3", "stop")).status_code == 409
    assert (await engine.post("CP-3", "start", {"energy_kwh": 50})).status_code == 200
    await engine.wait_state("CP-3", lambda s: s["status"] == "Charging")
    again = await engine.post("CP-3", "start", {"energy_kwh": 5, "connector_id": 1})
    assert again.status_code == 409
    assert "already has a session" in again.json()["error"]
    assert (await engine.post("CP-3", "stop")).status_code == 200
    stop = await engine.ended("CP-3")
    assert stop["reason"] == "Local"
    await engine.wait_state("CP-3", lambda s: s["status"] == "Available")
    r = await engine.post("CP-3", "error", {"error_code": "HighTemperature"})
    assert r.status_code == 200
    await engine.wait_state("CP-3", lambda s: s["status"] == "Faulted")
    await wait_until(
        lambda: any(
            r.payload.get("errorCode") == "HighTemperature"  # 1.6 names the error
            or r.payload.get("connectorStatus") == "Faulted"  # 2.x reports the status
            for r in engine.csms.calls("CP-3", "StatusNotification")
        )
    )
    refused = await engine.post("CP-3", "start", {"energy_kwh": 5})
    assert refused.status_code == 409
    assert "faulted" in refused.json()["error"]
    await engine.post("CP-3", "error", {"error_code": "NoError"})
    await engine.wait_state("CP-3", lambda s: s["status"] == "Available")


async def test_1_6_s4_9_connector_0_is_the_charge_point_and_2x_has_no_such_status(
    engine: Engine,
) -> None:
    """1.6 reports connector 0 after the boot and when the whole charger faults; a 2.x
    station reports its EVSEs only (G01)."""
    await engine.create("CP-0", mode="on", num_connectors=2)
    await engine.csms.wait_for_call("CP-0", "StatusNotification", count=2)
    await engine.post("CP-0", "error", {"error_code": "HighTemperature"})
    await engine.wait_state("CP-0", lambda s: s["status"] == "Faulted")
    v16 = engine.version == "1.6"

    def reported() -> list[tuple[int, str]]:
        return [
            (p["connectorId"], p["errorCode"]) if v16 else (p["evseId"], p["connectorStatus"])
            for p in (r.payload for r in engine.csms.calls("CP-0", "StatusNotification"))
        ]

    if v16:
        await wait_until(lambda: (0, "HighTemperature") in reported())
        assert reported()[:3] == [(0, "NoError"), (1, "NoError"), (2, "NoError")]
    else:
        await wait_until(lambda: reported().count((2, "Faulted")) == 1)
        assert {evse for evse, _ in reported()} == {1, 2}
    assert engine.assert_all_sent_payloads_valid() >= 5


async def test_rejected_tag_is_visible_in_state(engine: Engine) -> None:
    engine.csms.script.rejected_id_tags.add("BAD")
    await engine.create("CP-4", mode="manual")
    await engine.ready("CP-4")
    await engine.post("CP-4", "start", {"energy_kwh": 5, "rfid_tag": "BAD"})
    state = await engine.wait_state("CP-4", lambda s: "Invalid" in s["last_error"])
    assert state["status"] == "Available"
    assert not engine.events("CP-4", "Started")


async def test_backend_requests(engine: Engine) -> None:
    await engine.create("CP-5", mode="on")
    await engine.ready("CP-5")
    await engine.csms.wait_for_call("CP-5", "StatusNotification")
    result = await engine.csms.call("CP-5", backend_call(engine, "start", tag="REMOTE"))
    assert result.status == "Accepted"
    state = await engine.wait_state("CP-5", lambda s: s["transaction_id"] is not None)
    assert state["remote_start"] is True
    result = await engine.csms.call(
        "CP-5", backend_call(engine, "stop", tx=state["transaction_id"])
    )
    assert result.status == "Accepted"
    stop = await engine.ended("CP-5")
    assert stop["reason"] == "Remote"
    conf = await engine.csms.call("CP-5", backend_call(engine, "heartbeat_interval"))
    if engine.version == "1.6":
        assert conf.configuration_key[0]["value"] == "300"
    else:
        assert conf.get_variable_result[0]["attribute_value"] == "300"
    changed = await engine.csms.call("CP-5", backend_call(engine, "meter_interval"))
    if engine.version == "1.6":
        assert changed.status == "Accepted"
    else:
        assert changed.set_variable_result[0]["attribute_status"] == "Accepted"
    trig = await engine.csms.call("CP-5", backend_call(engine, "trigger_heartbeat"))
    assert trig.status == "Accepted"
    await engine.csms.wait_for_call("CP-5", "Heartbeat")
    data = await engine.csms.call("CP-5", backend_call(engine, "data_transfer"))
    assert (data.status, data.data) == ("Accepted", "<b>hi</b>")
    with pytest.raises(OCPPError):
        await engine.csms.call("CP-5", backend_call(engine, "unsupported"))
    await engine.wait_state("CP-5", lambda s: s["status"] == "Available")  # EV unplugged
    avail = await engine.csms.call("CP-5", backend_call(engine, "inoperative"))
    assert avail.status == "Accepted"
    await engine.wait_state("CP-5", lambda s: s["status"] == "Unavailable")
    assert engine.assert_all_sent_payloads_valid() > 5


async def test_reset_reboots_with_a_new_boot(engine: Engine) -> None:
    await engine.create("CP-6", mode="on")
    await engine.csms.wait_for_call("CP-6", "BootNotification")
    await engine.csms.wait_for_call("CP-6", "StatusNotification")
    result = await engine.csms.call("CP-6", backend_call(engine, "reset"))
    assert result.status == "Accepted"
    await engine.csms.wait_for_call("CP-6", "BootNotification", count=2)
    assert engine.csms.connects["CP-6"] == 2


async def test_reconnect_after_backend_drop_sends_no_boot(engine: Engine) -> None:
    await engine.create("CP-7", mode="on")
    await engine.csms.wait_for_call("CP-7", "StatusNotification")
    await engine.csms.disconnect("CP-7")
    await wait_until(lambda: engine.csms.connects["CP-7"] == 2)
    await engine.ready("CP-7")
    assert len(engine.csms.calls("CP-7", "BootNotification")) == 1  # R13


async def test_boot_rejected_then_accepted(engine: Engine) -> None:
    engine.csms.script.boot_status = "Rejected"
    engine.csms.script.boot_interval = 1
    await engine.create("CP-8", mode="on")
    await engine.csms.wait_for_call("CP-8", "BootNotification")
    state = await engine.wait_state("CP-8", lambda s: "Rejected" in s["last_error"])
    assert state["connected"] is True
    engine.csms.script.boot_status = "Accepted"
    await engine.csms.wait_for_call("CP-8", "BootNotification", count=2, timeout=5)
    await engine.csms.wait_for_call("CP-8", "StatusNotification")
    boots = engine.csms.calls("CP-8", "BootNotification")
    assert boots[1].timestamp - boots[0].timestamp >= 0.9  # waited the interval (R14)


async def test_unreachable_backend_is_reported_and_retried(engine: Engine) -> None:
    await engine.create("CP-9", mode="on", backend_url="ws://127.0.0.1:9")
    state = await engine.wait_state("CP-9", lambda s: "refused" in s["connection_error"])
    assert state["connected"] is False


async def test_mode_off_stops_the_session_and_keeps_the_meter(engine: Engine) -> None:
    await engine.create("CP-10", mode="manual")
    await engine.ready("CP-10")
    await engine.post("CP-10", "start", {"energy_kwh": 100})
    await engine.wait_state("CP-10", lambda s: s["session_energy_wh"] > 1)
    await engine.post("CP-10", "mode", {"mode": "off"})
    stop = await engine.ended("CP-10")
    assert stop["reason"] == "PowerLoss"
    state = await engine.state("CP-10")
    assert state["connected"] is False
    assert state["energy_delivered_wh"] == pytest.approx(stop["meter_stop"], abs=1)
    assert state["energy_delivered_wh"] > 0


async def test_security_profile_1_with_a_write_only_password(engine: Engine) -> None:
    password = "s3cret-password-0123"
    engine.csms.script.passwords["CP-11"] = password
    await engine.create("CP-11", mode="on")
    state = await engine.wait_state("CP-11", lambda s: "HTTP 401" in s["connection_error"])
    assert state["connected"] is False
    r = await engine.post("CP-11", "security", {"security_profile": 1})
    assert r.status_code == 422
    assert r.json()["error"].startswith("basic_auth_password:")
    r = await engine.post(
        "CP-11", "security", {"security_profile": 1, "basic_auth_password": password}
    )
    assert r.status_code == 200, r.text
    assert password not in r.text
    assert r.json()["security_profile"] == 1
    assert r.json()["basic_auth_password_set"] is True
    await engine.wait_state("CP-11", lambda s: s["connected"], timeout=15)
    listing = await engine.api.get("/api/chargers", headers=engine.headers)
    assert password not in listing.text
    settings = await engine.api.get("/api/settings", headers=engine.headers)
    assert password not in settings.text


async def test_security_profile_rules(engine: Engine) -> None:
    await engine.create("CP-12")
    profile2 = await engine.post(
        "CP-12", "security", {"security_profile": 2, "basic_auth_password": "x" * 16}
    )
    assert profile2.status_code == 422
    assert "wss://" in profile2.json()["error"]
    short = await engine.post(
        "CP-12", "security", {"security_profile": 1, "basic_auth_password": "short"}
    )
    assert short.status_code == 422
    bad_ca = await engine.post(
        "CP-12", "security", {"security_profile": 0, "ca_certificate_pem": "not a cert"}
    )
    assert bad_ca.status_code == 422
    assert bad_ca.json()["error"].startswith("ca_certificate_pem:")
    state = await engine.state("CP-12")
    assert (state["security_profile"], state["basic_auth_password_set"]) == (0, False)


async def test_security_profile_2_keeps_its_wss_url(engine: Engine) -> None:
    """Profile 2 (TLS) cannot be left with a plain ws:// URL by a later change."""
    await engine.create("CP-14", backend_url="wss://csms.example.invalid/ocpp")
    ok = await engine.post(
        "CP-14", "security", {"security_profile": 2, "basic_auth_password": "x" * 16}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["warnings"] == []
    for url in ("ws://127.0.0.1:9000", ""):  # "" means the global default, a ws:// URL here
        r = await engine.post("CP-14", "backend-url", {"backend_url": url})
        assert r.status_code == 422
        assert r.json()["error"].startswith("backend_url: security profile 2 needs a wss://")
    assert (await engine.state("CP-14"))["backend_url"] == "wss://csms.example.invalid/ocpp"
    # A charger on the global default gets a warning when that default turns to ws://.
    default = (await engine.api.get("/api/settings", headers=engine.headers)).json()
    await engine.api.post(
        "/api/settings",
        json={"ocpp_backend_url": "wss://csms.example.invalid"},
        headers=engine.headers,
    )
    await engine.create("CP-15")
    r = await engine.post(
        "CP-15", "security", {"security_profile": 2, "basic_auth_password": "y" * 16}
    )
    assert r.status_code == 200, r.text
    await engine.api.post(
        "/api/settings",
        json={"ocpp_backend_url": default["settings"]["ocpp_backend_url"]},
        headers=engine.headers,
    )
    warnings = (await engine.state("CP-15"))["warnings"]
    assert any(w.startswith("security_profile: profile 2 needs a wss://") for w in warnings)


async def test_a_refusing_backend_is_retried_with_back_off_not_in_a_loop(engine: Engine) -> None:
    """Handshake refused (HTTP 404): the charger retries with doubling delays (R11)."""
    import asyncio

    attempts: list[float] = []

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        attempts.append(asyncio.get_running_loop().time())
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(refuse, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        await engine.create("CP-13", mode="on", backend_url=f"ws://127.0.0.1:{port}")
        state = await engine.wait_state("CP-13", lambda s: "HTTP 404" in s["connection_error"])
        assert state["connected"] is False
        await wait_until(lambda: len(attempts) >= 4, timeout=5)
        gaps = [b - a for a, b in itertools.pairwise(attempts)]
        # TEST_BACKOFF: 0.2-0.3 s, then at least twice that, then capped at 4x.
        assert gaps[0] >= 0.19
        assert gaps[1] >= 0.39
        assert gaps[2] >= 0.79
    finally:
        await engine.post("CP-13", "mode", {"mode": "off"})
        server.close()
        await server.wait_closed()


def v16(engine: Engine) -> bool:
    return engine.version == "1.6"


def statuses(engine: Engine, cp: str) -> list[tuple[str, str]]:
    """(status, error code) of each StatusNotification the backend got (2.x: no code)."""
    found = []
    for r in engine.csms.calls(cp, "StatusNotification"):
        p = r.payload
        found.append((p.get("status") or p["connectorStatus"], p.get("errorCode", "")))
    return found


async def test_1_6_s4_9_g01_a_fault_survives_off_and_on(engine: Engine) -> None:
    await engine.create("CP-20", mode="on")
    await engine.ready("CP-20")
    r = await engine.post("CP-20", "error", {"error_code": "HighTemperature"})
    assert r.status_code == 200, r.text
    await engine.post("CP-20", "mode", {"mode": "off"})
    seen = len(statuses(engine, "CP-20"))
    await engine.post("CP-20", "mode", {"mode": "on"})
    await engine.wait_state("CP-20", lambda s: s["connected"])
    await wait_until(lambda: len(statuses(engine, "CP-20")) > seen)
    await wait_until(lambda: len(statuses(engine, "CP-20")) >= seen + (2 if v16(engine) else 1))
    after = statuses(engine, "CP-20")[seen:]
    code = "HighTemperature" if v16(engine) else ""
    # Never Available while the fault is set (1.6: the charge point, connector 0, too).
    assert after == [("Faulted", code)] * (2 if v16(engine) else 1)
    assert (await engine.state("CP-20"))["status"] == "Faulted"
    assert (await engine.post("CP-20", "start", {"energy_kwh": 1})).status_code == 409


async def test_1_6_s5_2_g03_an_inoperative_connector_stays_unavailable_after_off_and_on(
    engine: Engine,
) -> None:
    await engine.create("CP-21", mode="on")
    await engine.ready("CP-21")
    result = await engine.csms.call("CP-21", backend_call(engine, "inoperative"))
    assert result.status == "Accepted"
    await wait_until(lambda: statuses(engine, "CP-21")[-1][0] == "Unavailable")
    await engine.post("CP-21", "mode", {"mode": "off"})
    seen = len(statuses(engine, "CP-21"))
    await engine.post("CP-21", "mode", {"mode": "on"})
    await wait_until(lambda: len(statuses(engine, "CP-21")) >= seen + (2 if v16(engine) else 1))
    # 1.6: the charge point (connector 0) is Unavailable too: its only connector is.
    assert [s for s, _ in statuses(engine, "CP-21")[seen:]] == ["Unavailable"] * (
        2 if v16(engine) else 1
    )
    assert (await engine.state("CP-21"))["availability"] == "Inoperative"
