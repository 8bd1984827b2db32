"""OCPP-J RPC framing, without I/O (OCPP-J 1.6 §4; 2.0.1 and 2.1 part 4 §4).

Owns the rules every version shares: message ids, one outstanding CALL per connection (R1),
CALL timeouts as deadlines (R16), CALLERROR replies to bad input (R15), and the queue and retry
rule of transaction-related messages (1.6 §3.7; 2.0.1 E13). Incoming CALLs are answered at once,
also while our own CALL waits for its answer, so crossing CALLs complete (R20).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from ocppsim.protocol.common import Payload
from ocppsim.protocol.outbox import Journal, Pacer

CALL, CALLRESULT, CALLERROR, CALLRESULTERROR, SEND = 2, 3, 4, 5, 6
MAX_ID_LENGTH = 36
#: The beginning of a CALL or SEND as OCPP-J frames it, ``[2, "<id>", "<action>",``: all that
#: is read of a frame over the size limit. An id with escapes is taken as unreadable.
_CALL_START = re.compile(r'\s*\[\s*([26])\s*,\s*"([^"\\]{1,36})"\s*,\s*"([A-Za-z0-9]{1,64})"\s*,')
#: How much of an oversized frame's beginning the message log keeps.
_OVERSIZED_SHOWN = 120

log = logging.getLogger("ocppsim.protocol")


class CallError(Exception):
    """Raised by a CALL handler: becomes a CALLERROR with ``code``."""

    def __init__(self, code: str, description: str = "", details: Payload | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.details = details or {}


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between versions at the RPC level."""

    formation: str  # 1.6 "FormationViolation", 2.x "FormatViolation"
    occurrence: str  # 1.6 keeps its misspelling "OccurenceConstraintViolation"
    reply_unknown_type: bool  # 2.0.1: CALLERROR MessageTypeNotSupported; 1.6 and 2.1 ignore
    has_send: bool  # 2.1 SEND and CALLRESULTERROR frames

    def schema_error_code(self, kind: str) -> str:
        if kind in ("Required", "AdditionalProperties", "MinItems", "MaxItems", "Dependencies"):
            return self.occurrence
        if kind == "Type":
            return "TypeConstraintViolation"
        if kind in ("Enum", "MaxLength", "MinLength", "Pattern", "Minimum", "Maximum", "Format"):
            return "PropertyConstraintViolation"
        return self.formation


