"""Wiring: one store and the use cases over it."""

from __future__ import annotations

from dataclasses import dataclass

from ocppsim.runtime.fleet import Fleet
from ocppsim.services.accounts import Accounts
from ocppsim.services.chargers import Chargers
from ocppsim.services.clock import Clock, utc_now
from ocppsim.services.settings import Settings
from ocppsim.store.db import create_engine, migrate
from ocppsim.store.repository import Store


@dataclass(frozen=True, slots=True)
class Services:
    store: Store
    accounts: Accounts
    chargers: Chargers
    settings: Settings

    @classmethod
    async def open(
        cls, database_url: str, *, clock: Clock = utc_now, fleet: Fleet | None = None
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
        chargers = Chargers(store, clock=clock, fleet=fleet)
        return cls(
            store=store,
            accounts=Accounts(store, clock=clock),
            chargers=chargers,
            settings=Settings(store, on_change=chargers.settings_changed),
        )

    async def close(self) -> None:
        await self.chargers.shutdown()
        await self.store.close()
