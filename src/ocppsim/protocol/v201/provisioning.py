"""OCPP 2.0.1 functional block B, Provisioning: BootNotification (B01-B03), SetVariables (B05),
GetVariables (B06), GetBaseReport (B07), GetReport (B08), Reset (B11, B12). The variables are
the device model (``device_model.py``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ocppsim.core.intents import SendBoot
from ocppsim.protocol.adapter import Handler
from ocppsim.protocol.common import Payload, iso
from ocppsim.protocol.rpc import Outgoing

if TYPE_CHECKING:
    from ocppsim.protocol.v201.adapter import V201Adapter

# ---------------------------------------------------------------------- BootNotification


def boot_notification(a: V201Adapter, intent: SendBoot) -> Outgoing:
    """BootNotification (B01): may go before the station is accepted."""
    c = a.charger
    reason = intent.reason
    return Outgoing(
        "BootNotification",
        lambda: _boot_payload(a, reason),
        on_result=lambda p, now: _boot_result(a, p, now),
        on_failure=lambda why, now: c.on_boot_failed(now, why),
        priority=True,
    )


def _boot_payload(a: V201Adapter, reason: str) -> Payload:
    i = a.identity
    return {
        "reason": reason,
        "chargingStation": {
            "model": i.model,
            "vendorName": i.vendor,
            "serialNumber": i.serial_number,
            "firmwareVersion": i.firmware_version,
        },
    }


def _boot_result(a: V201Adapter, payload: Payload, now: float) -> None:
    a.reported.clear()  # B01.FR.05: every connector is reported after a boot
    a.charger.on_boot_result(str(payload["status"]), int(payload["interval"]), now)
    if a.charger.accepted:
        # B01: the interval of an Accepted answer is the heartbeat interval from now on.
        a.model.put(
            ("OCPPCommCtrlr", "", 0, "HeartbeatInterval", ""),
            str(a.charger.heartbeat_interval),
        )


# ---------------------------------------------------------------------- variables and reports


def get_variables(a: V201Adapter, p: Payload, _now: float) -> Payload:
    """GetVariables (B06): one result per requested variable, in order."""
    return {"getVariableResult": [a.model.get(item) for item in p["getVariableData"]]}


def set_variables(a: V201Adapter, p: Payload, now: float) -> Payload:
    """SetVariables (B05): each value passes its variable's rule (protocol/values.py); a
    variable that changes behaviour is applied at once."""
    results = []
    for item in p["setVariableData"]:
        result, changed = a.model.set(item)
        results.append(result)
        if changed is not None:
            a.on_variable_changed(changed, now)
    return {"setVariableResult": results}


def get_base_report(a: V201Adapter, p: Payload, now: float) -> Payload:
    """GetBaseReport (B07): answered first, the report follows in NotifyReport parts."""
    base = p["reportBase"]
    if base not in ("ConfigurationInventory", "FullInventory", "SummaryInventory"):
        return {"status": "NotSupported"}
    _queue_report(a, int(p["requestId"]), list(a.model.report(base)), now)
    return {"status": "Accepted"}


def get_report(a: V201Adapter, p: Payload, now: float) -> Payload:
    """GetReport (B08) by componentVariable; monitoring criteria are not simulated."""
    criteria = p.get("componentVariable")
    items = list(a.model.matching(criteria)) if criteria else list(a.model.report("FullInventory"))
    if p.get("componentCriteria") and not criteria:
        return {"status": "NotSupported"}  # monitoring criteria are not simulated
    if not items:
        return {"status": "EmptyResultSet"}
    _queue_report(a, int(p["requestId"]), items, now)
    return {"status": "Accepted"}


def _queue_report(a: V201Adapter, request_id: int, items: list[Payload], now: float) -> None:
    """NotifyReport parts of ItemsPerMessage[GetReport] items, seqNo from 0, ``tbc`` on all
    but the last."""
    per = int(a.model.value("DeviceDataCtrlr", "ItemsPerMessage", "GetReport"))
    chunks = [items[i : i + per] for i in range(0, len(items), per)] or [[]]
    for seq, chunk in enumerate(chunks):
        payload: Payload = {"requestId": request_id, "generatedAt": iso(now), "seqNo": seq}
        if chunk:
            payload["reportData"] = chunk
        if seq < len(chunks) - 1:
            payload["tbc"] = True
        a.send_own(Outgoing("NotifyReport", _constant(payload)))


def _constant(payload: Payload) -> Callable[[], Payload]:
    return lambda: payload


# ---------------------------------------------------------------------- Reset


def reset(a: V201Adapter, p: Payload, now: float) -> Payload:
    """Reset (B11 without, B12 with a transaction): Immediate stops it now, OnIdle waits for
    it (Scheduled). Resetting a single EVSE is not supported."""
    if "evseId" in p:
        return {"status": "Rejected"}
    if p["type"] == "Immediate":
        a.charger.reset(True, now)
        return {"status": "Accepted"}
    return {"status": "Accepted" if a.charger.reset_when_idle(now) else "Scheduled"}


HANDLERS: Mapping[str, Handler[V201Adapter]] = {
    "GetBaseReport": get_base_report,
    "GetReport": get_report,
    "GetVariables": get_variables,
    "Reset": reset,
    "SetVariables": set_variables,
}
