"""What the charger asks its protocol adapter to do (version-neutral), and why sessions end."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ConnectorStatus(StrEnum):
    """OCPP 1.6 ChargePointStatus names; the 2.x adapter maps them to ConnectorStatusEnum."""

    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EV = "SuspendedEV"
    FINISHING = "Finishing"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"


class StopReason(StrEnum):
    """Why a session ended, in 2.x ReasonEnum words; the 1.6 adapter maps them to its Reason."""

    LOCAL = "Local"
    REMOTE = "Remote"
    ENERGY_LIMIT = "EnergyLimitReached"
    EV_FULL = "SOCLimitReached"
    DEAUTHORIZED = "DeAuthorized"
    POWER_LOSS = "PowerLoss"
    SOFT_RESET = "SoftReset"
    HARD_RESET = "HardReset"
    UNLOCK = "UnlockCommand"
    FAULT = "Other"


class Trigger(StrEnum):
    """How a transaction started (2.x triggerReason needs it)."""

    AUTHORIZED = "Authorized"
    REMOTE = "RemoteStart"
    FREE = "CablePluggedIn"


@dataclass(frozen=True, slots=True)
class SendBoot:
    reason: str  # 2.x BootReasonEnum: PowerUp, RemoteReset, Triggered, ...


#: ``SendStatus.connector`` of the charger as a whole (its main controller): 1.6 reports it
#: as connector 0 (1.6 §4.9); a version without such a status (2.x) sends nothing for it.
STATION = 0


@dataclass(frozen=True, slots=True)
class SendHeartbeat:
    pass


@dataclass(frozen=True, slots=True)
class SendStatus:
    connector: int  # STATION (0) for the charger as a whole
    status: ConnectorStatus
    error_code: str
    timestamp: float


@dataclass(frozen=True, slots=True)
class SendAuthorize:
    connector: int
    id_tag: str


@dataclass(frozen=True, slots=True)
class SendTxStart:
    connector: int
    ref: int  # the charger's own number for this session
    id_tag: str
    meter_start_wh: float
    timestamp: float
    trigger: Trigger
    remote_start_id: int | None


@dataclass(frozen=True, slots=True)
class Sample:
    """One meter reading; ``ref`` is the session it belongs to, or None outside sessions."""

    connector: int
    ref: int | None
    timestamp: float
    register_wh: float
    power_w: float
    voltage_v: float
    current_a: float
    phases: int
    soc: float | None
    #: Asked for by the backend (TriggerMessage) rather than due by the meter interval.
    triggered: bool = False
    #: Triggered for the state of the running transaction (2.x TriggerMessage
    #: TransactionEvent), not for a meter reading (TriggerMessage MeterValues).
    of_transaction: bool = False


@dataclass(frozen=True, slots=True)
class SendTxStop:
    connector: int
    ref: int
    id_tag: str
    meter_stop_wh: float
    timestamp: float
    reason: StopReason
    error_code: str


@dataclass(frozen=True, slots=True)
class Reboot:
    """Close the connection and boot again (after the transaction messages are out)."""

    hard: bool


Intent = (
    SendBoot
    | SendHeartbeat
    | SendStatus
    | SendAuthorize
    | SendTxStart
    | Sample
    | SendTxStop
    | Reboot
)
