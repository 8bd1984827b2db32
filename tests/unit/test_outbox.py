"""The durable outbox and the state that survives a power cut, without sockets or a database.

``Disk`` plays the store: it applies what a session's journal says (as the runtime's journal
writer does) and hands it back to a new session after a "crash" (the old session is simply
dropped, as a kill -9 drops a process).
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest

from ocppsim.core.intents import StopReason
from ocppsim.core.model import OcppVersion
from ocppsim.protocol.outbox import Pacer
from ocppsim.protocol.session import Session
from tests.unit.ocpp_peer import Peer, make_session

V2 = [OcppVersion.V201, OcppVersion.V21]


@dataclass(frozen=True)
class Row:
    seq: int
    action: str
    payload: str
    ref: int | None
    attempts: int


@dataclass
class Disk:
    """One charger's journal as the store keeps it."""

    state: str | None = None
    rows: dict[int, Row] = field(default_factory=dict)
    writes: int = 0

    def write(self, session: Session, now: float) -> None:
        changes = session.take_journal(now)
        if changes is None:
            return
        for seq in changes.removed:
            self.rows.pop(seq, None)
        for out in changes.added:
            self.rows[out.seq] = Row(
                out.seq, out.action, orjson.dumps(out.stored).decode(), out.ref, out.attempts
            )
        for seq, attempts in changes.attempts.items():
            row = self.rows[seq]
            self.rows[seq] = Row(row.seq, row.action, row.payload, row.ref, attempts)
        self.state = changes.state
        self.writes += 1
        session.journal_written(changes, now)

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(r.payload) for _, r in sorted(self.rows.items())]


@dataclass
class DurablePeer(Peer):
    """A CSMS peer in front of a charger whose journal is written as the runtime would."""

    disk: Disk = field(default_factory=Disk)

    def pump(self) -> None:
        while True:
            self.disk.write(self.session, self.now)
            frames = self.session.data_to_send()
            if not frames:
                return
            for text in frames:
                self._on_frame(json.loads(text))

    def disconnect(self) -> None:
        self.session.disconnected(self.now)
        self.pump()


def durable(version: OcppVersion = OcppVersion.V16, **kwargs: Any) -> DurablePeer:
    peer = DurablePeer(make_session(version=version, journal=True, **kwargs))
    peer.connect()
    return peer


def after_power_cut(old: DurablePeer, *, seconds: float = 30.0, **kwargs: Any) -> DurablePeer:
    """The charger's process was killed: a new session from what the disk kept, later."""
    session = make_session(version=old.session.version, journal=True, **kwargs)
    peer = DurablePeer(session, now=old.now + seconds, disk=old.disk)
    peer.answers = old.answers
    session.restore(old.disk.state, list(old.disk.rows.values()), peer.now)
    return peer


def recorder(sent: list[float], peer: Peer) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """An answer that notes when the backend got the message."""

    def answer(_payload: dict[str, Any]) -> dict[str, Any]:
        sent.append(peer.now)
        return {}

    return answer


def stop(peer: Peer) -> None:
    c = peer.session.charger
    peer.session.act(lambda: c.stop(None, StopReason.LOCAL, peer.now), peer.now)
    peer.pump()


def start(peer: Peer, target_wh: float | None = None) -> None:
    c = peer.session.charger
    peer.session.act(lambda: c.start(None, "AABBCCDD", target_wh, peer.now), peer.now)
    peer.pump()


def test_1_6_s3_7_a_transaction_message_is_written_before_it_is_sent() -> None:
    peer = durable()
    c = peer.session.charger
    peer.session.act(lambda: c.start(None, "AABBCCDD", None, peer.now), peer.now)
    # Authorize is not transaction-related: it leaves at once; the StartTransaction that its
    # answer causes waits for the journal.
    while frames := peer.session.data_to_send():  # the backend answers, nothing is written
        for text in frames:
            peer._on_frame(json.loads(text))
    assert "Authorize" in peer.actions()
    assert "StartTransaction" not in peer.actions()
    assert [r.action for r in peer.disk.rows.values()] == []
    peer.disk.write(peer.session, peer.now)
    assert [r.action for r in peer.disk.rows.values()] == ["StartTransaction"]
    peer.pump()
    assert peer.actions().count("StartTransaction") == 1
    assert peer.disk.rows == {}  # answered: removed


