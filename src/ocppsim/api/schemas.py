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

from ocppsim.api.bounds import bounds
from ocppsim.core import limits
from ocppsim.core.model import AuthMode, ChargerType, ErrorCode, Mode, OcppVersion
from ocppsim.loadtest.plan import MassMode
from ocppsim.services.accounts import IssuedKey, KeyInfo, Principal
from ocppsim.services.chargers import ChargerView
from ocppsim.services.loadtests import RunStats
from ocppsim.services.settings import SettingsOverview
from ocppsim.store.records import ChargerRecord, LogRecord


def _naive_utc(value: datetime) -> str:
    # Timestamps are UTC, written without an offset ("2026-04-09T14:30:00").
    return value.astimezone(UTC).replace(tzinfo=None).isoformat()


Timestamp = Annotated[datetime, PlainSerializer(_naive_utc, return_type=str)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    """Every error answer."""

    error: str = Field(
        description="One sentence saying why; for an invalid value it starts with the field's name",
        examples=["num_connectors: Input should be less than or equal to 5"],
    )


# --- requests ---

ChargepointId = Annotated[str, Field(**bounds(limits.CHARGEPOINT_ID), examples=["SIM-AC-001"])]
IdTag = Annotated[str, Field(**bounds(limits.ID_TAG))]
_ID_TAG = (
    f"{limits.ID_TAG.low}-{limits.ID_TAG.high} printable ASCII characters without spaces "
    "(an OCPP 1.6 idTag)"
)
_CHARGEPOINT_ID = (
    f"{limits.CHARGEPOINT_ID.low}-{limits.CHARGEPOINT_ID.high} characters of `A-Z a-z 0-9 . _ ~ -`"
)
Url = Annotated[str, Field(**bounds(limits.URL), examples=["ws://127.0.0.1:9000"])]
Name = Annotated[str, Field(**bounds(limits.NAME))]
Emaid = Annotated[str, Field(**bounds(limits.EMAID_INPUT))]
Pcid = Annotated[str, Field(**bounds(limits.PCID))]
CertHash = Annotated[str, Field(**bounds(limits.CERT_HASH))]


_AC_MAX = f"{limits.POWER_KW[ChargerType.AC].high:g}"
_DC_MAX = f"{limits.POWER_KW[ChargerType.DC].high:g}"
_MIN_KW = f"{limits.POWER_KW_ANY.low:g}"


class CreateChargerIn(Body):
    chargepoint_id: ChargepointId = Field(
        description=f"The charger's OCPP identity, unique among your chargers: {_CHARGEPOINT_ID}"
    )
    charger_type: ChargerType = Field(
        description=f"`AC` (up to {_AC_MAX} kW) or `DC` (up to {_DC_MAX} kW)"
    )
    max_power_kw: Annotated[StrictFloat, Field(**bounds(limits.POWER_KW_ANY))] = Field(
        description=f"Maximum charging power in kW: {_MIN_KW}-{_AC_MAX} for AC, "
        f"{_MIN_KW}-{_DC_MAX} for DC",
        examples=[22.0],
    )
    num_connectors: Annotated[StrictInt, Field(**bounds(limits.CONNECTORS))] = Field(
        1, description="Number of connectors, each with its own session"
    )
    ocpp_version: OcppVersion | None = Field(
        None,
        description="The OCPP version the charger speaks; omitted: 1.6. Plug & Charge "
        "chargers are created as 2.0.1 whatever this says",
    )
    auth_mode: AuthMode = Field(
        AuthMode.RFID,
        description="How sessions are authorized: with the charger's RFID tag, or with its "
        "eMAID (Plug & Charge)",
    )
    pnc_emaid: Emaid | None = Field(
        None,
        description="Plug & Charge contract id (eMAID): letters and digits; `-` and `*` are "
        f"dropped and letters upper-cased, leaving at most {limits.ID_TAG.high} characters. A "
        "wrong check digit or an unusual form is reported in `warnings`, not refused. Omitted "
        'or `""` with Plug & Charge: one is generated from the chargepoint id',
    )
    pnc_pcid: Pcid = Field("", description="Plug & Charge: the provisioning certificate id (PCID)")
    pnc_certificate_hash: CertHash = Field(
        "",
        description="Plug & Charge: the contract certificate's hash; when set, Authorize "
        "(OCPP 2.x) carries certificate hash data derived from it and the PCID",
    )
    rfid_tag: IdTag = Field(
        "",
        description=f'The idTag the charger presents: {_ID_TAG}; `""`: your global `rfid_card_id`',
    )
    backend_url: Url = Field(
        "",
        description="The backend's (CSMS) WebSocket URL, `ws://` or `wss://`; the charger dials "
        '`backend_url + "/" + chargepoint_id`. `""`: your global `ocpp_backend_url`',
    )
    charger_name: Name = Field("", description="A display name; free text, no control characters")
    free_charging: StrictBool = Field(
        False, description="Start sessions without asking the backend to authorize the tag"
    )
    mode: Mode = Field(Mode.OFF, description="The mode to start in; `off` does not connect")


class ModeIn(Body):
    mode: Mode


class StartIn(Body):
    energy_kwh: Annotated[StrictFloat, Field(**bounds(limits.TARGET_KWH), examples=[20])] = Field(
        description="Energy to deliver, in kWh; the session ends once it has flowed"
    )
    rfid_tag: IdTag | None = Field(
        None,
        description=f"The idTag for this session instead of the charger's: {_ID_TAG}. "
        "Ignored by a Plug & Charge charger, which presents its eMAID",
    )
    connector_id: Annotated[StrictInt, Field(**bounds(limits.CONNECTOR_ID))] | None = Field(
        None,
        description="The connector to use, 1 to the charger's `num_connectors`; omitted: the "
        "first free one",
    )


class FreeChargingIn(Body):
    free_charging: StrictBool = Field(
        description="`true`: sessions start without asking the backend to authorize the tag"
    )


class ErrorCodeIn(Body):
    error_code: ErrorCode


class OcppVersionIn(Body):
    ocpp_version: OcppVersion


class NameIn(Body):
    charger_name: Name = Field(
        description='The display name; free text, no control characters. `""` removes it'
    )


class RenameIn(Body):
    chargepoint_id: ChargepointId = Field(
        description=f"The new chargepoint id: {_CHARGEPOINT_ID}, not used by another of your "
        "chargers"
    )


class RfidIn(Body):
    rfid_tag: IdTag = Field(
        description=f'The idTag the charger presents: {_ID_TAG}. `""`: your global `rfid_card_id`'
    )


_KEEP = "Omitted: unchanged"


class AuthConfigIn(Body):
    auth_mode: AuthMode = Field(
        description="`rfid`: the charger presents its RFID tag; `plug_and_charge`: its eMAID"
    )
    rfid_tag: IdTag | None = Field(
        None, description=f'{_ID_TAG}. {_KEEP}; `""`: your global `rfid_card_id`'
    )
    pnc_emaid: Emaid | None = Field(
        None,
        description="The eMAID, normalised as at creation (doubts go to `warnings`). Omitted: "
        'unchanged (generated if Plug & Charge has none yet); `""`: removed, or generated '
        "anew with Plug & Charge",
    )
    pnc_pcid: Pcid | None = Field(None, description=f"The PCID. {_KEEP}")
    pnc_certificate_hash: CertHash | None = Field(
        None, description=f"The contract certificate's hash. {_KEEP}"
    )


class BackendUrlIn(Body):
    backend_url: Url = Field(
        description="The backend's WebSocket URL, `ws://` or `wss://`, with a host, without "
        '`user:password@` or `#fragment`; a trailing `/` is dropped. `""`: your global '
        "`ocpp_backend_url`"
    )


class NumConnectorsIn(Body):
    num_connectors: Annotated[StrictInt, Field(**bounds(limits.CONNECTORS))] = Field(
        description="Number of connectors, each with its own session"
    )


class SecurityIn(Body):
    security_profile: Annotated[StrictInt, Field(**bounds(limits.SECURITY_PROFILE))] = Field(
        description="0: no authentication; 1: HTTP Basic auth; 2: HTTP Basic auth over TLS "
        "(needs a `wss://` backend URL). 1 and 2 need a password"
    )
    basic_auth_password: Annotated[str, Field(**bounds(limits.BASIC_AUTH_PASSWORD))] | None = Field(
        None,
        description="The Basic-auth password (the user name is the chargepoint id): "
        f"{limits.BASIC_AUTH_PASSWORD.low}-{limits.BASIC_AUTH_PASSWORD.high} printable ASCII "
        'characters without spaces. Write-only. Omitted: unchanged; `""`: removed',
    )
    ca_certificate_pem: Annotated[str, Field(**bounds(limits.CA_PEM))] | None = Field(
        None,
        description="PEM CA certificate(s) to trust for `wss://`, besides the system's. "
        'Omitted: unchanged; `""`: removed',
    )


class SettingsIn(Body):
    """Only the keys given change."""

    ocpp_backend_url: Url | None = Field(
        None,
        description="Default backend URL (`ws://` or `wss://`) of chargers without their own, "
        "and the load test's backend",
    )
    rfid_card_id: IdTag | None = Field(
        None,
        description=f"Default idTag of chargers without their own, and the load test's: {_ID_TAG}",
    )
    heartbeat_interval: Annotated[StrictInt, Field(**bounds(limits.HEARTBEAT))] | None = Field(
        None,
        description="Seconds between Heartbeats, until a charger's backend sets its own "
        "interval (at boot or by configuration)",
    )
    mass_batch_size: Annotated[StrictInt, Field(**bounds(limits.BATCH))] | None = Field(
        None, description="Load test: chargers started per batch"
    )
    log_retention_records: Annotated[StrictInt, Field(**bounds(limits.LOG_RECORDS))] | None = Field(
        None, description="OCPP message log: keep at most this many newest entries"
    )
    log_retention_days: Annotated[StrictInt, Field(**bounds(limits.LOG_DAYS))] | None = Field(
        None, description="OCPP message log: delete entries older than this many days"
    )


# --- responses ---


def _out(description: str, *examples: Any) -> Any:
    """A response field's description (and example, where the generic one would mislead)."""
    return Field(description=description, examples=list(examples) if examples else None)


class ChargerOut(BaseModel):
    """A charger: its configuration (effective values) and its live state."""

    chargepoint_id: str = _out("The charger's OCPP identity")
    charger_type: str = _out("`AC` or `DC`")
    mode: str = _out("`off`, `on`, `autopilot` or `manual`")
    status: str = _out(
        "The charger's OCPP status; with several connectors the most active one's (Charging > "
        "SuspendedEV > Preparing > Finishing > Faulted > Available > Unavailable)"
    )
    availability: str = _out("`Operative`, or `Inoperative` while a connector is set inoperative")
    current_power_kw: float = _out("Power delivered now, in kW, over all sessions")
    energy_delivered_wh: float = _out(
        "Lifetime meter reading in Wh, summed over the connectors; never decreases, survives "
        "restarts"
    )
    max_power_kw: float = _out("Maximum charging power, in kW")
    transaction_id: int | str | None = _out(
        "The running session's transaction id (the backend's integer in OCPP 1.6, a string in "
        "2.0.1 and 2.1); null without a session"
    )
    connected: bool = _out("Whether the WebSocket connection to the backend is open")
    free_charging: bool = _out("Whether sessions start without asking the backend to authorize")
    num_connectors: int = _out("Number of connectors")
    backend_url: str = _out(
        "The effective backend URL: the charger's own, or your global `ocpp_backend_url`"
    )
    rfid_tag: str = _out("The effective idTag: the charger's own, or your global `rfid_card_id`")
    auth_mode: str = _out("`rfid` or `plug_and_charge`")
    pnc_emaid: str = _out('The eMAID (Plug & Charge), normalised; `""` if none')
    pnc_pcid: str = _out("The PCID (Plug & Charge)")
    pnc_certificate_hash: str = _out("The contract certificate's hash (Plug & Charge)")
    ocpp_version: str = _out("`1.6`, `2.0.1` or `2.1`")
    charger_name: str = _out("The display name")
    error_code: str = _out("The simulated error; `NoError` when none is set")
    session_start: Timestamp | None = _out(
        "When the running session's transaction started (UTC); null without a session"
    )
    session_energy_wh: float = _out("Energy delivered in the running session, in Wh")
    target_energy_wh: float = _out("The running session's target energy, in Wh; 0 without one")
    session_id_tag: str = _out(
        'The idTag of the current session, also while it is being authorized; `""` without one'
    )
    remote_start: bool = _out("Whether the backend started the current session remotely")
    heartbeat_interval: int = _out(
        "Seconds between Heartbeats: the interval the backend set (at boot or by configuration), "
        "else your setting"
    )
    connector_status: dict[str, str] = _out("Each connector's OCPP status, by connector number")
    warnings: list[str] = _out(
        "Doubts about the configuration that did not refuse the request, each starting with "
        "the field's name (e.g. an eMAID with a wrong check digit)",
        [],
    )
    last_error: str = _out(
        "Why the last session attempt or boot failed (e.g. the backend refused the tag); "
        '`""` if nothing failed'
    )
    connection_error: str = _out(
        'Why the charger is not connected (refused handshake, TLS failure, ...); `""` if none'
    )
    last_authorization: str = _out(
        "The backend's last authorization answer (with Plug & Charge, the certificate status)"
    )
    queued_messages: int = _out(
        "Transaction messages the backend has not acknowledged yet (queued, waiting for a retry, "
        "or in flight); they survive a restart and leave in order once the backend answers",
        0,
    )
    offline_since: Timestamp | None = _out(
        "Since when a charger that should be connected has been without its backend (UTC); "
        "null when connected or off"
    )
    security_profile: int = _out("OCPP security profile: 0, 1 or 2", 0)
    basic_auth_password_set: bool = _out(
        "Whether a Basic-auth password is stored (the password itself is never shown)"
    )
    ca_certificate_set: bool = _out("Whether a CA certificate of your own is stored")

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
            queued_messages=s.queued_messages,
            offline_since=s.offline_since,
            security_profile=v.security_profile,
            basic_auth_password_set=v.basic_auth_password_set,
            ca_certificate_set=v.ca_certificate_set,
        )


