"""The outbox of transaction messages: what must be written before it is sent, and how fast a
backlog is replayed.

Transaction-related messages (1.6 §3.7: StartTransaction, StopTransaction, transaction
MeterValues; 2.0.1 E: every TransactionEvent) are queued by the ``Rpc`` in order. A persistent
charger's ``Rpc`` has a ``Journal``: each such message gets a sequence number and is listed
as added; it leaves only once the runtime has committed it (``Outgoing.saved``), and it is
listed as removed once answered or given up, so the store holds exactly the messages still
owed to the backend. A mass charger has no journal: the same queue, in memory only.

After an outage or a restart the backlog is replayed paced: one message per
``replay_interval`` per charger, and no more than a ``Pacer``'s rate over all chargers that
share it, so a thousand chargers coming back do not hit the backend like an attack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ocppsim.protocol.rpc import Outgoing


class StoredCall(Protocol):
    """A stored transaction message, as the runtime hands it back at start."""

    @property
    def seq(self) -> int: ...
    @property
    def action(self) -> str: ...
    @property
    def payload(self) -> str: ...  # JSON text
    @property
    def ref(self) -> int | None: ...
    @property
    def attempts(self) -> int: ...


@dataclass(slots=True)
class Journal:
    """What the store must learn about one charger's outbox since it last wrote."""

    next_seq: int = 1
    added: list[Outgoing] = field(default_factory=list)
    #: seq -> attempts so far, of messages that failed and wait for their next attempt.
    attempts: dict[int, int] = field(default_factory=dict)
    removed: list[int] = field(default_factory=list)

    def add(self, out: Outgoing) -> None:
        out.seq, self.next_seq = self.next_seq, self.next_seq + 1
        out.saved = False
        self.added.append(out)

    def remove(self, out: Outgoing) -> None:
        if out.seq:
            self.attempts.pop(out.seq, None)
            self.removed.append(out.seq)

    def retry(self, out: Outgoing) -> None:
        if out.seq:
            self.attempts[out.seq] = out.attempts

    @property
    def dirty(self) -> bool:
        return bool(self.added or self.attempts or self.removed)

    def take(self) -> tuple[list[Outgoing], dict[int, int], list[int]]:
        """The changes to write, and forget them (the caller writes or puts them back)."""
        changes = (self.added, self.attempts, self.removed)
        self.added, self.attempts, self.removed = [], {}, []
        return changes

    def give_back(
        self, added: list[Outgoing], attempts: dict[int, int], removed: list[int]
    ) -> None:
        """A write failed: the changes wait for the next one (older first)."""
        self.added[:0] = added
        self.attempts = {**attempts, **self.attempts}
        self.removed[:0] = removed


@dataclass(frozen=True, slots=True)
class JournalChanges:
    """One charger's changes to write: messages added (with their ``stored`` payload), retry
    counts, messages removed, and the snapshot of its durable state (JSON text)."""

    added: list[Outgoing]
    attempts: dict[int, int]
    removed: list[int]
    state: str


@dataclass(slots=True)
class Pacer:
    """A token bucket shared by the chargers of one process: at most ``rate`` replayed
    transaction messages a second overall, with bursts of up to ``burst``."""

    rate: float
    burst: float = 10.0
    _tokens: float = 0.0
    _at: float = 0.0

    def __post_init__(self) -> None:
        self._tokens = self.burst

    def take(self, now: float) -> float:
        """0 and one token taken, or the seconds to wait for the next token."""
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate
