"""OCPP 1.6J sessions over an in-memory scripted CSMS with a manual clock."""

from __future__ import annotations

import json
import uuid

import pytest

from ocppsim.core.charger import Refused
from ocppsim.core.intents import StopReason
from ocppsim.core.model import ChargerType
from ocppsim.protocol.session import new_message_id
from tests.unit.ocpp_peer import Peer, make_session


def booted(**kwargs: object) -> Peer:
    peer = Peer(make_session(**kwargs))  # type: ignore[arg-type]
    peer.connect()
    return peer


def statuses(peer: Peer, connector: int) -> list[tuple[str, str]]:
    """(status, errorCode) of every StatusNotification of ``connector`` (0: the charge point)."""
    return [
        (p["status"], p["errorCode"])
        for p in peer.payloads("StatusNotification")
        if p["connectorId"] == connector
    ]


def test_1_6_s4_9_boot_then_status_of_connector_0_and_every_connector_then_heartbeats() -> None:
    peer = booted(connectors=2)
    assert peer.actions() == ["BootNotification"] + ["StatusNotification"] * 3
    assert [p["connectorId"] for p in peer.payloads("StatusNotification")] == [0, 1, 2]
    assert statuses(peer, 0) == [("Available", "NoError")]  # the charge point itself
    peer.advance(301)
    assert peer.actions().count("Heartbeat") == 1
    assert peer.session.charger.heartbeat_interval == 300


def test_a_manual_session_charges_to_its_target_with_consistent_meter_values() -> None:
    peer = booted(meter_interval=60)
    c = peer.session.charger
    peer.session.act(lambda: c.start(None, "AABBCCDD", 2000.0, peer.now), peer.now)
    peer.pump()
    assert peer.actions()[3:] == [
        "StatusNotification",
        "Authorize",
        "StartTransaction",
        "StatusNotification",
    ]
    start = peer.payloads("StartTransaction")[0]
    assert start["idTag"] == "AABBCCDD"
    assert start["meterStart"] == 0
    peer.advance(3600)
    stop = peer.payloads("StopTransaction")[0]
    assert stop["meterStop"] == 2000
    assert stop["reason"] == "EVDisconnected"
    assert stop["transactionId"] == 1000
    samples = peer.payloads("MeterValues")
    assert samples
    for p in samples:
        assert p["transactionId"] == 1000
        values = {v["measurand"]: float(v["value"]) for v in p["meterValue"][0]["sampledValue"]}
        power, volts, amps = (
            values["Power.Active.Import"],
            values["Voltage"],
            values["Current.Import"],
        )
        assert power == pytest.approx(volts * amps * 3, rel=1e-3)  # 3 phases at 230 V
        assert power == pytest.approx(11000, rel=1e-3)  # the drawn EV accepts 11 kW
    registers = [
        float(v["value"])
        for p in samples
        for v in p["meterValue"][0]["sampledValue"]
        if v["measurand"] == "Energy.Active.Import.Register"
    ]
    assert registers == sorted(registers)
    assert [status for status, _ in statuses(peer, 1)] == [
        "Available",
        "Preparing",
        "Charging",
        "Finishing",
        "Available",
    ]
    assert statuses(peer, 0) == [("Available", "NoError")]  # a session is not the station's


def test_one_call_in_flight_at_a_time() -> None:
    peer = Peer(make_session(connectors=3), auto_answer=False)
    peer.connect()
    assert peer.actions() == ["BootNotification"]
    peer.answer_pending()
    peer.pump()
    while peer.unanswered:
        assert len(peer.unanswered) == 1
        peer.answer_pending()
        peer.pump()
    assert peer.max_in_flight == 1
    assert peer.actions().count("StatusNotification") == 4  # connector 0 and 1-3


def test_rejected_tag_ends_the_attempt_with_the_reason_visible() -> None:
    peer = booted()
    peer.answers["Authorize"] = lambda p: {"idTagInfo": {"status": "Invalid"}}
    c = peer.session.charger
    peer.session.act(lambda: c.start(None, "BADTAG", 1000.0, peer.now), peer.now)
    peer.pump()
    assert "StartTransaction" not in peer.actions()
    assert c.connectors[1].session is None
    assert "Invalid" in c.last_error
    assert [p["status"] for p in peer.payloads("StatusNotification")][-2:] == [
        "Preparing",
        "Available",
    ]