def test_1_6_r7_a_stop_queued_offline_survives_a_kill_and_carries_the_transaction_id() -> None:
    peer = durable(meter_interval=60)
    start(peer)
    peer.advance(61)
    peer.disconnect()  # the backend goes away
    peer.advance(130)  # two MeterValues queue up offline
    c = peer.session.charger
    peer.session.act(lambda: c.stop(None, StopReason.LOCAL, peer.now), peer.now)
    peer.pump()
    assert [r.action for r in sorted(peer.disk.rows.values(), key=lambda r: r.seq)] == [
        "MeterValues",
        "MeterValues",
        "StopTransaction",
    ]
    before = peer.actions()
    back = after_power_cut(peer)
    back.connect()
    back.advance(5, step=0.05)
    replayed = back.actions()
    assert replayed[0] == "BootNotification"
    tx = [a for a in replayed if a in ("MeterValues", "StopTransaction")]
    assert tx == ["MeterValues", "MeterValues", "StopTransaction"]
    stop = back.payloads("StopTransaction")[0]
    assert stop["transactionId"] == 1000  # learned before the outage, kept across the kill
    assert stop["reason"] == "Local"
    assert all(p["transactionId"] == 1000 for p in back.payloads("MeterValues"))
    assert back.disk.rows == {}
    assert before.count("StopTransaction") == 0  # it was never sent before the kill


def test_1_6_r7_a_start_answered_only_after_the_restart_names_the_queued_stop() -> None:
    peer = durable()
    answers = peer.answers
    peer.answers = {**answers, "StartTransaction": lambda p: None}  # the backend falls silent
    start(peer)
    peer.disconnect()
    c = peer.session.charger
    peer.session.act(lambda: c.stop(None, StopReason.LOCAL, peer.now), peer.now)
    peer.pump()
    back = after_power_cut(peer)
    back.answers = answers
    back.connect()
    back.advance(5, step=0.05)
    started = [a for a in back.actions() if a in ("StartTransaction", "StopTransaction")]
    assert started == ["StartTransaction", "StopTransaction"]
    assert back.payloads("StopTransaction")[0]["transactionId"] == 1000


def test_1_6_a_transaction_running_at_a_power_cut_ends_with_power_loss() -> None:
    peer = durable(meter_interval=60)
    start(peer)
    peer.advance(125)
    last = peer.payloads("MeterValues")[-1]
    register = float(
        next(
            v["value"]
            for v in last["meterValue"][0]["sampledValue"]
            if v["measurand"] == "Energy.Active.Import.Register"
        )
    )
    back = after_power_cut(peer, seconds=600)
    back.connect()
    back.advance(5, step=0.05)
    stop = back.payloads("StopTransaction")[0]
    assert stop["reason"] == "PowerLoss"
    assert stop["transactionId"] == 1000
    assert stop["meterStop"] >= int(register)  # a register never goes back
    c = back.session.charger
    assert c.connectors[1].session is None  # the EV is gone after the cut
    assert c.energy_wh(back.now) >= register
    assert back.disk.rows == {}


@pytest.mark.parametrize("version", V2)
def test_e04_fr_04_after_a_power_cut_the_ended_event_goes_on_with_the_seq_no(
    version: OcppVersion,
) -> None:
    peer = durable(version, meter_interval=60)
    start(peer)
    peer.advance(125)
    events = peer.payloads("TransactionEvent")
    assert [e["seqNo"] for e in events] == [0, 1, 2]
    transaction_id = events[0]["transactionInfo"]["transactionId"]
    back = after_power_cut(peer, seconds=60)
    back.connect()
    back.advance(5, step=0.05)
    ended = back.payloads("TransactionEvent")
    assert len(ended) == 1
    assert ended[0]["eventType"] == "Ended"
    assert ended[0]["seqNo"] == 3
    assert ended[0]["transactionInfo"]["transactionId"] == transaction_id
    assert ended[0]["transactionInfo"]["stoppedReason"] == "PowerLoss"
    assert ended[0]["triggerReason"] == "AbnormalCondition"


