"""The demo CSMS's data: the script it follows, the frames it records, and the narrow view of the
CSMS that each connection's handler needs (``CsmsHost``).

Kept apart from ``server`` so that ``handlers`` depends on these types only and ``server`` on
``handlers``: the import graph has no circle.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class Script:
    """What the CSMS answers; change fields at any time (tests do)."""

    boot_status: str = "Accepted"
    boot_interval: int = 300
    rejected_id_tags: set[str] = field(default_factory=set)
    #: action -> seconds to wait before answering
    delays: dict[str, float] = field(default_factory=dict)
    #: action -> how many of the next CALLs of that action get no answer at all
    drops: dict[str, int] = field(default_factory=dict)
    #: action -> (code, description): answer the next CALL of that action with a CALLERROR
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: charger id -> Basic-auth password it must present (security profiles 1-2), else HTTP 401
    passwords: dict[str, str] = field(default_factory=dict)
    #: 2.1 only: the transactionLimit (snake_case keys, e.g. {"max_energy": 500}) put in the
    #: answer to every TransactionEvent Started (2.1 E16)
    transaction_limit: dict[str, Any] | None = None

    def delay(self, action: str, seconds: float) -> None:
        self.delays[action] = seconds

    def drop(self, action: str, count: int = 1) -> None:
        self.drops[action] = self.drops.get(action, 0) + count


@dataclass(frozen=True, slots=True)
class Record:
    """One frame the CSMS received ("in") or sent ("out")."""

    charger_id: str
    direction: str
    message_type: int
    message_id: str
    action: str
    payload: Any
    timestamp: float


class CsmsHost(Protocol):
    """What a connection's handler uses of the CSMS that accepted it (``server.DemoCsms``)."""

    script: Script
    counters: Counter[str]

    def record(self, record: Record) -> None:
        """Keep one frame and wake whoever waits for it."""

    def next_transaction_id(self) -> int:
        """A fresh 1.6 transactionId."""