def test_starting_while_offline_or_busy_is_refused() -> None:
    peer = Peer(make_session())
    c = peer.session.charger
    with pytest.raises(Refused, match="not connected"):
        c.start(None, "A", 1000.0, peer.now)
    peer.connect()
    peer.session.act(lambda: c.start(1, "A", 1000.0, peer.now), peer.now)
    with pytest.raises(Refused, match="already has a session"):
        c.start(1, "A", 1000.0, peer.now)


def test_remote_start_and_remote_stop() -> None:
    peer = booted()
    reply = peer.send([2, "r1", "RemoteStartTransaction", {"idTag": "REMOTE1"}])
    assert reply == [3, "r1", {"status": "Accepted"}]
    assert peer.payloads("StartTransaction")[0]["idTag"] == "REMOTE1"
    assert "Authorize" not in peer.actions()  # AuthorizeRemoteTxRequests is false
    reply = peer.send([2, "r2", "RemoteStopTransaction", {"transactionId": 1000}])
    assert reply == [3, "r2", {"status": "Accepted"}]
    assert peer.payloads("StopTransaction")[0]["reason"] == "Remote"
    reply = peer.send([2, "r3", "RemoteStopTransaction", {"transactionId": 999}])
    assert reply == [3, "r3", {"status": "Rejected"}]


def test_unknown_and_unsupported_actions_get_the_right_callerror() -> None:
    peer = booted()
    assert peer.send([2, "u1", "MakeCoffee", {}])[2] == "NotImplemented"
    assert (
        peer.send(
            [
                2,
                "u2",
                "ReserveNow",
                {
                    "connectorId": 1,
                    "expiryDate": "2026-01-01T00:00:00Z",
                    "idTag": "A",
                    "reservationId": 1,
                },
            ]
        )[2]
        == "NotSupported"
    )
    assert peer.send([2, "u3", "Reset", {"type": "Warm"}])[2] == "PropertyConstraintViolation"
    assert peer.send([2, "u4", "Reset", {}])[2] == "OccurenceConstraintViolation"
    assert (
        peer.send([2, "u5", "UnlockConnector", {"connectorId": "one"}])[2]
        == "TypeConstraintViolation"
    )
    assert peer.send([2, "u6", "Reset"])[2] == "FormationViolation"


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "{}",
        "[]",
        "[2]",
        '[9, "x", "y", {}]',
        '[3, "nobody", {}]',
        '[4, "nobody", "X", "", {}]',
        '[2, 5, "Reset", {}]',
        '[2, "' + "x" * 40 + '", "Reset", {}]',
        "\u0000",
        '[2, "a", 7, {}]',
    ],
)
def test_malformed_frames_never_break_the_charger(frame: str) -> None:
    peer = booted()
    peer.session.receive_text(frame, peer.now)
    peer.pump()
    reply = peer.send([2, "ok", "ClearCache", {}])
    assert reply == [3, "ok", {"status": "Accepted"}]


def test_get_and_change_configuration() -> None:
    peer = booted()
    reply = peer.send(
        [2, "g1", "GetConfiguration", {"key": ["HeartbeatInterval", "Nope", "AuthorizationKey"]}]
    )
    keys = {k["key"]: k for k in reply[2]["configurationKey"]}
    assert keys["HeartbeatInterval"]["value"] == "300"
    assert "value" not in keys["AuthorizationKey"]  # write-only
    assert reply[2]["unknownKey"] == ["Nope"]
    everything = peer.send([2, "g2", "GetConfiguration", {}])[2]["configurationKey"]
    assert {"NumberOfConnectors", "MeterValueSampleInterval", "WebSocketPingInterval"} <= {
        k["key"] for k in everything
    }
    change = [2, "c1", "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "15"}]
    assert peer.send(change)[2] == {"status": "Accepted"}
    assert peer.session.charger.spec.meter_interval == 15
    assert peer.send([2, "c2", "ChangeConfiguration", {"key": "NumberOfConnectors", "value": "3"}])[
        2
    ] == {"status": "Rejected"}
    assert peer.send([2, "c3", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "x"}])[
        2
    ] == {"status": "Rejected"}
    assert peer.send([2, "c4", "ChangeConfiguration", {"key": "Bogus", "value": "1"}])[2] == {
        "status": "NotSupported"
    }
    assert peer.send([2, "c5", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}])[
        2
    ] == {"status": "Accepted"}
    before = peer.actions().count("Heartbeat")
    peer.advance(61)
    assert peer.actions().count("Heartbeat") == before + 1


