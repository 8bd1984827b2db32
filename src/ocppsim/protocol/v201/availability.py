"""OCPP 2.0.1 functional block G, Availability: StatusNotification (G01), Heartbeat (G02),
ChangeAvailability (G03, G04)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ocppsim.core.intents import STATION, ConnectorStatus, SendStatus
from ocppsim.protocol.adapter import Handler
from ocppsim.protocol.common import Payload, iso
from ocppsim.protocol.rpc import Outgoing

if TYPE_CHECKING:
    from ocppsim.protocol.v201.adapter import V201Adapter

#: The 2.x ConnectorStatusEnum of each core status (1.6 ChargePointStatus words).
CONNECTOR_STATUS = {
    ConnectorStatus.AVAILABLE: "Available",
    ConnectorStatus.PREPARING: "Occupied",
    ConnectorStatus.CHARGING: "Occupied",
    ConnectorStatus.SUSPENDED_EV: "Occupied",
    ConnectorStatus.FINISHING: "Occupied",
    ConnectorStatus.UNAVAILABLE: "Unavailable",
    ConnectorStatus.FAULTED: "Faulted",
}


def status_notification(a: V201Adapter, intent: SendStatus) -> Outgoing | None:
    """StatusNotification (G01): each core connector is EVSE n, connector 1. Several core
    statuses are one 2.x status (Occupied), so only a real change is reported;
    ``a.reported`` is cleared by a boot (B01.FR.05) and a triggered StatusNotification.
    The station as a whole has no StatusNotification in 2.x (G01 reports connectors): none."""
    if intent.connector == STATION:
        return None
    status = CONNECTOR_STATUS[intent.status]
    if a.reported.get(intent.connector) == status:
        return None
    a.reported[intent.connector] = status
    payload = {
        "timestamp": iso(intent.timestamp),
        "connectorStatus": status,
        "evseId": intent.connector,
        "connectorId": 1,
    }
    return Outgoing("StatusNotification", lambda: payload)


def heartbeat() -> Outgoing:
    """Heartbeat (G02)."""
    return Outgoing("Heartbeat", dict)


def change_availability(a: V201Adapter, p: Payload, now: float) -> Payload:
    """ChangeAvailability of an EVSE (G03) or, without ``evse``, the station (G04):
    Accepted, Rejected or Scheduled (after the running transaction)."""
    evse = int(p.get("evse", {}).get("id", 0))
    operative = p["operationalStatus"] == "Operative"
    return {"status": a.charger.change_availability(evse, operative, now)}


HANDLERS: Mapping[str, Handler[V201Adapter]] = {"ChangeAvailability": change_availability}
