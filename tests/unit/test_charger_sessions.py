"""The charger core's sessions: authorization, transactions, targets, meter values, energy.

Manual clock (plain floats), seeded random, no sockets, no event loop, no protocol adapter.
"""

from __future__ import annotations

import pytest

from ocppsim.core import physics
from ocppsim.core.charger import Refused
from ocppsim.core.connector import NEVER, Phase
from ocppsim.core.intents import (
    ConnectorStatus,
    Sample,
    SendAuthorize,
    SendStatus,
    SendTxStart,
    SendTxStop,
    StopReason,
    Trigger,
)
from ocppsim.core.model import ChargerType
from ocppsim.core.state import live_state
from tests.unit.charger_kit import T0, TAG, Backend, booted, only, phase_of, status_of

# ---------------------------------------------------------------- starting (1.6 §4.1, §4.8, §5.11)


def test_1_6_s4_1_a_local_start_is_authorized_before_the_transaction_starts() -> None:
    c = booted()
    assert c.start(None, TAG, None, T0) == 1
    assert c.take_intents() == [
        SendStatus(1, ConnectorStatus.PREPARING, "NoError", T0),
        SendAuthorize(1, TAG),
    ]
    assert phase_of(c, 1) is Phase.AUTHORIZING
    assert not c.has_running_session()
    c.on_authorize_result(1, True, "Accepted", T0 + 1)
    assert c.take_intents() == [
        SendTxStart(1, 1, TAG, 0.0, T0 + 1, Trigger.AUTHORIZED, None),
        SendStatus(1, ConnectorStatus.CHARGING, "NoError", T0 + 1),
    ]
    session = c.connectors[1].session
    assert session is not None
    assert phase_of(c, 1) is Phase.RUNNING
    assert session.started_at == T0 + 1
    assert c.has_running_session()
    assert c.last_authorization == "Accepted"


def test_free_charging_starts_the_transaction_without_authorize() -> None:
    c = booted(free_charging=True)
    c.start(None, TAG, None, T0)
    out = c.take_intents()
    assert only(out, SendAuthorize) == []
    assert only(out, SendTxStart) == [SendTxStart(1, 1, TAG, 0.0, T0, Trigger.FREE, None)]


def test_1_6_s5_11_remote_start_without_authorize_remote_tx_requests_skips_authorize() -> None:
    c = booted(authorize_remote_start=False)
    c.start(None, TAG, None, T0, remote=True, remote_start_id=42)
    out = c.take_intents()
    assert only(out, SendAuthorize) == []
    assert only(out, SendTxStart) == [SendTxStart(1, 1, TAG, 0.0, T0, Trigger.REMOTE, 42)]


def test_1_6_s5_11_remote_start_with_authorize_remote_tx_requests_authorizes_first() -> None:
    c = booted(authorize_remote_start=True)
    c.start(None, TAG, None, T0, remote=True, remote_start_id=42)
    assert only(c.take_intents(), SendAuthorize) == [SendAuthorize(1, TAG)]
    c.on_authorize_result(1, True, "Accepted", T0 + 1)
    assert only(c.take_intents(), SendTxStart)[0].trigger == Trigger.REMOTE


def test_1_6_s4_1_a_refused_tag_ends_the_attempt_with_the_reason_visible() -> None:
    c = booted()
    c.start(None, TAG, None, T0)
    c.take_intents()
    c.on_authorize_result(1, False, "Blocked", T0 + 1)
    assert c.take_intents() == [SendStatus(1, ConnectorStatus.AVAILABLE, "NoError", T0 + 1)]
    assert c.connectors[1].session is None
    assert c.last_error == f"backend refused id tag {TAG!r}: Blocked"
    assert c.last_authorization == "Blocked"


def test_stopping_while_authorizing_just_unplugs_without_a_transaction() -> None:
    c = booted()
    c.start(None, TAG, None, T0)
    c.take_intents()
    assert c.stop(None, StopReason.LOCAL, T0 + 1) == 1
    assert c.take_intents() == [SendStatus(1, ConnectorStatus.AVAILABLE, "NoError", T0 + 1)]
    with pytest.raises(Refused, match="no session is running on connector 1"):
        c.stop(1, StopReason.LOCAL, T0 + 2)


def test_a_busy_connector_is_refused_and_the_next_free_one_is_chosen() -> None:
    c = booted(num_connectors=2, free_charging=True)
    assert c.start(None, TAG, None, T0) == 1
    with pytest.raises(Refused, match="already has a session"):
        c.start(1, TAG, None, T0)
    with pytest.raises(Refused, match="no connector 3"):
        c.start(3, TAG, None, T0)
    assert c.start(None, TAG, None, T0) == 2
    with pytest.raises(Refused, match="every connector is busy"):
        c.start(None, TAG, None, T0)


