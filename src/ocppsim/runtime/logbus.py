"""The OCPP message log's bus: chargers publish, one writer task stores in batches, then
streams (SSE) of the owning user receive what was stored.

Publishing never blocks and never awaits: a charger hands over its frames and carries on. When
the writer falls behind and the queue is full, new entries are dropped and counted. Subscribers
get entries only after they are committed, so a stream that resumes from the database after a
reconnect (``Last-Event-ID``) sees no gap; a subscriber that does not keep up overflows and is
ended (its client reconnects and resumes from the database).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ocppsim.protocol.redaction import redact
from ocppsim.protocol.rpc import Frame
from ocppsim.runtime.events import RunnerEvent
from ocppsim.store.records import LogRecord

log = logging.getLogger("ocppsim.logs")

#: OCPP-J message type ids (0: a frame that could not be read) -> the log's ``kind``.
KINDS = {0: "invalid", 2: "call", 3: "result", 4: "error", 5: "result_error", 6: "send"}

_Entry = tuple[int, str, str, str, str, str, Any, float]


class LogSink(Protocol):
    async def max_id(self) -> int: ...

    async def insert(self, records: Sequence[LogRecord]) -> None: ...


class StreamOverflow(Exception):
    """The subscriber fell too far behind and was dropped."""


@dataclass(eq=False, slots=True)
class Subscription:
    """One live stream of one user's log, optionally of one charger."""

    user_id: int
    chargepoint_id: str | None
    limit: int
    queue: deque[LogRecord] = field(default_factory=deque)
    overflowed: bool = False
    closed: bool = False
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, record: LogRecord) -> None:
        if self.overflowed:
            return
        if len(self.queue) >= self.limit:
            self.overflowed = True
            self.queue.clear()
        else:
            self.queue.append(record)
        self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def get(self) -> list[LogRecord]:
        """What arrived since the last call (waits for something); raises StreamOverflow."""
        while not self.queue and not self.overflowed and not self.closed:
            self._ready.clear()
            await self._ready.wait()
        if self.overflowed:
            raise StreamOverflow(f"more than {self.limit} entries behind")
        records = list(self.queue)
        self.queue.clear()
        return records


@dataclass(slots=True)
class LogStats:
    published: int = 0
    written: int = 0
    dropped: int = 0  # the queue was full
    write_errors: int = 0  # entries whose batch the database refused
    batches: int = 0
    overflowed_streams: int = 0


class LogBus:
    def __init__(
        self,
        sink: LogSink,
        *,
        queue_limit: int = 200_000,
        batch_size: int = 5_000,
        interval: float = 0.1,
        subscriber_limit: int = 10_000,
    ) -> None:
        self.sink = sink
        self.queue_limit = queue_limit
        self.batch_size = batch_size
        self.interval = interval
        self.subscriber_limit = subscriber_limit
        self.stats = LogStats()
        self._pending: deque[_Entry] = deque()
        self._subscribers: dict[int, set[Subscription]] = {}
        self._next_id = 1
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._next_id = await self.sink.max_id() + 1
        self._task = asyncio.get_running_loop().create_task(self._run(), name="ocpp-log-writer")

    async def close(self) -> None:
        """Write what is queued, then stop; open streams end."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for subs in self._subscribers.values():
            for sub in subs:
                sub.close()

    # ------------------------------------------------------------------ publishing

    def frames(self, user_id: int, chargepoint_id: str, frames: list[Frame]) -> None:
        for f in frames:
            payload = redact(f.action, f.payload) if f.kind in (2, 6) else f.payload
            kind = KINDS.get(f.kind, "invalid")
            self._put(
                (
                    user_id,
                    chargepoint_id,
                    kind,
                    f.direction,
                    f.action,
                    f.message_id,
                    payload,
                    f.timestamp,
                )
            )

    def event(self, user_id: int, chargepoint_id: str, event: RunnerEvent) -> None:
        """A connection event (connecting, connected, connect_failed, disconnected, reset):
        its kind is the entry's message type, its log details the payload."""
        self._put(
            (
                user_id,
                chargepoint_id,
                "connection",
                "local",
                str(event.kind),
                "",
                event.log_details(),
                event.at,
            )
        )

    def _put(self, entry: _Entry) -> None:
        if len(self._pending) >= self.queue_limit or self._stopping:
            self.stats.dropped += 1
            return
        self._pending.append(entry)
        self.stats.published += 1
        if len(self._pending) == 1:
            self._wake.set()

    # ------------------------------------------------------------------ subscribing

    def subscribe(self, user_id: int, chargepoint_id: str | None = None) -> Subscription:
        sub = Subscription(user_id, chargepoint_id, self.subscriber_limit)
        self._subscribers.setdefault(user_id, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subscribers.get(sub.user_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subscribers[sub.user_id]
        sub.close()

    @property
    def backlog(self) -> int:
        """Entries published and not yet written."""
        return len(self._pending)

    def streams(self, user_id: int) -> int:
        return len(self._subscribers.get(user_id, ()))

    # ------------------------------------------------------------------ the writer

    async def _run(self) -> None:
        while True:
            if not self._pending:
                if self._stopping:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            if not self._stopping:
                await asyncio.sleep(self.interval)  # let a batch gather: one transaction per tick
            while self._pending:
                await self._write(self._take())

    def _take(self) -> list[LogRecord]:
        records = []
        pending = self._pending
        for _ in range(min(self.batch_size, len(pending))):
            user_id, cp, kind, direction, action, message_id, payload, at = pending.popleft()
            records.append(
                LogRecord(
                    self._next_id, user_id, cp, kind, direction, action, message_id, payload, at
                )
            )
            self._next_id += 1
        return records

    async def _write(self, records: list[LogRecord]) -> None:
        try:
            await self.sink.insert(records)
        except Exception:  # the database is down or full: keep running, say so, keep streaming
            self.stats.write_errors += len(records)
            log.exception("could not store %d OCPP log entries", len(records))
        else:
            self.stats.written += len(records)
            self.stats.batches += 1
        self._deliver(records)

    def _deliver(self, records: list[LogRecord]) -> None:
        if not self._subscribers:
            return
        for record in records:
            for sub in self._subscribers.get(record.user_id, ()):
                if sub.chargepoint_id is None or sub.chargepoint_id == record.chargepoint_id:
                    was_ok = not sub.overflowed
                    sub.offer(record)
                    if was_ok and sub.overflowed:
                        self.stats.overflowed_streams += 1
