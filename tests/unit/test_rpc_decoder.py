"""The frame decoder (``Rpc.receive``) under arbitrary input, with Hypothesis.

Whatever a backend sends, ``receive`` never raises, and the only frames it writes in reply are
well-formed OCPP-J: a CALLRESULT ``[3, id, {..}]`` to a CALL, or a CALLERROR
``[4, id, code, description (<= 255 characters), {..}]``. The id is the one received, or "-1"
when it cannot be read, which only 2.0.1 and 2.1 answer (part 4 §4.2.3): OCPP-J 1.6 has no way
to answer such a frame. Besides plain text and JSON, the strategies build frames of the right
shape with wrong types, so that every branch of the decoder is reached.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocppsim.protocol.rpc import CALL, CALLERROR, CALLRESULT, MAX_ID_LENGTH, SEND, Rpc
from tests.unit.rpc_backend import DIALECTS, Call, make_rpc, send, sent

FAST = settings(max_examples=300, deadline=None)

JSON: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
#: Message ids: good ones (ours is "1"), the longest allowed, too long, empty, not strings.
IDS = st.one_of(
    st.sampled_from(["1", "2", "b1", "x" * MAX_ID_LENGTH, "x" * (MAX_ID_LENGTH + 1), "", "-1"]),
    st.text(max_size=40),
    JSON,
)
#: Message types: the defined ones, unknown ones, and JSON that is no integer.
KINDS = st.one_of(st.integers(min_value=-1, max_value=9), st.sampled_from([2.0, "2", True]), JSON)
#: Actions the test backend handles, refuses ("Refuse", "Invalid") or crashes on ("Crash").
ACTIONS = st.one_of(st.sampled_from(["Reset", "Refuse", "Crash", "Heartbeat"]), JSON)
PAYLOADS = st.one_of(
    st.dictionaries(st.sampled_from(["a", "wrong", "invalid"]), JSON, max_size=3), JSON
)

CALLS = st.tuples(st.just(CALL), IDS, ACTIONS, PAYLOADS).map(list)
SENDS = st.tuples(st.just(SEND), IDS, ACTIONS, PAYLOADS).map(list)
RESULTS = st.tuples(st.just(CALLRESULT), IDS, PAYLOADS).map(list)
ERRORS = st.builds(
    lambda kind, message_id, rest: [kind, message_id, *rest],
    st.sampled_from([CALLERROR, 5]),
    IDS,
    st.lists(JSON, max_size=4),
)
#: Right length or thereabouts, any type in any place.
SHAPED = st.builds(
    lambda kind, message_id, rest: [kind, message_id, *rest],
    KINDS,
    IDS,
    st.lists(st.one_of(ACTIONS, PAYLOADS), max_size=4),
)
FRAMES = st.one_of(CALLS, SENDS, RESULTS, ERRORS, SHAPED, JSON)
TEXTS = st.one_of(st.text(), FRAMES.map(json.dumps))

VERSIONS = st.sampled_from(sorted(DIALECTS))


def _check_reply(version: str, received: Any, reply: Any) -> None:
    """One frame written in reply to ``received`` is well-formed OCPP-J for ``version``."""
    assert isinstance(reply, list)
    readable = (
        isinstance(received, list)
        and len(received) >= 3
        and isinstance(received[0], int)
        and isinstance(received[1], str)
        and 0 < len(received[1]) <= MAX_ID_LENGTH
    )
    if readable:
        assert reply[1] == received[1]
    else:
        assert version != "1.6"
        assert reply[1] == "-1"
    if reply[0] == CALLRESULT:
        assert readable
        assert received[0] == CALL
        assert len(reply) == 3
        assert isinstance(reply[2], dict)
        return
    assert reply[0] == CALLERROR
    assert len(reply) == 5
    code, description, details = reply[2:]
    assert isinstance(code, str)
    assert code
    assert isinstance(description, str)
    assert len(description) <= 255
    assert isinstance(details, dict)


def _receive(version: str, text: str) -> tuple[Rpc, list[list[Any]]]:
    """A fresh connection with one CALL of ours waiting (id "1"), fed ``text``."""
    rpc, _ = make_rpc(DIALECTS[version])
    send(rpc, Call("Heartbeat"))
    send(rpc, Call("DataTransfer", {"vendorId": "v"}))
    sent(rpc)
    rpc.receive(text, 1.0)
    return rpc, sent(rpc)


def _decoded(text: str) -> Any:
    """The frame as the decoder reads it (orjson, as ``Rpc`` does); None if it cannot."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


@FAST
@given(version=VERSIONS, text=TEXTS)
def test_receive_never_raises_and_replies_only_valid_ocpp_j(version: str, text: str) -> None:
    rpc, written = _receive(version, text)
    received = _decoded(text)
    # Our own waiting CALL may go once the one in flight is answered; everything else written
    # is the one reply to the frame.
    replies = [m for m in written if m[0] != CALL]
    assert [m[1:3] for m in written if m[0] == CALL] in ([], [["2", "DataTransfer"]])
    assert len(replies) <= 1
    for reply in replies:
        _check_reply(version, received, reply)
    assert rpc.frames_received == 1


@FAST
@given(version=VERSIONS, frame=FRAMES)
def test_only_a_call_gets_a_callresult_and_2_1_never_answers_send(version: str, frame: Any) -> None:
    _, written = _receive(version, json.dumps(frame))
    kinds = [m[0] for m in written if m[0] != CALL]
    typed = isinstance(frame, list) and bool(frame) and type(frame[0]) is int
    if not (typed and frame[0] == CALL):
        assert CALLRESULT not in kinds
    if version == "2.1" and typed and frame[0] in (SEND, 5):
        readable = (
            len(frame) >= 3 and isinstance(frame[1], str) and 0 < len(frame[1]) <= MAX_ID_LENGTH
        )
        assert kinds == ([] if readable else [CALLERROR])


@pytest.mark.parametrize("version", sorted(DIALECTS))
def test_surrogates_and_huge_numbers_are_bad_frames_not_crashes(version: str) -> None:
    for text in ['[2, "\\ud800", "Reset", {}]', "[1e400]", "[2, " + "[" * 2000 + "]" * 2001]:
        _, written = _receive(version, text)
        assert [m[:3] for m in written] == (
            [] if version == "1.6" else [[CALLERROR, "-1", "RpcFrameworkError"]]
        )
