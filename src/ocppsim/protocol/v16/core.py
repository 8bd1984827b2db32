"""OCPP 1.6 Core profile: the charger's messages (1.6 §4) and the Central System's requests
(1.6 §5) that ocppsim answers. ClearCache and DataTransfer are shared (protocol/adapter.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ocppsim.core.charger import Registration
from ocppsim.core.intents import (
    Sample,
    SendAuthorize,
    SendBoot,
    SendStatus,
    SendTxStart,
    SendTxStop,
    StopReason,
)
from ocppsim.protocol.adapter import Handler, start_remotely
from ocppsim.protocol.common import Payload, iso
from ocppsim.protocol.metering import sampled_values
from ocppsim.protocol.rpc import Outgoing

if TYPE_CHECKING:
    from ocppsim.protocol.v16.adapter import V16Adapter

#: 1.6 Reason for each neutral stop reason (1.6 §7.37).
REASONS = {
    StopReason.LOCAL: "Local",
    StopReason.REMOTE: "Remote",
    StopReason.ENERGY_LIMIT: "EVDisconnected",
    StopReason.EV_FULL: "EVDisconnected",
    StopReason.DEAUTHORIZED: "DeAuthorized",
    StopReason.POWER_LOSS: "PowerLoss",
    StopReason.SOFT_RESET: "SoftReset",
    StopReason.HARD_RESET: "HardReset",
    StopReason.UNLOCK: "UnlockCommand",
    StopReason.FAULT: "Other",
}


# ---------------------------------------------------------------------- charger -> CSMS (§4)


def boot_notification(a: V16Adapter, _intent: SendBoot) -> Outgoing:
    """BootNotification (1.6 §4.2): may go before the charger is accepted."""
    c = a.charger
    return Outgoing(
        "BootNotification",
        lambda: _boot_payload(a),
        on_result=lambda p, now: _boot_result(a, p, now),
        on_failure=lambda why, now: c.on_boot_failed(now, why),
        priority=True,
    )


def _boot_payload(a: V16Adapter) -> Payload:
    i = a.identity
    return {
        "chargePointVendor": i.vendor,
        "chargePointModel": i.model,
        "chargePointSerialNumber": i.serial_number,
        "firmwareVersion": i.firmware_version,
    }


def _boot_result(a: V16Adapter, payload: Payload, now: float) -> None:
    a.charger.on_boot_result(str(payload["status"]), int(payload["interval"]), now)
    if a.charger.accepted:
        # 1.6 §4.2: the interval of an Accepted answer is the heartbeat interval from now on.
        a.config.set("HeartbeatInterval", str(a.charger.heartbeat_interval))


def heartbeat() -> Outgoing:
    """Heartbeat (1.6 §4.6)."""
    return Outgoing("Heartbeat", dict)


def status_notification(intent: SendStatus) -> Outgoing:
    """StatusNotification (1.6 §4.9): the core speaks 1.6 ChargePointStatus already, and
    its STATION status is connector 0, the charge point's main controller."""
    payload = {
        "connectorId": intent.connector,
        "errorCode": intent.error_code,
        "status": str(intent.status),
        "timestamp": iso(intent.timestamp),
    }
    return Outgoing("StatusNotification", lambda: payload)


def authorize(a: V16Adapter, intent: SendAuthorize) -> Outgoing:
    """Authorize (1.6 §4.1)."""
    c = a.charger
    connector, id_tag = intent.connector, intent.id_tag
    return Outgoing(
        "Authorize",
        lambda: {"idTag": id_tag},
        on_result=lambda p, now: c.on_authorize_result(connector, _accepted(p), _status(p), now),
        on_failure=lambda why, now: c.on_authorize_result(connector, False, why, now),
    )


def start_transaction(a: V16Adapter, intent: SendTxStart) -> Outgoing:
    """StartTransaction (1.6 §4.8), a transaction-related message (§3.7): the transactionId
    of its answer is kept for the MeterValues and StopTransaction that follow."""
    payload = {
        "connectorId": intent.connector,
        "idTag": intent.id_tag,
        "meterStart": int(intent.meter_start_wh),
        "timestamp": iso(intent.timestamp),
    }
    return transaction_message(a, "StartTransaction", payload, intent.ref)


def meter_values(a: V16Adapter, s: Sample) -> Outgoing:
    """MeterValues (1.6 §4.7) of the measurands in MeterValuesSampledData (§9.1.16)."""
    context = "Trigger" if s.triggered else "Sample.Periodic"
    measurands = a.config.get("MeterValuesSampledData")
    values = sampled_values(s, measurands, context, textual=True)
    payload = {
        "connectorId": s.connector,
        "meterValue": [{"timestamp": iso(s.timestamp), "sampledValue": values}],
    }
    if s.ref is None or s.triggered:
        # Samples outside a transaction and triggered ones are not transaction-related (§3.7).
        return Outgoing("MeterValues", lambda: _with_transaction_id(a, payload, s.ref))
    return transaction_message(a, "MeterValues", payload, s.ref)


