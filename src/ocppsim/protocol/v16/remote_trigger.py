"""OCPP 1.6 RemoteTrigger profile: TriggerMessage (1.6 §5.17)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ocppsim.protocol.adapter import Handler
from ocppsim.protocol.common import Payload

if TYPE_CHECKING:
    from ocppsim.protocol.v16.adapter import V16Adapter


def trigger_message(a: V16Adapter, p: Payload, now: float) -> Payload:
    """TriggerMessage (1.6 §5.17): answered first, the requested message follows. An unknown
    connector is Rejected; messages ocppsim cannot send (diagnostics and firmware status) are
    NotImplemented. StatusNotification for connectorId 0 is the charge point's own status
    (§4.9); without connectorId, the charge point's and every connector's."""
    c = a.charger
    connector = p.get("connectorId")
    if connector is not None and connector != 0 and connector not in c.connectors:
        return {"status": "Rejected"}
    match p["requestedMessage"]:
        case "BootNotification":
            c.trigger_boot()
        case "Heartbeat":
            c.trigger_heartbeat()
        case "StatusNotification":
            c.trigger_status(connector, now)
        case "MeterValues":
            c.trigger_meter_values(connector, now)
        case _:
            return {"status": "NotImplemented"}
    return {"status": "Accepted"}


HANDLERS: Mapping[str, Handler[V16Adapter]] = {"TriggerMessage": trigger_message}
