"""Request and response bodies. Requests refuse unknown fields and loose types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictFloat,
    StrictInt,
)

from ocppsim.core import model
from ocppsim.core.model import AuthMode, ChargerType, ErrorCode, Mode, OcppVersion
from ocppsim.loadtest.plan import MAX_TARGET, METER_MAX, METER_MIN, PREFIX_MAX, MassMode
from ocppsim.services.accounts import IssuedKey, KeyInfo, Principal
from ocppsim.services.chargers import ChargerView
from ocppsim.services.loadtests import RunStats
from ocppsim.services.settings import SettingsOverview
from ocppsim.store.records import ChargerRecord, LogRecord


def _naive_utc(value: datetime) -> str:
    # The seed's timestamps carry no offset ("2026-04-09T14:30:00"); ocppsim's are all UTC.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat()


Timestamp = Annotated[datetime, PlainSerializer(_naive_utc, return_type=str)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    error: str


# --- requests ---

ChargepointId = Annotated[str, Field(max_length=model.CHARGEPOINT_ID_MAX, examples=["SIM-AC-001"])]
IdTag = Annotated[str, Field(max_length=model.ID_TAG_MAX)]
Url = Annotated[str, Field(max_length=model.URL_MAX, examples=["ws://127.0.0.1:9000"])]
Name = Annotated[str, Field(max_length=model.NAME_MAX)]
Emaid = Annotated[str, Field(max_length=model.EMAID_INPUT_MAX)]
Pcid = Annotated[str, Field(max_length=model.PCID_MAX)]
CertHash = Annotated[str, Field(max_length=model.CERT_HASH_MAX)]


class CreateChargerIn(Body):
    chargepoint_id: ChargepointId
    charger_type: ChargerType
    max_power_kw: Annotated[
        StrictFloat, Field(ge=model.MIN_POWER_KW, le=max(model.MAX_POWER_KW.values()))
    ]
    num_connectors: Annotated[
        StrictInt, Field(ge=model.MIN_CONNECTORS, le=model.MAX_CONNECTORS)
    ] = 1
    ocpp_version: OcppVersion | None = None
    auth_mode: AuthMode = AuthMode.RFID
    pnc_emaid: Emaid | None = None
    pnc_pcid: Pcid = ""
    pnc_certificate_hash: CertHash = ""
    rfid_tag: IdTag = ""
    backend_url: Url = ""
    charger_name: Name = ""
    free_charging: StrictBool = False
    mode: Mode = Mode.OFF


class ModeIn(Body):
    mode: Mode


class StartIn(Body):
    energy_kwh: Annotated[StrictFloat, Field(gt=0, le=model.MAX_TARGET_KWH, examples=[20])]
    rfid_tag: IdTag | None = None
    connector_id: Annotated[StrictInt, Field(ge=1, le=model.MAX_CONNECTORS)] | None = None


class FreeChargingIn(Body):
    free_charging: StrictBool


class ErrorCodeIn(Body):
    error_code: ErrorCode


class OcppVersionIn(Body):
    ocpp_version: OcppVersion


class NameIn(Body):
    charger_name: Name


class RenameIn(Body):
    chargepoint_id: ChargepointId


class RfidIn(Body):
    rfid_tag: IdTag


class AuthConfigIn(Body):
    auth_mode: AuthMode
    rfid_tag: IdTag | None = None
    pnc_emaid: Emaid | None = None
    pnc_pcid: Pcid | None = None
    pnc_certificate_hash: CertHash | None = None


class BackendUrlIn(Body):
    backend_url: Url


class NumConnectorsIn(Body):
    num_connectors: Annotated[StrictInt, Field(ge=model.MIN_CONNECTORS, le=model.MAX_CONNECTORS)]


class SecurityIn(Body):
    security_profile: Annotated[StrictInt, Field(ge=0, le=2)]
    basic_auth_password: Annotated[str, Field(max_length=64)] | None = None
    ca_certificate_pem: Annotated[str, Field(max_length=20_000)] | None = None


class SettingsIn(Body):
    ocpp_backend_url: Url | None = None
    rfid_card_id: IdTag | None = None
    heartbeat_interval: (
        Annotated[StrictInt, Field(ge=model.HEARTBEAT_MIN, le=model.HEARTBEAT_MAX)] | None
    ) = None
    mass_batch_size: Annotated[StrictInt, Field(ge=model.BATCH_MIN, le=model.BATCH_MAX)] | None = (
        None
    )
    log_retention_records: (
        Annotated[StrictInt, Field(ge=model.LOG_RECORDS_MIN, le=model.LOG_RECORDS_MAX)] | None
    ) = None
    log_retention_days: (
        Annotated[StrictInt, Field(ge=model.LOG_DAYS_MIN, le=model.LOG_DAYS_MAX)] | None
    ) = None


# --- responses ---


class ChargerOut(BaseModel):
    """The seed's charger object; ``warnings`` lists doubts about the configuration."""

    chargepoint_id: str
    charger_type: str
    mode: str
    status: str
    availability: str
    current_power_kw: float
    energy_delivered_wh: float
    max_power_kw: float
    transaction_id: int | str | None
    connected: bool
    free_charging: bool
    num_connectors: int
    backend_url: str
    rfid_tag: str
    auth_mode: str
    pnc_emaid: str
    pnc_pcid: str
    pnc_certificate_hash: str
    ocpp_version: str
    charger_name: str
    error_code: str
    session_start: Timestamp | None
    session_energy_wh: float
    target_energy_wh: float
    session_id_tag: str
    remote_start: bool
    heartbeat_interval: int
    connector_status: dict[str, str]
    warnings: list[str]
    last_error: str
    connection_error: str
    last_authorization: str
    security_profile: int
    basic_auth_password_set: bool
    ca_certificate_set: bool

    @classmethod
    def of(cls, v: ChargerView) -> ChargerOut:
        s = v.state
        return cls(
            chargepoint_id=v.chargepoint_id,
            charger_type=v.charger_type,
            mode=v.mode,
            status=s.status,
            availability=s.availability,
            current_power_kw=s.current_power_kw,
            energy_delivered_wh=s.energy_delivered_wh,
            max_power_kw=v.max_power_kw,
            transaction_id=s.transaction_id,
            connected=s.connected,
            free_charging=v.free_charging,
            num_connectors=v.num_connectors,
            backend_url=v.backend_url,
            rfid_tag=v.rfid_tag,
            auth_mode=v.auth_mode,
            pnc_emaid=v.pnc_emaid,
            pnc_pcid=v.pnc_pcid,
            pnc_certificate_hash=v.pnc_certificate_hash,
            ocpp_version=v.ocpp_version,
            charger_name=v.charger_name,
            error_code=v.error_code,
            session_start=s.session_start,
            session_energy_wh=s.session_energy_wh,
            target_energy_wh=s.target_energy_wh,
            session_id_tag=s.session_id_tag,
            remote_start=s.remote_start,
            heartbeat_interval=s.heartbeat_interval,
            connector_status=dict(s.connector_status),
            warnings=list(v.warnings),
            last_error=s.last_error,
            connection_error=s.connection_error,
            last_authorization=s.last_authorization,
            security_profile=v.security_profile,
            basic_auth_password_set=v.basic_auth_password_set,
            ca_certificate_set=v.ca_certificate_set,
        )


