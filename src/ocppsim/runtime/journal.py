"""The journal writer: persistent chargers' outbox changes and state snapshots, to the store.

A persistent charger's session lists what the store must learn (protocol/outbox.py); its runner
tells the writer, which commits the changes of every charger that has any in one transaction,
then lets their messages leave (written before sent). A failed write (a full disk, a locked or
lost database) keeps the changes for the next attempt, and whoever waits on ``flush`` learns
of it: the API answers 503 instead of dropping a message silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import orjson
import sqlalchemy as sa

from ocppsim.protocol.outbox import JournalChanges
from ocppsim.store.journal import JournalBatch, JournalStore, OutboxRow

if TYPE_CHECKING:
    from ocppsim.runtime.runner import Runner

log = logging.getLogger("ocppsim.runtime")

#: After a failed write, wait this long before the next attempt.
RETRY_AFTER = 1.0


class JournalError(Exception):
    """The store could not write a charger's journal; the message says why."""


class JournalWriter:
    """Writes the journals of the persistent chargers of one fleet (one task)."""

    def __init__(self, store: JournalStore, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        self._dirty: dict[int, Runner] = {}
        self._wake = asyncio.Event()
        #: Resolved when the write cycle after the current one has finished.
        self._next_cycle: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="journal")

    async def close(self) -> None:
        """Write what is pending (once), then stop."""
        if self._task is None:
            return
        with contextlib.suppress(JournalError):
            await self.flush()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    def mark(self, charger_id: int, runner: Runner) -> None:
        """``runner``'s session has changes to write."""
        self._dirty[charger_id] = runner
        self._wake.set()

    async def flush(self, charger_id: int | None = None, runner: Runner | None = None) -> None:
        """Wait until everything changed so far is written; raises JournalError if the write
        fails. With a charger, it is looked at in the next write even if it did not say so."""
        if charger_id is not None and runner is not None:
            self._dirty[charger_id] = runner
        if self._task is None:
            raise JournalError("the journal writer is not running")
        if self._next_cycle is None:
            self._next_cycle = asyncio.get_running_loop().create_future()
        waiter = self._next_cycle
        self._wake.set()
        await asyncio.shield(waiter)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            cycle, self._next_cycle = self._next_cycle, None
            try:
                await self._write_cycle()
            except JournalError as exc:
                if cycle is not None and not cycle.done():
                    cycle.set_exception(exc)
                    cycle.exception()  # retrieved here: waiters may have gone
                await asyncio.sleep(RETRY_AFTER)
                self._wake.set()
                continue
            if cycle is not None and not cycle.done():
                cycle.set_result(None)

    async def _write_cycle(self) -> None:
        dirty, self._dirty = self._dirty, {}
        now = self.clock()
        taken: list[tuple[int, Runner, JournalChanges]] = []
        for charger_id, runner in dirty.items():
            changes = runner.session.take_journal(now)
            if changes is not None:
                taken.append((charger_id, runner, changes))
        if not taken:
            return
        try:
            await self.store.write([_batch(cid, changes, now) for cid, _, changes in taken])
        except Exception as exc:
            if len(taken) == 1:
                self._failed(taken, exc)
            await self._one_by_one(taken, now)  # keep one bad charger from holding the rest
            return
        self._written(taken)

    async def _one_by_one(
        self, taken: list[tuple[int, Runner, JournalChanges]], now: float
    ) -> None:
        failed: list[tuple[int, Runner, JournalChanges]] = []
        error: Exception | None = None
        for item in taken:
            charger_id, _, changes = item
            try:
                await self.store.write([_batch(charger_id, changes, now)])
            except sa.exc.IntegrityError as exc:  # the charger was deleted meanwhile
                log.error(
                    "charger %d is gone; its journal changes are dropped: %s", charger_id, exc
                )
            except Exception as exc:
                failed.append(item)
                error = exc
            else:
                self._written([item])
        if failed and error is not None:
            self._failed(failed, error)

    def _failed(self, taken: list[tuple[int, Runner, JournalChanges]], exc: Exception) -> None:
        log.error("could not write the journal of %d chargers: %s", len(taken), exc)
        for charger_id, runner, changes in taken:
            runner.session.journal_failed(changes, self.clock())
            runner.flush()  # what is not held by the failed write may go
            self._dirty.setdefault(charger_id, runner)
        raise JournalError(f"the charger's state could not be saved ({exc})") from exc

    def _written(self, taken: list[tuple[int, Runner, JournalChanges]]) -> None:
        for _, runner, changes in taken:
            runner.session.journal_written(changes, self.clock())
            runner.flush()


def _batch(charger_id: int, changes: JournalChanges, now: float) -> JournalBatch:
    added = [
        OutboxRow(out.seq, out.action, orjson.dumps(out.stored).decode(), out.ref, out.attempts)
        for out in changes.added
    ]
    return JournalBatch(charger_id, changes.state, now, added, changes.attempts, changes.removed)
