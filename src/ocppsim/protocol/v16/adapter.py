"""OCPP 1.6J adapter: charger intents -> 1.6 CALLs; 1.6 CSMS requests -> charger calls.

The handlers live by feature profile: ``core.py`` (Core), ``remote_trigger.py``
(RemoteTrigger); configuration keys in ``config.py``.
"""

from __future__ import annotations

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
from ocppsim.protocol.v16 import core, remote_trigger
from ocppsim.protocol.v16.config import ConfigStore, key_table

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

#: The keys whose change the charger applies at once (1.6 §9.1), and what each means.
SETTINGS: Mapping[str, Setting] = {
    "HeartbeatInterval": Setting.HEARTBEAT_INTERVAL,
    "MeterValueSampleInterval": Setting.METER_INTERVAL,
    "AuthorizeRemoteTxRequests": Setting.AUTHORIZE_REMOTE_START,
    "TransactionMessageAttempts": Setting.TRANSACTION_RETRY,
    "TransactionMessageRetryInterval": Setting.TRANSACTION_RETRY,
}


class V16Adapter(Adapter):
    """Translates for one charge point; its configuration keys are ``config``."""

    __slots__ = ("config", "transaction_ids")

    dialect: ClassVar[Dialect] = Dialect(
        formation="FormationViolation",
        occurrence="OccurenceConstraintViolation",
        reply_unknown_type=False,
        has_send=False,
    )
    subprotocol: ClassVar[str] = "ocpp1.6"
    HANDLERS: ClassVar[Mapping[str, Callable[[Self, Payload, float], Payload]]] = {
        **shared.SHARED_HANDLERS,
        **core.HANDLERS,
        **remote_trigger.HANDLERS,
    }
    NOT_SUPPORTED: ClassVar[frozenset[str]] = NOT_SUPPORTED

    def __init__(self, charger: Charger, identity: Identity) -> None:
        super().__init__(charger, identity)
        spec = charger.spec
        self.config = ConfigStore(
            key_table(spec.num_connectors, spec.charger_type == ChargerType.DC)
        )
        self.config.set("HeartbeatInterval", str(charger.heartbeat_interval))
        self.config.set("MeterValueSampleInterval", str(spec.meter_interval))
        #: The CSMS's transactionId of each of the charger's sessions (its ``ref``).
        self.transaction_ids: dict[int, int] = {}

    # ------------------------------------------------------------------ the 1.6 dialect

    def retry_settings(self) -> tuple[int, int]:
        """1.6 §3.7.1: TransactionMessageAttempts, TransactionMessageRetryInterval."""
        config = self.config
        return (
            config.get_int("TransactionMessageAttempts"),
            config.get_int("TransactionMessageRetryInterval"),
        )

    @property
    def ping_interval(self) -> float:
        """1.6 §9.1 WebSocketPingInterval."""
        return float(self.config.get_int("WebSocketPingInterval"))

    def on_key_changed(self, key: str, now: float) -> None:
        """Apply a configuration key the CSMS changed (1.6 §5.3) to the charger or the RPC."""
        setting = SETTINGS.get(key)
        if setting is not None:
            self.apply_setting(setting, self.config.get(key), now)

    # ------------------------------------------------------------------ across restarts

    def revive(self, action: str, payload: Payload, ref: int | None) -> Outgoing:
        return core.transaction_message(self, action, payload, ref)

    def durable_state(self) -> dict[str, Any]:
        """The backend's transactionId of each session whose messages may still be queued."""
        return {"transaction_ids": {str(ref): tx for ref, tx in self.transaction_ids.items()}}

    def restore(self, state: Mapping[str, Any]) -> None:
        ids = state.get("transaction_ids", {})
        self.transaction_ids = {int(ref): int(tx) for ref, tx in ids.items()}

    # ------------------------------------------------------------------ intents -> CALLs

    def outgoing(self, intent: Intent) -> Outgoing | None:
        match intent:
            case SendBoot():
                return core.boot_notification(self, intent)
            case SendHeartbeat():
                return core.heartbeat()
            case SendStatus():
                return core.status_notification(intent)
            case SendAuthorize():
                return core.authorize(self, intent)
            case SendTxStart():
                return core.start_transaction(self, intent)
            case Sample():
                return core.meter_values(self, intent)
            case SendTxStop():
                return core.stop_transaction(self, intent)
            case Reboot():
                return None  # the session closes the connection; nothing to send
            case _:
                assert_never(intent)