class SettingsValuesOut(BaseModel):
    """Values are strings, as in the seed's example; POST takes them typed."""

    ocpp_backend_url: str
    rfid_card_id: str
    heartbeat_interval: str
    mass_batch_size: str
    log_retention_records: str
    log_retention_days: str


class SettingsChargerOut(BaseModel):
    """A charger's configured values: empty ``backend_url`` / ``rfid_tag`` use the defaults."""

    chargepoint_id: str
    charger_type: str
    mode: str
    num_connectors: int
    backend_url: str
    rfid_tag: str
    auth_mode: str
    pnc_emaid: str
    pnc_pcid: str
    pnc_certificate_hash: str

    @classmethod
    def of(cls, r: ChargerRecord) -> SettingsChargerOut:
        return cls(**{name: getattr(r, name) for name in cls.model_fields})


class SettingsOut(BaseModel):
    settings: SettingsValuesOut
    chargers: list[SettingsChargerOut]

    @classmethod
    def of(cls, o: SettingsOverview) -> SettingsOut:
        s = o.settings
        return cls(
            settings=SettingsValuesOut(
                ocpp_backend_url=s.ocpp_backend_url,
                rfid_card_id=s.rfid_card_id,
                heartbeat_interval=str(s.heartbeat_interval),
                mass_batch_size=str(s.mass_batch_size),
                log_retention_records=str(s.log_retention_records),
                log_retention_days=str(s.log_retention_days),
            ),
            chargers=[SettingsChargerOut.of(c) for c in o.chargers],
        )


class ServerSettingsIn(Body):
    signup_enabled: StrictBool = Field(description="May visitors create their own account?")


class ServerSettingsOut(BaseModel):
    signup_enabled: bool


