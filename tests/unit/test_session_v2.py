"""OCPP 2.0.1 and 2.1 sessions over an in-memory scripted CSMS with a manual clock.

Every frame the charger sends is validated against its version's official schema by the peer.
"""

from __future__ import annotations

from typing import Any

import pytest

from ocppsim.core.intents import StopReason
from ocppsim.core.model import ChargerType, OcppVersion
from ocppsim.protocol.v201.transactions import ENDED
from tests.unit.ocpp_peer import Peer, make_session

VERSIONS = [OcppVersion.V201, OcppVersion.V21]


@pytest.fixture(params=VERSIONS, ids=["2.0.1", "2.1"])
def version(request: pytest.FixtureRequest) -> OcppVersion:
    return OcppVersion(request.param)


def booted(version: OcppVersion, **kwargs: Any) -> Peer:
    peer = Peer(make_session(version=version, **kwargs))
    peer.connect()
    return peer


def events(peer: Peer) -> list[dict[str, Any]]:
    return peer.payloads("TransactionEvent")


def start(peer: Peer, target_wh: float | None = 1000.0, tag: str = "AABBCCDD") -> None:
    c = peer.session.charger
    peer.session.act(lambda: c.start(None, tag, target_wh, peer.now), peer.now)
    peer.pump()


def test_boot_and_status_per_evse(version: OcppVersion) -> None:
    peer = booted(version, connectors=2)
    boot = peer.payloads("BootNotification")[0]
    assert boot["reason"] == "PowerUp"
    assert boot["chargingStation"]["vendorName"] == "ocppsim"
    statuses = peer.payloads("StatusNotification")
    assert [(s["evseId"], s["connectorId"], s["connectorStatus"]) for s in statuses] == [
        (1, 1, "Available"),
        (2, 1, "Available"),
    ]


def test_a_session_is_started_updated_ended_with_contiguous_seq_no(version: OcppVersion) -> None:
    peer = booted(version, meter_interval=30)
    start(peer, 3000.0)
    peer.advance(3600, step=10)
    evs = events(peer)
    assert next(e["eventType"] for e in evs) == "Started"
    assert [e["eventType"] for e in evs][-1] == "Ended"
    assert all(e["eventType"] == "Updated" for e in evs[1:-1])
    assert len(evs) > 3
    assert [e["seqNo"] for e in evs] == list(range(len(evs)))  # E04.FR.04, reference R5
    ids = {e["transactionInfo"]["transactionId"] for e in evs}
    assert len(ids) == 1
    assert len(next(iter(ids))) == 36  # a UUID made by the station
    started, ended = evs[0], evs[-1]
    assert started["triggerReason"] == "Authorized"
    assert started["idToken"] == {"idToken": "AABBCCDD", "type": "ISO14443"}
    assert started["evse"] == {"id": 1, "connectorId": 1}
    assert ended["triggerReason"] == "EnergyLimitReached"
    assert ended["transactionInfo"]["stoppedReason"] == "EnergyLimitReached"
    assert ended["meterValue"][0]["sampledValue"][0]["value"] == pytest.approx(3000)
    assert all(e["triggerReason"] == "MeterValuePeriodic" for e in evs[1:-1])
    assert [s["connectorStatus"] for s in peer.payloads("StatusNotification")] == [
        "Available",
        "Occupied",
        "Available",
    ]


def test_a_second_transaction_gets_a_fresh_id_and_seq_no(version: OcppVersion) -> None:
    peer = booted(version)
    start(peer, 100.0)
    peer.advance(120)
    start(peer, 100.0)
    peer.advance(120)
    evs = events(peer)
    ids = [e["transactionInfo"]["transactionId"] for e in evs]
    first, second = ids[0], ids[-1]
    assert first != second
    assert next(e["seqNo"] for e in evs if e["transactionInfo"]["transactionId"] == second) == 0


