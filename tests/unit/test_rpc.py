"""``protocol.rpc.Rpc`` on its own: no socket, no event loop, a manual clock (floats).

Test names use the rule numbers of ``rpc.py``'s own comments (R1 one outstanding CALL, R9
offline is not a failed attempt, R15 CALLERROR for bad input, R16 timeouts as deadlines, R20
crossing CALLs) and, for transaction messages, 1.6 §3.7.1 and 2.0.1 E13.FR.01-04 as cited there.
Bad frames follow OCPP-J 2.0.1/2.1 part 4 §4.2.3 (message id "-1").
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from ocppsim.protocol.common import Payload
from ocppsim.protocol.rpc import (
    CALL,
    CALLERROR,
    CALLRESULT,
    MAX_ID_LENGTH,
    CallError,
    Frame,
    Outgoing,
)
from tests.unit.rpc_backend import (
    DIALECTS,
    V21,
    V201,
    Backend,
    Call,
    answer,
    make_rpc,
    send,
    sent,
)

# ---------------------------------------------------------------------- our CALLs


def test_r1_one_outstanding_call_the_second_waits_for_the_first_answer() -> None:
    rpc, _ = make_rpc()
    first = send(rpc, Call("Heartbeat"))
    second = send(rpc, Call("StatusNotification", {"connectorId": 1}))
    assert sent(rpc) == [[CALL, "1", "Heartbeat", {}]]
    assert rpc.in_flight == "Heartbeat"
    assert answer(rpc, [CALLRESULT, "1", {"currentTime": "t"}], 1.0) == [
        [CALL, "2", "StatusNotification", {"connectorId": 1}]
    ]
    assert first.results == [({"currentTime": "t"}, 1.0)]
    assert rpc.in_flight == "StatusNotification"
    assert answer(rpc, [CALLRESULT, "2", {}], 2.0) == []
    assert second.results == [({}, 2.0)]
    assert rpc.in_flight is None


def test_r16_a_call_times_out_at_its_deadline() -> None:
    rpc, backend = make_rpc(message_timeout=30.0)
    assert rpc.next_deadline() == float("inf")
    call = send(rpc, Call("Heartbeat"), now=5.0)
    waiting = send(rpc, Call("DataTransfer", {"vendorId": "v"}), now=5.0)
    assert rpc.next_deadline() == 35.0
    rpc.on_timer(34.9)
    assert call.failures == []
    assert len(sent(rpc)) == 1
    rpc.on_timer(35.0)
    assert call.failures == [("no answer (timeout)", 35.0)]
    assert backend.answers == [("Heartbeat", 30.0, "timeout")]
    # The line is free again: the next CALL goes.
    assert sent(rpc) == [[CALL, "2", "DataTransfer", {"vendorId": "v"}]]
    assert rpc.next_deadline() == 65.0
    # A late answer to the timed-out CALL is ignored; the new CALL still waits.
    assert answer(rpc, [CALLRESULT, "1", {}], 36.0) == []
    assert call.results == []
    assert waiting.results == []
    assert rpc.in_flight == "DataTransfer"


def test_answers_are_matched_by_id_and_unknown_or_late_ids_are_ignored() -> None:
    rpc, backend = make_rpc()
    call = send(rpc, Call("Heartbeat"))
    sent(rpc)
    assert answer(rpc, [CALLRESULT, "99", {}], 1.0) == []
    assert answer(rpc, [CALLERROR, "98", "InternalError", "", {}], 1.0) == []
    assert (call.results, call.failures, rpc.in_flight) == ([], [], "Heartbeat")
    assert answer(rpc, [CALLRESULT, "1", {"currentTime": "t"}], 2.0) == []
    assert call.results == [({"currentTime": "t"}, 2.0)]
    # A second answer to the same id comes late: ignored.
    assert answer(rpc, [CALLRESULT, "1", {"again": True}], 3.0) == []
    assert answer(rpc, [CALLERROR, "1", "InternalError", "late", {}], 3.0) == []
    assert call.results == [({"currentTime": "t"}, 2.0)]
    assert call.failures == []
    assert backend.answers == [("Heartbeat", 2.0, "")]


def test_a_callerror_fails_the_call_with_its_code() -> None:
    rpc, backend = make_rpc()
    call = send(rpc, Call("DataTransfer", {"vendorId": "v"}))
    sent(rpc)
    assert answer(rpc, [CALLERROR, "1", "NotImplemented", "no such thing", {}], 4.0) == []
    assert call.failures == [("CALLERROR NotImplemented: no such thing", 4.0)]
    assert backend.answers == [("DataTransfer", 4.0, "NotImplemented")]
    assert rpc.in_flight is None


def test_an_answer_that_breaks_its_schema_or_is_no_object_fails_the_call() -> None:
    rpc, backend = make_rpc()
    bad = send(rpc, Call("Heartbeat"))
    not_object = send(rpc, Call("Heartbeat"))
    sent(rpc)
    answer(rpc, [CALLRESULT, "1", {"invalid": 1}], 1.0)
    assert bad.results == []
    assert bad.failures == [("invalid answer: breaks the answer schema", 1.0)]
    sent(rpc)
    answer(rpc, [CALLRESULT, "2", ["not", "an", "object"]], 2.0)
    assert not_object.failures == [("the answer is not a JSON object", 2.0)]
    assert [outcome for _, _, outcome in backend.answers] == ["invalid answer", "invalid answer"]


def test_a_payload_that_cannot_be_built_or_breaks_the_schema_is_not_sent() -> None:
    rpc, _ = make_rpc()
    broken = Call("Heartbeat")

    def build() -> Payload:
        raise LookupError("no transactionId yet")

    rpc.call(
        Outgoing(
            "Heartbeat", build, on_failure=lambda why, now: broken.failures.append((why, now))
        ),
        1.0,
    )
    invalid = send(rpc, Call("DataTransfer", {"invalid": True}), now=1.0)
    fine = send(rpc, Call("StatusNotification", {"connectorId": 0}), now=1.0)
    assert sent(rpc) == [[CALL, "1", "StatusNotification", {"connectorId": 0}]]
    assert broken.failures == [("not sent: no transactionId yet", 1.0)]
    assert invalid.failures == [("not sent: breaks the schema", 1.0)]
    assert fine.failures == []


def test_before_registration_only_priority_calls_go_out() -> None:
    rpc, _ = make_rpc(connect=False)
    rpc.registered = False
    rpc.on_connected(0.0)
    heartbeat = send(rpc, Call("Heartbeat"))
    tx = send(rpc, Call("StartTransaction", {"n": 1}, transactional=True))
    boot = send(rpc, Call("BootNotification", {"boot": 1}, priority=True))
    assert sent(rpc) == [[CALL, "1", "BootNotification", {"boot": 1}]]
    answer(rpc, [CALLRESULT, "1", {"status": "Pending"}], 1.0)
    assert boot.results == [({"status": "Pending"}, 1.0)]
    assert sent(rpc) == []
    assert rpc.next_deadline() == float("inf")  # queued transaction messages wait too
    rpc.registered = True
    rpc.pump(2.0)
    # Transaction messages go first once registered, then the others in order.
    assert sent(rpc) == [[CALL, "2", "StartTransaction", {"n": 1}]]
    assert answer(rpc, [CALLRESULT, "2", {}], 3.0) == [[CALL, "3", "Heartbeat", {}]]
    assert (heartbeat.failures, tx.failures) == ([], [])


def test_a_priority_call_goes_before_the_queued_ones() -> None:
    rpc, _ = make_rpc()
    send(rpc, Call("Heartbeat"))
    send(rpc, Call("DataTransfer", {"vendorId": "v"}))
    send(rpc, Call("BootNotification", priority=True))
    assert [m[2] for m in sent(rpc)] == ["Heartbeat"]
    assert [m[2] for m in answer(rpc, [CALLRESULT, "1", {}], 1.0)] == ["BootNotification"]


def test_offline_a_call_fails_at_once_but_a_transaction_message_is_queued() -> None:
    rpc, _ = make_rpc(connect=False)
    heartbeat = send(rpc, Call("Heartbeat"), now=1.0)
    tx = send(rpc, Call("StopTransaction", {"n": 1}, transactional=True), now=1.0)
    assert heartbeat.failures == [("offline", 1.0)]
    assert tx.failures == []
    assert rpc.pending() == 1
    assert sent(rpc) == []
    rpc.on_connected(2.0)
    assert sent(rpc) == [[CALL, "1", "StopTransaction", {"n": 1}]]


# ---------------------------------------------------------------------- transaction messages


def test_1_6_s3_7_1_e13_a_transaction_message_is_retried_with_growing_waits_then_dropped() -> None:
    """TransactionMessageAttempts tries, waiting interval x preceding attempts in between."""
    rpc, _ = make_rpc(tx_attempts=3, tx_interval=10.0, message_timeout=30.0)
    tx = send(rpc, Call("StopTransaction", {"n": 1}, transactional=True))
    later = send(rpc, Call("Heartbeat"))
    assert [m[1:3] for m in sent(rpc)] == [["1", "StopTransaction"]]
    # Not again before 1 + 10 x 1: meanwhile other messages may go.
    assert answer(rpc, [CALLERROR, "1", "InternalError", "try again", {}], 1.0) == [
        [CALL, "2", "Heartbeat", {}]
    ]
    assert answer(rpc, [CALLRESULT, "2", {}], 2.0) == []
    assert later.results == [({}, 2.0)]
    assert rpc.next_deadline() == 11.0
    assert rpc.pending() == 1
    rpc.on_timer(10.9)
    assert sent(rpc) == []
    rpc.on_timer(11.0)
    assert sent(rpc) == [[CALL, "3", "StopTransaction", {"n": 1}]]
    # A timeout counts as an attempt too: the next wait is 10 x 2.
    rpc.on_timer(41.0)
    assert rpc.next_deadline() == 61.0
    rpc.on_timer(61.0)
    assert sent(rpc) == [[CALL, "4", "StopTransaction", {"n": 1}]]
    assert tx.failures == []
    assert rpc.dropped == 0
    answer(rpc, [CALLERROR, "4", "InternalError", "still not", {}], 62.0)
    assert tx.failures == [("CALLERROR InternalError: still not; dropped after 3 attempts", 62.0)]
    assert rpc.dropped == 1
    assert rpc.pending() == 0
    assert rpc.next_deadline() == float("inf")


def test_r9_a_transaction_message_survives_a_disconnect_which_is_no_failed_attempt() -> None:
    rpc, _ = make_rpc(tx_attempts=2, tx_interval=10.0)
    tx = send(rpc, Call("StartTransaction", {"n": 1}, transactional=True))
    other = send(rpc, Call("Heartbeat"))
    sent(rpc)
    rpc.on_disconnected(1.0)
    assert tx.failures == []
    assert other.failures == [("connection lost", 1.0)]
    assert rpc.pending() == 1
    assert rpc.in_flight is None
    assert rpc.next_deadline() == float("inf")  # offline: nothing to wake for
    rpc.on_connected(5.0)
    assert sent(rpc) == [[CALL, "2", "StartTransaction", {"n": 1}]]
    # Still two attempts left: the disconnect did not count.
    answer(rpc, [CALLERROR, "2", "InternalError", "", {}], 6.0)
    assert tx.failures == []
    rpc.on_timer(16.0)
    assert sent(rpc) == [[CALL, "3", "StartTransaction", {"n": 1}]]
    answer(rpc, [CALLRESULT, "3", {"idTagInfo": {"status": "Accepted"}}], 17.0)
    assert tx.results == [({"idTagInfo": {"status": "Accepted"}}, 17.0)]
    assert rpc.pending() == 0


def test_on_disconnect_other_calls_in_flight_and_queued_fail_with_connection_lost() -> None:
    rpc, _ = make_rpc()
    flying = send(rpc, Call("Heartbeat"))
    queued = send(rpc, Call("DataTransfer", {"vendorId": "v"}))
    rpc.on_disconnected(3.0)
    assert flying.failures == [("connection lost", 3.0)]
    assert queued.failures == [("connection lost", 3.0)]
    rpc.on_connected(4.0)
    assert [m[2] for m in sent(rpc)] == ["Heartbeat"]  # sent before the disconnect; no more


# ---------------------------------------------------------------------- the backend's CALLs


def test_an_incoming_call_is_answered_with_the_handlers_result() -> None:
    rpc, backend = make_rpc()
    assert answer(rpc, [CALL, "a1", "GetConfiguration", {"key": []}], 7.0) == [
        [CALLRESULT, "a1", {"echo": {"key": []}}]
    ]
    assert backend.handled == [("GetConfiguration", {"key": []}, 7.0)]


def test_r20_crossing_calls_the_backends_call_is_answered_while_ours_waits() -> None:
    rpc, _ = make_rpc()
    ours = send(rpc, Call("Heartbeat"))
    sent(rpc)
    assert answer(rpc, [CALL, "b1", "TriggerMessage", {"requestedMessage": "X"}], 1.0) == [
        [CALLRESULT, "b1", {"echo": {"requestedMessage": "X"}}]
    ]
    assert rpc.in_flight == "Heartbeat"
    answer(rpc, [CALLRESULT, "1", {}], 2.0)
    assert ours.results == [({}, 2.0)]


def test_r15_a_handlers_call_error_becomes_a_callerror_with_its_code_and_details() -> None:
    rpc, _ = make_rpc()
    assert answer(rpc, [CALL, "c1", "Refuse", {}], 1.0) == [
        [CALLERROR, "c1", "NotSupported", "refused on purpose", {"why": "test"}]
    ]


def test_r15_a_payload_refused_by_the_validator_gets_its_error_code() -> None:
    rpc, backend = make_rpc()
    assert answer(rpc, [CALL, "c2", "Reset", {"wrong": 1}], 1.0) == [
        [CALLERROR, "c2", "TypeConstraintViolation", "wrong type", {}]
    ]
    assert backend.handled == []


def test_a_handler_crash_becomes_an_internal_error() -> None:
    rpc, _ = make_rpc(V201)
    assert answer(rpc, [CALL, "c3", "Crash", {}], 1.0) == [
        [CALLERROR, "c3", "InternalError", "the charger failed", {}]
    ]


@pytest.mark.parametrize("version", list(DIALECTS))
@pytest.mark.parametrize(
    "frame",
    [
        [CALL, "d1", "Reset"],
        [CALL, "d1", "Reset", [1]],
        [CALL, "d1", 7, {}],
        [CALL, "d1", "Reset", {}, "extra"],
    ],
    ids=["no payload", "payload not an object", "action not a string", "five elements"],
)
def test_r15_a_malformed_call_gets_the_dialects_formation_violation(
    version: str, frame: list[Any]
) -> None:
    dialect = DIALECTS[version]
    rpc, backend = make_rpc(dialect)
    [reply] = answer(rpc, frame, 1.0)
    assert reply == [CALLERROR, "d1", dialect.formation, "a CALL is [2, id, action, {payload}]", {}]
    assert backend.handled == []


def test_a_long_description_is_cut_to_255_characters() -> None:
    backend = Backend()
    rpc, _ = make_rpc(backend=backend)

    def refuse(action: str, payload: Payload, now: float) -> Payload:
        raise CallError("GenericError", "x" * 300)

    rpc.handle_call = refuse
    [reply] = answer(rpc, [CALL, "e1", "Reset", {}], 1.0)
    assert reply[:3] == [CALLERROR, "e1", "GenericError"]
    assert reply[3] == "x" * 255


# ---------------------------------------------------------------------- unknown and bad frames


@pytest.mark.parametrize(("version", "replies"), [("1.6", False), ("2.0.1", True), ("2.1", False)])
def test_unknown_message_types_get_message_type_not_supported_only_in_2_0_1(
    version: str, replies: bool
) -> None:
    rpc, _ = make_rpc(DIALECTS[version])
    expected = [[CALLERROR, "f1", "MessageTypeNotSupported", "message type 9 is not supported", {}]]
    assert answer(rpc, [9, "f1", {}], 1.0) == (expected if replies else [])


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_send_and_callresulterror_are_unknown_types_before_2_1(version: str) -> None:
    rpc, backend = make_rpc(DIALECTS[version])
    send_frame = answer(rpc, [6, "g1", "NotifyPeriodicEventStream", {}], 1.0)
    result_error = answer(rpc, [5, "g2", "InternalError", "", {}], 1.0)
    assert backend.handled == []
    if DIALECTS[version].reply_unknown_type:
        assert [m[:3] for m in send_frame + result_error] == [
            [CALLERROR, "g1", "MessageTypeNotSupported"],
            [CALLERROR, "g2", "MessageTypeNotSupported"],
        ]
    else:
        assert send_frame + result_error == []


def test_2_1_a_send_frame_is_handled_and_never_answered() -> None:
    rpc, backend = make_rpc(V21)
    assert answer(rpc, [6, "h1", "NotifyPeriodicEventStream", {"id": 1}], 1.0) == []
    assert backend.handled == [("NotifyPeriodicEventStream", {"id": 1}, 1.0)]
    # Not even when it is malformed or its handler fails.
    assert answer(rpc, [6, "h2", "NotifyPeriodicEventStream"], 1.0) == []
    assert answer(rpc, [6, "h3", "Crash", {}], 1.0) == []
    assert answer(rpc, [6, "h4", "Refuse", {}], 1.0) == []


def test_2_1_a_callresulterror_is_recorded_and_logged_not_answered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rpc, _ = make_rpc(V21)
    with caplog.at_level(logging.WARNING, logger="ocppsim.protocol"):
        assert answer(rpc, [5, "i1", "FormatViolation", "your reply", {}], 1.0) == []
    assert "i1" in caplog.text
    assert "FormatViolation" in caplog.text
    [frame] = rpc.take_frames()
    assert (frame.direction, frame.kind, frame.message_id) == ("received", 5, "i1")


BAD_FRAMES = [
    ("not json", "not valid JSON"),
    ('{"a": 1}', "not an OCPP-J message array"),
    ('[2, "x"]', "not an OCPP-J message array"),
    ('["2", "x", "Reset", {}]', "not an OCPP-J message array"),
    ('[2, 17, "Reset", {}]', "unreadable message id"),
    ('[2, "", "Reset", {}]', "unreadable message id"),
    (json.dumps([2, "x" * (MAX_ID_LENGTH + 1), "Reset", {}]), "unreadable message id"),
]


@pytest.mark.parametrize(("text", "why"), BAD_FRAMES)
@pytest.mark.parametrize("version", list(DIALECTS))
def test_a_bad_frame_gets_rpc_framework_error_with_id_minus_1_in_2_x_and_nothing_in_1_6(
    version: str, text: str, why: str
) -> None:
    rpc, backend = make_rpc(DIALECTS[version])
    rpc.receive(text, 1.0)
    replies = sent(rpc)
    if version == "1.6":  # OCPP-J 1.6 has no way to answer a frame whose id is unreadable
        assert replies == []
    else:  # 2.0.1/2.1 part 4 §4.2.3
        assert replies == [[CALLERROR, "-1", "RpcFrameworkError", why, {}]]
    assert backend.handled == []
    assert rpc.frames[0].direction == "received"
    assert rpc.frames[0].kind == 0


def test_an_id_of_36_characters_is_accepted_and_37_refused() -> None:
    rpc, _ = make_rpc(V201)
    longest = "x" * MAX_ID_LENGTH
    assert MAX_ID_LENGTH == 36
    assert answer(rpc, [CALL, longest, "Reset", {}], 1.0) == [[CALLRESULT, longest, {"echo": {}}]]
    assert answer(rpc, [CALL, longest + "y", "Reset", {}], 1.0)[0][1] == "-1"


# ---------------------------------------------------------------------- frames over the size limit

TOO_BIG = "frame of 2000000 bytes exceeds the maximum of 1048576"


@pytest.mark.parametrize("version", list(DIALECTS))
@pytest.mark.parametrize(
    "head",
    [
        '[2,"o1","SetVariables",{"setVariableData":[{"compo',
        ' [ 2 ,\n  "o1" ,\n  "SetVariables" ,\n  {',  # pretty-printed
    ],
    ids=["compact", "pretty"],
)
def test_1_6j_4_2_3_and_2_x_part4_4_3_an_oversized_call_gets_formation_or_format_violation(
    version: str, head: str
) -> None:
    """Only the head of the frame was read: the CALL is never executed, it is refused by id
    with the dialect's "syntactically incorrect" code and the reason."""
    dialect = DIALECTS[version]
    rpc, backend = make_rpc(dialect)
    assert rpc.receive_oversized(head, TOO_BIG, 1.0) is True
    assert sent(rpc) == [[CALLERROR, "o1", dialect.formation, TOO_BIG, {}]]
    assert backend.handled == []
    received, reply = rpc.take_frames()
    assert (received.direction, received.kind, received.message_id, received.action) == (
        "received",
        0,
        "o1",
        "SetVariables",
    )
    assert TOO_BIG in received.payload
    assert "setVariableData" not in received.payload  # the envelope only, never the payload
    assert (reply.kind, reply.message_id, reply.action) == (CALLERROR, "o1", "SetVariables")
    assert (rpc.frames_received, rpc.frames_sent) == (1, 1)


