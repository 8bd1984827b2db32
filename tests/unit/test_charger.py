"""The charger core on its own: registration, heartbeat, status, availability, faults, reset.

Manual clock (plain floats), seeded random, no sockets, no event loop, no protocol adapter.
Sessions and energy: test_charger_sessions.py.
"""

from __future__ import annotations

import pytest

from ocppsim.core.charger import BOOT_RETRY, Refused, Registration
from ocppsim.core.connector import NEVER, Phase
from ocppsim.core.intents import (
    STATION,
    ConnectorStatus,
    Reboot,
    Sample,
    SendBoot,
    SendHeartbeat,
    SendStatus,
    SendTxStop,
    StopReason,
)
from tests.unit.charger_kit import T0, TAG, Backend, booted, make_charger, only, status_of

# ---------------------------------------------------------------- registration (1.6 §4.2, B01-B03)


def test_1_6_s4_2_boot_is_the_first_message_and_is_not_repeated_while_unanswered() -> None:
    c = make_charger()
    assert c.take_intents() == []  # nothing before the connection is up
    c.on_connected(T0)
    assert c.take_intents() == [SendBoot("PowerUp")]
    c.tick(T0 + 3600)
    assert c.take_intents() == []
    assert c.registration == Registration.NONE


def test_b01_fr_05_1_6_s4_9_the_charger_and_every_connector_reported_after_boot() -> None:
    c = make_charger(num_connectors=3)
    c.on_connected(T0)
    c.take_intents()
    c.on_boot_result("Accepted", 120, T0 + 1)
    statuses = only(c.take_intents(), SendStatus)
    assert [(s.connector, s.status, s.error_code) for s in statuses] == [
        (n, ConnectorStatus.AVAILABLE, "NoError") for n in (STATION, 1, 2, 3)
    ]
    assert c.accepted
    assert c.heartbeat_interval == 120
    assert c.last_error == ""


def test_1_6_s4_2_accepted_with_interval_0_keeps_the_configured_heartbeat() -> None:
    c = make_charger(heartbeat_interval=90)
    c.on_connected(T0)
    c.on_boot_result("Accepted", 0, T0)
    assert c.heartbeat_interval == 90
    assert c.next_deadline() == T0 + 90


@pytest.mark.parametrize("status", ["Pending", "Rejected"])
def test_1_6_s4_2_not_accepted_waits_the_interval_before_the_next_boot(status: str) -> None:
    c = make_charger()
    c.on_connected(T0)
    c.take_intents()
    c.on_boot_result(status, 45, T0 + 1)
    assert c.registration == Registration(status)
    assert not c.accepted
    assert c.next_deadline() == T0 + 46
    assert "next try in 45 s" in c.last_error
    c.tick(T0 + 45.9)
    assert c.take_intents() == []
    c.tick(T0 + 46)
    assert c.take_intents() == [SendBoot("PowerUp")]


@pytest.mark.parametrize("status", ["Pending", "Rejected"])
def test_1_6_s4_2_interval_0_means_a_wait_of_our_own_not_a_flood(status: str) -> None:
    c = make_charger()
    c.on_connected(T0)
    c.on_boot_result(status, 0, T0)
    assert BOOT_RETRY <= c.next_deadline() - T0 <= BOOT_RETRY + 10


def test_a_failed_boot_is_retried_after_the_boot_retry_wait() -> None:
    c = make_charger()
    c.on_connected(T0)
    c.take_intents()
    c.on_boot_failed(T0 + 5, "timeout")
    wait = c.next_deadline() - (T0 + 5)
    assert BOOT_RETRY <= wait <= BOOT_RETRY + 10
    assert c.last_error.startswith("BootNotification failed (timeout)")
    c.tick(T0 + 5 + wait)
    assert c.take_intents() == [SendBoot("PowerUp")]


def test_a_rejected_wait_survives_a_reconnect_and_a_lost_boot_is_resent() -> None:
    c = make_charger()
    c.on_connected(T0)
    c.on_boot_result("Rejected", 100, T0)
    c.on_disconnected(T0 + 10)
    c.on_connected(T0 + 20)
    assert c.take_intents() == [SendBoot("PowerUp")]  # the first one only
    c.tick(T0 + 99)
    assert c.take_intents() == []
    c.tick(T0 + 100)
    assert c.take_intents() == [SendBoot("PowerUp")]
    c.on_disconnected(T0 + 101)  # unanswered: the next connection boots at once
    c.on_connected(T0 + 200)
    assert c.take_intents() == [SendBoot("PowerUp")]