@pytest.mark.parametrize(
    ("how", "trigger", "stopped"),
    [
        ("local", "StopAuthorized", "Local"),
        ("remote", "RemoteStop", "Remote"),
        ("fault", "AbnormalCondition", "GroundFault"),
        ("reset", "ResetCommand", "ImmediateReset"),
        ("deauthorized", "Deauthorized", "DeAuthorized"),
        ("off", "AbnormalCondition", "PowerLoss"),
    ],
)
def test_trigger_and_stopped_reason_for_each_way_a_session_ends(
    version: OcppVersion, how: str, trigger: str, stopped: str
) -> None:
    peer = booted(version)
    c = peer.session.charger
    if how == "deauthorized":
        peer.answers["TransactionEvent"] = lambda p: (
            {"idTokenInfo": {"status": "Blocked"}} if "idToken" in p else {}
        )
    start(peer, None)
    tx = events(peer)[0]["transactionInfo"]["transactionId"]
    if how == "local":
        peer.session.act(lambda: c.stop(None, StopReason.LOCAL, peer.now), peer.now)
    elif how == "remote":
        reply = peer.send([2, "r", "RequestStopTransaction", {"transactionId": tx}])
        assert reply[2] == {"status": "Accepted"}
    elif how == "fault":
        peer.session.act(lambda: c.set_error("GroundFailure", peer.now), peer.now)
    elif how == "reset":
        assert peer.send([2, "x", "Reset", {"type": "Immediate"}])[2] == {"status": "Accepted"}
    elif how == "off":
        peer.session.act(lambda: c.stop_all(StopReason.POWER_LOSS, peer.now), peer.now)
    peer.pump()
    ended = events(peer)[-1]
    assert ended["eventType"] == "Ended"
    assert (ended["triggerReason"], ended["transactionInfo"]["stoppedReason"]) == (trigger, stopped)
    if how == "deauthorized":
        assert "Blocked" in c.last_error


def test_every_stop_reason_maps() -> None:
    assert set(ENDED) == set(StopReason)


def test_started_trigger_for_remote_and_free_starts(version: OcppVersion) -> None:
    peer = booted(version)
    reply = peer.send(
        [
            2,
            "s",
            "RequestStartTransaction",
            {"idToken": {"idToken": "R1", "type": "Central"}, "remoteStartId": 7},
        ]
    )
    assert reply[2] == {"status": "Accepted"}
    started = events(peer)[0]
    assert started["triggerReason"] == "RemoteStart"
    assert started["transactionInfo"]["remoteStartId"] == 7
    assert "Authorize" not in peer.actions()
    free = booted(version, free=True)
    start(free)
    assert events(free)[0]["triggerReason"] == "CablePluggedIn"


def test_get_and_set_variables(version: OcppVersion) -> None:
    peer = booted(version)

    def get(component: dict[str, Any], variable: dict[str, Any], **extra: Any) -> dict[str, Any]:
        item = {"component": component, "variable": variable, **extra}
        reply = peer.send([2, "g", "GetVariables", {"getVariableData": [item]}])
        result: dict[str, Any] = reply[2]["getVariableResult"][0]
        return result

    def set_(component: dict[str, Any], variable: dict[str, Any], value: str) -> str:
        item = {"component": component, "variable": variable, "attributeValue": value}
        reply = peer.send([2, "s", "SetVariables", {"setVariableData": [item]}])
        return str(reply[2]["setVariableResult"][0]["attributeStatus"])

    comm = {"name": "OCPPCommCtrlr"}
    hb = get(comm, {"name": "HeartbeatInterval"})
    assert (hb["attributeStatus"], hb["attributeValue"]) == ("Accepted", "300")
    assert set_(comm, {"name": "HeartbeatInterval"}, "60") == "Accepted"
    assert get(comm, {"name": "HeartbeatInterval"})["attributeValue"] == "60"
    assert peer.session.charger.heartbeat_interval == 60
    sampled = {"name": "SampledDataCtrlr"}
    assert set_(sampled, {"name": "TxUpdatedInterval"}, "15") == "Accepted"
    assert peer.session.charger.spec.meter_interval == 15
    assert set_({"name": "ChargingStation"}, {"name": "Model"}, "X") == "Rejected"  # read-only
    assert set_(comm, {"name": "HeartbeatInterval"}, "abc") == "Rejected"
    assert set_({"name": "NoSuchCtrlr"}, {"name": "X"}, "1") == "UnknownComponent"
    assert set_(comm, {"name": "NoSuchVariable"}, "1") == "UnknownVariable"
    assert set_({"name": "SecurityCtrlr"}, {"name": "SecurityProfile"}, "1") == "RebootRequired"
    assert get({"name": "NoSuchCtrlr"}, {"name": "X"})["attributeStatus"] == "UnknownComponent"
    assert get(comm, {"name": "Nope"})["attributeStatus"] == "UnknownVariable"
    pw = {"name": "SecurityCtrlr"}, {"name": "BasicAuthPassword"}
    assert get(*pw)["attributeStatus"] == "Rejected"  # write-only
    assert "attributeValue" not in get(*pw)
    assert get(comm, {"name": "HeartbeatInterval"}, attributeType="Target")["attributeStatus"] == (
        "NotSupportedAttributeType"
    )
    attempts = {"name": "MessageAttempts", "instance": "TransactionEvent"}
    assert get(comm, attempts)["attributeValue"] == "3"
    evse = get({"name": "EVSE", "evse": {"id": 1}}, {"name": "AvailabilityState"})
    assert evse["attributeStatus"] == "Accepted"