def stop_transaction(a: V16Adapter, intent: SendTxStop) -> Outgoing:
    """StopTransaction (1.6 §4.10), transaction-related (§3.7)."""
    payload = {
        "idTag": intent.id_tag,
        "meterStop": int(intent.meter_stop_wh),
        "timestamp": iso(intent.timestamp),
        "reason": REASONS[intent.reason],
    }
    return transaction_message(a, "StopTransaction", payload, intent.ref)


def transaction_message(a: V16Adapter, action: str, payload: Payload, ref: int | None) -> Outgoing:
    """A transaction-related message (§3.7) from its stored form: made now, or read back
    from the store after a restart. It is built when it leaves the queue, with the
    transactionId the backend gave its session meanwhile (R7: an offline start's id is not
    known when its StopTransaction and MeterValues are queued)."""

    def started(p: Payload, now: float) -> None:
        tx = int(p["transactionId"])
        if ref is not None:
            a.transaction_ids[ref] = tx
            a.charger.on_transaction_accepted(ref, tx, _accepted(p), _status(p), now)

    def stopped(_p: Payload, _now: float) -> None:
        if ref is not None:
            a.transaction_ids.pop(ref, None)

    build: Callable[[], Payload]
    on_result: Callable[[Payload, float], None] | None
    match action:
        case "StartTransaction":
            build, on_result = (lambda: payload), started
        case "StopTransaction":
            build, on_result = (
                (lambda: _with_transaction_id(a, payload, ref, required=True)),
                stopped,
            )
        case "MeterValues":
            build, on_result = (lambda: _with_transaction_id(a, payload, ref)), None
        case _:
            raise ValueError(f"{action} is not a 1.6 transaction message")
    return Outgoing(action, build, on_result=on_result, transactional=True, ref=ref, stored=payload)


def _with_transaction_id(
    a: V16Adapter, payload: Payload, ref: int | None, *, required: bool = False
) -> Payload:
    tx = a.transaction_ids.get(ref) if ref is not None else None
    if tx is None:
        if required:
            raise ValueError("StartTransaction was never confirmed: no transactionId")
        return payload
    return {**payload, "transactionId": tx}


def _accepted(payload: Payload) -> bool:
    return bool(payload.get("idTagInfo", {}).get("status") == "Accepted")


def _status(payload: Payload) -> str:
    return str(payload.get("idTagInfo", {}).get("status", "?"))


# ---------------------------------------------------------------------- CSMS -> charger (§5)


def change_availability(a: V16Adapter, p: Payload, now: float) -> Payload:
    """ChangeAvailability (1.6 §5.2): Accepted, Rejected or Scheduled (after the session)."""
    operative = p["type"] == "Operative"
    return {"status": a.charger.change_availability(int(p["connectorId"]), operative, now)}


def change_configuration(a: V16Adapter, p: Payload, now: float) -> Payload:
    """ChangeConfiguration (1.6 §5.3): the key's rule decides (protocol/values.py); a key
    that changes behaviour is applied at once."""
    key, value = str(p["key"]), str(p["value"])
    status = a.config.change(key, value)
    if status in ("Accepted", "RebootRequired"):
        a.on_key_changed(key, now)
    return {"status": status}


def get_configuration(a: V16Adapter, p: Payload, _now: float) -> Payload:
    """GetConfiguration (1.6 §5.8): all keys without a list; unknown ones in unknownKey."""
    known, unknown = a.config.read(p.get("key"))
    result: Payload = {"configurationKey": known}
    if unknown:
        result["unknownKey"] = unknown
    return result


def remote_start(a: V16Adapter, p: Payload, now: float) -> Payload:
    """RemoteStartTransaction (1.6 §5.11): connector 0 is not a connector; a charger not
    accepted yet refuses."""
    connector = p.get("connectorId")
    if connector == 0 or a.charger.registration != Registration.ACCEPTED:
        return {"status": "Rejected"}
    return start_remotely(a, connector, str(p["idTag"]), now)


def remote_stop(a: V16Adapter, p: Payload, now: float) -> Payload:
    """RemoteStopTransaction (1.6 §5.12)."""
    ok = a.charger.stop_transaction(int(p["transactionId"]), StopReason.REMOTE, now)
    return {"status": "Accepted" if ok else "Rejected"}


def reset(a: V16Adapter, p: Payload, now: float) -> Payload:
    """Reset (1.6 §5.14): running transactions stop with SoftReset / HardReset first."""
    a.charger.reset(p["type"] == "Hard", now)
    return {"status": "Accepted"}


def unlock_connector(a: V16Adapter, p: Payload, now: float) -> Payload:
    """UnlockConnector (1.6 §5.18): a running transaction on it stops (UnlockCommand)."""
    ok = a.charger.unlock(int(p["connectorId"]), now)
    return {"status": "Unlocked" if ok else "UnlockFailed"}


HANDLERS: Mapping[str, Handler[V16Adapter]] = {
    "ChangeAvailability": change_availability,
    "ChangeConfiguration": change_configuration,
    "GetConfiguration": get_configuration,
    "RemoteStartTransaction": remote_start,
    "RemoteStopTransaction": remote_stop,
    "Reset": reset,
    "UnlockConnector": unlock_connector,
}