class SettingsValuesOut(BaseModel):
    """Your global settings. Every value is a string here (`"300"`); POST /api/settings takes
    them typed."""

    ocpp_backend_url: str = _out("Default backend URL; also the load test's backend")
    rfid_card_id: str = _out("Default idTag; also the load test's")
    heartbeat_interval: str = _out("Seconds between Heartbeats until a backend sets its own")
    mass_batch_size: str = _out("Load test: chargers started per batch")
    log_retention_records: str = _out("OCPP message log: newest entries kept")
    log_retention_days: str = _out("OCPP message log: days entries are kept")


class SettingsChargerOut(BaseModel):
    """A charger's configured values: an empty `backend_url` or `rfid_tag` uses your global
    default."""

    chargepoint_id: str
    charger_type: str
    mode: str
    num_connectors: int
    backend_url: str = _out('The charger\'s own backend URL; `""`: your global one', "")
    rfid_tag: str = _out('The charger\'s own idTag; `""`: your global `rfid_card_id`', "")
    auth_mode: str
    pnc_emaid: str
    pnc_pcid: str
    pnc_certificate_hash: str

    @classmethod
    def of(cls, r: ChargerRecord) -> SettingsChargerOut:
        return cls(**{name: getattr(r, name) for name in cls.model_fields})