@pytest.mark.parametrize("version", V2)
def test_e11_events_queued_offline_are_replayed_in_order_after_a_kill(
    version: OcppVersion,
) -> None:
    peer = durable(version, meter_interval=30)
    start(peer)
    peer.disconnect()
    peer.advance(95)
    queued = [p["seqNo"] for p in peer.disk.payloads()]
    assert queued == [1, 2, 3]
    back = after_power_cut(peer)
    back.connect()
    back.advance(5, step=0.05)
    events = back.payloads("TransactionEvent")
    seqs = [p["seqNo"] for p in events]
    assert seqs == [1, 2, 3, 4]  # the queued Updated events, then the Ended of the power cut
    # E04.FR.03 / E11.FR.02: the events that happened offline say so; the Ended of the power
    # cut is made at power-up, before the station is connected again: offline too.
    assert [p.get("offline", False) for p in events] == [True, True, True, True]
    assert back.payloads("TransactionEvent")[-1]["eventType"] == "Ended"


def test_a_retry_count_is_kept_across_a_kill() -> None:
    peer = durable()
    start(peer)
    peer.answers = {
        **peer.answers,
        "StopTransaction": lambda p: None,  # no answer: the attempt times out
    }
    c = peer.session.charger
    peer.session.act(lambda: c.stop(None, StopReason.LOCAL, peer.now), peer.now)
    peer.pump()
    peer.advance(31)  # the 30 s message timeout
    (row,) = peer.disk.rows.values()
    assert (row.action, row.attempts) == ("StopTransaction", 1)


def test_a_corrupt_stored_row_is_dropped_with_an_error_naming_the_charger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    peer = durable()
    start(peer)
    peer.disconnect()
    peer.advance(130)
    first = min(peer.disk.rows)
    peer.disk.rows[first] = Row(first, "MeterValues", "{not json", 1, 0)
    with caplog.at_level(logging.ERROR, logger="ocppsim.protocol"):
        back = after_power_cut(peer)
    assert any("CP-1" in r.getMessage() and "unreadable" in r.getMessage() for r in caplog.records)
    back.connect()
    back.advance(5, step=0.05)
    assert back.actions().count("MeterValues") == 1  # the other queued sample still goes
    assert back.disk.rows == {}


def test_an_unreadable_state_is_ignored_with_an_error(caplog: pytest.LogCaptureFixture) -> None:
    peer = durable()
    peer.disk.state = '{"version": "1.6", "charger": {"at": "yesterday"}}'
    with caplog.at_level(logging.ERROR, logger="ocppsim.protocol"):
        back = after_power_cut(peer)
    assert any("could not be restored" in r.getMessage() for r in caplog.records)
    back.connect()
    back.advance(5, step=0.05)
    assert back.actions()[0] == "BootNotification"


def test_messages_of_another_version_are_dropped_when_the_version_changed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    peer = durable()
    start(peer)
    peer.disconnect()
    peer.advance(130)
    assert peer.disk.rows
    session = make_session(version=OcppVersion.V201, journal=True)
    with caplog.at_level(logging.WARNING, logger="ocppsim.protocol"):
        session.restore(peer.disk.state, list(peer.disk.rows.values()), peer.now)
    back = DurablePeer(session, now=peer.now, disk=peer.disk)
    back.connect()
    back.advance(5, step=0.05)
    assert "TransactionEvent" not in back.actions()
    assert back.disk.rows == {}
    assert session.charger.energy_wh(back.now) > 0  # the registers carry over


