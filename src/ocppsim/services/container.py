"""Wiring: one store and the use cases over it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from ocppsim.runtime.fleet import Fleet
from ocppsim.runtime.journal import JournalWriter
from ocppsim.runtime.logbus import LogBus
from ocppsim.services.accounts import Accounts
from ocppsim.services.chargers import Chargers
from ocppsim.services.clock import Clock, utc_now
from ocppsim.services.loadtests import LoadTestLimits, LoadTests
from ocppsim.services.logs import Logs
from ocppsim.services.settings import Settings
from ocppsim.services.websessions import WebSessions
from ocppsim.store.db import create_engine, migrate
from ocppsim.store.repository import Store

log = logging.getLogger("ocppsim.services")


@dataclass(frozen=True, slots=True)
class Services:
    store: Store
    accounts: Accounts
    chargers: Chargers
    settings: Settings
    logs: Logs
    loadtests: LoadTests
    websessions: WebSessions
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    fleet: Fleet | None = None

    @classmethod
    async def open(
        cls,
        database_url: str,
        *,
        clock: Clock = utc_now,
        fleet: Fleet | None = None,
        loadtest_limits: LoadTestLimits | None = None,
        signup_default: bool = True,
    ) -> Services:
        """Open (and migrate) the database; raises ``StoreError`` with a readable message.

        With a ``fleet``, chargers run: call ``chargers.resume()`` to start the ones not off.
        """
        engine = create_engine(database_url)
        try:
            await migrate(engine)
        except BaseException:
            await engine.dispose()
            raise
        store = Store(engine)
        bus = LogBus(store.logs)
        await bus.start()
        if fleet is not None:
            fleet.log_bus = bus
            fleet.journal = JournalWriter(store.journal, clock=fleet.clock)
            fleet.journal.start()
        chargers = Chargers(store, clock=clock, fleet=fleet)
        logs = Logs(store, bus, clock=lambda: clock().timestamp())
        accounts = Accounts(store, clock=clock)
        services = cls(
            store=store,
            accounts=accounts,
            chargers=chargers,
            settings=Settings(store, on_change=chargers.settings_changed),
            logs=logs,
            loadtests=LoadTests(store, loadtest_limits),
            websessions=WebSessions(store, accounts, clock=clock, signup_default=signup_default),
            fleet=fleet,
        )
        services._tasks.append(asyncio.create_task(logs.run_pruner(), name="ocpp-log-pruner"))
        services._tasks.append(
            asyncio.create_task(_prune_sessions(services.websessions), name="session-pruner")
        )
        return services

    async def close(self) -> None:
        await self.loadtests.shutdown()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.chargers.shutdown()  # the chargers' last frames reach the log ...
        if self.fleet is not None and self.fleet.journal is not None:
            await self.fleet.journal.close()  # ... what they still owe is in the journal ...
        await self.logs.bus.close()  # ... and are written before the database closes
        await self.store.close()


async def _prune_sessions(sessions: WebSessions, interval: float = 600.0) -> None:
    """Delete expired web sessions now and then (an expired one is refused anyway)."""
    while True:
        try:
            await sessions.prune()
        except Exception:  # keep the server up; try again next time
            log.exception("pruning web sessions failed")
        await asyncio.sleep(interval)
