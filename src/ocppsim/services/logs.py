"""The OCPP message log of a user's chargers: history, live streams, retention."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ocppsim.core import limits
from ocppsim.runtime.logbus import LogBus, Subscription
from ocppsim.services.errors import TooMany, refuse
from ocppsim.store.records import LogRecord
from ocppsim.store.repository import Store

log = logging.getLogger("ocppsim.logs")

HISTORY_DEFAULT = 200
#: Concurrent live streams per user (reference S16).
STREAMS_MAX = 5
#: Records read per query when a stream resumes from the database.
RESUME_PAGE = 1000
#: Records deleted per statement when pruning, so a prune never holds the database for long.
PRUNE_BATCH = 2000


class Waitable(Protocol):
    async def wait(self) -> Any: ...


async def _close_on(event: Waitable, sub: Subscription) -> None:
    await event.wait()
    sub.close()


@dataclass(eq=False, slots=True)
class StreamTicket:
    """A reserved stream slot; ``release`` is idempotent."""

    logs: Logs
    user_id: int
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.logs._open[self.user_id] -= 1


class Logs:
    def __init__(self, store: Store, bus: LogBus, *, clock: Callable[[], float]) -> None:
        self._store = store
        self.bus = bus
        self.clock = clock  # epoch seconds; retention counts days from it
        self._open: dict[int, int] = {}

    async def history(
        self,
        user_id: int,
        *,
        chargepoint_id: str | None = None,
        limit: int = HISTORY_DEFAULT,
        before_id: int | None = None,
    ) -> list[LogRecord]:
        """Newest first; page backwards with the smallest id of the previous page."""
        refuse("limit", limits.LOG_PAGE.problem(limit))
        return await self._store.logs.page(
            user_id, chargepoint_id=chargepoint_id, limit=limit, before_id=before_id
        )

    def reserve_stream(self, user_id: int) -> StreamTicket:
        if self._open.get(user_id, 0) >= STREAMS_MAX:
            raise TooMany(f"at most {STREAMS_MAX} log streams per user are open at once")
        self._open[user_id] = self._open.get(user_id, 0) + 1
        return StreamTicket(self, user_id)

    async def stream(
        self,
        ticket: StreamTicket,
        *,
        chargepoint_id: str | None = None,
        last_event_id: int | None = None,
        until: Waitable | None = None,
    ) -> AsyncGenerator[LogRecord]:
        """Live records of the ticket's user, after those since ``last_event_id`` (if given)
        from the database: no gap, no duplicate. Ends with StreamOverflow if the reader
        falls behind, and when ``until`` is set or the log closes (server shutdown)."""
        sub = self.bus.subscribe(ticket.user_id, chargepoint_id)  # before reading the past
        watcher = None if until is None else asyncio.create_task(_close_on(until, sub))
        try:
            last = last_event_id
            while last is not None:
                page = await self._store.logs.page(
                    ticket.user_id, chargepoint_id=chargepoint_id, limit=RESUME_PAGE, after_id=last
                )
                for record in page:
                    yield record
                if page:
                    last = page[-1].id
                if len(page) < RESUME_PAGE:
                    break
            while not sub.closed:
                for record in await sub.get():
                    if last is None or record.id > last:
                        last = record.id
                        yield record
        finally:
            if watcher is not None:
                watcher.cancel()
            self.bus.unsubscribe(sub)
            ticket.release()

    # --- retention ---

    async def prune(self) -> int:
        """Apply every user's retention settings, in small batches; returns records deleted."""
        deleted = 0
        for user in await self._store.list_users():
            settings = await self._store.get_settings(user.id)
            older_than = self.clock() - settings.log_retention_days * 86400.0
            while True:
                n = await self._store.logs.prune(
                    user.id,
                    keep=settings.log_retention_records,
                    older_than=older_than,
                    batch=PRUNE_BATCH,
                )
                deleted += n
                if n < PRUNE_BATCH:
                    break
                await asyncio.sleep(0)  # let the writer and the API in between batches
        return deleted

    async def run_pruner(self, interval: float = 60.0) -> None:
        """Prune now and then every ``interval`` seconds until cancelled."""
        while True:
            try:
                n = await self.prune()
                if n:
                    log.info("pruned %d OCPP log records", n)
            except Exception:  # keep the server up; try again next time
                log.exception("pruning the OCPP log failed")
            await asyncio.sleep(interval)
