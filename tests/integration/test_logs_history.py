"""The OCPP message log through the API: what is recorded, history paging, redaction, retention."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from ocpp.exceptions import OCPPError
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from ocppsim.store.db import sqlite_url
from ocppsim.store.records import LogRecord
from tests.integration.engine import Engine, open_engine, wait_until

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Engine]:
    async for e in open_engine(sqlite_url(tmp_path / "ocppsim.db")):
        yield e


async def logs(engine: Engine, **params: Any) -> list[dict[str, Any]]:
    r = await engine.api.get("/api/logs", params=params, headers=engine.headers)
    assert r.status_code == 200, r.text
    return list(r.json())


async def wait_logs(engine: Engine, check: Any, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    async def ok() -> bool:
        nonlocal found
        found = await logs(engine, **params)
        return bool(check(found))

    await wait_until(ok, timeout=10)
    return found


def has(entries: list[dict[str, Any]], **fields: Any) -> bool:
    return any(all(e.get(k) == v for k, v in fields.items()) for e in entries)


async def test_frames_and_connection_events_are_recorded(engine: Engine) -> None:
    await engine.create("CP-1", mode="on")
    await engine.csms.wait_for_call("CP-1", "StatusNotification")
    entries = await wait_logs(
        engine,
        lambda es: has(es, message_type="StatusNotification", kind="result"),
        chargepoint_id="CP-1",
    )
    boot_call = next(
        e for e in entries if e["message_type"] == "BootNotification" and e["kind"] == "call"
    )
    boot_reply = next(
        e for e in entries if e["message_type"] == "BootNotification" and e["kind"] == "result"
    )
    assert boot_call["direction"] == "sent"
    assert boot_call["payload"]["chargePointVendor"] == "ocppsim"
    assert boot_reply["direction"] == "received"  # a reply carries its call's action
    assert boot_reply["message_id"] == boot_call["message_id"]
    assert boot_reply["payload"]["status"] == "Accepted"
    assert set(boot_call) == {
        "id", "chargepoint_id", "direction", "message_type", "kind", "message_id", "payload",
        "timestamp",
    }  # fmt: skip
    assert TIMESTAMP.match(boot_call["timestamp"])
    # Connection events are entries of their own kind, before the first frame.
    connected = next(e for e in entries if e["message_type"] == "connected")
    assert (connected["kind"], connected["direction"]) == ("connection", "local")
    assert connected["payload"]["url"].endswith("/CP-1")
    assert connected["payload"]["subprotocol"] == "ocpp1.6"
    assert has(entries, message_type="connecting", kind="connection")
    assert connected["id"] < boot_call["id"] < boot_reply["id"]
    ids = [e["id"] for e in entries]
    assert ids == sorted(ids, reverse=True)  # newest first

    # The backend drops the connection: a disconnect with its reason, then a new connection.
    await engine.csms.disconnect("CP-1")
    entries = await wait_logs(
        engine,
        lambda es: sum(e["message_type"] == "connected" for e in es) == 2,
        chargepoint_id="CP-1",
    )
    gone = next(e for e in entries if e["message_type"] == "disconnected")
    assert gone["payload"]["reason"]
    assert gone["payload"]["retry_in_s"] >= 0


async def test_a_reconnect_for_changed_settings_says_why_not_switched_off(engine: Engine) -> None:
    """A charger restarts its connection to take a new security profile or password; the log
    names the change (Reason.RECONFIGURED). "charger switched off" is for mode off."""
    await engine.create("CP-S", mode="on")
    await engine.ready("CP-S")

    def connects(n: int) -> Any:
        return lambda es: sum(e["message_type"] == "connected" for e in es) == n

    changes = (
        ({"security_profile": 1, "basic_auth_password": "p" * 16}, "security profile"),
        ({"security_profile": 1, "basic_auth_password": "q" * 16}, "Basic Auth password"),
    )
    for n, (body, words) in enumerate(changes, start=2):
        r = await engine.post("CP-S", "security", body)
        assert r.status_code == 200, r.text
        entries = await wait_logs(engine, connects(n), chargepoint_id="CP-S")
        gone = next(e for e in entries if e["message_type"] == "disconnected")  # newest
        assert gone["payload"] == {"reason": f"configuration changed: {words}", "changed": [words]}
    await engine.post("CP-S", "mode", {"mode": "off"})
    entries = await wait_logs(
        engine,
        lambda es: sum(e["message_type"] == "disconnected" for e in es) == 3,
        chargepoint_id="CP-S",
    )
    gone = next(e for e in entries if e["message_type"] == "disconnected")
    assert gone["payload"] == {"reason": "charger switched off"}


async def test_callerrors_are_marked(engine: Engine) -> None:
    await engine.create("CP-E", mode="on")
    await engine.csms.wait_for_call("CP-E", "StatusNotification")
    with pytest.raises(OCPPError):
        await engine.csms.call("CP-E", call16.GetLocalListVersion())
    entries = await wait_logs(engine, lambda es: has(es, kind="error"), chargepoint_id="CP-E")
    error = next(e for e in entries if e["kind"] == "error")
    assert (error["direction"], error["message_type"]) == ("sent", "GetLocalListVersion")
    assert error["payload"][0] == "NotSupported"  # [code, description, details]
    request = next(e for e in entries if e["kind"] == "call" and e["direction"] == "received")
    assert request["message_type"] == "GetLocalListVersion"


async def test_history_filter_and_paging(engine: Engine) -> None:
    for cp in ("CP-A", "CP-B"):
        await engine.create(cp, mode="on", num_connectors=3)
    for cp in ("CP-A", "CP-B"):
        await engine.csms.wait_for_call(cp, "StatusNotification", count=3)
    everything = await wait_logs(
        engine, lambda es: sum(e["message_type"] == "StatusNotification" for e in es) >= 12
    )
    assert {e["chargepoint_id"] for e in everything} == {"CP-A", "CP-B"}
    only_a = await logs(engine, chargepoint_id="CP-A")
    assert only_a
    assert {e["chargepoint_id"] for e in only_a} == {"CP-A"}
    # Page backwards three at a time: every entry once, newest first, no overlap.
    seen: list[int] = []
    before: int | None = None
    while True:
        page = await logs(engine, limit=3, **({"before_id": before} if before else {}))
        if not page:
            break
        assert len(page) <= 3
        seen += [e["id"] for e in page]
        before = page[-1]["id"]
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen))
    assert set(seen) >= {e["id"] for e in everything}
    assert await logs(engine, chargepoint_id="NOBODY") == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"before_id": 0}, "before_id"),
        ({"chargepoint_id": "x" * 49}, "chargepoint_id"),
    ],
)
async def test_history_refuses_bad_parameters(
    engine: Engine, params: dict[str, Any], field: str
) -> None:
    r = await engine.api.get("/api/logs", params=params, headers=engine.headers)
    assert r.status_code == 422
    assert r.json()["error"].startswith(f"{field}:")


async def test_secrets_set_by_the_backend_are_redacted(engine: Engine) -> None:
    secret16 = "0011223344556677-secret16"
    await engine.create("CP-S16", mode="on")
    await engine.csms.wait_for_call("CP-S16", "StatusNotification")
    done = await engine.csms.call(
        "CP-S16", call16.ChangeConfiguration(key="AuthorizationKey", value=secret16)
    )
    assert done.status == "Accepted"

    engine.version = "2.0.1"
    secret2 = "a-basic-auth-password-secret2"
    await engine.create("CP-S2", mode="on")
    await engine.csms.wait_for_call("CP-S2", "StatusNotification")
    item = {
        "component": {"name": "SecurityCtrlr"},
        "variable": {"name": "BasicAuthPassword"},
        "attribute_value": secret2,
    }
    await engine.csms.call("CP-S2", call201.SetVariables(set_variable_data=[item]))
    entries = await wait_logs(
        engine,
        lambda es: (
            has(es, message_type="SetVariables", kind="result")
            and has(es, message_type="ChangeConfiguration", kind="result")
        ),
    )
    change = next(
        e for e in entries if e["message_type"] == "ChangeConfiguration" and e["kind"] == "call"
    )
    assert change["payload"] == {"key": "AuthorizationKey", "value": "[REDACTED]"}
    setvar = next(e for e in entries if e["message_type"] == "SetVariables" and e["kind"] == "call")
    assert setvar["payload"]["setVariableData"][0]["attributeValue"] == "[REDACTED]"
    text = (await engine.api.get("/api/logs", headers=engine.headers)).text
    assert secret16 not in text
    assert secret2 not in text


async def test_retention_keeps_the_newest_records_and_drops_old_ones(engine: Engine) -> None:
    services = engine.services
    user = (await services.store.list_users())[0].id
    now = 1_800_000_000.0
    old = [
        LogRecord(i, user, "CP-R", "call", "sent", "Heartbeat", str(i), {}, now - 10 * 86400)
        for i in range(1, 51)
    ]
    new = [
        LogRecord(i, user, "CP-R", "call", "sent", "Heartbeat", str(i), {}, now - 60)
        for i in range(51, 351)
    ]
    await services.store.logs.insert(old + new)
    r = await engine.api.post(
        "/api/settings",
        json={"log_retention_records": 120, "log_retention_days": 7},
        headers=engine.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["settings"]["log_retention_records"] == "120"
    services.logs.clock = lambda: now  # pin "now" for the day rule
    assert await services.logs.prune() == 350 - 120
    left = await logs(engine, limit=1000, chargepoint_id="CP-R")
    assert [e["id"] for e in left] == list(range(350, 230, -1))
    # By age alone: a week's retention drops what is older than 7 days.
    await services.store.logs.insert(old)
    await engine.api.post(
        "/api/settings", json={"log_retention_records": 1_000_000}, headers=engine.headers
    )
    assert await services.logs.prune() == 50
    bad = await engine.api.post(
        "/api/settings", json={"log_retention_days": 0}, headers=engine.headers
    )
    assert bad.status_code == 422
    assert bad.json()["error"].startswith("log_retention_days:")
