"""OCPP 2.0.1 functional block F, Remote control: RequestStartTransaction (F01, F02),
RequestStopTransaction (F03), UnlockConnector (F05), TriggerMessage (F06)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ocppsim.core.intents import StopReason
from ocppsim.core.model import ChargerType
from ocppsim.protocol.adapter import Handler, start_remotely
from ocppsim.protocol.common import Payload

if TYPE_CHECKING:
    from ocppsim.protocol.v201.adapter import V201Adapter


def request_start(a: V201Adapter, p: Payload, now: float) -> Payload:
    """RequestStartTransaction (F01, F02): the remoteStartId comes back in the Started event.
    A station not accepted yet refuses (B02.FR.05)."""
    if not a.charger.accepted:
        return {"status": "Rejected"}  # B02.FR.05
    id_token = str(p["idToken"]["idToken"])
    return start_remotely(a, p.get("evseId"), id_token, now, int(p["remoteStartId"]))


def request_stop(a: V201Adapter, p: Payload, now: float) -> Payload:
    """RequestStopTransaction (F03): Rejected for a transactionId that is not running."""
    ok = a.charger.stop_transaction(str(p["transactionId"]), StopReason.REMOTE, now)
    return {"status": "Accepted" if ok else "Rejected"}


def unlock_connector(a: V201Adapter, p: Payload, now: float) -> Payload:
    """UnlockConnector (F05): each EVSE has connector 1; while an authorized transaction runs
    on it the answer is OngoingAuthorizedTransaction (F05.FR.02)."""
    evse = int(p["evseId"])
    if evse not in a.charger.connectors or int(p["connectorId"]) != 1:
        return {"status": "UnknownConnector"}
    if a.charger.connectors[evse].running_session() is not None:
        return {"status": "OngoingAuthorizedTransaction"}  # F05.FR.02
    a.charger.unlock(evse, now)
    return {"status": "Unlocked"}


def trigger_message(a: V201Adapter, p: Payload, now: float) -> Payload:
    """TriggerMessage (F06): answered first (F06.FR.04), the requested message follows.

    BootNotification (reason Triggered) only while not accepted (F06.FR.17: Pending, B02).
    A triggered StatusNotification is sent even without a change. MeterValues: one per EVSE
    (or the given one) with AlignedDataCtrlr.Measurands, a transaction or not (F06.FR.06).
    TransactionEvent: Updated with triggerReason Trigger for the running transaction of the
    EVSE, or of every EVSE without one (F06.FR.07); with none there is nothing to send, so
    the answer is Rejected (as libocpp and EVerest's F06 test)."""
    c = a.charger
    evse = p.get("evse", {}).get("id")
    if evse is not None and evse not in c.connectors:
        return {"status": "Rejected"}
    match p["requestedMessage"]:
        case "BootNotification":
            if c.accepted:
                return {"status": "Rejected"}  # F06.FR.17
            c.trigger_boot()
        case "Heartbeat":
            c.trigger_heartbeat()
        case "StatusNotification":
            for connector in c.connectors:
                if evse in (None, connector):
                    a.reported.pop(connector, None)
            c.trigger_status(evse, now)
        case "MeterValues":
            if not _measurable(a, a.model.value("AlignedDataCtrlr", "Measurands")):
                return {"status": "Rejected"}  # nothing the station can measure: no message
            c.trigger_meter_values(evse, now)  # F06.FR.06
        case "TransactionEvent":
            if not c.trigger_transaction_update(evse, now):
                return {"status": "Rejected"}  # no transaction there
        case _:
            return {"status": "NotImplemented"}
    return {"status": "Accepted"}


def _measurable(a: V201Adapter, measurands: str) -> bool:
    """Whether a reading of ``measurands`` has a value to send (a MeterValues needs one):
    every measurand ocppsim samples has, except the state of charge of an AC charger."""
    dc = a.charger.spec.charger_type == ChargerType.DC
    return any(m and (m != "SoC" or dc) for m in measurands.split(","))


HANDLERS: Mapping[str, Handler[V201Adapter]] = {
    "RequestStartTransaction": request_start,
    "RequestStopTransaction": request_stop,
    "TriggerMessage": trigger_message,
    "UnlockConnector": unlock_connector,
}