def test_a_session_needs_a_connection_and_an_accepted_boot() -> None:
    c = make_charger()
    with pytest.raises(Refused, match="not connected"):
        c.start(None, TAG, None, T0)
    c.on_connected(T0)
    c.on_boot_result("Pending", 60, T0)
    with pytest.raises(Refused, match="not accepted"):
        c.start(None, TAG, None, T0)


def test_after_a_reset_the_boot_reason_is_remote_reset_and_every_connector_reported() -> None:
    c = booted(num_connectors=2)
    c.reset(False, T0 + 1)
    assert c.take_intents() == [Reboot(False)]
    c.on_disconnected(T0 + 1)
    c.reboot_done(T0 + 2)
    assert c.registration == Registration.NONE
    c.on_connected(T0 + 3)
    assert c.take_intents() == [SendBoot("RemoteReset")]
    c.on_boot_result("Accepted", 300, T0 + 4)
    assert [s.connector for s in only(c.take_intents(), SendStatus)] == [STATION, 1, 2]


# ---------------------------------------------------------------- heartbeat (1.6 §4.6)


def test_1_6_s4_6_heartbeat_every_interval_after_acceptance() -> None:
    c = booted()
    assert c.next_deadline() == T0 + 300
    c.tick(T0 + 299)
    assert c.take_intents() == []
    c.tick(T0 + 300)
    assert c.take_intents() == [SendHeartbeat()]
    assert c.next_deadline() == T0 + 600


def test_heartbeat_interval_change_reschedules_and_no_heartbeat_offline() -> None:
    c = booted()
    c.set_heartbeat_interval(30, T0 + 10)
    assert c.next_deadline() == T0 + 40
    c.on_disconnected(T0 + 20)
    assert c.next_deadline() == NEVER
    c.tick(T0 + 1000)
    assert c.take_intents() == []


def test_a_reconnect_after_acceptance_reports_only_what_changed_offline() -> None:
    c = booted(num_connectors=2)
    c.on_disconnected(T0 + 1)
    c.set_error("GroundFailure", T0 + 2)
    assert c.take_intents() == []  # offline: nothing to send
    c.on_connected(T0 + 3)
    statuses = only(c.take_intents(), SendStatus)
    assert [(s.connector, s.status) for s in statuses] == [
        (STATION, ConnectorStatus.FAULTED),
        (1, ConnectorStatus.FAULTED),
        (2, ConnectorStatus.FAULTED),
    ]
    assert c.next_deadline() == T0 + 3 + 300


def test_triggered_boot_heartbeat_and_status() -> None:
    c = booted(num_connectors=2)
    c.trigger_boot()
    c.trigger_heartbeat()
    c.trigger_status(2, T0)
    assert c.take_intents() == [
        SendBoot("Triggered"),  # 2.0.1 BootReasonEnum (F06)
        SendHeartbeat(),
        SendStatus(2, ConnectorStatus.AVAILABLE, "NoError", T0),
    ]


def test_1_6_s5_17_a_status_trigger_for_connector_0_reports_the_charger_itself() -> None:
    c = booted(num_connectors=2)
    c.trigger_status(STATION, T0)
    assert c.take_intents() == [SendStatus(STATION, ConnectorStatus.AVAILABLE, "NoError", T0)]
    c.trigger_status(None, T0 + 1)
    assert [s.connector for s in only(c.take_intents(), SendStatus)] == [STATION, 1, 2]


# ---------------------------------------------------------------- faults


