"""OCPP 1.6J adapter: charger intents -> 1.6 CALLs; 1.6 CSMS requests -> charger calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from ocppsim.core.charger import Charger, Refused, Registration
from ocppsim.core.intents import (
    Intent,
    Reboot,
    Sample,
    SendAuthorize,
    SendBoot,
    SendHeartbeat,
    SendStatus,
    SendTxStart,
    SendTxStop,
    StopReason,
)
from ocppsim.protocol.common import Identity, iso
from ocppsim.protocol.rpc import CallError, Dialect, Outgoing, Payload
from ocppsim.protocol.v16.config import ConfigStore

DIALECT = Dialect(
    formation="FormationViolation",
    occurrence="OccurenceConstraintViolation",
    reply_unknown_type=False,
    has_send=False,
)

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

#: Actions of 1.6 (and its security whitepaper) that ocppsim does not implement.
NOT_SUPPORTED = frozenset(
    {
        "GetDiagnostics",
        "UpdateFirmware",
        "ReserveNow",
        "CancelReservation",
        "SendLocalList",
        "GetLocalListVersion",
        "SetChargingProfile",
        "ClearChargingProfile",
        "GetCompositeSchedule",
        "CertificateSigned",
        "DeleteCertificate",
        "ExtendedTriggerMessage",
        "GetInstalledCertificateIds",
        "GetLog",
        "InstallCertificate",
        "SignedUpdateFirmware",
    }
)

_UNITS = {
    "Energy.Active.Import.Register": "Wh",
    "Power.Active.Import": "W",
    "Current.Import": "A",
    "Voltage": "V",
    "SoC": "Percent",
}


class V16Adapter:
    """Translates for one charger; ``apply_config`` pushes key values into the charger."""

    __slots__ = ("_on_config", "_transaction_ids", "charger", "config", "identity")

    #: The CSMS requests answered, by action: the method's name (one table for all chargers;
    #: a dict of bound methods per charger would cost a kilobyte each in a load test).
    HANDLERS: ClassVar[dict[str, str]] = {
        "RemoteStartTransaction": "_remote_start",
        "RemoteStopTransaction": "_remote_stop",
        "Reset": "_reset",
        "ChangeAvailability": "_change_availability",
        "GetConfiguration": "_get_configuration",
        "ChangeConfiguration": "_change_configuration",
        "TriggerMessage": "_trigger",
        "UnlockConnector": "_unlock",
        "DataTransfer": "_data_transfer",
        "ClearCache": "_clear_cache",
    }

    def __init__(
        self,
        charger: Charger,
        identity: Identity,
        config: ConfigStore,
        on_config: Callable[[str, float], None],
    ) -> None:
        self.charger = charger
        self.identity = identity
        self.config = config
        self._on_config = on_config
        self._transaction_ids: dict[int, int] = {}

    # ------------------------------------------------------------------ intents -> CALLs

    def outgoing(self, intent: Intent) -> Outgoing | None:
        c = self.charger
        match intent:
            case SendBoot():
                return Outgoing(
                    "BootNotification",
                    self._boot_payload,
                    on_result=self._boot_result,
                    on_failure=lambda why, now: c.on_boot_failed(now, why),
                    priority=True,
                )
            case SendHeartbeat():
                return Outgoing("Heartbeat", dict)
            case SendStatus(connector, status, error_code, timestamp):
                payload = {
                    "connectorId": connector,
                    "errorCode": error_code,
                    "status": str(status),
                    "timestamp": iso(timestamp),
                }
                return Outgoing("StatusNotification", lambda: payload)
            case SendAuthorize(connector, id_tag):
                return Outgoing(
                    "Authorize",
                    lambda: {"idTag": id_tag},
                    on_result=lambda p, now: c.on_authorize_result(
                        connector, _accepted(p), _status(p), now
                    ),
                    on_failure=lambda why, now: c.on_authorize_result(connector, False, why, now),
                )
            case SendTxStart():
                return self._start_transaction(intent)
            case Sample():
                return self._meter_values(intent)
            case SendTxStop():
                return self._stop_transaction(intent)
            case Reboot():
                return None
        return None

    def _boot_payload(self) -> Payload:
        i = self.identity
        return {
            "chargePointVendor": i.vendor,
            "chargePointModel": i.model,
            "chargePointSerialNumber": i.serial_number,
            "firmwareVersion": i.firmware_version,
        }

    def _boot_result(self, payload: Payload, now: float) -> None:
        self.charger.on_boot_result(str(payload["status"]), int(payload["interval"]), now)
        if self.charger.accepted:
            self.config.set("HeartbeatInterval", str(self.charger.heartbeat_interval))

    def _start_transaction(self, intent: SendTxStart) -> Outgoing:
        payload = {
            "connectorId": intent.connector,
            "idTag": intent.id_tag,
            "meterStart": int(intent.meter_start_wh),
            "timestamp": iso(intent.timestamp),
        }

        def result(p: Payload, now: float) -> None:
            tx = int(p["transactionId"])
            self._transaction_ids[intent.ref] = tx
            self.charger.on_transaction_accepted(intent.ref, tx, _accepted(p), _status(p), now)

        return Outgoing("StartTransaction", lambda: payload, on_result=result, transactional=True)

    def _meter_values(self, s: Sample) -> Outgoing:
        values: list[dict[str, Any]] = []
        readings = {
            "Energy.Active.Import.Register": s.register_wh,
            "Power.Active.Import": s.power_w,
            "Current.Import": s.current_a,
            "Voltage": s.voltage_v,
            "SoC": s.soc,
        }
        context = "Trigger" if s.triggered else "Sample.Periodic"
        for measurand in self.config.get("MeterValuesSampledData").split(","):
            value = readings.get(measurand.strip())
            if value is None:
                continue
            entry: dict[str, Any] = {
                "value": f"{value:g}" if isinstance(value, float) else str(value),
                "context": context,
                "measurand": measurand.strip(),
                "unit": _UNITS[measurand.strip()],
            }
            if measurand.strip() == "SoC":
                entry["location"] = "EV"
            values.append(entry)
        meter_value = {"timestamp": iso(s.timestamp), "sampledValue": values}
        ref = s.ref

        def build() -> Payload:
            payload: Payload = {"connectorId": s.connector, "meterValue": [meter_value]}
            if ref is not None and ref in self._transaction_ids:
                payload["transactionId"] = self._transaction_ids[ref]
            return payload

        # Periodic samples of a transaction are transaction-related (1.6 §3.7); others are not.
        return Outgoing("MeterValues", build, transactional=ref is not None and not s.triggered)

    def _stop_transaction(self, intent: SendTxStop) -> Outgoing:
        def build() -> Payload:
            tx = self._transaction_ids.get(intent.ref)
            if tx is None:
                raise ValueError("StartTransaction was never confirmed: no transactionId")
            return {
                "transactionId": tx,
                "idTag": intent.id_tag,
                "meterStop": int(intent.meter_stop_wh),
                "timestamp": iso(intent.timestamp),
                "reason": REASONS[intent.reason],
            }

        def done(_p: Payload, _now: float) -> None:
            self._transaction_ids.pop(intent.ref, None)

        return Outgoing("StopTransaction", build, on_result=done, transactional=True)

    # ------------------------------------------------------------------ CSMS CALLs

    def handle(self, action: str, payload: Payload, now: float) -> Payload:
        if self.charger.registration == Registration.REJECTED:
            # 1.6J errata 3.10 / B03.FR.08: not registered, answer SecurityError.
            raise CallError("SecurityError", "the charger is not accepted by the backend")
        name = self.HANDLERS.get(action)
        if name is None:
            if action in NOT_SUPPORTED:
                raise CallError("NotSupported", f"{action} is not supported by ocppsim")
            raise CallError("NotImplemented", f"unknown action {action}")
        handler: Callable[[Payload, float], Payload] = getattr(self, name)
        return handler(payload, now)

    def _clear_cache(self, p: Payload, now: float) -> Payload:
        return {"status": "Accepted"}

    def _remote_start(self, p: Payload, now: float) -> Payload:
        connector = p.get("connectorId")
        if connector == 0 or self.charger.registration != Registration.ACCEPTED:
            return {"status": "Rejected"}
        try:
            self.charger.start(connector, str(p["idTag"]), None, now, remote=True)
        except Refused:
            return {"status": "Rejected"}
        return {"status": "Accepted"}

    def _remote_stop(self, p: Payload, now: float) -> Payload:
        ok = self.charger.stop_transaction(int(p["transactionId"]), StopReason.REMOTE, now)
        return {"status": "Accepted" if ok else "Rejected"}

    def _reset(self, p: Payload, now: float) -> Payload:
        self.charger.reset(p["type"] == "Hard", now)
        return {"status": "Accepted"}

    def _change_availability(self, p: Payload, now: float) -> Payload:
        operative = p["type"] == "Operative"
        return {"status": self.charger.change_availability(int(p["connectorId"]), operative, now)}

    def _get_configuration(self, p: Payload, _now: float) -> Payload:
        known, unknown = self.config.read(p.get("key"))
        result: Payload = {"configurationKey": known}
        if unknown:
            result["unknownKey"] = unknown
        return result

    def _change_configuration(self, p: Payload, now: float) -> Payload:
        key, value = str(p["key"]), str(p["value"])
        status = self.config.change(key, value)
        if status in ("Accepted", "RebootRequired"):
            self._on_config(key, now)
        return {"status": status}

    def _trigger(self, p: Payload, now: float) -> Payload:
        c = self.charger
        what = p["requestedMessage"]
        connector = p.get("connectorId")
        if connector is not None and connector != 0 and connector not in c.connectors:
            return {"status": "Rejected"}
        match what:
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

    def _unlock(self, p: Payload, now: float) -> Payload:
        ok = self.charger.unlock(int(p["connectorId"]), now)
        return {"status": "Unlocked" if ok else "UnlockFailed"}

    def _data_transfer(self, p: Payload, _now: float) -> Payload:
        # ocppsim accepts every vendor and echoes the data back, so a CSMS can test its side.
        result: Payload = {"status": "Accepted"}
        if "data" in p:
            result["data"] = p["data"]
        return result


def _accepted(payload: Payload) -> bool:
    return bool(payload.get("idTagInfo", {}).get("status") == "Accepted")


def _status(payload: Payload) -> str:
    return str(payload.get("idTagInfo", {}).get("status", "?"))
