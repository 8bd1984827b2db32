"""A test double for ``protocol.rpc.Rpc``'s surroundings: the three versions' dialects, a
backend whose handler and validators refuse on cue, and helpers to send our CALLs and feed
frames with a manual clock (floats)."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from ocppsim.protocol.common import Payload
from ocppsim.protocol.rpc import CallError, Dialect, Outgoing, Rpc

V16 = Dialect(
    formation="FormationViolation",
    occurrence="OccurenceConstraintViolation",
    reply_unknown_type=False,
    has_send=False,
)
V201 = Dialect(
    formation="FormatViolation",
    occurrence="OccurrenceConstraintViolation",
    reply_unknown_type=True,
    has_send=False,
)
V21 = Dialect(
    formation="FormatViolation",
    occurrence="OccurrenceConstraintViolation",
    reply_unknown_type=False,
    has_send=True,
)
DIALECTS = {"1.6": V16, "2.0.1": V201, "2.1": V21}


@dataclass
class Backend:
    """The test's side of an ``Rpc``: its handler, validators and observers, and what they saw."""

    handled: list[tuple[str, Payload, float]] = field(default_factory=list)
    answers: list[tuple[str, float, str]] = field(default_factory=list)

    def handle(self, action: str, payload: Payload, now: float) -> Payload:
        """Echo the payload; "Refuse" raises a CallError, "Crash" a plain exception."""
        self.handled.append((action, payload, now))
        if action == "Refuse":
            raise CallError("NotSupported", "refused on purpose", {"why": "test"})
        if action == "Crash":
            raise RuntimeError("a bug in a handler")
        return {"echo": payload}

    @staticmethod
    def check_incoming(action: str, payload: Payload) -> None:
        if "wrong" in payload:
            raise CallError("TypeConstraintViolation", "wrong type")

    @staticmethod
    def check_outgoing(action: str, payload: Payload) -> None:
        if "invalid" in payload:
            raise ValueError("breaks the schema")

    @staticmethod
    def check_result(action: str, payload: Payload) -> None:
        if "invalid" in payload:
            raise ValueError("breaks the answer schema")

    def on_answer(self, action: str, seconds: float, outcome: str) -> None:
        self.answers.append((action, seconds, outcome))


def make_rpc(
    dialect: Dialect = V16, backend: Backend | None = None, *, connect: bool = True, **options: Any
) -> tuple[Rpc, Backend]:
    """An Rpc with message ids "1", "2", ... (registered and connected unless told)."""
    backend = backend or Backend()
    ids = itertools.count(1)
    rpc = Rpc(
        dialect=dialect,
        new_id=lambda: str(next(ids)),
        handle_call=backend.handle,
        check_outgoing=backend.check_outgoing,
        check_incoming=backend.check_incoming,
        check_result=backend.check_result,
        on_answer=backend.on_answer,
        registered=True,
        **options,
    )
    if connect:
        rpc.on_connected(0.0)
    return rpc, backend


@dataclass
class Call:
    """One CALL of ours and what became of it."""

    action: str
    payload: Payload = field(default_factory=dict)
    transactional: bool = False
    priority: bool = False
    results: list[tuple[Payload, float]] = field(default_factory=list)
    failures: list[tuple[str, float]] = field(default_factory=list)

    def outgoing(self) -> Outgoing:
        return Outgoing(
            self.action,
            lambda: self.payload,
            on_result=lambda p, now: self.results.append((p, now)),
            on_failure=lambda why, now: self.failures.append((why, now)),
            transactional=self.transactional,
            priority=self.priority,
        )


def send(rpc: Rpc, call: Call, now: float = 0.0) -> Call:
    rpc.call(call.outgoing(), now)
    return call


def sent(rpc: Rpc) -> list[list[Any]]:
    """The frames written since the last look, decoded."""
    return [json.loads(text) for text in rpc.data_to_send()]


def answer(rpc: Rpc, message: list[Any], now: float) -> list[list[Any]]:
    """Feed one frame from the backend; return what the charger wrote meanwhile (its reply and
    any CALL of its own that the frame let go)."""
    rpc.receive(json.dumps(message), now)
    return sent(rpc)