class SettingsOut(BaseModel):
    settings: SettingsValuesOut
    chargers: list[SettingsChargerOut] = _out("Each of your chargers' configured values")

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
    signup_enabled: bool = _out("May visitors create their own account on the sign-up page?")


class MeOut(BaseModel):
    name: str = _out("Your user name")
    is_admin: bool = _out("Whether you are an administrator")

    @classmethod
    def of(cls, p: Principal) -> MeOut:
        return cls(name=p.name, is_admin=p.is_admin)


_PREFIX = "The key's public handle, `ocps_` and 8 letters or digits: revoke the key by it"


class KeyOut(BaseModel):
    prefix: str = _out(_PREFIX)
    created_at: Timestamp = _out("When the key was made (UTC)")
    last_used_at: Timestamp | None = _out(
        "When the key last authenticated a request (UTC; updated at most once a minute); null "
        "if never"
    )

    @classmethod
    def of(cls, k: KeyInfo) -> KeyOut:
        return cls(prefix=k.prefix, created_at=k.created_at, last_used_at=k.last_used_at)


class NewKeyOut(BaseModel):
    """A new key: `key` is shown in this answer only; ocppsim keeps only its digest."""

    key: str = _out(
        "The key: `ocps_`, 8 letters or digits, `_` and 43 more characters. Send it as `X-API-Key`"
    )
    prefix: str = _out(_PREFIX)
    created_at: Timestamp = _out("When the key was made (UTC)")

    @classmethod
    def of(cls, k: IssuedKey) -> NewKeyOut:
        return cls(key=k.key, prefix=k.prefix, created_at=k.created_at)