class MeOut(BaseModel):
    name: str
    is_admin: bool

    @classmethod
    def of(cls, p: Principal) -> MeOut:
        return cls(name=p.name, is_admin=p.is_admin)


class KeyOut(BaseModel):
    prefix: str
    created_at: Timestamp
    last_used_at: Timestamp | None

    @classmethod
    def of(cls, k: KeyInfo) -> KeyOut:
        return cls(prefix=k.prefix, created_at=k.created_at, last_used_at=k.last_used_at)


class NewKeyOut(BaseModel):
    """``key`` is shown this once; ocppsim keeps only its digest."""

    key: str
    prefix: str
    created_at: Timestamp

    @classmethod
    def of(cls, k: IssuedKey) -> NewKeyOut:
        return cls(key=k.key, prefix=k.prefix, created_at=k.created_at)


def _log_time(epoch: float) -> str:
    return (
        datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    )


class LogOut(BaseModel):
    """One OCPP message log entry; ``timestamp`` is UTC, in the seed's offset-less form."""

    id: int
    chargepoint_id: str
    direction: str = Field(description="sent or received (frames); local (connection events)")
    message_type: str = Field(
        description="the action (replies carry the action of the call they answer) "
        "or the connection event"
    )
    kind: str = Field(
        description="call, result, error (CALLERROR), send, result_error, invalid or connection"
    )
    message_id: str
    payload: Any
    timestamp: str

    @staticmethod
    def fields(r: LogRecord) -> dict[str, Any]:
        """The JSON object of one entry (used as is by the SSE stream)."""
        return {
            "id": r.id,
            "chargepoint_id": r.chargepoint_id,
            "direction": r.direction,
            "message_type": r.message_type,
            "kind": r.kind,
            "message_id": r.message_id,
            "payload": r.payload,
            "timestamp": _log_time(r.timestamp),
        }


# --- load test ---


class MassApplyIn(Body):
    target: Annotated[StrictInt, Field(ge=0, le=MAX_TARGET, description="Number of chargers")]
    mode: MassMode = Field(description="idle, connect or charging")
    versions: dict[str, StrictFloat] | None = Field(
        default=None,
        description='OCPP version mix as shares, e.g. {"1.6": 0.5, "2.0.1": 0.3, "2.1": 0.2}',
        examples=[{"1.6": 1.0}],
    )
    id_prefix: Annotated[str, Field(max_length=PREFIX_MAX)] | None = Field(
        default=None, description="Chargepoint ids are prefix + 00001, 00002, ..."
    )
    meter_interval: Annotated[StrictInt, Field(ge=METER_MIN, le=METER_MAX)] | None = Field(
        default=None, description="Seconds between MeterValues while charging (default 60)"
    )


class LatencyOut(BaseModel):
    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


class RampOut(BaseModel):
    started: int = Field(description="Chargers whose connection started since the last apply")
    pending: int = Field(description="Chargers still waiting for their batch")
    batches: int
    progress: float = Field(description="started / (started + pending)")
    done: bool


class MassStatsOut(BaseModel):
    running: bool
    target: int
    mode: MassMode | None
    backend_url: str
    versions: dict[str, float]
    id_prefix: str
    meter_interval: int
    batch_size: int
    started_at: Timestamp | None
    created: int
    connecting: int
    connected: int
    booted: int = Field(description="Connected, with BootNotification Accepted")
    charging: int
    errors: int
    errors_by_kind: dict[str, int]
    messages_sent: int
    messages_received: int
    messages_per_second: float
    ramp: RampOut
    latency: dict[str, LatencyOut] = Field(description="Round trip per action, to the backend")
    workers: int

    @classmethod
    def of(cls, s: RunStats) -> MassStatsOut:
        return cls(
            running=s.running,
            target=s.target,
            mode=MassMode(s.mode) if s.mode else None,
            backend_url=s.backend_url,
            versions=s.versions,
            id_prefix=s.id_prefix,
            meter_interval=s.meter_interval,
            batch_size=s.batch_size,
            started_at=s.started_at,
            errors_by_kind=s.errors_by_kind,
            messages_per_second=s.messages_per_second,
            ramp=RampOut(**s.ramp),
            latency={a: LatencyOut(**v) for a, v in s.latency.items()},
            workers=s.workers,
            **s.counters,
        )


class MassErrorOut(BaseModel):
    time: Timestamp
    chargepoint_id: str
    kind: str = Field(
        description="connect_refused, handshake_rejected, connect_failed, boot_rejected, "
        "call_error, invalid_answer, timeout or disconnect"
    )
    message: str
