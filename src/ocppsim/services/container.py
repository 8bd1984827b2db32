"""Wiring: one store and the use cases over it."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from ocppsim.runtime.fleet import Fleet
from ocppsim.runtime.logbus import LogBus
from ocppsim.services.accounts import Accounts
from ocppsim.services.chargers import Chargers
from ocppsim.services.clock import Clock, utc_now
from ocppsim.services.loadtests import LoadTestLimits, LoadTests
from ocppsim.services.logs import Logs
from ocppsim.services.settings import Settings
from ocppsim.store.db import create_engine, migrate
from ocppsim.store.repository import Store


@dataclass(frozen=True, slots=True)
class Services:
    store: Store
    accounts: Accounts
    chargers: Chargers
    settings: Settings
    logs: Logs
    loadtests: LoadTests
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def open(
        cls,
        database_url: str,
        *,
        clock: Clock = utc_now,
        fleet: Fleet | None = None,
        loadtest_limits: LoadTestLimits | None = None,
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
        chargers = Chargers(store, clock=clock, fleet=fleet)
        logs = Logs(store, bus, clock=lambda: clock().timestamp())
        services = cls(
            store=store,
            accounts=Accounts(store, clock=clock),
            chargers=chargers,
            settings=Settings(store, on_change=chargers.settings_changed),
            logs=logs,
            loadtests=LoadTests(store, loadtest_limits),
        )
        services._tasks.append(asyncio.create_task(logs.run_pruner(), name="ocpp-log-pruner"))
        return services

    async def close(self) -> None:
        await self.loadtests.shutdown()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.chargers.shutdown()  # the chargers' last frames reach the log ...
        await self.logs.bus.close()  # ... and are written before the database closes
        await self.store.close()