def _log_time(epoch: float) -> str:
    return (
        datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    )


class LogOut(BaseModel):
    """One entry of the OCPP message log: a frame or a connection event."""

    id: int = _out(
        "The entry's id; newer entries have higher ids. For `before_id` and `Last-Event-ID`"
    )
    chargepoint_id: str
    direction: str = Field(description="sent or received (frames); local (connection events)")
    message_type: str = Field(
        description="the action (replies carry the action of the call they answer) "
        "or the connection event"
    )
    kind: str = Field(
        description="call, result, error (CALLERROR), send, result_error, invalid or connection"
    )
    message_id: str = _out("The frame's OCPP message id")
    payload: Any = _out(
        "The frame's payload (a CALLERROR's is `[code, description, details]`), or the "
        "connection event's details"
    )
    timestamp: str = _out("When it happened: UTC with microseconds, without an offset")

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
    """Optional fields left out keep the run's values."""

    target: Annotated[
        StrictInt, Field(**bounds(limits.MASS_TARGET), description="Number of chargers")
    ]
    mode: MassMode = Field(
        description="`idle`: created, not connected; `connect`: connected, booted, "
        "heartbeating; `charging`: connected, a session each with MeterValues"
    )
    versions: dict[str, StrictFloat] | None = Field(
        default=None,
        description='OCPP version mix as shares, e.g. `{"1.6": 0.5, "2.0.1": 0.3, "2.1": 0.2}`; '
        "a new run: all 1.6",
        examples=[{"1.6": 1.0}],
    )
    id_prefix: Annotated[str, Field(**bounds(limits.ID_PREFIX))] | None = Field(
        default=None,
        description="Chargepoint ids are prefix + 00001, 00002, ...: `A-Z a-z 0-9 . _ ~ -`; a "
        "new run: `MASS<your user id>-`",
    )
    meter_interval: Annotated[StrictInt, Field(**bounds(limits.METER_INTERVAL))] | None = Field(
        default=None, description="Seconds between MeterValues while charging; a new run: 60"
    )


