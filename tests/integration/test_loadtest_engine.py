"""The load-test engine (one shard, in this process) against the demo CSMS on real sockets:
modes and transitions, raising and lowering the target, stop, counters against what the CSMS
saw, and errors from a misbehaving backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from ocppsim.core.model import OcppVersion
from ocppsim.democsms import DemoCsms
from ocppsim.loadtest import preflight
from ocppsim.loadtest.engine import LoadEngine
from ocppsim.loadtest.plan import MassMode, Plan
from ocppsim.loadtest.stats import Histogram, ShardStats
from ocppsim.protocol import schemas
from tests.integration.engine import TEST_BACKOFF, wait_until


@pytest.fixture
async def csms() -> AsyncIterator[DemoCsms]:
    server = DemoCsms()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def engine() -> AsyncIterator[LoadEngine]:
    e = LoadEngine(backoff=TEST_BACKOFF, message_timeout=2.0)
    try:
        yield e
    finally:
        await e.close()


def plan(csms: DemoCsms, target: int, mode: MassMode, **fields: Any) -> Plan:
    fields.setdefault("batch_size", 4)
    fields.setdefault("meter_interval", 5)
    return Plan(backend_url=csms.url, target=target, mode=mode, prefix="LT-", **fields)


async def reach(engine: LoadEngine, check: Any, timeout: float = 15.0) -> ShardStats:
    last = ShardStats()

    def ok() -> bool:
        nonlocal last
        last = engine.snapshot()
        return bool(check(last))

    try:
        await wait_until(ok, timeout)
    except AssertionError:
        raise AssertionError(f"never reached; last snapshot {last}") from None
    return last


def valid_calls(csms: DemoCsms, version_of: dict[str, OcppVersion]) -> int:
    """Every CALL the CSMS received validates against its charger's version's schema."""
    count = 0
    for record in csms.records:
        if record.direction == "in" and record.message_type == 2:
            version = version_of[record.charger_id]
            schemas.check(version, record.action, record.payload, response=False)
            count += 1
    return count


async def test_modes_and_transitions_match_what_the_csms_saw(
    csms: DemoCsms, engine: LoadEngine
) -> None:
    engine.apply(plan(csms, 10, MassMode.IDLE))
    await engine.settled(10)
    s = engine.snapshot()
    assert (s.created, s.connected, s.ramp_pending) == (10, 0, 0)
    assert not csms.connects  # idle: created, never dialed

    engine.apply(plan(csms, 10, MassMode.CONNECT))
    s = await reach(engine, lambda s: s.booted == 10)
    assert s.batches == 3  # 4 + 4 + 2
    assert s.charging == 0
    assert csms.counters["BootNotification.Accepted"] == 10 == s.booted
    assert not csms.calls(action="StartTransaction")

    engine.apply(plan(csms, 10, MassMode.CHARGING))
    await reach(engine, lambda s: s.charging == 10)
    await wait_until(lambda: len(csms.calls(action="StartTransaction")) == 10)
    await reach(engine, lambda s: s.latency.get("StartTransaction", Histogram()).count == 10)
    await wait_until(lambda: len(csms.calls(action="MeterValues")) >= 10, 12)

    engine.apply(plan(csms, 10, MassMode.CONNECT))
    await reach(engine, lambda s: s.charging == 0 and s.booted == 10)
    await wait_until(lambda: len(csms.calls(action="StopTransaction")) == 10)

    engine.apply(plan(csms, 10, MassMode.IDLE))
    await engine.settled(15)
    s = engine.snapshot()
    assert (s.created, s.connected, s.booted) == (10, 0, 0)
    await wait_until(lambda: not csms.connections)
    # Every boot the CSMS accepted was one charger's first: no reboots along the way.
    assert csms.counters["BootNotification.Accepted"] == 10
    assert s.errors == 0, engine.error_list()
    assert s.messages_sent == s.messages_received > 0
    assert valid_calls(csms, dict.fromkeys(csms.connects, OcppVersion.V16)) > 40


async def test_raising_and_lowering_the_target_and_stopping(
    csms: DemoCsms, engine: LoadEngine
) -> None:
    engine.apply(plan(csms, 3, MassMode.CONNECT))
    await reach(engine, lambda s: s.booted == 3)
    engine.apply(plan(csms, 8, MassMode.CONNECT))
    await reach(engine, lambda s: s.booted == 8 and not s.ramping)
    assert sorted(csms.connections) == [f"LT-{i:05d}" for i in range(1, 9)]

    engine.apply(plan(csms, 2, MassMode.CONNECT))
    await engine.settled(15)
    s = engine.snapshot()
    assert (s.created, s.booted) == (2, 2)
    await wait_until(lambda: sorted(csms.connections) == ["LT-00001", "LT-00002"])
    assert csms.counters["BootNotification.Accepted"] == 8  # survivors did not reboot

    await engine.close()
    assert engine.snapshot().created == 0
    await wait_until(lambda: not csms.connections)


async def test_a_version_mix_speaks_each_version_to_the_backend(
    csms: DemoCsms, engine: LoadEngine
) -> None:
    mix = ((OcppVersion.V16, 1.0), (OcppVersion.V201, 1.0), (OcppVersion.V21, 1.0))
    p = plan(csms, 9, MassMode.CHARGING, versions=mix, batch_size=9)
    engine.apply(p)
    await reach(engine, lambda s: s.charging == 9)
    version_of = {p.chargepoint_id(i): p.version_of(i) for i in range(9)}
    counts = [list(version_of.values()).count(v) for v, _ in mix]
    assert all(abs(n - 3) <= 1 for n in counts), counts  # about a third each
    expected = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1", "2.1": "ocpp2.1"}
    for cp, version in version_of.items():
        assert csms.subprotocols[cp] == [expected[str(version)]]
    await wait_until(lambda: len(csms.calls(action="TransactionEvent")) >= 6)
    assert valid_calls(csms, version_of) > 30


async def test_a_backend_that_rejects_boots_shows_up_as_errors(
    csms: DemoCsms, engine: LoadEngine
) -> None:
    csms.script.boot_status = "Rejected"
    csms.script.boot_interval = 60
    engine.apply(plan(csms, 4, MassMode.CONNECT))
    s = await reach(engine, lambda s: s.errors >= 4)
    assert (s.connected, s.booted) == (4, 0)
    assert s.errors_by_kind == {"boot_rejected": 4}
    assert not s.ramping  # a rejected boot settles its batch: the ramp does not hang
    errors = engine.error_list()
    assert {e.kind for e in errors} == {"boot_rejected"}
    assert {e.chargepoint_id for e in errors} == {f"LT-{i:05d}" for i in range(1, 5)}
    assert "Rejected" in errors[0].message

    engine.clear_errors()
    s = engine.snapshot()
    assert (s.errors, s.errors_by_kind, engine.error_list()) == (0, {}, [])


async def test_dropped_connections_callerrors_and_timeouts_are_errors_not_crashes(
    csms: DemoCsms, engine: LoadEngine
) -> None:
    engine.apply(plan(csms, 3, MassMode.CONNECT))
    await reach(engine, lambda s: s.booted == 3)
    await csms.disconnect("LT-00001")
    s = await reach(engine, lambda s: s.errors_by_kind.get("disconnect") == 1)
    # The charger reconnects with back-off and is booted again without a new boot.
    await reach(engine, lambda s: s.booted == 3)
    assert csms.counters["BootNotification.Accepted"] == 3

    csms.script.errors["Authorize"] = ("InternalError", "backend broke")
    csms.script.drop("Authorize")
    engine.apply(plan(csms, 3, MassMode.CHARGING))
    s = await reach(engine, lambda s: s.charging == 1 and s.errors >= 3, 10)
    assert s.errors_by_kind["call_error"] == 1
    assert s.errors_by_kind["timeout"] == 1
    kinds = {e.kind: e.message for e in engine.error_list()}
    assert "InternalError" in kinds["call_error"]
    assert "Authorize" in kinds["timeout"]


async def test_mass_chargers_refuse_a_call_over_64_kib_by_id_and_stay_connected(
    csms: DemoCsms, engine: LoadEngine
) -> None:
    """Mass chargers keep the 64 KiB frame maximum of load runs (reference L2): a 70 KB CALL
    is never executed, it gets 1.6J §4.2.3 FormationViolation with its id, and the connection
    stays (it used to be closed with 1009 after the CALL was executed)."""
    engine.apply(plan(csms, 1, MassMode.CONNECT))
    await reach(engine, lambda s: s.booted == 1)
    head = '[2,"big-lt","ChangeConfiguration",'
    body = '{"key":"HeartbeatInterval","value":"17"}]'
    frame = head + " " * (70_000 - len(head) - len(body)) + body
    await csms.send_raw("LT-00001", frame)
    await csms.wait_for(lambda: csms.answer_to("LT-00001", "big-lt") is not None)
    reply = csms.answer_to("LT-00001", "big-lt")
    assert reply is not None
    assert reply.payload[:2] == [
        "FormationViolation",
        "frame of 70000 bytes exceeds the maximum of 65536",
    ]
    assert csms.connects["LT-00001"] == 1
    assert engine.snapshot().errors == 0


async def test_a_refused_connection_is_an_error_and_the_ramp_goes_on(engine: LoadEngine) -> None:
    engine.apply(
        Plan(backend_url="ws://127.0.0.1:9", target=3, mode=MassMode.CONNECT, batch_size=1)
    )
    s = await reach(engine, lambda s: s.ramp_started == 3 and s.errors >= 3)
    assert s.errors_by_kind.get("connect_refused", 0) >= 3
    assert s.connected == 0
    assert s.batches == 3


async def test_preflight_names_a_backend_that_is_not_there() -> None:
    with pytest.raises(preflight.PreflightError, match="refused the connection"):
        await preflight.check_backend("ws://127.0.0.1:9/ocpp")
    with pytest.raises(preflight.PreflightError, match="is not a ws:// or wss:// URL"):
        await preflight.check_backend("http://127.0.0.1:9")
    with pytest.raises(preflight.PreflightError, match="unknown"):
        await preflight.check_backend("ws://no-such-host.invalid:9000")
