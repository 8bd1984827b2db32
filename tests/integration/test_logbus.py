"""The log bus on a real event loop with an in-memory sink: batching, ids, back-pressure rules."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from ocppsim.protocol.rpc import Frame
from ocppsim.runtime.events import EventKind, RunnerEvent
from ocppsim.runtime.logbus import LogBus, StreamOverflow
from ocppsim.store.records import LogRecord


class MemorySink:
    def __init__(self, start_id: int = 0) -> None:
        self.start_id = start_id
        self.batches: list[list[LogRecord]] = []
        self.fail_next = 0

    async def max_id(self) -> int:
        return self.start_id

    async def insert(self, records: Sequence[LogRecord]) -> None:
        await asyncio.sleep(0)
        if self.fail_next:
            self.fail_next -= 1
            raise OSError("disk full")
        self.batches.append(list(records))

    @property
    def rows(self) -> list[LogRecord]:
        return [r for batch in self.batches for r in batch]


def heartbeat(n: int) -> Frame:
    return Frame("sent", 2, f"m{n}", "Heartbeat", {}, 1000.0 + n)


async def test_entries_are_written_in_batches_with_increasing_ids() -> None:
    sink = MemorySink(start_id=41)
    bus = LogBus(sink, interval=0.01, batch_size=100)
    await bus.start()
    bus.frames(1, "CP-1", [heartbeat(n) for n in range(250)])
    bus.event(1, "CP-1", RunnerEvent(EventKind.CONNECTED, 999.0, details={"url": "ws://x/CP-1"}))
    await bus.close()
    assert [r.id for r in sink.rows] == list(range(42, 42 + 251))  # after the stored maximum
    assert [len(b) for b in sink.batches] == [100, 100, 51]
    last = sink.rows[-1]
    assert (last.kind, last.direction, last.message_type) == ("connection", "local", "connected")
    assert bus.stats.written == 251


async def test_a_full_queue_drops_and_counts_instead_of_blocking() -> None:
    sink = MemorySink()
    bus = LogBus(sink, queue_limit=100, interval=10.0)
    await bus.start()
    bus.frames(1, "CP-1", [heartbeat(n) for n in range(1000)])  # synchronous: never waits
    assert (bus.stats.published, bus.stats.dropped) == (100, 900)
    await bus.close()
    assert len(sink.rows) == 100


async def test_a_stream_that_does_not_read_overflows_alone() -> None:
    # Batches of 10 and a reader that takes them as they come: it never falls 50 behind.
    bus = LogBus(MemorySink(), interval=0.01, batch_size=10, subscriber_limit=50)
    await bus.start()
    slow = bus.subscribe(1)
    fast = bus.subscribe(1)
    other_user = bus.subscribe(2)
    only_cp2 = bus.subscribe(1, "CP-2")
    received: list[int] = []

    async def read_fast() -> None:
        while len(received) < 200:
            received.extend(r.id for r in await fast.get())

    reader = asyncio.create_task(read_fast())
    bus.frames(1, "CP-1", [heartbeat(n) for n in range(200)])
    await asyncio.wait_for(reader, 5)
    assert received == list(range(1, 201))
    with pytest.raises(StreamOverflow):
        await slow.get()
    assert bus.stats.overflowed_streams == 1
    assert not other_user.queue
    assert not only_cp2.queue
    assert bus.streams(1) == 3
    bus.unsubscribe(slow)
    assert bus.streams(1) == 2
    await bus.close()
    assert await fast.get() == []  # a closed bus ends the streams


async def test_a_failing_database_is_survived() -> None:
    sink = MemorySink()
    sink.fail_next = 1
    bus = LogBus(sink, interval=0.01)
    await bus.start()
    sub = bus.subscribe(1)
    bus.frames(1, "CP-1", [heartbeat(1)])
    first = await asyncio.wait_for(sub.get(), 5)  # still streamed live
    bus.frames(1, "CP-1", [heartbeat(2)])
    second = await asyncio.wait_for(sub.get(), 5)
    await bus.close()
    assert [r.id for r in first + second] == [1, 2]
    assert bus.stats.write_errors == 1
    assert [r.id for r in sink.rows] == [2]


async def test_secrets_are_redacted_on_the_way_in() -> None:
    sink = MemorySink()
    bus = LogBus(sink, interval=0.01)
    await bus.start()
    secret = {"key": "AuthorizationKey", "value": "top-secret"}
    bus.frames(1, "CP-1", [Frame("received", 2, "c1", "ChangeConfiguration", secret, 1.0)])
    await bus.close()
    assert sink.rows[0].payload == {"key": "AuthorizationKey", "value": "[REDACTED]"}
    assert sink.rows[0].kind == "call"