def test_get_base_report_answers_then_notifies(version: OcppVersion) -> None:
    peer = booted(version)
    reply = peer.send([2, "b", "GetBaseReport", {"requestId": 42, "reportBase": "FullInventory"}])
    assert reply[2] == {"status": "Accepted"}
    reports = peer.payloads("NotifyReport")
    assert [r["seqNo"] for r in reports] == list(range(len(reports)))
    assert all(r["requestId"] == 42 for r in reports)
    assert all(r.get("tbc") for r in reports[:-1])
    assert not reports[-1].get("tbc", False)
    items = [d for r in reports for d in r["reportData"]]
    names = {(d["component"]["name"], d["variable"]["name"]) for d in items}
    assert ("OCPPCommCtrlr", "HeartbeatInterval") in names
    assert ("ISO15118Ctrlr", "PnCEnabled") in names
    password = next(d for d in items if d["variable"]["name"] == "BasicAuthPassword")
    assert "value" not in password["variableAttribute"][0]
    config = peer.send(
        [2, "c", "GetBaseReport", {"requestId": 43, "reportBase": "ConfigurationInventory"}]
    )
    assert config[2] == {"status": "Accepted"}
    filtered = peer.send(
        [
            2,
            "r",
            "GetReport",
            {"requestId": 44, "componentVariable": [{"component": {"name": "TxCtrlr"}}]},
        ]
    )
    assert filtered[2] == {"status": "Accepted"}
    last = peer.payloads("NotifyReport")[-1]
    assert {d["component"]["name"] for d in last["reportData"]} == {"TxCtrlr"}
    empty = peer.send(
        [
            2,
            "e",
            "GetReport",
            {"requestId": 45, "componentVariable": [{"component": {"name": "Nope"}}]},
        ]
    )
    assert empty[2] == {"status": "EmptyResultSet"}


def test_plug_and_charge_authorize_carries_the_emaid_and_hash_data(version: OcppVersion) -> None:
    peer = booted(version, auth_mode="plug_and_charge", certificate_hash="ab12cd34")
    peer.answers["Authorize"] = lambda p: {
        "idTokenInfo": {"status": "Accepted"},
        "certificateStatus": "Accepted",
    }
    start(peer, 500.0, tag="DESIMCCP0000014")
    auth = peer.payloads("Authorize")[0]
    assert auth["idToken"] == {"idToken": "DESIMCCP0000014", "type": "eMAID"}
    data = auth["iso15118CertificateHashData"][0]
    assert data["hashAlgorithm"] == "SHA256"
    assert len(data["issuerKeyHash"]) == 64
    assert events(peer)[0]["idToken"]["type"] == "eMAID"
    assert peer.session.charger.last_authorization == "Accepted, certificate Accepted"


def test_plug_and_charge_without_a_hash_sends_only_the_token(version: OcppVersion) -> None:
    peer = booted(version, auth_mode="plug_and_charge")
    start(peer, 500.0, tag="DESIMCCP0000014")
    assert "iso15118CertificateHashData" not in peer.payloads("Authorize")[0]


def test_reset_on_idle_waits_for_the_session(version: OcppVersion) -> None:
    peer = booted(version)
    start(peer, 100.0)
    assert peer.send([2, "x", "Reset", {"type": "OnIdle"}])[2] == {"status": "Scheduled"}
    assert peer.session.reboot is None
    peer.advance(120)
    assert peer.session.reboot is not None
    idle = booted(version)
    assert idle.send([2, "y", "Reset", {"type": "OnIdle"}])[2] == {"status": "Accepted"}
    assert idle.session.reboot is not None


