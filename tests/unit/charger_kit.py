"""Helpers for direct tests of the charger core: a manual clock (plain floats), a seeded
random.Random, and a backend that answers the charger's intents in memory (no sockets, no
event loop, no protocol adapter)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ocppsim.core.charger import Charger, ChargerSpec
from ocppsim.core.connector import Phase
from ocppsim.core.intents import ConnectorStatus, Intent, SendAuthorize, SendTxStart
from ocppsim.core.model import ChargerType

T0 = 1_000.0
TAG = "TAG-1"
IntentT = TypeVar("IntentT")


def make_spec(**changes: Any) -> ChargerSpec:
    """An AC 22 kW single-connector charger sampling every 60 s, unless ``changes`` say."""
    values: dict[str, Any] = {
        "charger_type": ChargerType.AC,
        "max_power_kw": 22.0,
        "num_connectors": 1,
        "id_tag": TAG,
        "meter_interval": 60,
    }
    values.update(changes)
    return ChargerSpec(**values)


def make_charger(*, seed: int = 7, **changes: Any) -> Charger:
    return Charger(make_spec(**changes), random.Random(seed))


def booted(*, seed: int = 7, now: float = T0, **changes: Any) -> Charger:
    """Connected and Accepted (interval 300) at ``now``, its boot intents taken."""
    charger = make_charger(seed=seed, **changes)
    charger.on_connected(now)
    charger.on_boot_result("Accepted", 300, now)
    charger.take_intents()
    return charger


def only(intents: list[Intent], kind: type[IntentT]) -> list[IntentT]:
    return [i for i in intents if isinstance(i, kind)]


def status_of(charger: Charger, connector: int) -> ConnectorStatus:
    """The connector's status (a call, so mypy does not narrow it between two asserts)."""
    return charger.connectors[connector].status


def phase_of(charger: Charger, connector: int) -> Phase | None:
    """The phase of the connector's session; None without a session."""
    s = charger.connectors[connector].session
    return None if s is None else s.phase


@dataclass
class Backend:
    """Answers Authorize and the transaction start as a CSMS would, numbering transactions."""

    charger: Charger
    authorize: bool = True
    accept_transactions: bool = True
    next_transaction_id: int = 1001
    sent: list[Intent] = field(default_factory=list)

    def pump(self, now: float) -> list[Intent]:
        """Take and answer everything the charger wants to send; returns it all."""
        out: list[Intent] = []
        while intents := self.charger.take_intents():
            for intent in intents:
                self._answer(intent, now)
            out += intents
        self.sent += out
        return out

    def _answer(self, intent: Intent, now: float) -> None:
        if isinstance(intent, SendAuthorize):
            status = "Accepted" if self.authorize else "Invalid"
            self.charger.on_authorize_result(intent.connector, self.authorize, status, now)
        elif isinstance(intent, SendTxStart):
            tx, self.next_transaction_id = self.next_transaction_id, self.next_transaction_id + 1
            status = "Accepted" if self.accept_transactions else "Invalid"
            self.charger.on_transaction_accepted(
                intent.ref, tx, self.accept_transactions, status, now
            )

    def run_until(self, end: float) -> list[Intent]:
        """Tick the charger at each of its deadlines up to ``end``, answering as it goes."""
        out: list[Intent] = []
        for _ in range(100_000):
            due = self.charger.next_deadline()
            if due > end:
                return out
            self.charger.tick(due)
            out += self.pump(due)
        raise AssertionError("the charger keeps asking to be ticked at the same time")