class LatencyOut(BaseModel):
    """Round trips of one action; the percentiles are accurate to within 4 %, `max_ms` exact."""

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
    """A load test's plan (target to started_at) and counters (summed over the workers)."""

    running: bool = _out("Whether you have a run")
    target: int
    mode: MassMode | None = _out("The run's mode; null without a run")
    backend_url: str = _out("The backend the chargers dial (your global `ocpp_backend_url`)")
    versions: dict[str, float] = _out("The OCPP version mix, as shares")
    id_prefix: str
    meter_interval: int = _out("Seconds between MeterValues while charging")
    batch_size: int = _out("Chargers started per batch (your `mass_batch_size`)")
    started_at: Timestamp | None = _out("When the run started (UTC); null without a run")
    created: int = _out("Mass chargers that exist")
    connecting: int = _out("Chargers dialing or re-dialing their connection")
    connected: int = _out("Chargers connected to the backend")
    booted: int = Field(description="Connected, with BootNotification Accepted")
    charging: int = _out("Chargers with a session running")
    errors: int = _out("Errors since the last clear")
    errors_by_kind: dict[str, int] = _out("Errors since the last clear, per kind")
    messages_sent: int = _out("OCPP frames sent since the run started")
    messages_received: int = _out("OCPP frames received since the run started")
    messages_per_second: float = _out(
        "Frames in both directions per second, since the previous stats read"
    )
    ramp: RampOut
    latency: dict[str, LatencyOut] = Field(description="Round trip per action, to the backend")
    workers: int = _out("Worker processes holding the run")

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
    time: Timestamp = _out("When it happened (UTC)")
    chargepoint_id: str
    kind: str = Field(
        description="connect_refused, handshake_rejected, connect_failed, boot_rejected, "
        "call_error, invalid_answer, timeout or disconnect"
    )
    message: str = _out("What happened, in words")
