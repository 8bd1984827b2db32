"""The live state of a charger as the REST contract shows it.

Until a charger's engine runs, its state is the idle state derived from its configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from ocppsim.core.charger import Charger
from ocppsim.core.intents import ConnectorStatus
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
    #: Why the last session attempt or boot failed (e.g. the backend refused the tag).
    last_error: str = ""
    #: Why the charger is not connected (refused handshake, TLS failure, ...), or "".
    connection_error: str = ""
    #: The backend's last authorization answer (with Plug & Charge: the certificate status).
    last_authorization: str = ""
    #: Transaction messages not yet acknowledged by the backend (queued or in flight).
    queued_messages: int = 0
    #: Since when a running charger has been without its backend (None: connected, or off).
    offline_since: datetime | None = None


#: For a charger with several connectors, the status shown for the whole charger.
_PRIORITY = (
    ConnectorStatus.CHARGING,
    ConnectorStatus.SUSPENDED_EV,
    ConnectorStatus.PREPARING,
    ConnectorStatus.FINISHING,
    ConnectorStatus.FAULTED,
    ConnectorStatus.AVAILABLE,
    ConnectorStatus.UNAVAILABLE,
)


def live_state(
    charger: Charger,
    now: float,
    *,
    connected: bool,
    connection_error: str,
    queued_messages: int = 0,
    offline_since: float | None = None,
) -> ChargerState:
    """The state of a running charger (pure: reads the core, changes nothing)."""
    statuses = {c.status for c in charger.connectors.values()}
    status = next(s for s in _PRIORITY if s in statuses)
    active = [s for c in charger.connectors.values() if (s := c.running_session()) is not None]
    first = active[0] if active else None
    pending = next((c.session for c in charger.connectors.values() if c.session is not None), None)
    return ChargerState(
        status=str(status),
        availability="Operative"
        if all(c.operative for c in charger.connectors.values())
        else "Inoperative",
        connected=connected,
        current_power_kw=round(sum(s.power_kw for s in active), 3),
        energy_delivered_wh=round(charger.energy_wh(now), 1),
        transaction_id=first.transaction_id if first else None,
        session_start=datetime.fromtimestamp(first.started_at, UTC)
        if first and first.started_at is not None
        else None,
        session_energy_wh=round(first.energy_at(now), 1) if first else 0.0,
        target_energy_wh=(first.target_wh or 0.0) if first else 0.0,
        session_id_tag=pending.id_tag if pending else "",
        remote_start=pending.remote if pending else False,
        heartbeat_interval=charger.heartbeat_interval,
        connector_status={str(n): str(c.status) for n, c in charger.connectors.items()},
        last_error=charger.last_error,
        connection_error=connection_error,
        last_authorization=charger.last_authorization,
        queued_messages=queued_messages,
        offline_since=None if offline_since is None else datetime.fromtimestamp(offline_since, UTC),
    )


def idle_state(
    num_connectors: int,
    error_code: str,
    heartbeat_interval: int,
    *,
    energy_wh: float = 0.0,
    queued_messages: int = 0,
) -> ChargerState:
    """A charger that is not running: not connected, no session, faulted if an error is set;
    what it still owes its backend waits in its outbox."""
    status = "Available" if error_code == ErrorCode.NO_ERROR else "Faulted"
    return ChargerState(
        status=status,
        availability="Operative",
        connected=False,
        current_power_kw=0.0,
        energy_delivered_wh=round(energy_wh, 1),
        transaction_id=None,
        session_start=None,
        session_energy_wh=0.0,
        target_energy_wh=0.0,
        session_id_tag="",
        remote_start=False,
        heartbeat_interval=heartbeat_interval,
        connector_status={str(n): status for n in range(1, num_connectors + 1)},
        queued_messages=queued_messages,
    )