def test_1_6_s4_9_a_fault_is_reported_as_faulted_from_power_up() -> None:
    peer = Peer(make_session(error_code="HighTemperature"))
    peer.connect()
    found = {
        p["connectorId"]: (p["status"], p["errorCode"]) for p in peer.payloads("StatusNotification")
    }
    # The charge point (connector 0) and its connector, Faulted with the code from the start.
    assert found == {0: ("Faulted", "HighTemperature"), 1: ("Faulted", "HighTemperature")}


@pytest.mark.parametrize("version", V2)
def test_g01_a_fault_is_reported_as_faulted_from_power_up(version: OcppVersion) -> None:
    peer = Peer(make_session(version=version, error_code="HighTemperature", connectors=2))
    peer.connect()
    assert [p["connectorStatus"] for p in peer.payloads("StatusNotification")] == [
        "Faulted",
        "Faulted",
    ]


def test_1_6_s5_2_an_inoperative_connector_stays_unavailable_after_a_power_cut() -> None:
    peer = durable(connectors=2)
    answer = peer.send([2, "ca", "ChangeAvailability", {"connectorId": 2, "type": "Inoperative"}])
    assert answer[2] == {"status": "Accepted"}
    back = after_power_cut(peer, connectors=2)
    back.connect()
    back.advance(5, step=0.05)
    statuses = {p["connectorId"]: p["status"] for p in back.payloads("StatusNotification")}
    assert statuses == {0: "Available", 1: "Available", 2: "Unavailable"}


def test_1_6_s5_2_a_scheduled_change_applies_after_a_power_cut() -> None:
    peer = durable()
    start(peer)
    answer = peer.send([2, "ca", "ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}])
    assert answer[2] == {"status": "Scheduled"}
    back = after_power_cut(peer)
    back.connect()
    back.advance(5, step=0.05)
    statuses = {p["connectorId"]: p["status"] for p in back.payloads("StatusNotification")}
    assert statuses == {0: "Unavailable", 1: "Unavailable"}  # its only connector: all of it


def test_a_backlog_is_replayed_paced_one_charger() -> None:
    peer = durable(meter_interval=10)
    start(peer)
    peer.disconnect()
    peer.advance(100, step=0.05)
    backlog = len(peer.disk.rows)
    assert backlog >= 9
    sent: list[float] = []
    peer.answers = {**peer.answers, "MeterValues": recorder(sent, peer)}
    peer.connect()
    peer.advance(3, step=0.01)
    assert len(sent) >= backlog  # (the session still charges: a new sample may follow)
    replay = sent[:backlog]
    gaps = [b - a for a, b in itertools.pairwise(replay)]
    assert min(gaps) >= 0.2 - 1e-9  # OCPPSIM_REPLAY_RATE's default: 5 a second


def test_a_shared_pacer_caps_the_replay_of_all_chargers() -> None:
    pacer = Pacer(4.0, burst=1.0)
    sent: list[float] = []
    peers = []
    for seed in (1, 2):
        session = make_session(journal=True, meter_interval=10, seed=seed)
        session.rpc.pacer = pacer
        peer = DurablePeer(session)
        peer.connect()
        start(peer)
        peer.disconnect()
        peer.advance(60, step=0.05)
        stop(peer)  # the backlog: 5 or 6 MeterValues and a StopTransaction each
        record = recorder(sent, peer)
        peer.answers = {**peer.answers, "MeterValues": record, "StopTransaction": record}
        peers.append(peer)
    backlog = sum(len(p.disk.rows) for p in peers)
    for peer in peers:
        peer.connect()
    end = peers[0].now + 6
    while peers[0].now < end:
        for peer in peers:
            peer.advance(0.01, step=0.01)
    assert len(sent) == backlog
    assert max(sent) - min(sent) >= (backlog - 1) / 4.0 - 0.05  # 4 a second over both


def test_1_6_s3_7_the_order_is_kept_while_a_start_waits_for_its_write() -> None:
    peer = durable()
    start(peer)
    order = [(a, p.get("status")) for _, a, p in peer.calls]
    assert order.index(("StartTransaction", None)) < order.index(("StatusNotification", "Charging"))