def test_a_fault_ends_the_session_without_finishing_and_reports_faulted() -> None:
    c = booted(free_charging=True)
    backend = Backend(c)
    c.start(None, TAG, None, T0)
    backend.pump(T0)
    c.set_error("GroundFailure", T0 + 60)
    out = c.take_intents()
    stop = only(out, SendTxStop)[0]
    assert (stop.reason, stop.error_code) == (StopReason.FAULT, "GroundFailure")
    assert [(s.connector, s.status, s.error_code) for s in only(out, SendStatus)] == [
        (1, ConnectorStatus.FAULTED, "GroundFailure"),
        (STATION, ConnectorStatus.FAULTED, "GroundFailure"),  # the charger as a whole
    ]
    assert c.connectors[1].session is None
    with pytest.raises(Refused, match="faulted"):
        c.start(None, TAG, None, T0 + 61)


def test_clearing_the_fault_makes_the_connector_available_again() -> None:
    c = booted()
    c.set_error("HighTemperature", T0)
    c.set_error("NoError", T0 + 1)
    assert only(c.take_intents(), SendStatus)[-2:] == [
        SendStatus(1, ConnectorStatus.AVAILABLE, "NoError", T0 + 1),
        SendStatus(STATION, ConnectorStatus.AVAILABLE, "NoError", T0 + 1),
    ]
    assert c.start(None, TAG, None, T0 + 2) == 1


def test_1_6_s4_9_a_new_fault_code_is_reported_for_the_charger_though_still_faulted() -> None:
    c = booted()
    c.set_error("HighTemperature", T0)
    c.take_intents()
    c.set_error("GroundFailure", T0 + 1)
    assert [(s.connector, s.error_code) for s in only(c.take_intents(), SendStatus)] == [
        (1, "GroundFailure"),
        (STATION, "GroundFailure"),
    ]
    assert c.station_status() == ConnectorStatus.FAULTED


def test_a_fault_while_authorizing_drops_the_attempt_without_a_transaction() -> None:
    c = booted()
    c.start(None, TAG, None, T0)
    c.take_intents()
    c.set_error("GroundFailure", T0 + 1)
    assert only(c.take_intents(), SendTxStop) == []
    assert c.connectors[1].session is None
    c.on_authorize_result(1, True, "Accepted", T0 + 2)  # the late answer changes nothing
    assert c.take_intents() == []


# ---------------------------------------------------------------- availability (1.6 §5.2)


def test_1_6_s5_2_change_availability_when_idle_is_accepted_at_once() -> None:
    c = booted(num_connectors=2)
    assert c.change_availability(2, False, T0) == "Accepted"
    assert c.take_intents() == [SendStatus(2, ConnectorStatus.UNAVAILABLE, "NoError", T0)]
    assert c.start(None, TAG, None, T0) == 1  # the free one
    assert c.change_availability(7, False, T0) == "Rejected"
    assert c.change_availability(2, True, T0 + 1) == "Accepted"
    assert status_of(c, 2) == ConnectorStatus.AVAILABLE


def test_1_6_s5_2_inoperative_while_charging_is_scheduled_and_applied_at_unplug() -> None:
    c = booted(free_charging=True, num_connectors=2)
    backend = Backend(c)
    c.start(1, TAG, None, T0)
    backend.pump(T0)
    assert c.change_availability(0, False, T0 + 1) == "Scheduled"
    assert status_of(c, 2) == ConnectorStatus.UNAVAILABLE  # idle: at once
    assert status_of(c, 1) == ConnectorStatus.CHARGING
    c.stop(1, StopReason.LOCAL, T0 + 10)
    backend.pump(T0 + 10)
    assert status_of(c, 1) == ConnectorStatus.FINISHING
    backend.run_until(T0 + 10 + c.spec.unplug_delay_s)
    assert status_of(c, 1) == ConnectorStatus.UNAVAILABLE
    assert not c.connectors[1].operative
    assert not c.connectors[1].inoperative_scheduled
    with pytest.raises(Refused):
        c.start(None, TAG, None, T0 + 20)