@pytest.mark.parametrize("version", list(DIALECTS))
@pytest.mark.parametrize(
    "head",
    [
        '[3,"o2",{"blob":"',  # a CALLRESULT: nothing to answer it with
        '[4,"o2","GenericError","',
        '[2,"o\\"2","Reset",{',  # an id with an escape is not read
        '[2,"' + "x" * 37 + '","Reset",{',  # an id longer than 36 characters
        '{"not": "an array"',
        "\ufffd\ufffd garbage",
        '[2,"o2"',  # cut before the action
    ],
)
def test_an_oversized_frame_without_a_readable_call_is_left_to_the_caller(
    version: str, head: str
) -> None:
    rpc, backend = make_rpc(DIALECTS[version])
    assert rpc.receive_oversized(head, TOO_BIG, 1.0) is False  # the caller closes with 1009
    assert sent(rpc) == []
    assert backend.handled == []
    [received] = rpc.frames
    assert (received.kind, received.message_id) == (0, "")


@pytest.mark.parametrize(("version", "taken"), [("1.6", False), ("2.0.1", False), ("2.1", True)])
def test_an_oversized_send_is_dropped_unanswered_in_2_1(version: str, taken: bool) -> None:
    rpc, backend = make_rpc(DIALECTS[version])
    head = '[6,"s1","NotifyPeriodicEventStream",{"data":['
    assert rpc.receive_oversized(head, TOO_BIG, 1.0) is taken
    assert sent(rpc) == []
    assert backend.handled == []


