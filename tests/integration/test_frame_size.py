"""Frame size, end to end: the demo CSMS sends large frames over 127.0.0.1 to a real charger
(REST API -> fleet -> picows transport), for OCPP 1.6, 2.0.1 and 2.1.

Up to the maximum (``OCPPSIM_MAX_FRAME_BYTES``, 1 MiB by default) a frame is a frame. Above it
the message is never executed (RFC 6455 §10.4: an endpoint protects itself from messages too
large for it): a CALL whose id can be read from the frame's first bytes is answered with a
CALLERROR (1.6J §4.2.3 FormationViolation, 2.0.1/2.1 part 4 §4.3 FormatViolation); a frame
whose id cannot be read, or one beyond the transport's hard cap, closes the connection with
1009 (RFC 6455 §7.4.1), and the message log says why.
"""

from __future__ import annotations

import gc
import json
import logging
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocppsim.config import Config, ConfigError
from ocppsim.democsms import DemoCsms
from ocppsim.store.db import sqlite_url
from ocppsim.transport import MAX_FRAME_BYTES
from tests.integration.engine import Engine, open_engine, wait_until
from tests.support.server import cli, data_env, run_server

KIB = 1024


@pytest.fixture(params=["1.6", "2.0.1", "2.1"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Engine]:
    async for e in open_engine(sqlite_url(tmp_path / "ocppsim.db"), version=request.param):
        yield e


@pytest.fixture
def loop_errors(caplog: pytest.LogCaptureFixture) -> AsyncIterator[list[str]] | Any:
    """asyncio's complaints (``Future exception was never retrieved``, unhandled task errors),
    collected after a garbage collection so that dropped futures have spoken."""
    caplog.set_level(logging.ERROR, logger="asyncio")

    def collect() -> list[str]:
        gc.collect()
        return [r.getMessage() for r in caplog.records if r.name == "asyncio"]

    return collect


def heartbeat_call(version: str, message_id: str, seconds: int, size: int) -> str:
    """A CALL that sets HeartbeatInterval to ``seconds``, ``size`` bytes long.

    2.x: SetVariables carrying vendor data (customData allows any extra property) until it has
    the size. 1.6 has no such field: ChangeConfiguration padded with JSON whitespace, which any
    JSON parser accepts.
    """
    if version == "1.6":
        head = json.dumps([2, message_id, "ChangeConfiguration"])[:-1]
        payload = json.dumps({"key": "HeartbeatInterval", "value": str(seconds)})
        pad = size - len(head) - len(payload) - 2
        return f"{head},{' ' * pad}{payload}]"
    item: dict[str, Any] = {
        "component": {"name": "OCPPCommCtrlr"},
        "variable": {"name": "HeartbeatInterval"},
        "attributeValue": str(seconds),
        "customData": {"vendorId": "ocppsim-test", "blob": ""},
    }
    empty = json.dumps([2, message_id, "SetVariables", {"setVariableData": [item]}])
    item["customData"]["blob"] = "x" * (size - len(empty))
    text = json.dumps([2, message_id, "SetVariables", {"setVariableData": [item]}])
    assert len(text) == size
    return text


def heartbeat_accepted(engine: Engine, answer: Any) -> bool:
    if engine.version == "1.6":
        return bool(answer.payload == {"status": "Accepted"})
    return bool(answer.payload["setVariableResult"][0]["attributeStatus"] == "Accepted")


async def logs(engine: Engine, chargepoint_id: str) -> list[dict[str, Any]]:
    r = await engine.api.get(
        "/api/logs", params={"chargepoint_id": chargepoint_id}, headers=engine.headers
    )
    assert r.status_code == 200, r.text
    return list(r.json())


async def log_entry(engine: Engine, cp: str, **fields: Any) -> dict[str, Any]:
    """The newest message log entry of ``cp`` with ``fields`` (the log is written in batches:
    wait for it)."""
    found: list[dict[str, Any]] = []

    async def check() -> bool:
        found[:] = [
            e for e in await logs(engine, cp) if all(e.get(k) == v for k, v in fields.items())
        ]
        return bool(found)

    await wait_until(check)
    return found[0]


async def answer(engine: Engine, cp: str, message_id: str, timeout: float = 10.0) -> Any:
    await engine.csms.wait_for(lambda: engine.csms.answer_to(cp, message_id) is not None, timeout)
    return engine.csms.answer_to(cp, message_id)


async def test_a_70_kb_call_is_executed_and_answered(engine: Engine, loop_errors: Any) -> None:
    """The issue's case: a 70 KB SetVariables (1.6: ChangeConfiguration) over the old 64 KiB
    frame limit is within the maximum: executed, answered, and the connection stays."""
    await engine.create("CP-70", mode="on")
    await engine.ready("CP-70")
    await engine.csms.send_raw("CP-70", heartbeat_call(engine.version, "big-70", 17, 70_000))
    reply = await answer(engine, "CP-70", "big-70")
    assert reply.message_type == 3, reply
    assert heartbeat_accepted(engine, reply)
    state = await engine.wait_state("CP-70", lambda s: s["heartbeat_interval"] == 17)
    assert state["connected"]
    assert engine.csms.connects["CP-70"] == 1  # never dropped
    assert loop_errors() == []


async def test_a_70_kb_data_transfer_is_answered(engine: Engine) -> None:
    """DataTransfer data has no length limit in any version: 70 KB of it is a normal CALL."""
    await engine.create("CP-DT", mode="on")
    await engine.ready("CP-DT")
    frame = json.dumps([2, "dt-70", "DataTransfer", {"vendorId": "acme", "data": "d" * 70_000}])
    await engine.csms.send_raw("CP-DT", frame)
    reply = await answer(engine, "CP-DT", "dt-70")
    assert reply.message_type == 3
    assert reply.payload["status"] in ("UnknownVendorId", "Rejected", "Accepted")


async def test_a_call_over_the_maximum_is_not_executed_but_answered_format_violation(
    engine: Engine, loop_errors: Any
) -> None:
    """Over the maximum: never executed (HeartbeatInterval unchanged), answered with a CALLERROR
    carrying its message id (1.6J §4.2.3 FormationViolation; 2.0.1/2.1 part 4 §4.3
    FormatViolation), and the connection stays up for what follows."""
    await engine.create("CP-BIG", mode="on")
    await engine.ready("CP-BIG")
    size = MAX_FRAME_BYTES + 100 * KIB
    await engine.csms.send_raw("CP-BIG", heartbeat_call(engine.version, "big-1", 17, size))
    reply = await answer(engine, "CP-BIG", "big-1")
    assert reply.message_type == 4
    code, description = reply.payload[0], reply.payload[1]
    assert code == ("FormationViolation" if engine.version == "1.6" else "FormatViolation")
    assert description == f"frame of {size} bytes exceeds the maximum of {MAX_FRAME_BYTES}"
    state = await engine.state("CP-BIG")
    assert state["heartbeat_interval"] == 300
    assert state["connected"]
    # The same connection still works: a normal-sized change goes through.
    await engine.csms.send_raw("CP-BIG", heartbeat_call(engine.version, "ok-1", 18, 2_000))
    assert heartbeat_accepted(engine, await answer(engine, "CP-BIG", "ok-1"))
    await engine.wait_state("CP-BIG", lambda s: s["heartbeat_interval"] == 18)
    assert engine.csms.connects["CP-BIG"] == 1
    # The message log shows what came in (its beginning) and the CALLERROR that went out.
    received = await log_entry(engine, "CP-BIG", message_id="big-1", direction="received")
    assert received["kind"] == "invalid"
    assert f"{size} bytes" in str(received["payload"])
    sent = await log_entry(engine, "CP-BIG", message_id="big-1", direction="sent")
    assert sent["kind"] == "error"
    assert loop_errors() == []


async def test_an_oversized_frame_without_a_readable_call_closes_with_1009(
    engine: Engine, loop_errors: Any
) -> None:
    """Over the maximum and not a CALL whose id can be read from its beginning: nothing to
    answer, so the charger closes with 1009 (RFC 6455 §7.4.1) and logs the true reason, not
    "backend closed the connection"; then it reconnects."""
    await engine.create("CP-X", mode="on")
    await engine.ready("CP-X")
    size = MAX_FRAME_BYTES + 10 * KIB
    frame = '[3,"not-ours",{"blob":"' + "y" * (size - 26) + '"}]'
    assert len(frame) == size
    await engine.csms.send_raw("CP-X", frame)
    await engine.csms.wait_for(lambda: engine.csms.connects["CP-X"] == 2, timeout=15)
    gone = await log_entry(engine, "CP-X", message_type="disconnected")
    assert gone["payload"]["reason"] == (
        f"frame of {size} bytes exceeds the maximum of {MAX_FRAME_BYTES}"
    )
    assert loop_errors() == []


async def test_a_frame_beyond_the_hard_cap_closes_with_1009_and_is_never_executed(
    engine: Engine, loop_errors: Any
) -> None:
    """Far above the maximum (beyond the transport's hard cap) the frame is not even read:
    close 1009, the log names the frame's size, and the CALL it held is never executed even
    though its bytes keep arriving after the close (the defect: it used to be)."""
    await engine.create("CP-HUGE", mode="on")
    await engine.ready("CP-HUGE")
    size = 5 * MAX_FRAME_BYTES
    await engine.csms.send_raw("CP-HUGE", heartbeat_call(engine.version, "huge-1", 17, size))
    await engine.csms.wait_for(lambda: engine.csms.connects["CP-HUGE"] == 2, timeout=15)
    await engine.ready("CP-HUGE")
    gone = await log_entry(engine, "CP-HUGE", message_type="disconnected")
    assert gone["payload"]["reason"] == (
        f"frame of {size} bytes exceeds the maximum of {MAX_FRAME_BYTES}"
    )
    assert (await engine.state("CP-HUGE"))["heartbeat_interval"] == 300
    assert engine.csms.answer_to("CP-HUGE", "huge-1") is None
    assert loop_errors() == []


# ---------------------------------------------------------------------- the setting


def test_the_setting_is_read_from_the_environment_within_its_bounds() -> None:
    assert Config.from_env({}).max_frame_bytes == MAX_FRAME_BYTES == 1 << 20
    assert Config.from_env({"OCPPSIM_MAX_FRAME_BYTES": "65536"}).max_frame_bytes == 65536
    assert Config.from_env({"OCPPSIM_MAX_FRAME_BYTES": str(16 << 20)}).max_frame_bytes == 16 << 20
    for bad in ("65535", str((16 << 20) + 1), "0", "-5"):
        with pytest.raises(ConfigError, match="OCPPSIM_MAX_FRAME_BYTES must be between 65536"):
            Config.from_env({"OCPPSIM_MAX_FRAME_BYTES": bad})
    with pytest.raises(ConfigError, match="whole number"):
        Config.from_env({"OCPPSIM_MAX_FRAME_BYTES": "1MiB"})


def test_a_bad_setting_stops_the_server_with_a_clear_error(tmp_path: Path) -> None:
    env = data_env(tmp_path / "data", {"OCPPSIM_MAX_FRAME_BYTES": "1000"})
    with pytest.raises(subprocess.CalledProcessError) as info:
        cli(env, "serve")
    assert "OCPPSIM_MAX_FRAME_BYTES must be between 65536" in info.value.stderr


async def test_the_server_applies_the_setting_to_its_chargers(tmp_path: Path) -> None:
    """``ocppsim serve`` with OCPPSIM_MAX_FRAME_BYTES=65536: the 70 KB CALL a default charger
    executes is now over the maximum, refused by id and never executed."""
    csms = DemoCsms()
    await csms.start()
    env = {
        "OCPPSIM_MAX_FRAME_BYTES": "65536",
        "OCPPSIM_DEMO_CSMS": "0",
        "OCPPSIM_DEFAULT_BACKEND_URL": csms.url,
    }
    try:
        with run_server(tmp_path, env) as server:
            headers = {"X-API-Key": server.key}
            body = {
                "chargepoint_id": "CP-S",
                "charger_type": "AC",
                "max_power_kw": 11,
                "mode": "on",
            }
            async with httpx.AsyncClient(base_url=server.url, headers=headers) as api:
                r = await api.post("/api/chargers", json=body)
                assert r.status_code == 201, r.text
                await csms.wait_for_call("CP-S", "StatusNotification")
                await csms.send_raw("CP-S", heartbeat_call("1.6", "big-s", 17, 70_000))
                await csms.wait_for(lambda: csms.answer_to("CP-S", "big-s") is not None)
                reply = csms.answer_to("CP-S", "big-s")
                assert reply is not None
                assert reply.payload[:2] == [
                    "FormationViolation",
                    "frame of 70000 bytes exceeds the maximum of 65536",
                ]
                charger = (await api.get("/api/chargers/CP-S")).json()
                assert charger["heartbeat_interval"] == 300
    finally:
        await csms.stop()
