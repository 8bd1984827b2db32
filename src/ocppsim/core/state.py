"""The live state of a charger as the REST contract shows it.

Until a charger's engine runs, its state is the idle state derived from its configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ocppsim.core.model import ErrorCode


@dataclass(frozen=True, slots=True)
class ChargerState:
    """The operational fields of the seed's charger object."""

    status: str
    availability: str
    connected: bool
    current_power_kw: float
    energy_delivered_wh: float
    transaction_id: int | str | None
    session_start: datetime | None
    session_energy_wh: float
    target_energy_wh: float
    session_id_tag: str
    remote_start: bool
    heartbeat_interval: int
    connector_status: dict[str, str] = field(default_factory=dict)


def idle_state(num_connectors: int, error_code: str, heartbeat_interval: int) -> ChargerState:
    """A charger with no engine running: not connected, no session, faulted if an error is set."""
    status = "Available" if error_code == ErrorCode.NO_ERROR else "Faulted"
    return ChargerState(
        status=status,
        availability="Operative",
        connected=False,
        current_power_kw=0.0,
        energy_delivered_wh=0.0,
        transaction_id=None,
        session_start=None,
        session_energy_wh=0.0,
        target_energy_wh=0.0,
        session_id_tag="",
        remote_start=False,
        heartbeat_interval=heartbeat_interval,
        connector_status={str(n): status for n in range(1, num_connectors + 1)},
    )
