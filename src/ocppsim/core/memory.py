"""What a charger keeps across a power cut, as plain JSON-ready data.

A real charger keeps its energy registers, its availability, the number of its next session
and the transactions it was running in non-volatile memory. The runtime stores this snapshot
(persistent chargers: in the database) and hands it back at power-up, where a transaction that
was running ends with PowerLoss at the moment the snapshot was taken: the last moment the
charger is known to have been alive, with the register it had then.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ocppsim.core.connector import RUNNING
from ocppsim.core.intents import SendTxStop, StopReason

if TYPE_CHECKING:
    from ocppsim.core.charger import Charger


def snapshot(charger: Charger, now: float) -> dict[str, Any]:
    """The durable part of ``charger`` as of ``now``."""
    connectors = []
    for c in charger.connectors.values():
        s = c.session
        running = None
        if s is not None and s.phase is RUNNING:
            running = {"ref": s.ref, "id_tag": s.id_tag, "started_at": s.started_at}
        connectors.append(
            {
                "id": c.id,
                "meter_wh": round(c.energy_at(now), 1),
                "operative": c.operative,
                "scheduled": c.inoperative_scheduled,
                "session": running,
            }
        )
    return {"at": now, "next_ref": charger._next_ref, "connectors": connectors}


def restore(charger: Charger, state: Mapping[str, Any]) -> list[SendTxStop]:
    """Put ``state`` back into a charger that has just been built; returns the stops of the
    transactions that were running. Registers never go back: the larger of the charger's and
    the snapshot's wins. Raises KeyError, TypeError or ValueError on a malformed state."""
    at = float(state["at"])
    charger._next_ref = max(charger._next_ref, int(state["next_ref"]))
    stops = []
    for entry in state["connectors"]:
        c = charger.connectors.get(int(entry["id"]))
        if c is None:  # the charger has fewer connectors now
            continue
        c.meter_wh = max(c.meter_wh, float(entry["meter_wh"]))
        # An EV that was plugged in is gone after the cut: a scheduled change applies now.
        c.operative = bool(entry["operative"]) and not bool(entry["scheduled"])
        c.status = charger._resting_status(c)
        running = entry.get("session")
        if running:
            stops.append(
                SendTxStop(
                    c.id,
                    int(running["ref"]),
                    str(running["id_tag"]),
                    round(c.meter_wh, 1),
                    at,
                    StopReason.POWER_LOSS,
                    str(charger.error_code),
                )
            )
    return stops
