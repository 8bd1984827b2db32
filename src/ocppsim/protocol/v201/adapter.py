"""OCPP 2.0.1 adapter: charger intents -> 2.0.1 CALLs; 2.0.1 CSMS requests -> charger calls.

Each connector of the core is one EVSE with connector 1. Transactions are TransactionEvent
Started / Updated / Ended with a station-made UUID and a contiguous seqNo (2.0.1 E01-E07).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from ocppsim.core.charger import Charger, Refused, Registration
from ocppsim.core.intents import (
    ConnectorStatus,
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
    Trigger,
)
from ocppsim.protocol.common import Identity, iso
from ocppsim.protocol.rpc import CallError, Dialect, Outgoing, Payload
from ocppsim.protocol.v201.device_model import DeviceModel

DIALECT = Dialect(
    formation="FormatViolation",
    occurrence="OccurrenceConstraintViolation",
    reply_unknown_type=True,
    has_send=False,
)

CONNECTOR_STATUS = {
    ConnectorStatus.AVAILABLE: "Available",
    ConnectorStatus.PREPARING: "Occupied",
    ConnectorStatus.CHARGING: "Occupied",
    ConnectorStatus.SUSPENDED_EV: "Occupied",
    ConnectorStatus.FINISHING: "Occupied",
    ConnectorStatus.UNAVAILABLE: "Unavailable",
    ConnectorStatus.FAULTED: "Faulted",
}

#: (triggerReason, stoppedReason) of TransactionEvent Ended for each neutral stop reason.
ENDED = {
    StopReason.LOCAL: ("StopAuthorized", "Local"),
    StopReason.REMOTE: ("RemoteStop", "Remote"),
    StopReason.ENERGY_LIMIT: ("EnergyLimitReached", "EnergyLimitReached"),
    StopReason.EV_FULL: ("ChargingStateChanged", "SOCLimitReached"),
    StopReason.DEAUTHORIZED: ("Deauthorized", "DeAuthorized"),
    StopReason.POWER_LOSS: ("AbnormalCondition", "PowerLoss"),
    StopReason.SOFT_RESET: ("ResetCommand", "Reboot"),
    StopReason.HARD_RESET: ("ResetCommand", "ImmediateReset"),
    StopReason.UNLOCK: ("UnlockCommand", "Local"),
    StopReason.FAULT: ("AbnormalCondition", "Other"),
}
FAULT_REASONS = {"GroundFailure": "GroundFault", "OverCurrentFailure": "OvercurrentFault"}

STARTED = {
    Trigger.AUTHORIZED: "Authorized",
    Trigger.REMOTE: "RemoteStart",
    Trigger.FREE: "CablePluggedIn",
}

NOT_SUPPORTED = frozenset(
    {
        "CancelReservation", "CertificateSigned", "ClearChargingProfile", "ClearDisplayMessage",
        "ClearVariableMonitoring", "CostUpdated", "CustomerInformation", "DeleteCertificate",
        "GetChargingProfiles", "GetCompositeSchedule", "GetDisplayMessages",
        "GetInstalledCertificateIds", "GetLocalListVersion", "GetLog", "GetMonitoringReport",
        "InstallCertificate", "PublishFirmware", "ReserveNow", "SendLocalList",
        "SetChargingProfile", "SetDisplayMessage", "SetMonitoringBase", "SetMonitoringLevel",
        "SetNetworkProfile", "SetVariableMonitoring", "UnpublishFirmware", "UpdateFirmware",
        "ClearedChargingLimit",
    }
)  # fmt: skip

_UNITS = {
    "Energy.Active.Import.Register": "Wh",
    "Power.Active.Import": "W",
    "Current.Import": "A",
    "Voltage": "V",
    "SoC": "Percent",
}


@dataclass(slots=True)
class _Tx:
    """What the adapter keeps per transaction: its id and the next seqNo (E04.FR.04)."""

    transaction_id: str
    evse: int
    id_token: Payload
    seq_no: int = 0
    remote_start_id: int | None = None

    def next_seq(self) -> int:
        seq, self.seq_no = self.seq_no, self.seq_no + 1
        return seq


class V201Adapter:
    """Translates for one charging station (OCPP 2.0.1)."""

    __slots__ = (
        "_by_id",
        "_new_transaction_id",
        "_on_variable",
        "_reported",
        "_tx",
        "charger",
        "identity",
        "model",
        "pending_calls",
        "queued_transaction_messages",
    )

    #: The CSMS requests answered, by action: the method's name (one table for all stations).
    HANDLERS: ClassVar[dict[str, str]] = {
        "RequestStartTransaction": "_request_start",
        "RequestStopTransaction": "_request_stop",
        "Reset": "_reset",
        "ChangeAvailability": "_change_availability",
        "GetVariables": "_get_variables",
        "SetVariables": "_set_variables",
        "GetBaseReport": "_get_base_report",
        "GetReport": "_get_report",
        "TriggerMessage": "_trigger",
        "UnlockConnector": "_unlock",
        "DataTransfer": "_data_transfer",
        "ClearCache": "_clear_cache",
        "GetTransactionStatus": "_get_transaction_status",
    }

    dialect = DIALECT
    version_label = "2.0.1"
    not_supported = NOT_SUPPORTED

    def __init__(
        self,
        charger: Charger,
        identity: Identity,
        model: DeviceModel,
        on_variable: Callable[[str, str, str, float], None],
        new_transaction_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self.charger = charger
        self.identity = identity
        self.model = model
        self._on_variable = on_variable
        self._new_transaction_id = new_transaction_id
        self._tx: dict[int, _Tx] = {}
        self._by_id: dict[str, int] = {}
        #: Messages the adapter sends of its own accord (NotifyReport parts, 2.1 LimitSet).
        self.pending_calls: list[Outgoing] = []
        # Several core statuses are one 2.x status (Occupied): report only real changes.
        self._reported: dict[int, str] = {}
        self.queued_transaction_messages: Callable[[], int] = lambda: 0

    # ------------------------------------------------------------------ helpers

    def id_token(self, value: str) -> Payload:
        kind = "eMAID" if self.charger.spec.auth_mode == "plug_and_charge" else "ISO14443"
        return {"idToken": value, "type": kind}

    def _sampled_values(self, s: Sample, measurands: str, context: str) -> list[Payload]:
        readings = {
            "Energy.Active.Import.Register": s.register_wh,
            "Power.Active.Import": s.power_w,
            "Current.Import": s.current_a,
            "Voltage": s.voltage_v,
            "SoC": s.soc,
        }
        values: list[Payload] = []
        for measurand in (m.strip() for m in measurands.split(",") if m.strip()):
            value = readings.get(measurand)
            if value is None:
                continue
            entry: Payload = {
                "value": value,
                "context": context,
                "measurand": measurand,
                "unitOfMeasure": {"unit": _UNITS[measurand]},
            }
            if measurand == "SoC":
                entry["location"] = "EV"
            values.append(entry)
        return values

    def _meter_value(self, timestamp: float, register_wh: float, context: str) -> list[Payload]:
        return [
            {
                "timestamp": iso(timestamp),
                "sampledValue": [
                    {
                        "value": register_wh,
                        "context": context,
                        "measurand": "Energy.Active.Import.Register",
                        "unitOfMeasure": {"unit": "Wh"},
                    }
                ],
            }
        ]

    # ------------------------------------------------------------------ intents -> CALLs

    def outgoing(self, intent: Intent) -> Outgoing | None:
        c = self.charger
        match intent:
            case SendBoot(reason):
                return Outgoing(
                    "BootNotification",
                    lambda: self._boot_payload(reason),
                    on_result=self._boot_result,
                    on_failure=lambda why, now: c.on_boot_failed(now, why),
                    priority=True,
                )
            case SendHeartbeat():
                return Outgoing("Heartbeat", dict)
            case SendStatus(connector, status, _error, timestamp):
                if self._reported.get(connector) == CONNECTOR_STATUS[status]:
                    return None
                self._reported[connector] = CONNECTOR_STATUS[status]
                payload = {
                    "timestamp": iso(timestamp),
                    "connectorStatus": CONNECTOR_STATUS[status],
                    "evseId": connector,
                    "connectorId": 1,
                }
                return Outgoing("StatusNotification", lambda: payload)
            case SendAuthorize(connector, id_tag):
                return Outgoing(
                    "Authorize",
                    lambda: self._authorize_payload(id_tag),
                    on_result=lambda p, now: self._authorize_result(connector, p, now),
                    on_failure=lambda why, now: c.on_authorize_result(connector, False, why, now),
                )
            case SendTxStart():
                return self._started(intent)
            case Sample():
                return self._sample(intent)
            case SendTxStop():
                return self._ended(intent)
            case Reboot():
                return None
        return None

    def _boot_payload(self, reason: str) -> Payload:
        i = self.identity
        return {
            "reason": reason,
            "chargingStation": {
                "model": i.model,
                "vendorName": i.vendor,
                "serialNumber": i.serial_number,
                "firmwareVersion": i.firmware_version,
            },
        }

    def _boot_result(self, payload: Payload, now: float) -> None:
        self._reported.clear()  # B01.FR.05: every connector is reported after a boot
        self.charger.on_boot_result(str(payload["status"]), int(payload["interval"]), now)
        if self.charger.accepted:
            self.model.put(
                ("OCPPCommCtrlr", "", 0, "HeartbeatInterval", ""),
                str(self.charger.heartbeat_interval),
            )

    def certificate_hash_data(self) -> list[Payload]:
        """OCSPRequestData for Plug & Charge, derived from the configured certificate hash
        (the simulator has no contract certificate of its own; reference §3.2)."""
        spec = self.charger.spec
        if spec.auth_mode != "plug_and_charge" or not spec.pnc_certificate_hash:
            return []
        digest = hashlib.sha256(spec.pnc_certificate_hash.encode()).hexdigest()
        issuer = hashlib.sha256((spec.pnc_pcid or "ocppsim").encode()).hexdigest()
        return [
            {
                "hashAlgorithm": "SHA256",
                "issuerNameHash": issuer,
                "issuerKeyHash": digest,
                "serialNumber": digest[:16].lstrip("0") or "0",
                "responderURL": "http://ocsp.ocppsim.invalid/",
            }
        ]

    def _authorize_payload(self, id_tag: str) -> Payload:
        payload: Payload = {"idToken": self.id_token(id_tag)}
        hashes = self.certificate_hash_data()
        if hashes:
            payload["iso15118CertificateHashData"] = hashes
        return payload

    def _authorize_result(self, connector: int, payload: Payload, now: float) -> None:
        info = payload.get("idTokenInfo", {})
        status = str(info.get("status", "?"))
        if "certificateStatus" in payload:
            status = f"{status}, certificate {payload['certificateStatus']}"
        self.charger.on_authorize_result(connector, info.get("status") == "Accepted", status, now)

    def _started(self, intent: SendTxStart) -> Outgoing:
        tx = _Tx(self._new_transaction_id(), intent.connector, self.id_token(intent.id_tag))
        tx.remote_start_id = intent.remote_start_id
        self._tx[intent.ref] = tx
        self._by_id[tx.transaction_id] = intent.ref
        self.charger.set_transaction_id(intent.ref, tx.transaction_id)
        info: Payload = {"transactionId": tx.transaction_id, "chargingState": "Charging"}
        if intent.remote_start_id is not None:
            info["remoteStartId"] = intent.remote_start_id
        payload = {
            "eventType": "Started",
            "timestamp": iso(intent.timestamp),
            "triggerReason": STARTED[intent.trigger],
            "seqNo": tx.next_seq(),
            "transactionInfo": info,
            "evse": {"id": intent.connector, "connectorId": 1},
            "idToken": tx.id_token,
            "meterValue": self._meter_value(
                intent.timestamp, intent.meter_start_wh, "Transaction.Begin"
            ),
        }

        def result(p: Payload, now: float) -> None:
            info = p.get("idTokenInfo")
            if info is not None:
                status = str(info.get("status", "?"))
                self.charger.on_transaction_accepted(
                    intent.ref, None, status == "Accepted", status, now
                )
            self.on_transaction_answer(intent.ref, p, now)

        return Outgoing("TransactionEvent", lambda: payload, on_result=result, transactional=True)

    def on_transaction_answer(self, ref: int, answer: Payload, now: float) -> None:
        """What the CSMS adds to its answer to a Started or Updated event (2.1 adds limits)."""

    def _sample(self, s: Sample) -> Outgoing:
        measurands = self.model.value("SampledDataCtrlr", "TxUpdatedMeasurands")
        ref = s.ref
        tx = self._tx.get(ref) if ref is not None else None
        context = "Trigger" if s.triggered else "Sample.Periodic"
        meter_value = [
            {
                "timestamp": iso(s.timestamp),
                "sampledValue": self._sampled_values(s, measurands, context),
            }
        ]
        if tx is None or ref is None:
            payload = {"evseId": s.connector, "meterValue": meter_value}
            return Outgoing("MeterValues", lambda: payload)
        event = {
            "eventType": "Updated",
            "timestamp": iso(s.timestamp),
            "triggerReason": "Trigger" if s.triggered else "MeterValuePeriodic",
            "seqNo": tx.next_seq(),
            "transactionInfo": {"transactionId": tx.transaction_id, "chargingState": "Charging"},
            "meterValue": meter_value,
        }

        def result(p: Payload, now: float) -> None:
            self.on_transaction_answer(ref, p, now)

        return Outgoing("TransactionEvent", lambda: event, on_result=result, transactional=True)

    def _ended(self, intent: SendTxStop) -> Outgoing | None:
        tx = self._tx.pop(intent.ref, None)
        if tx is None:
            return None
        trigger, stopped = ENDED[intent.reason]
        if intent.reason == StopReason.FAULT:
            stopped = FAULT_REASONS.get(intent.error_code, "Other")
        payload = {
            "eventType": "Ended",
            "timestamp": iso(intent.timestamp),
            "triggerReason": trigger,
            "seqNo": tx.next_seq(),
            "transactionInfo": {
                "transactionId": tx.transaction_id,
                "chargingState": "EVConnected"
                if intent.reason not in (StopReason.POWER_LOSS, StopReason.FAULT)
                else "Idle",
                "stoppedReason": stopped,
            },
            "idToken": tx.id_token,
            "meterValue": self._meter_value(
                intent.timestamp, intent.meter_stop_wh, "Transaction.End"
            ),
        }

        def done(_p: Payload, _now: float) -> None:
            self._by_id.pop(tx.transaction_id, None)

        return Outgoing("TransactionEvent", lambda: payload, on_result=done, transactional=True)

    # ------------------------------------------------------------------ CSMS CALLs

    def handle(self, action: str, payload: Payload, now: float) -> Payload:
        if self.charger.registration == Registration.REJECTED:
            raise CallError("SecurityError", "the charging station is not accepted (B03.FR.08)")
        name = self.HANDLERS.get(action)
        if name is None:
            if action in self.not_supported:
                raise CallError("NotSupported", f"{action} is not supported by ocppsim")
            raise CallError("NotImplemented", f"unknown action {action}")
        handler: Callable[[Payload, float], Payload] = getattr(self, name)
        return handler(payload, now)

    def _clear_cache(self, p: Payload, now: float) -> Payload:
        return {"status": "Accepted"}

    def _request_start(self, p: Payload, now: float) -> Payload:
        if not self.charger.accepted:
            return {"status": "Rejected"}  # B02.FR.05
        evse = p.get("evseId")
        token = p["idToken"]
        try:
            self.charger.start(
                evse,
                str(token["idToken"]),
                None,
                now,
                remote=True,
                remote_start_id=int(p["remoteStartId"]),
            )
        except Refused:
            return {"status": "Rejected"}
        return {"status": "Accepted"}

    def _request_stop(self, p: Payload, now: float) -> Payload:
        ok = self.charger.stop_transaction(str(p["transactionId"]), StopReason.REMOTE, now)
        return {"status": "Accepted" if ok else "Rejected"}

    def _reset(self, p: Payload, now: float) -> Payload:
        if "evseId" in p:
            return {"status": "Rejected"}  # resetting a single EVSE is not supported
        if p["type"] == "Immediate":
            self.charger.reset(True, now)
            return {"status": "Accepted"}
        return {"status": "Accepted" if self.charger.reset_when_idle(now) else "Scheduled"}

    def _change_availability(self, p: Payload, now: float) -> Payload:
        evse = int(p.get("evse", {}).get("id", 0))
        operative = p["operationalStatus"] == "Operative"
        return {"status": self.charger.change_availability(evse, operative, now)}

    def _get_variables(self, p: Payload, _now: float) -> Payload:
        return {"getVariableResult": [self.model.get(item) for item in p["getVariableData"]]}

    def _set_variables(self, p: Payload, now: float) -> Payload:
        results = []
        for item in p["setVariableData"]:
            result, changed = self.model.set(item)
            results.append(result)
            if changed is not None:
                self._on_variable(changed.component, changed.name, changed.instance, now)
        return {"setVariableResult": results}

    def _get_base_report(self, p: Payload, now: float) -> Payload:
        base = p["reportBase"]
        if base not in ("ConfigurationInventory", "FullInventory", "SummaryInventory"):
            return {"status": "NotSupported"}
        self._queue_report(int(p["requestId"]), list(self.model.report(base)), now)
        return {"status": "Accepted"}

    def _get_report(self, p: Payload, now: float) -> Payload:
        criteria = p.get("componentVariable")
        items = (
            list(self.model.matching(criteria))
            if criteria
            else list(self.model.report("FullInventory"))
        )
        if p.get("componentCriteria") and not criteria:
            return {"status": "NotSupported"}  # monitoring criteria are not simulated
        if not items:
            return {"status": "EmptyResultSet"}
        self._queue_report(int(p["requestId"]), items, now)
        return {"status": "Accepted"}

    def _queue_report(self, request_id: int, items: list[Payload], now: float) -> None:
        per = int(self.model.value("DeviceDataCtrlr", "ItemsPerMessage", "GetReport"))
        chunks = [items[i : i + per] for i in range(0, len(items), per)] or [[]]
        for seq, chunk in enumerate(chunks):
            payload: Payload = {"requestId": request_id, "generatedAt": iso(now), "seqNo": seq}
            if chunk:
                payload["reportData"] = chunk
            if seq < len(chunks) - 1:
                payload["tbc"] = True
            self.pending_calls.append(Outgoing("NotifyReport", _constant(payload)))

    def _trigger(self, p: Payload, now: float) -> Payload:
        c = self.charger
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
                        self._reported.pop(connector, None)
                c.trigger_status(evse, now)
            case "MeterValues" | "TransactionEvent":
                c.trigger_meter_values(evse, now)
            case _:
                return {"status": "NotImplemented"}
        return {"status": "Accepted"}

    def _unlock(self, p: Payload, now: float) -> Payload:
        evse = int(p["evseId"])
        if evse not in self.charger.connectors or int(p["connectorId"]) != 1:
            return {"status": "UnknownConnector"}
        session = self.charger.connectors[evse].session
        if session is not None and not session.ended and session.started_at is not None:
            return {"status": "OngoingAuthorizedTransaction"}  # F05.FR.02
        self.charger.unlock(evse, now)
        return {"status": "Unlocked"}

    def _data_transfer(self, p: Payload, _now: float) -> Payload:
        result: Payload = {"status": "Accepted"}
        if "data" in p:
            result["data"] = p["data"]
        return result

    def _get_transaction_status(self, p: Payload, _now: float) -> Payload:
        queued = self.queued_transaction_messages() > 0
        transaction_id = p.get("transactionId")
        if transaction_id is None:
            return {"messagesInQueue": queued}
        ongoing = any(
            c.session is not None
            and not c.session.ended
            and c.session.transaction_id == transaction_id
            for c in self.charger.connectors.values()
        )
        return {"ongoingIndicator": ongoing, "messagesInQueue": queued}


def _constant(payload: Payload) -> Callable[[], Payload]:
    return lambda: payload