def test_trigger_message_answers_first_then_sends() -> None:
    peer = booted()
    n = len(peer.calls)
    reply = peer.send([2, "t1", "TriggerMessage", {"requestedMessage": "StatusNotification"}])
    assert reply == [3, "t1", {"status": "Accepted"}]
    assert [p["connectorId"] for _, a, p in peer.calls[n:]] == [0, 1]  # 1.6 §5.17: all
    assert peer.send(
        [2, "t2", "TriggerMessage", {"requestedMessage": "MeterValues", "connectorId": 1}]
    )[2] == {"status": "Accepted"}
    assert peer.actions()[-1] == "MeterValues"
    assert peer.send([2, "t3", "TriggerMessage", {"requestedMessage": "Heartbeat"}])[2] == {
        "status": "Accepted"
    }
    assert peer.actions()[-1] == "Heartbeat"
    assert peer.send(
        [2, "t4", "TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": 7}]
    )[2] == {"status": "Rejected"}


def test_transaction_messages_are_retried_then_dropped() -> None:
    peer = booted()
    c = peer.session.charger
    peer.answers["MeterValues"] = lambda p: None  # never answered
    peer.session.act(lambda: c.start(None, "A", None, peer.now), peer.now)
    peer.pump()
    peer.advance(61, step=0.5)

    def sent() -> int:
        return len(peer.payloads("MeterValues"))

    assert sent() == 1
    peer.advance(30.5, step=0.5)  # timeout 30 s: attempt 2 waits 10 s x 1
    peer.advance(10.5, step=0.5)
    assert sent() == 2
    peer.advance(30 + 20 + 1, step=0.5)  # timeout, then 10 s x 2
    assert sent() == 3
    assert peer.session.rpc.dropped == 0
    peer.advance(31, step=0.5)
    assert peer.session.rpc.dropped == 1


def test_reset_stops_the_session_and_asks_for_a_reboot() -> None:
    peer = booted()
    c = peer.session.charger
    peer.session.act(lambda: c.start(None, "A", None, peer.now), peer.now)
    peer.pump()
    assert peer.send([2, "x", "Reset", {"type": "Soft"}])[2] == {"status": "Accepted"}
    assert peer.payloads("StopTransaction")[0]["reason"] == "SoftReset"
    assert peer.session.reboot is not None
    assert peer.session.reboot.hard is False