def test_1_6_s5_2_the_charger_is_unavailable_once_every_connector_is() -> None:
    c = booted(free_charging=True, num_connectors=2)
    backend = Backend(c)
    c.start(1, TAG, None, T0)
    backend.pump(T0)
    assert c.change_availability(0, False, T0 + 1) == "Scheduled"
    out = c.take_intents()
    assert [s.connector for s in only(out, SendStatus)] == [2]  # connector 1 still charges
    assert c.station_status() == ConnectorStatus.AVAILABLE
    c.stop(1, StopReason.LOCAL, T0 + 10)
    out = backend.run_until(T0 + 10 + c.spec.unplug_delay_s)
    assert [(s.connector, s.status) for s in only(out, SendStatus)][-2:] == [
        (1, ConnectorStatus.UNAVAILABLE),
        (STATION, ConnectorStatus.UNAVAILABLE),
    ]
    assert c.change_availability(0, True, T0 + 20) == "Accepted"
    assert [(s.connector, s.status) for s in only(c.take_intents(), SendStatus)] == [
        (1, ConnectorStatus.AVAILABLE),
        (2, ConnectorStatus.AVAILABLE),
        (STATION, ConnectorStatus.AVAILABLE),
    ]


# ---------------------------------------------------------------- reset, unlock


@pytest.mark.parametrize(
    ("hard", "reason"), [(False, StopReason.SOFT_RESET), (True, StopReason.HARD_RESET)]
)
def test_1_6_s5_14_reset_ends_sessions_then_asks_for_a_reboot(
    hard: bool, reason: StopReason
) -> None:
    c = booted(free_charging=True, num_connectors=2)
    backend = Backend(c)
    c.start(1, TAG, None, T0)
    backend.pump(T0)
    c.reset(hard, T0 + 5)
    out = c.take_intents()
    assert [s.reason for s in only(out, SendTxStop)] == [reason]
    assert out[-1] == Reboot(hard)
    assert all(conn.session is None for conn in c.connectors.values())


def test_reset_on_idle_resets_at_once_without_a_session() -> None:
    c = booted()
    assert c.reset_when_idle(T0) is True
    assert c.take_intents() == [Reboot(False)]


def test_reset_on_idle_waits_until_the_ev_is_unplugged() -> None:
    c = booted(free_charging=True)
    backend = Backend(c)
    c.start(None, TAG, 1000.0, T0)
    backend.pump(T0)
    assert c.reset_when_idle(T0 + 1) is False
    out = backend.run_until(T0 + 3600)
    stop = only(out, SendTxStop)[0]
    assert stop.reason == StopReason.ENERGY_LIMIT  # not ended by the reset
    unplugged = SendStatus(1, ConnectorStatus.AVAILABLE, "NoError", stop.timestamp + 2.0)
    assert out.index(Reboot(False)) == out.index(unplugged) + 1
    assert out.count(Reboot(False)) == 1


def test_unlock_ends_a_running_transaction_and_knows_its_connectors() -> None:
    c = booted(free_charging=True)
    backend = Backend(c)
    c.start(None, TAG, None, T0)
    backend.pump(T0)
    assert c.unlock(1, T0 + 30) is True
    assert only(c.take_intents(), SendTxStop)[0].reason == StopReason.UNLOCK
    assert c.connectors[1].session is not None
    assert c.connectors[1].session.phase is Phase.ENDED
    assert c.unlock(1, T0 + 31) is True  # nothing to end: still unlocked
    assert c.take_intents() == []
    assert c.unlock(9, T0 + 31) is False


# ---------------------------------------------------------------- meter values without a session


def test_a_transaction_update_is_asked_only_of_running_transactions() -> None:
    c = booted(free_charging=True, num_connectors=2)
    assert c.trigger_transaction_update(None, T0) is False
    assert c.take_intents() == []
    Backend(c)
    c.start(2, TAG, None, T0)
    c.take_intents()
    assert c.trigger_transaction_update(1, T0 + 1) is False
    assert c.take_intents() == []
    assert c.trigger_transaction_update(None, T0 + 2) is True
    samples = only(c.take_intents(), Sample)
    assert [(s.connector, s.ref, s.triggered, s.of_transaction) for s in samples] == [
        (2, 1, True, True)
    ]


def test_a_triggered_sample_outside_a_session_shows_the_register_at_zero_power() -> None:
    c = booted(num_connectors=2)
    c.connectors[2].meter_wh = 1234.56
    c.trigger_meter_values(None, T0)
    samples = only(c.take_intents(), Sample)
    assert [(s.connector, s.ref, s.register_wh, s.power_w, s.triggered) for s in samples] == [
        (1, None, 0.0, 0.0, True),
        (2, None, 1234.6, 0.0, True),
    ]