# ---------------------------------------------------------------------- records and counters


def test_frames_are_recorded_with_their_action_when_record_frames_is_on() -> None:
    rpc, _ = make_rpc()
    send(rpc, Call("Heartbeat"), now=1.0)
    answer(rpc, [CALL, "j1", "Reset", {"type": "Soft"}], 2.0)
    answer(rpc, [CALLRESULT, "1", {"currentTime": "t"}], 3.0)
    answer(rpc, [CALLRESULT, "zz", {}], 4.0)
    assert rpc.take_frames() == [
        Frame("sent", CALL, "1", "Heartbeat", {}, 1.0),
        Frame("received", CALL, "j1", "Reset", {"type": "Soft"}, 2.0),
        Frame("sent", CALLRESULT, "j1", "Reset", {"echo": {"type": "Soft"}}, 2.0),
        Frame("received", CALLRESULT, "1", "Heartbeat", {"currentTime": "t"}, 3.0),
        Frame("received", CALLRESULT, "zz", "", {}, 4.0),
    ]
    assert rpc.take_frames() == []
    assert (rpc.frames_sent, rpc.frames_received) == (2, 3)


def test_no_frame_is_recorded_without_record_frames() -> None:
    rpc, _ = make_rpc(V201, record_frames=False)
    send(rpc, Call("Heartbeat"))
    answer(rpc, [CALL, "k1", "Reset", {}], 1.0)
    answer(rpc, [CALLRESULT, "1", {}], 1.0)
    rpc.receive("garbage", 2.0)
    answer(rpc, [9, "k2", {}], 3.0)
    assert rpc.frames == []
    assert (rpc.frames_sent, rpc.frames_received) == (4, 4)  # counted all the same