def test_change_availability_is_scheduled_while_charging() -> None:
    peer = booted()
    c = peer.session.charger
    peer.session.act(lambda: c.start(None, "A", 500.0, peer.now), peer.now)
    peer.pump()
    req = [2, "a", "ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}]
    assert peer.send(req)[2] == {"status": "Scheduled"}
    peer.advance(600)
    assert peer.payloads("StatusNotification")[-1]["status"] == "Unavailable"
    with pytest.raises(Refused):
        c.start(None, "A", 500.0, peer.now)
    assert peer.send([2, "b", "ChangeAvailability", {"connectorId": 1, "type": "Operative"}])[
        2
    ] == {"status": "Accepted"}
    assert peer.payloads("StatusNotification")[-1]["status"] == "Available"


def test_1_6_s5_17_trigger_status_notification_of_connector_0_or_one_connector() -> None:
    peer = booted(connectors=2)
    n = len(peer.calls)
    trigger = {"requestedMessage": "StatusNotification", "connectorId": 0}
    assert peer.send([2, "t", "TriggerMessage", trigger])[2] == {"status": "Accepted"}
    assert [(a, p["connectorId"], p["status"]) for _, a, p in peer.calls[n:]] == [
        ("StatusNotification", 0, "Available")
    ]
    n = len(peer.calls)
    trigger = {"requestedMessage": "StatusNotification", "connectorId": 2}
    assert peer.send([2, "u", "TriggerMessage", trigger])[2] == {"status": "Accepted"}
    assert [p["connectorId"] for _, _, p in peer.calls[n:]] == [2]


def test_1_6_s4_9_change_availability_of_connector_0_makes_the_charge_point_unavailable() -> None:
    peer = booted(connectors=2)
    req = [2, "a", "ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}]
    assert peer.send(req)[2] == {"status": "Accepted"}
    assert statuses(peer, 0)[-1] == ("Unavailable", "NoError")
    assert statuses(peer, 1)[-1] == statuses(peer, 2)[-1] == ("Unavailable", "NoError")
    req = [2, "b", "ChangeAvailability", {"connectorId": 0, "type": "Operative"}]
    assert peer.send(req)[2] == {"status": "Accepted"}
    assert [status for status, _ in statuses(peer, 0)] == ["Available", "Unavailable", "Available"]
    # One connector out of service is not the whole charge point's doing.
    req = [2, "c", "ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}]
    assert peer.send(req)[2] == {"status": "Accepted"}
    assert statuses(peer, 0)[-1] == ("Available", "NoError")


def test_1_6_s4_9_a_fault_makes_connector_0_faulted_with_its_code_and_clearing_available() -> None:
    peer = booted()
    c = peer.session.charger
    peer.session.act(lambda: c.set_error("HighTemperature", peer.now), peer.now)
    peer.pump()
    assert statuses(peer, 0)[-1] == ("Faulted", "HighTemperature")
    peer.session.act(lambda: c.set_error("NoError", peer.now), peer.now)
    peer.pump()
    assert statuses(peer, 0) == [
        ("Available", "NoError"),
        ("Faulted", "HighTemperature"),
        ("Available", "NoError"),
    ]


def test_1_6_s4_9_a_fault_while_offline_is_reported_for_connector_0_on_reconnect() -> None:
    peer = booted()
    c = peer.session.charger
    peer.session.disconnected(peer.now)
    peer.session.act(lambda: c.set_error("GroundFailure", peer.now), peer.now)
    peer.connect()
    assert statuses(peer, 0)[-1] == ("Faulted", "GroundFailure")
    assert "BootNotification" not in peer.actions()[1:]  # a reconnect, not a reboot


def test_fault_stops_the_session_and_noerror_clears_it() -> None:
    peer = booted()
    c = peer.session.charger
    peer.session.act(lambda: c.start(None, "A", None, peer.now), peer.now)
    peer.pump()
    peer.session.act(lambda: c.set_error("GroundFailure", peer.now), peer.now)
    peer.pump()
    assert peer.payloads("StopTransaction")[0]["reason"] == "Other"
    last = peer.payloads("StatusNotification")[-1]
    assert (last["status"], last["errorCode"]) == ("Faulted", "GroundFailure")
    peer.session.act(lambda: c.set_error("NoError", peer.now), peer.now)
    peer.pump()
    last = peer.payloads("StatusNotification")[-1]
    assert (last["status"], last["errorCode"]) == ("Available", "NoError")


def test_dc_power_tapers_and_soc_is_reported() -> None:
    peer = booted(charger_type=ChargerType.DC, max_power_kw=150.0, meter_interval=60)
    c = peer.session.charger
    peer.session.act(lambda: c.start(None, "A", None, peer.now), peer.now)
    peer.pump()
    peer.advance(4 * 3600, step=30)
    socs, powers = [], []
    for p in peer.payloads("MeterValues"):
        values = {v["measurand"]: float(v["value"]) for v in p["meterValue"][0]["sampledValue"]}
        socs.append(values["SoC"])
        powers.append(values["Power.Active.Import"])
    assert socs == sorted(socs)
    assert powers[-1] < powers[0]
    assert peer.payloads("StopTransaction")[0]["reason"] == "EVDisconnected"


def test_crossing_calls_complete() -> None:
    peer = Peer(make_session(), auto_answer=False)
    peer.connect()
    peer.answer_pending()
    peer.pump()
    peer.answer_pending()
    peer.pump()
    c = peer.session.charger
    peer.session.act(lambda: c.start(None, "A", None, peer.now), peer.now)
    peer.pump()
    while peer.unanswered[-1][1] != "StartTransaction":  # Preparing, Authorize
        peer.answer_pending()
        peer.pump()
    # While StartTransaction waits for its answer, the backend's CALL is still answered.
    reply = peer.send([2, "x", "RemoteStopTransaction", {"transactionId": 1}])
    assert reply == [3, "x", {"status": "Rejected"}]
    peer.answer_pending()
    peer.pump()
    assert c.connectors[1].session is not None
    assert c.connectors[1].session.transaction_id == 1000


def test_message_ids_are_unique() -> None:
    peer = booted(connectors=2)
    c = peer.session.charger
    c.set_autopilot(True, peer.now)
    peer.advance(3 * 3600, step=30)
    ids = [m for m, _, _ in peer.calls]
    assert len(ids) == len(set(ids)) > 20
    stops = peer.payloads("StopTransaction")
    assert stops
    assert all(s["reason"] == "EVDisconnected" for s in stops)


def test_stop_reason_mapping_is_total() -> None:
    from ocppsim.protocol.v16.core import REASONS

    assert set(REASONS) == set(StopReason)


def test_frames_are_recorded_for_the_log() -> None:
    peer = booted()
    frames = peer.session.take_frames()
    assert frames[0].direction == "sent"
    assert frames[0].action == "BootNotification"
    assert frames[1].direction == "received"
    assert frames[1].action == "BootNotification"
    assert json.dumps(frames[1].payload)


def test_boot_pending_answers_requests_but_refuses_remote_start_then_retries() -> None:
    peer = Peer(make_session())
    peer.answers["BootNotification"] = lambda p: {
        "status": "Pending",
        "currentTime": "2026-04-09T14:30:00Z",
        "interval": 20,
    }
    peer.connect()
    assert peer.actions() == ["BootNotification"]
    conf = peer.send([2, "g", "GetConfiguration", {"key": ["NumberOfConnectors"]}])
    assert conf[2]["configurationKey"][0]["value"] == "1"
    assert peer.send([2, "r", "RemoteStartTransaction", {"idTag": "A"}])[2] == {
        "status": "Rejected"
    }
    peer.advance(19)
    assert peer.actions() == ["BootNotification"]  # nothing else before Accepted (R14)
    peer.answers["BootNotification"] = lambda p: {
        "status": "Accepted",
        "currentTime": "2026-04-09T14:30:00Z",
        "interval": 60,
    }
    peer.advance(2)
    assert peer.actions() == ["BootNotification"] * 2 + ["StatusNotification"] * 2


def test_boot_rejected_answers_backend_calls_with_security_error() -> None:
    peer = Peer(make_session())
    peer.answers["BootNotification"] = lambda p: {
        "status": "Rejected",
        "currentTime": "2026-04-09T14:30:00Z",
        "interval": 0,
    }
    peer.connect()
    assert peer.send([2, "x", "GetConfiguration", {}])[2] == "SecurityError"
    peer.advance(29)
    assert peer.actions() == ["BootNotification"]  # interval 0: at least 30 s, not a flood
    peer.advance(15)
    assert peer.actions().count("BootNotification") == 2


def test_reboot_required_keys() -> None:
    peer = booted()
    req = [2, "s", "ChangeConfiguration", {"key": "SecurityProfile", "value": "1"}]
    assert peer.send(req)[2] == {"status": "RebootRequired"}


def test_message_ids_are_random_uuid4_strings() -> None:
    ids = {new_message_id() for _ in range(2000)}
    assert len(ids) == 2000
    for text in list(ids)[:200]:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)
