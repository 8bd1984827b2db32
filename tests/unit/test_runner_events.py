"""Why a connection ended, as the code that decides reads it: the runner's typed events."""

from __future__ import annotations

import pytest

from ocppsim.loadtest.engine import LoadEngine, _Mass
from ocppsim.runtime.events import EventKind, Reason, RunnerEvent


def test_only_the_chargers_own_closes_are_by_the_charger() -> None:
    assert {r for r in Reason if r.by_the_charger} == {Reason.SWITCHED_OFF, Reason.RECONFIGURED}
    # A transport kind never passes for one of the charger's own reasons.
    assert Reason.of_failure("reconfigured") == Reason.OTHER
    assert Reason.of_failure("tls") == Reason.TLS


@pytest.mark.parametrize(
    ("reason", "errors"),
    [(Reason.SWITCHED_OFF, 0), (Reason.RECONFIGURED, 0), (Reason.CLOSED, 1)],
)
def test_the_load_test_counts_a_disconnect_as_an_error_unless_the_charger_chose_it(
    reason: Reason, errors: int
) -> None:
    engine = LoadEngine()
    engine._on_event(_Mass(0, "LT-0"), RunnerEvent(EventKind.DISCONNECTED, 0.0, reason, "why"))
    assert engine.errors.count == errors
