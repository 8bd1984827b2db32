"""A scripted in-memory CSMS for unit tests of the protocol session (no sockets, manual clock).

Every frame the session sends is checked against the official schema before the peer looks at it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ocppsim.core.charger import Charger, ChargerSpec
from ocppsim.core.model import ChargerType, OcppVersion
from ocppsim.protocol import schemas
from ocppsim.protocol.common import Identity
from ocppsim.protocol.session import Session

IDENTITY = Identity("ocppsim", "Sim-AC", "CP-1", "0.1.0")
T0 = 1_775_000_000.0

Answer = Callable[[dict[str, Any]], dict[str, Any] | None]


NOW = "2026-04-09T14:30:00Z"


def v2_answers() -> dict[str, Answer]:
    """What a 2.0.1 / 2.1 CSMS answers."""
    return {
        "BootNotification": lambda p: {"status": "Accepted", "currentTime": NOW, "interval": 300},
        "Heartbeat": lambda p: {"currentTime": NOW},
        "StatusNotification": lambda p: {},
        "Authorize": lambda p: {"idTokenInfo": {"status": "Accepted"}},
        "TransactionEvent": lambda p: (
            {"idTokenInfo": {"status": "Accepted"}} if "idToken" in p else {}
        ),
        "MeterValues": lambda p: {},
        "NotifyReport": lambda p: {},
        "DataTransfer": lambda p: {"status": "Accepted"},
    }


def default_answers() -> dict[str, Answer]:
    tx = iter(range(1000, 10_000))
    return {
        "BootNotification": lambda p: {
            "status": "Accepted",
            "currentTime": "2026-04-09T14:30:00Z",
            "interval": 300,
        },
        "Heartbeat": lambda p: {"currentTime": "2026-04-09T14:30:00Z"},
        "StatusNotification": lambda p: {},
        "Authorize": lambda p: {"idTagInfo": {"status": "Accepted"}},
        "StartTransaction": lambda p: {
            "transactionId": next(tx),
            "idTagInfo": {"status": "Accepted"},
        },
        "MeterValues": lambda p: {},
        "StopTransaction": lambda p: {},
        "DataTransfer": lambda p: {"status": "Accepted"},
    }


@dataclass
class Peer:
    """Answers CALLs by action (``answers``; None = stay silent), records everything."""

    session: Session
    now: float = T0
    auto_answer: bool = True
    answers: dict[str, Answer] = field(default_factory=dict)
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    replies: dict[str, list[Any]] = field(default_factory=dict)
    unanswered: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        if not self.answers:
            v16 = self.session.version == OcppVersion.V16
            self.answers = default_answers() if v16 else v2_answers()

    def connect(self) -> None:
        self.session.connected(self.now)
        self.pump()

    def pump(self) -> None:
        """Deliver everything the session sent; answer CALLs; repeat until quiet."""
        while frames := self.session.data_to_send():
            for text in frames:
                self._on_frame(json.loads(text))

    def _on_frame(self, message: list[Any]) -> None:
        kind = message[0]
        if kind == 2:
            _, message_id, action, payload = message
            schemas.check(self.session.version, action, payload, response=False)
            self.calls.append((message_id, action, payload))
            self.unanswered.append((message_id, action, payload))
            self.max_in_flight = max(self.max_in_flight, len(self.unanswered))
            if self.auto_answer:
                self.answer_pending()
        else:
            self.replies.setdefault(message[1], []).append(message)

    def answer_pending(self) -> None:
        pending, self.unanswered = self.unanswered, []
        for message_id, action, payload in pending:
            answer = self.answers[action](payload)
            if answer is None:
                continue
            schemas.check(self.session.version, action, answer, response=True)
            self.session.receive_text(json.dumps([3, message_id, answer]), self.now)

    def send(self, frame: list[Any] | str) -> list[Any]:
        """Send a frame as the CSMS; return the charger's reply to it (if any)."""
        text = frame if isinstance(frame, str) else json.dumps(frame)
        self.session.receive_text(text, self.now)
        self.pump()
        message_id = frame[1] if isinstance(frame, list) and len(frame) > 1 else "-1"
        got = self.replies.get(str(message_id), [])
        return got[-1] if got else []

    def advance(self, seconds: float, step: float = 1.0) -> None:
        """Let time pass, waking the session at its deadlines (and every ``step`` s)."""
        end = self.now + seconds
        while self.now < end:
            self.now = min(
                end, max(self.now + 1e-3, min(self.session.next_deadline(), self.now + step))
            )
            self.session.on_timer(self.now)
            self.pump()

    def actions(self) -> list[str]:
        return [a for _, a, _ in self.calls]

    def payloads(self, action: str) -> list[dict[str, Any]]:
        return [p for _, a, p in self.calls if a == action]


def make_session(
    *,
    charger_type: ChargerType = ChargerType.AC,
    max_power_kw: float = 22.0,
    connectors: int = 1,
    free: bool = False,
    version: OcppVersion = OcppVersion.V16,
    seed: int = 1,
    meter_interval: int = 60,
    auth_mode: str = "rfid",
    certificate_hash: str = "",
    error_code: str = "NoError",
    journal: bool = False,
) -> Session:
    spec = ChargerSpec(
        charger_type=charger_type,
        max_power_kw=max_power_kw,
        num_connectors=connectors,
        id_tag="AABBCCDD" if auth_mode == "rfid" else "DESIMCCP0000014",
        free_charging=free,
        meter_interval=meter_interval,
        auth_mode=auth_mode,
        pnc_certificate_hash=certificate_hash,
    )
    counter = iter(range(1, 1_000_000))
    return Session(
        Charger(spec, random.Random(seed), error_code=error_code),
        version,
        IDENTITY,
        new_id=lambda: f"m{next(counter)}",
        journal=journal,
        name="CP-1",
    )