def test_transaction_status_and_unlock(version: OcppVersion) -> None:
    peer = booted(version)
    assert peer.send([2, "q", "GetTransactionStatus", {}])[2] == {"messagesInQueue": False}
    start(peer, None)
    tx = events(peer)[0]["transactionInfo"]["transactionId"]
    status = peer.send([2, "t", "GetTransactionStatus", {"transactionId": tx}])[2]
    assert status == {"ongoingIndicator": True, "messagesInQueue": False}
    unlock = peer.send([2, "u", "UnlockConnector", {"evseId": 1, "connectorId": 1}])[2]
    assert unlock == {"status": "OngoingAuthorizedTransaction"}
    assert peer.send([2, "v", "UnlockConnector", {"evseId": 9, "connectorId": 1}])[2] == {
        "status": "UnknownConnector"
    }


def test_g01_the_station_as_a_whole_sends_no_status_notification(version: OcppVersion) -> None:
    """1.6 reports its charge point as connector 0; 2.x has no such message: a station-wide
    fault or ChangeAvailability shows in each EVSE's status only, as before."""
    peer = booted(version, connectors=2)
    c = peer.session.charger
    peer.session.act(lambda: c.set_error("GroundFailure", peer.now), peer.now)
    peer.pump()
    station = {"operationalStatus": "Inoperative"}
    peer.session.act(lambda: c.set_error("NoError", peer.now), peer.now)
    peer.pump()
    assert peer.send([2, "a", "ChangeAvailability", station])[2] == {"status": "Accepted"}
    trigger = {"requestedMessage": "StatusNotification"}
    assert peer.send([2, "t", "TriggerMessage", trigger])[2] == {"status": "Accepted"}
    got = [(s["evseId"], s["connectorStatus"]) for s in peer.payloads("StatusNotification")]
    assert got == [
        (1, "Available"), (2, "Available"),  # boot
        (1, "Faulted"), (2, "Faulted"),
        (1, "Available"), (2, "Available"),
        (1, "Unavailable"), (2, "Unavailable"),
        (1, "Unavailable"), (2, "Unavailable"),  # triggered
    ]  # fmt: skip


def pending(version: OcppVersion) -> Peer:
    """A station whose BootNotification the CSMS answered Pending (B02)."""
    peer = Peer(make_session(version=version))
    peer.answers["BootNotification"] = lambda p: {
        "status": "Pending",
        "currentTime": "2026-04-09T14:30:00Z",
        "interval": 300,
    }
    peer.connect()
    return peer


def test_f06_b02_a_triggered_boot_while_pending_has_reason_triggered(version: OcppVersion) -> None:
    peer = pending(version)
    trigger = {"requestedMessage": "BootNotification"}
    assert peer.send([2, "t", "TriggerMessage", trigger])[2] == {"status": "Accepted"}
    assert [p["reason"] for p in peer.payloads("BootNotification")] == ["PowerUp", "Triggered"]
    peer.answers["BootNotification"] = lambda p: {
        "status": "Accepted",
        "currentTime": "2026-04-09T14:30:00Z",
        "interval": 300,
    }
    assert peer.send([2, "u", "TriggerMessage", trigger])[2] == {"status": "Accepted"}
    assert peer.session.charger.accepted
    # F06.FR.17: once accepted, a BootNotification is no longer triggered.
    assert peer.send([2, "v", "TriggerMessage", trigger])[2] == {"status": "Rejected"}
    assert [p["reason"] for p in peer.payloads("BootNotification")] == ["PowerUp"] + [
        "Triggered"
    ] * 2


def test_f06_a_transaction_event_trigger_without_a_transaction_is_rejected(
    version: OcppVersion,
) -> None:
    peer = booted(version, connectors=2)
    n = len(peer.calls)
    trigger: dict[str, Any] = {"requestedMessage": "TransactionEvent"}
    assert peer.send([2, "t", "TriggerMessage", trigger])[2] == {"status": "Rejected"}
    assert peer.calls[n:] == []
    start(peer, None)  # on EVSE 1
    n = len(peer.calls)
    trigger["evse"] = {"id": 2}
    assert peer.send([2, "u", "TriggerMessage", trigger])[2] == {"status": "Rejected"}
    assert peer.calls[n:] == []  # nothing is sent: no MeterValues, no event


