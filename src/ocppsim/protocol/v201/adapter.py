"""OCPP 2.0.1 adapter: charger intents -> 2.0.1 CALLs; 2.0.1 CSMS requests -> charger calls.

Each connector of the core is one EVSE with connector 1. The handlers live by functional block:
``provisioning.py`` (B), ``authorization.py`` (C), ``transactions.py`` (E, J),
``remote_control.py`` (F), ``availability.py`` (G); the variables in ``device_model.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self, assert_never

from ocppsim.core.charger import Charger
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
)
from ocppsim.core.model import ChargerType
from ocppsim.protocol import adapter as shared
from ocppsim.protocol.adapter import Adapter, Setting
from ocppsim.protocol.common import Identity, Payload
from ocppsim.protocol.rpc import Dialect, Outgoing
from ocppsim.protocol.v201 import (
    authorization,
    availability,
    provisioning,
    remote_control,
    transactions,
)
from ocppsim.protocol.v201.device_model import DeviceModel, Variable
from ocppsim.protocol.v201.transactions import Tx

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


def _new_uuid() -> str:
    return str(uuid.uuid4())


#: The variables whose change the station applies at once (2.0.1 part 2), and what each means.
SETTINGS: Mapping[tuple[str, str], Setting] = {
    ("OCPPCommCtrlr", "HeartbeatInterval"): Setting.HEARTBEAT_INTERVAL,
    ("SampledDataCtrlr", "TxUpdatedInterval"): Setting.METER_INTERVAL,
    ("AuthCtrlr", "AuthorizeRemoteStart"): Setting.AUTHORIZE_REMOTE_START,
    ("OCPPCommCtrlr", "MessageAttempts"): Setting.TRANSACTION_RETRY,
    ("OCPPCommCtrlr", "MessageAttemptInterval"): Setting.TRANSACTION_RETRY,
}


class V201Adapter(Adapter):
    """Translates for one charging station (OCPP 2.0.1); its variables are ``model``."""

    __slots__ = ("model", "new_transaction_id", "reported", "tx")

    dialect: ClassVar[Dialect] = Dialect(
        formation="FormatViolation",
        occurrence="OccurrenceConstraintViolation",
        reply_unknown_type=True,
        has_send=False,
    )
    subprotocol: ClassVar[str] = "ocpp2.0.1"
    HANDLERS: ClassVar[Mapping[str, Callable[[Self, Payload, float], Payload]]] = {
        **shared.SHARED_HANDLERS,
        **provisioning.HANDLERS,
        **transactions.HANDLERS,
        **remote_control.HANDLERS,
        **availability.HANDLERS,
    }
    NOT_SUPPORTED: ClassVar[frozenset[str]] = NOT_SUPPORTED

    def __init__(
        self,
        charger: Charger,
        identity: Identity,
        new_transaction_id: Callable[[], str] = _new_uuid,
    ) -> None:
        super().__init__(charger, identity)
        spec = charger.spec
        self.model = DeviceModel.standard(
            evses=spec.num_connectors,
            dc=spec.charger_type == ChargerType.DC,
            pnc=spec.auth_mode == "plug_and_charge",
            identity=identity.serial_number,
            model=identity.model,
            vendor=identity.vendor,
            heartbeat=charger.heartbeat_interval,
            meter_interval=spec.meter_interval,
        )
        self.new_transaction_id = new_transaction_id
        #: The running transactions, by the charger's session ``ref``.
        self.tx: dict[int, Tx] = {}
        #: The 2.x status last reported per EVSE: several core statuses are one 2.x status
        #: (Occupied), and only real changes are reported.
        self.reported: dict[int, str] = {}

    # ------------------------------------------------------------------ the 2.x dialect

    def retry_settings(self) -> tuple[int, int]:
        """E13: OCPPCommCtrlr.MessageAttempts and MessageAttemptInterval[TransactionEvent]."""
        model = self.model
        return (
            int(model.value("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent")),
            int(model.value("OCPPCommCtrlr", "MessageAttemptInterval", "TransactionEvent")),
        )

    @property
    def ping_interval(self) -> float:
        """OCPPCommCtrlr.WebSocketPingInterval."""
        return float(self.model.value("OCPPCommCtrlr", "WebSocketPingInterval"))

    def on_variable_changed(self, var: Variable, now: float) -> None:
        """Apply a variable the CSMS changed (B05) to the charger or the RPC layer."""
        setting = SETTINGS.get((var.component, var.name))
        if setting is not None:
            self.apply_setting(setting, self.model.current(var), now)

    def on_transaction_answer(self, ref: int, answer: Payload, now: float) -> None:
        """What the CSMS adds to its answer to a Started or Updated event (2.1 adds limits)."""

    # ------------------------------------------------------------------ across restarts

    def revive(self, action: str, payload: Payload, ref: int | None) -> Outgoing:
        if action != "TransactionEvent":
            raise ValueError(f"{action} is not a 2.x transaction message")
        return transactions.transaction_event(self, payload, ref)

    def durable_state(self) -> dict[str, Any]:
        """Each running transaction's id, EVSE, token and next seqNo (E04.FR.04: the seqNo
        goes on where it stopped, so the backend sees no gap)."""
        return {
            "tx": {
                str(ref): {
                    "id": t.transaction_id,
                    "evse": t.evse,
                    "id_token": t.id_token,
                    "seq_no": t.seq_no,
                    "remote_start_id": t.remote_start_id,
                }
                for ref, t in self.tx.items()
            }
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        for ref, t in state.get("tx", {}).items():
            remote = t.get("remote_start_id")
            self.tx[int(ref)] = Tx(
                str(t["id"]),
                int(t["evse"]),
                dict(t["id_token"]),
                int(t["seq_no"]),
                None if remote is None else int(remote),
            )

    # ------------------------------------------------------------------ intents -> CALLs

    def outgoing(self, intent: Intent) -> Outgoing | None:
        match intent:
            case SendBoot():
                return provisioning.boot_notification(self, intent)
            case SendHeartbeat():
                return availability.heartbeat()
            case SendStatus():
                return availability.status_notification(self, intent)
            case SendAuthorize():
                return authorization.authorize(self, intent)
            case SendTxStart():
                return transactions.started(self, intent)
            case Sample():
                return transactions.sample(self, intent)
            case SendTxStop():
                return transactions.ended(self, intent)
            case Reboot():
                return None  # the session closes the connection; nothing to send
            case _:
                assert_never(intent)