def test_1_6_s3_5_4_a_transaction_refused_by_the_backend_is_stopped_deauthorized() -> None:
    c = booted(free_charging=True)
    backend = Backend(c, accept_transactions=False)
    c.start(None, TAG, None, T0)
    out = backend.pump(T0)
    stop = only(out, SendTxStop)[0]
    assert (stop.ref, stop.reason, stop.meter_stop_wh) == (1, StopReason.DEAUTHORIZED, 0.0)
    session = c.connectors[1].session
    assert session is not None
    assert session.transaction_id == 1001
    assert session.ended
    assert c.last_error == f"backend refused id tag {TAG!r}: Invalid"


# ---------------------------------------------------------------- how sessions end


def test_the_target_reached_ends_the_session_energy_limit_with_the_exact_register() -> None:
    c = booted(free_charging=True)
    backend = Backend(c)
    c.start(None, TAG, 1000.0, T0)
    backend.pump(T0)
    session = c.connectors[1].session
    assert session is not None
    reached = T0 + 1000.0 * 3.6 / session.power_kw
    assert c.next_deadline() == pytest.approx(min(reached, T0 + 60))
    out = backend.run_until(reached + 0.001)
    stop = only(out, SendTxStop)[0]
    assert (stop.reason, stop.meter_stop_wh) == (StopReason.ENERGY_LIMIT, 1000.0)
    assert stop.timestamp == pytest.approx(reached)
    assert status_of(c, 1) == ConnectorStatus.FINISHING
    backend.run_until(stop.timestamp + c.spec.unplug_delay_s)
    assert c.connectors[1].session is None
    assert status_of(c, 1) == ConnectorStatus.AVAILABLE


def test_an_ev_that_is_full_ends_the_session_soc_limit() -> None:
    c = booted(free_charging=True, max_power_kw=11.0)
    backend = Backend(c)
    c.start(None, TAG, None, T0)
    backend.pump(T0)
    ev = c.connectors[1].last_ev
    assert ev is not None
    out = backend.run_until(T0 + 24 * 3600)
    stop = only(out, SendTxStop)[0]
    assert stop.reason == StopReason.EV_FULL
    room_wh = (100.0 - ev.soc_start) * ev.battery_kwh * 10.0
    one_interval_wh = min(11.0, ev.max_ac_kw) * 60 / 3.6
    assert room_wh <= stop.meter_stop_wh <= room_wh + one_interval_wh


def test_limit_energy_below_what_was_delivered_ends_the_session_now() -> None:
    c = booted(free_charging=True)
    backend = Backend(c)
    c.start(None, TAG, None, T0)
    backend.pump(T0)
    assert c.limit_energy(1, 0.0, T0 + 10) is True
    stop = only(c.take_intents(), SendTxStop)[0]
    assert (stop.reason, stop.timestamp) == (StopReason.ENERGY_LIMIT, T0 + 10)
    assert c.limit_energy(1, 0.0, T0 + 11) is False  # no longer running


def test_stop_by_transaction_id_only_stops_our_running_transaction() -> None:
    c = booted(free_charging=True, num_connectors=2)
    backend = Backend(c)
    c.start(None, TAG, None, T0)
    c.start(None, TAG, None, T0)
    backend.pump(T0)
    c.set_transaction_id(2, "uuid-2")  # 2.x: the charger names it
    assert c.stop_transaction(999, StopReason.REMOTE, T0 + 5) is False
    assert c.stop_transaction("uuid-2", StopReason.REMOTE, T0 + 5) is True
    assert c.stop_transaction("uuid-2", StopReason.REMOTE, T0 + 6) is False
    stops = only(c.take_intents(), SendTxStop)
    assert [(s.connector, s.reason) for s in stops] == [(2, StopReason.REMOTE)]
    c.stop_all(StopReason.LOCAL, T0 + 7)
    assert [s.connector for s in only(c.take_intents(), SendTxStop)] == [1]


# ---------------------------------------------------------------- meter values (1.6 §4.7)


def test_1_6_s4_7_samples_every_meter_interval_with_consistent_electricals() -> None:
    c = booted(free_charging=True, max_power_kw=11.0, meter_interval=60)
    backend = Backend(c)
    c.start(None, TAG, None, T0)
    backend.pump(T0)
    session = c.connectors[1].session
    assert session is not None
    power = session.power_kw
    assert c.next_deadline() == T0 + 60
    samples = only(backend.run_until(T0 + 180), Sample)
    assert [s.timestamp for s in samples] == [T0 + 60, T0 + 120, T0 + 180]
    first = samples[0]
    assert (first.ref, first.triggered, first.soc) == (1, False, None)
    assert first.register_wh == round(power * 60 / 3.6, 1)
    assert first.power_w == round(power * 1000.0, 1)
    assert (first.voltage_v, first.phases) == (230.0, 3)
    assert first.current_a == round(power * 1000.0 / (230.0 * 3), 2)


def test_a_triggered_sample_does_not_move_the_periodic_one() -> None:
    c = booted(free_charging=True)
    backend = Backend(c)
    c.start(None, TAG, None, T0)
    backend.pump(T0)
    c.trigger_meter_values(1, T0 + 30)
    triggered = only(c.take_intents(), Sample)
    assert [(s.timestamp, s.triggered, s.ref) for s in triggered] == [(T0 + 30, True, 1)]
    assert c.next_deadline() == T0 + 60