def test_f06_fr_07_a_transaction_event_trigger_sends_updated_with_trigger(
    version: OcppVersion,
) -> None:
    peer = booted(version, connectors=2)
    start(peer, None)  # on EVSE 1
    started = events(peer)[0]
    tx = started["transactionInfo"]["transactionId"]
    for message_id, trigger in (
        ("t", {"requestedMessage": "TransactionEvent", "evse": {"id": 1}}),
        ("u", {"requestedMessage": "TransactionEvent"}),
    ):
        n = len(peer.calls)
        assert peer.send([2, message_id, "TriggerMessage", trigger])[2] == {"status": "Accepted"}
        assert [a for _, a, _ in peer.calls[n:]] == ["TransactionEvent"]
        event = peer.calls[-1][2]
        assert (event["eventType"], event["triggerReason"]) == ("Updated", "Trigger")
        assert event["transactionInfo"]["transactionId"] == tx
        assert {v["context"] for v in event["meterValue"][0]["sampledValue"]} == {"Trigger"}
    assert [e["seqNo"] for e in events(peer)] == [0, 1, 2]


def test_f06_fr_06_a_meter_values_trigger_sends_meter_values_in_a_transaction_too(
    version: OcppVersion,
) -> None:
    peer = booted(version, connectors=2)
    start(peer, None)  # on EVSE 1
    n = len(peer.calls)
    trigger: dict[str, Any] = {"requestedMessage": "MeterValues", "evse": {"id": 1}}
    assert peer.send([2, "t", "TriggerMessage", trigger])[2] == {"status": "Accepted"}
    assert [a for _, a, _ in peer.calls[n:]] == ["MeterValues"]
    values = peer.calls[-1][2]
    assert values["evseId"] == 1
    sampled = values["meterValue"][0]["sampledValue"]
    # AlignedDataCtrlr.Measurands (default: the energy register), context Trigger.
    assert [(v["measurand"], v["context"]) for v in sampled] == [
        ("Energy.Active.Import.Register", "Trigger")
    ]
    n = len(peer.calls)
    del trigger["evse"]
    assert peer.send([2, "u", "TriggerMessage", trigger])[2] == {"status": "Accepted"}
    assert [(a, p["evseId"]) for _, a, p in peer.calls[n:]] == [
        ("MeterValues", 1),
        ("MeterValues", 2),
    ]
    assert len(events(peer)) == 1  # the transaction saw only its Started event
    # Nothing to measure (an AC charger has no state of charge): nothing to send.
    item = {"component": {"name": "AlignedDataCtrlr"}, "variable": {"name": "Measurands"}}
    for value in ("", "SoC"):
        change = {"setVariableData": [{**item, "attributeValue": value}]}
        assert (
            peer.send([2, "s", "SetVariables", change])[2]["setVariableResult"][0][
                "attributeStatus"
            ]
            == "Accepted"
        )
        assert peer.send([2, "v", "TriggerMessage", trigger])[2] == {"status": "Rejected"}


def test_unsupported_and_unknown_requests(version: OcppVersion) -> None:
    peer = booted(version)
    assert peer.send([2, "a", "MakeCoffee", {}])[2] == "NotImplemented"
    assert peer.send([2, "b", "SetChargingProfile", {"evseId": 1, "chargingProfile": {}}])[2] in (
        "OccurrenceConstraintViolation",
        "NotSupported",
    )
    assert peer.send([2, "c", "Reset", {"type": "Warm"}])[2] == "PropertyConstraintViolation"
    assert peer.send([2, "d", "Reset"])[2] == "FormatViolation"


def test_unknown_message_types_per_version(version: OcppVersion) -> None:
    peer = booted(version)
    reply = peer.send([9, "z", "Whatever", {}])
    if version == OcppVersion.V201:
        assert reply[:3] == [4, "z", "MessageTypeNotSupported"]  # 2.0.1 part 4 §4.4
    else:
        assert reply == []  # 2.1 part 4 §4.1.3: ignored
    bad = peer.send("not json")
    assert bad[:3] == [4, "-1", "RpcFrameworkError"]