@dataclass(slots=True)
class Outgoing:
    """A CALL waiting to be sent. ``build`` makes the payload when it leaves the queue, so a
    queued message can carry facts learned meanwhile (1.6 transactionId, reference R7)."""

    action: str
    build: Callable[[], Payload]
    on_result: Callable[[Payload, float], None] | None = None
    on_failure: Callable[[str, float], None] | None = None
    transactional: bool = False
    priority: bool = False  # may go before the charger is registered (BootNotification)
    attempts: int = 0
    not_before: float = 0.0
    #: Transaction messages: the charger's session they belong to, and the payload as the
    #: journal stores it (``build`` may add what was learned later: 1.6 transactionId).
    ref: int | None = None
    stored: Payload | None = None
    #: The journal's number (0: not journaled) and whether its row is committed: a journaled
    #: message leaves only once it is (written before sent).
    seq: int = 0
    saved: bool = True


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame for the message log: what went over the wire, parsed."""

    direction: str  # "sent" | "received"
    kind: int  # CALL, CALLRESULT, CALLERROR, ...
    message_id: str
    action: str  # for replies: the action of the CALL they answer
    payload: Any
    timestamp: float


@dataclass(slots=True)
class _InFlight:
    message_id: str
    out: Outgoing
    deadline: float
    sent_at: float


Handler = Callable[[str, Payload, float], Payload]
Validator = Callable[[str, Payload], None]
#: Told of every answered or timed-out CALL: (action, seconds since it was sent, outcome), the
#: outcome "" for a valid CALLRESULT, "invalid answer" for one that breaks its schema, the error
#: code for a CALLERROR, "timeout" without an answer.
AnswerObserver = Callable[[str, float, str], None]


@dataclass(slots=True)
class Rpc:
    """One charger's side of an OCPP-J connection."""

    dialect: Dialect
    new_id: Callable[[], str]
    handle_call: Handler
    check_outgoing: Validator
    check_incoming: Callable[[str, Payload], None]
    check_result: Callable[[str, Payload], None]
    message_timeout: float = 30.0
    tx_attempts: int = 3
    tx_interval: float = 10.0
    record_frames: bool = True
    on_answer: AnswerObserver | None = None
    #: Who this is, for the server's log (the chargepoint id).
    label: str = ""
    #: Persistent chargers: the outbox changes the store must write (protocol/outbox.py).
    journal: Journal | None = None
    #: The store failed to write the journal (until a write succeeds again).
    journal_stalled: bool = False
    #: A backlog of transaction messages (queued when the connection came up) leaves at most
    #: one per ``replay_interval`` seconds, and within the ``pacer``'s rate if one is shared.
    replay_interval: float = 0.2
    pacer: Pacer | None = None
    _replay_left: int = 0
    _replay_at: float = 0.0
    registered: bool = False
    connected: bool = False
    frames: list[Frame] = field(default_factory=list)
    dropped: int = 0
    frames_sent: int = 0
    frames_received: int = 0
    # Lists, not deques: they hold a message or two, and an empty deque costs 600 bytes,
    # which a 10,000-charger load test pays twice per charger.
    _queue: list[Outgoing] = field(default_factory=list)
    _tx: list[Outgoing] = field(default_factory=list)
    _in_flight: _InFlight | None = None
    _out: list[str] = field(default_factory=list)
    _actions_in: dict[str, str] = field(default_factory=dict)

    # ------------------------------------------------------------------ outgoing

    def call(self, out: Outgoing, now: float) -> None:
        """Queue a CALL; transaction-related ones keep their order and survive offline periods."""
        if out.transactional:
            if self.journal is not None:
                if out.stored is None:
                    out.stored = out.build()
                self.journal.add(out)
            self._tx.append(out)
        elif self.connected:
            if out.priority:
                self._queue.insert(0, out)
            else:
                self._queue.append(out)
        else:
            self._fail(out, "offline", now)
        self.pump(now)

    def pump(self, now: float) -> None:
        """Send the next CALL if none is outstanding (R1)."""
        while self.connected and self._in_flight is None:
            out = self._next(now)
            if out is None:
                return
            try:
                payload = out.build()
                self.check_outgoing(out.action, payload)
            except Exception as exc:  # a bug of ours, or a corrupt stored row: never send it
                log.exception("%s: not sending %s: %s", self.label, out.action, exc)
                if out.transactional and self.journal is not None:
                    self.journal.remove(out)
                self._fail(out, f"not sent: {exc}", now)
                continue
            message_id = self.new_id()
            self._in_flight = _InFlight(message_id, out, now + self.message_timeout, now)
            self._emit([CALL, message_id, out.action, payload], "sent", out.action, now)

    def _next(self, now: float) -> Outgoing | None:
        if not self.registered:
            for out in self._queue:
                if out.priority:
                    self._queue.remove(out)
                    return out
            return None
        if self._tx and self._tx_ready(now):
            if self._replay_left > 0:
                self._replay_left -= 1
                self._replay_at = now + self.replay_interval
            return self._tx.pop(0)
        if self._queue and not (self._tx and not self._tx[0].saved and not self.journal_stalled):
            # A transaction message waiting for its write (a few ms) keeps the order the
            # charger made its messages in: StartTransaction before StatusNotification
            # Charging. While the store fails, nothing else is held back (Heartbeats go on).
            return self._queue.pop(0)
        return None

    def _tx_ready(self, now: float) -> bool:
        """May the first transaction message leave now? Committed (if journaled), its retry
        wait over, and a replayed backlog's pace respected (protocol/outbox.py)."""
        first = self._tx[0]
        if not first.saved or first.not_before > now:
            return False
        if self._replay_left > 0:
            if now < self._replay_at:
                return False
            if self.pacer is not None:
                wait = self.pacer.take(now)
                if wait > 0:
                    self._replay_at = now + wait
                    return False
        return True

    def next_deadline(self) -> float:
        if self._in_flight is not None:
            return self._in_flight.deadline
        if self.connected and self.registered and self._tx and self._tx[0].saved:
            first = self._tx[0].not_before
            return max(first, self._replay_at) if self._replay_left > 0 else first
        return float("inf")

    def on_timer(self, now: float) -> None:
        flight = self._in_flight
        if flight is not None and flight.deadline <= now:
            self._in_flight = None
            log.info(
                "%s %s got no answer in %.0f s",
                flight.out.action,
                flight.message_id,
                self.message_timeout,
            )
            if self.on_answer is not None:
                self.on_answer(flight.out.action, now - flight.sent_at, "timeout")
            self._failed_attempt(flight.out, "no answer (timeout)", now)
        self.pump(now)

    def _failed_attempt(self, out: Outgoing, why: str, now: float) -> None:
        """Transaction messages are tried TransactionMessageAttempts times, waiting
        interval x preceding transmissions in between, then dropped (1.6 §3.7.1, E13.FR.01-04)."""
        if not out.transactional:
            self._fail(out, why, now)
            return
        out.attempts += 1
        if out.attempts < self.tx_attempts:
            out.not_before = now + self.tx_interval * out.attempts
            self._tx.insert(0, out)
            if self.journal is not None:
                self.journal.retry(out)
        else:
            self.dropped += 1
            if self.journal is not None:
                self.journal.remove(out)
            self._fail(out, f"{why}; dropped after {out.attempts} attempts", now)

    def _fail(self, out: Outgoing, why: str, now: float) -> None:
        if out.on_failure is not None:
            out.on_failure(why, now)

    def pending(self) -> int:
        """Transaction messages not yet acknowledged (queued or in flight)."""
        flight = self._in_flight
        return len(self._tx) + (1 if flight is not None and flight.out.transactional else 0)

    # ------------------------------------------------------------------ connection

    def on_connected(self, now: float) -> None:
        self.connected = True
        self._replay_left = len(self._tx)  # what queued up meanwhile is a backlog: paced
        self.pump(now)

    def restore(self, out: Outgoing) -> None:
        """Queue a transaction message read back from the store (already written)."""
        self._tx.append(out)
        if self.journal is not None:
            self.journal.next_seq = max(self.journal.next_seq, out.seq + 1)

    def on_disconnected(self, now: float) -> None:
        """Offline is not a failed attempt (reference R9): the outstanding transaction message
        goes back to the front of its queue; other messages fail at once."""
        self.connected = False
        flight, self._in_flight = self._in_flight, None
        if flight is not None:
            if flight.out.transactional:
                self._tx.insert(0, flight.out)
            else:
                self._fail(flight.out, "connection lost", now)
        queued, self._queue = self._queue, []
        for out in queued:
            self._fail(out, "connection lost", now)

    def data_to_send(self) -> list[str]:
        out, self._out = self._out, []
        return out

    @property
    def in_flight(self) -> str | None:
        """The action of the CALL awaiting its answer, if any."""
        return None if self._in_flight is None else self._in_flight.out.action

    def take_frames(self) -> list[Frame]:
        frames, self.frames = self.frames, []
        return frames

    # ------------------------------------------------------------------ incoming

    def receive(self, text: str, now: float) -> None:
        """One text frame from the backend. Nothing it contains may raise out of here."""
        self.frames_received += 1
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            self._bad_frame(text, "not valid JSON", now)
            return
        if not isinstance(message, list) or len(message) < 3 or not isinstance(message[0], int):
            self._bad_frame(message, "not an OCPP-J message array", now)
            return
        kind, message_id = message[0], message[1]
        if not isinstance(message_id, str) or not 0 < len(message_id) <= MAX_ID_LENGTH:
            self._bad_frame(message, "unreadable message id", now)
            return
        if kind == CALL or (kind == SEND and self.dialect.has_send):
            self._on_call(message, now, reply=kind == CALL)
        elif kind == CALLRESULT:
            self._on_result(message, now)
        elif kind == CALLERROR:
            self._on_error(message, now)
        elif kind == CALLRESULTERROR and self.dialect.has_send:
            self._record("received", message, self._actions_in.pop(message_id, ""), now)
            log.warning("backend reports an error in our reply %s: %s", message_id, message[2:4])
        else:
            self._record("received", message, "", now)
            if self.dialect.reply_unknown_type:
                self._reply_error(
                    message_id,
                    "",
                    "MessageTypeNotSupported",
                    f"message type {kind} is not supported",
                    now,
                )

    def receive_oversized(self, head: str, why: str, now: float) -> bool:
        """A frame over the size limit, of which only ``head`` (its first bytes) was read: the
        message is never executed. A CALL whose id and action can be read from ``head`` is
        answered with a CALLERROR carrying ``why``: 1.6J §4.2.3 FormationViolation, 2.0.1/2.1
        part 4 §4.3 FormatViolation ("payload for action is syntactically incorrect": not
        RpcFrameworkError, which is for a frame whose id cannot be read). A 2.1 SEND is
        dropped (it takes no answer). Returns False when there is nothing to answer, for the
        caller to close the connection (1009)."""
        self.frames_received += 1
        found = _CALL_START.match(head)
        kind = int(found[1]) if found else 0
        if kind == SEND and not self.dialect.has_send:
            found, kind = None, 0
        message_id, action = (found[2], found[3]) if found else ("", "")
        log.info("oversized frame from backend (%s): %.80r", why, head)
        if self.record_frames:
            # Of a readable CALL only its envelope: its payload may hold a secret that the
            # log's redaction cannot find in a fragment.
            start = found[0].strip() if found else head[:_OVERSIZED_SHOWN]
            shown = f"{start} … ({why}; not read)"
            self.frames.append(Frame("received", 0, message_id, action, shown, now))
        if kind == CALL:
            self._reply_error(message_id, action, self.dialect.formation, why, now)
        return found is not None

    def _on_call(self, message: list[Any], now: float, *, reply: bool) -> None:
        message_id = message[1]
        action = message[2] if len(message) > 2 and isinstance(message[2], str) else ""
        self._record("received", message, action, now)
        if len(message) != 4 or not action or not isinstance(message[3], dict):
            if reply:
                self._reply_error(
                    message_id,
                    action,
                    self.dialect.formation,
                    "a CALL is [2, id, action, {payload}]",
                    now,
                )
            return
        try:
            self.check_incoming(action, message[3])
            result = self.handle_call(action, message[3], now)
        except CallError as exc:
            if reply:
                self._reply_error(message_id, action, exc.code, exc.description, now, exc.details)
            return
        except Exception:
            log.exception("handling %s failed", action)
            if reply:
                self._reply_error(message_id, action, "InternalError", "the charger failed", now)
            return
        if reply:
            self._emit([CALLRESULT, message_id, result], "sent", action, now)

    def _on_result(self, message: list[Any], now: float) -> None:
        flight = self._in_flight
        if flight is None or flight.message_id != message[1]:
            self._record("received", message, "", now)
            log.info("ignoring a CALLRESULT for unknown or late message id %r", message[1])
            return
        self._record("received", message, flight.out.action, now)
        self._in_flight = None
        payload = message[2]
        outcome = ""
        if not isinstance(payload, dict):
            outcome = "invalid answer"
            self._failed_attempt(flight.out, "the answer is not a JSON object", now)
        else:
            try:
                self.check_result(flight.out.action, payload)
            except Exception as exc:
                log.info("invalid %s answer: %s", flight.out.action, exc)
                outcome = "invalid answer"
                self._failed_attempt(flight.out, f"invalid answer: {exc}", now)
            else:
                if flight.out.transactional and self.journal is not None:
                    self.journal.remove(flight.out)
                if flight.out.on_result is not None:
                    flight.out.on_result(payload, now)
        if self.on_answer is not None:
            self.on_answer(flight.out.action, now - flight.sent_at, outcome)
        self.pump(now)

    def _on_error(self, message: list[Any], now: float) -> None:
        flight = self._in_flight
        if flight is None or flight.message_id != message[1]:
            self._record("received", message, "", now)
            log.info("ignoring a CALLERROR for unknown or late message id %r", message[1])
            return
        self._record("received", message, flight.out.action, now)
        self._in_flight = None
        code = message[2] if len(message) > 2 else "?"
        text = message[3] if len(message) > 3 else ""
        if self.on_answer is not None:
            self.on_answer(flight.out.action, now - flight.sent_at, str(code) or "?")
        self._failed_attempt(flight.out, f"CALLERROR {code}: {text}".rstrip(": "), now)
        self.pump(now)

    def _bad_frame(self, raw: Any, why: str, now: float) -> None:
        log.info("bad frame from backend (%s): %.200r", why, raw)
        if self.record_frames:
            self.frames.append(Frame("received", 0, "", "", raw, now))
        if self.dialect.reply_unknown_type or self.dialect.has_send:
            # 2.0.1/2.1 part 4 §4.2.3: "-1" when the message id cannot be read.
            self._reply_error("-1", "", "RpcFrameworkError", why, now)

    def _reply_error(
        self,
        message_id: str,
        action: str,
        code: str,
        description: str,
        now: float,
        details: Payload | None = None,
    ) -> None:
        self._emit(
            [CALLERROR, message_id, code, description[:255], details or {}], "sent", action, now
        )

    # ------------------------------------------------------------------ output

    def _emit(self, message: list[Any], direction: str, action: str, now: float) -> None:
        self.frames_sent += 1
        self._out.append(orjson.dumps(message).decode())
        self._record(direction, message, action, now)

    def _record(self, direction: str, message: list[Any], action: str, now: float) -> None:
        if not self.record_frames:
            return
        kind = message[0]
        payload: Any = (
            message[3]
            if kind in (CALL, SEND) and len(message) > 3
            else (message[2] if kind == CALLRESULT and len(message) > 2 else message[2:])
        )
        self.frames.append(Frame(direction, kind, str(message[1]), action, payload, now))