def test_dc_samples_show_a_rising_soc_and_power_tapering_above_60_percent() -> None:
    c = booted(free_charging=True, charger_type=ChargerType.DC, max_power_kw=150.0)
    backend = Backend(c)
    c.start(None, TAG, None, T0)
    backend.pump(T0)
    samples = only(backend.run_until(T0 + 3 * 3600), Sample)
    socs = [s.soc for s in samples if s.soc is not None]
    assert len(socs) == len(samples)
    assert socs == sorted(socs)
    high = [s.power_w for s in samples if s.soc is not None and s.soc > 65.0]
    assert high
    assert high == sorted(high, reverse=True)
    assert max(s.power_w for s in samples) > high[-1]
    assert all(s.phases == 0 for s in samples)


# ---------------------------------------------------------------- energy


def test_the_register_never_shows_more_than_the_target_allowed() -> None:
    c = booted(free_charging=True)
    backend = Backend(c)
    c.start(None, TAG, 1000.0, T0)
    backend.pump(T0)
    later = T0 + 10 * 3600  # nobody ticked the charger meanwhile
    assert c.energy_wh(later) == 1000.0
    state = live_state(c, later, connected=True, connection_error="")
    assert (state.energy_delivered_wh, state.session_energy_wh) == (1000.0, 1000.0)


def test_energy_wh_at_any_time_agrees_with_the_next_sample_register() -> None:
    c = booted(free_charging=True, charger_type=ChargerType.DC, max_power_kw=150.0)
    backend = Backend(c)
    c.start(None, TAG, None, T0)
    backend.pump(T0)
    for t in (T0 + 7, T0 + 29.5, T0 + 61, T0 + 400):
        predicted = c.energy_wh(t)
        c.trigger_meter_values(1, t)
        assert only(c.take_intents(), Sample)[0].register_wh == round(predicted, 1)


def test_energy_is_conserved_register_equals_the_sum_of_its_sessions() -> None:
    c = booted(num_connectors=3, seed=11, meter_interval=30)
    backend = Backend(c)
    c.set_autopilot(True, T0)
    out = backend.run_until(T0 + 8 * 3600)
    c.stop_all(StopReason.LOCAL, T0 + 8 * 3600)
    out += backend.pump(T0 + 8 * 3600)
    starts = {s.ref: s for s in only(out, SendTxStart)}
    stops = only(out, SendTxStop)
    assert len(stops) == len(starts) >= 6
    for n, connector in c.connectors.items():
        delivered = sum(
            s.meter_stop_wh - starts[s.ref].meter_start_wh for s in stops if s.connector == n
        )
        assert delivered == pytest.approx(connector.meter_wh, abs=0.2)
    assert c.energy_wh(T0 + 9 * 3600) == pytest.approx(
        sum(x.meter_wh for x in c.connectors.values())
    )


# ---------------------------------------------------------------- autopilot


def test_autopilot_cycles_sessions_with_targets_in_whole_100_wh() -> None:
    c = booted(seed=3)
    backend = Backend(c)
    c.set_autopilot(True, T0)
    assert T0 + 1 <= c.next_deadline() <= T0 + 5
    out = backend.run_until(T0 + 6 * 3600)
    starts, stops = only(out, SendTxStart), only(out, SendTxStop)
    assert len(starts) >= 3
    assert {s.reason for s in stops} <= {StopReason.ENERGY_LIMIT, StopReason.EV_FULL}
    low, high = c.spec.autopilot_energy_wh
    for start, stop in zip(starts, stops, strict=False):
        delivered = stop.meter_stop_wh - start.meter_start_wh
        assert delivered <= high
        if stop.reason == StopReason.ENERGY_LIMIT:
            assert low <= delivered
            assert round(delivered) % 100 == 0
    gap_low, gap_high = c.spec.autopilot_gap_s
    for stop, start in zip(stops, starts[1:], strict=False):
        gap = start.timestamp - (stop.timestamp + c.spec.unplug_delay_s)
        assert gap_low <= gap <= gap_high


def test_autopilot_off_plans_nothing_and_a_refused_start_is_tried_again_later() -> None:
    c = booted()
    c.set_autopilot(True, T0)
    c.set_autopilot(False, T0)
    assert c.next_deadline() == T0 + 300  # only the heartbeat
    c.set_autopilot(True, T0)
    c.on_disconnected(T0)
    first = c.next_deadline()
    c.tick(first)  # offline: refused, planned again
    assert c.connectors[1].session is None
    assert first + c.spec.autopilot_gap_s[0] <= c.next_deadline() < NEVER


# ---------------------------------------------------------------- physics reaching the meter


def test_a_single_phase_ac_charger_reports_one_phase_and_its_current() -> None:
    c = booted(free_charging=True, max_power_kw=7.4)
    backend = Backend(c)
    c.start(None, TAG, None, T0)
    backend.pump(T0)
    c.trigger_meter_values(1, T0 + 1)
    sample = only(c.take_intents(), Sample)[0]
    assert sample.phases == 1
    assert sample.current_a == round(sample.power_w / physics.PHASE_VOLTAGE, 2)