def test_21_send_frames_are_processed_without_a_reply() -> None:
    peer = booted(OcppVersion.V21)
    n = len(peer.calls)
    reply = peer.send([6, "s1", "TriggerMessage", {"requestedMessage": "Heartbeat"}])
    assert reply == []  # SEND gets no reply (2.1 part 4)
    assert peer.actions()[n:] == ["Heartbeat"]
    peer.send([5, "m1", "InternalError", "bad reply", {}])  # CALLRESULTERROR: logged, no crash
    assert peer.send([2, "ok", "ClearCache", {}])[2] == {"status": "Accepted"}


def test_21_dc_sessions_validate_against_the_21_schemas() -> None:
    peer = booted(OcppVersion.V21, charger_type=ChargerType.DC, max_power_kw=150)
    start(peer, 500.0)
    peer.advance(600, step=30)
    assert events(peer)[-1]["eventType"] == "Ended"  # every payload validated as 2.1


def test_21_requests_with_21_only_values() -> None:
    peer = booted(OcppVersion.V21)
    trig = {"requestedMessage": "CustomTrigger", "customTrigger": "x-vendor"}
    assert peer.send([2, "t", "TriggerMessage", trig])[2] == {"status": "NotImplemented"}
    assert peer.send([2, "u", "TriggerMessage", {"requestedMessage": "Heartbeat"}])[2] == {
        "status": "Accepted"
    }
    # The same 2.1-only value is a schema violation for a 2.0.1 station.
    peer201 = booted(OcppVersion.V201)
    assert peer201.send([2, "t", "TriggerMessage", trig])[:3] == [
        4,
        "t",
        "PropertyConstraintViolation",
    ]


def test_21_immediate_and_resume_reset() -> None:
    peer = booted(OcppVersion.V21)
    start(peer, None)
    busy = peer.send([2, "r1", "Reset", {"type": "ImmediateAndResume"}])
    assert busy[2] == {"status": "Rejected"}  # resuming a transaction is not simulated
    assert events(peer)[-1]["eventType"] != "Ended"
    peer.session.act(lambda: peer.session.charger.stop(None, StopReason.LOCAL, peer.now), peer.now)
    peer.advance(5)
    idle = peer.send([2, "r2", "Reset", {"type": "ImmediateAndResume"}])
    assert idle[2] == {"status": "Accepted"}
    assert peer.session.reboot is not None


@pytest.mark.parametrize("delivered_first", [False, True])
def test_21_transaction_limit_max_energy_is_confirmed_and_enforced(delivered_first: bool) -> None:
    peer = booted(OcppVersion.V21, meter_interval=10)
    limit = {"maxEnergy": 200.0, "maxTime": 7200}
    if not delivered_first:  # the limit comes with the answer to Started
        peer.answers["TransactionEvent"] = lambda p: (
            {"idTokenInfo": {"status": "Accepted"}, "transactionLimit": limit}
            if p["eventType"] == "Started"
            else {}
        )
    start(peer, None)  # no target of its own: it would charge until the EV is full
    if delivered_first:  # ... or with the answer to an Updated event, past 200 Wh
        while peer.session.charger.energy_wh(peer.now) < 250:
            peer.advance(10)
        peer.answers["TransactionEvent"] = lambda p: {"transactionLimit": limit}
        peer.advance(10)
    peer.advance(600)
    evs = events(peer)
    limit_set = [e for e in evs if e["triggerReason"] == "LimitSet"]
    assert len(limit_set) == 1
    assert limit_set[0]["transactionInfo"]["transactionLimit"] == limit
    ended = [e for e in evs if e["eventType"] == "Ended"]
    assert len(ended) == 1
    assert ended[0]["triggerReason"] == "EnergyLimitReached"
    assert ended[0]["transactionInfo"]["stoppedReason"] == "EnergyLimitReached"
    tx = [
        e
        for e in evs
        if e["transactionInfo"]["transactionId"] == evs[0]["transactionInfo"]["transactionId"]
    ]
    assert [e["seqNo"] for e in tx] == list(range(len(tx)))  # LimitSet keeps seqNo contiguous
    assert tx[-1] is ended[0]
    session_wh = ended[0]["meterValue"][0]["sampledValue"][0]["value"]
    if delivered_first:
        assert session_wh > 200.0  # already past the cap: it ends at once
    else:
        assert session_wh == pytest.approx(200.0)


def test_201_ignores_transaction_limits() -> None:
    peer = booted(OcppVersion.V201)
    start(peer, 100.0)
    peer.advance(120)
    assert all(e["triggerReason"] != "LimitSet" for e in events(peer))
