"""Chargers: create, configure, inspect and delete a user's simulated chargers.

Every call takes the acting user's id first and only ever sees that user's chargers; another
user's charger is reported exactly like a missing one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import quote

from ocppsim.core import emaid, limits
from ocppsim.core.charger import ChargerSpec, Refused
from ocppsim.core.limits import Text
from ocppsim.core.model import AuthMode, ChargerType, ErrorCode, Mode, OcppVersion
from ocppsim.core.state import ChargerState, idle_state
from ocppsim.runtime.fleet import ChargerConfig, Fleet
from ocppsim.runtime.journal import JournalError
from ocppsim.runtime.runner import Endpoint
from ocppsim.services.clock import Clock, utc_now
from ocppsim.services.errors import Conflict, Invalid, NotFound, Unavailable, refuse
from ocppsim.services.settings import check_id_tag
from ocppsim.store.records import ChargerRecord, DuplicateError, SettingsRecord
from ocppsim.store.repository import Store
from ocppsim.transport import check_ca_pem

log = logging.getLogger("ocppsim.services")


@dataclass(frozen=True, slots=True)
class ChargerView:
    """A charger's configuration (effective values) and its live state, as the API shows it."""

    chargepoint_id: str
    charger_type: str
    mode: str
    max_power_kw: float
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
    state: ChargerState
    warnings: tuple[str, ...] = ()
    security_profile: int = 0
    basic_auth_password_set: bool = False
    ca_certificate_set: bool = False


@dataclass(frozen=True, slots=True)
class NewCharger:
    """What a user asks for when creating a charger; None means the default."""

    chargepoint_id: str
    charger_type: ChargerType
    max_power_kw: float
    num_connectors: int = 1
    ocpp_version: OcppVersion | None = None
    auth_mode: AuthMode = AuthMode.RFID
    pnc_emaid: str | None = None
    pnc_pcid: str = ""
    pnc_certificate_hash: str = ""
    rfid_tag: str = ""
    backend_url: str = ""
    charger_name: str = ""
    free_charging: bool = False
    mode: Mode = Mode.OFF


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """``POST /auth-config``: fields left None keep their value."""

    auth_mode: AuthMode
    rfid_tag: str | None = None
    pnc_emaid: str | None = None
    pnc_pcid: str | None = None
    pnc_certificate_hash: str | None = None


@dataclass(frozen=True, slots=True)
class SecurityConfig:
    """``POST /security``: fields left None keep their value; "" clears."""

    security_profile: int
    basic_auth_password: str | None = None
    ca_certificate_pem: str | None = None


@dataclass(frozen=True, slots=True)
class StartRequest:
    energy_kwh: float
    rfid_tag: str | None = None
    connector_id: int | None = None


@dataclass(slots=True)
class _Checked:
    values: dict[str, object] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _emaid_warnings(record: ChargerRecord) -> tuple[str, ...]:
    if not record.pnc_emaid:
        return ()
    try:
        return tuple(f"pnc_emaid: {w}" for w in emaid.check(record.pnc_emaid).warnings)
    except ValueError as exc:  # stored before a rule change; show, do not crash
        return (f"pnc_emaid: {exc}",)


def effective_id_tag(record: ChargerRecord, settings: SettingsRecord) -> str:
    """Plug & Charge presents the eMAID (as idTag in 1.6); RFID the charger's or default tag."""
    if record.auth_mode == AuthMode.PLUG_AND_CHARGE and record.pnc_emaid:
        return record.pnc_emaid
    return record.rfid_tag or settings.rfid_card_id


def runtime_config(record: ChargerRecord, settings: SettingsRecord) -> ChargerConfig:
    """What the fleet needs to run the charger, defaults resolved."""
    spec = ChargerSpec(
        charger_type=ChargerType(record.charger_type),
        max_power_kw=record.max_power_kw,
        num_connectors=record.num_connectors,
        id_tag=effective_id_tag(record, settings),
        free_charging=record.free_charging,
        heartbeat_interval=settings.heartbeat_interval,
        auth_mode=record.auth_mode,
        pnc_pcid=record.pnc_pcid,
        pnc_certificate_hash=record.pnc_certificate_hash,
    )
    base = record.backend_url or settings.ocpp_backend_url
    return ChargerConfig(
        user_id=record.user_id,
        chargepoint_id=record.chargepoint_id,
        mode=Mode(record.mode),
        version=OcppVersion(record.ocpp_version),
        spec=spec,
        endpoint=Endpoint(
            f"{base}/{quote(record.chargepoint_id, safe='')}",
            basic_auth=(record.chargepoint_id, record.basic_auth_password)
            if record.security_profile >= 1 and record.basic_auth_password
            else None,
            ca_certificate_pem=record.ca_certificate_pem or None,
            require_tls=record.security_profile >= 2,
        ),
        error_code=record.error_code,
        meter_registers=record.meters(),
        charger_id=record.id,
    )


def view(
    record: ChargerRecord,
    settings: SettingsRecord,
    state: ChargerState | None = None,
    *,
    queued: int = 0,
) -> ChargerView:
    """The charger as the API shows it: defaults resolved, live state or the idle state
    (with ``queued`` messages waiting in its outbox)."""
    if state is None:
        state = idle_state(
            record.num_connectors,
            record.error_code,
            settings.heartbeat_interval,
            energy_wh=sum(record.meters()),
            queued_messages=queued,
        )
    return ChargerView(
        chargepoint_id=record.chargepoint_id,
        charger_type=record.charger_type,
        mode=record.mode,
        max_power_kw=record.max_power_kw,
        free_charging=record.free_charging,
        num_connectors=record.num_connectors,
        backend_url=record.backend_url or settings.ocpp_backend_url,
        rfid_tag=record.rfid_tag or settings.rfid_card_id,
        auth_mode=record.auth_mode,
        pnc_emaid=record.pnc_emaid,
        pnc_pcid=record.pnc_pcid,
        pnc_certificate_hash=record.pnc_certificate_hash,
        ocpp_version=record.ocpp_version,
        charger_name=record.charger_name,
        error_code=record.error_code,
        state=state,
        warnings=_emaid_warnings(record) + _security_warnings(record, settings),
        security_profile=record.security_profile,
        basic_auth_password_set=bool(record.basic_auth_password),
        ca_certificate_set=bool(record.ca_certificate_pem),
    )


def _security_warnings(record: ChargerRecord, settings: SettingsRecord) -> tuple[str, ...]:
    """Profile 2 with a plain ws:// URL (the global default changed since): it cannot connect."""
    url = record.backend_url or settings.ocpp_backend_url
    if record.security_profile >= 2 and not url.startswith("wss://"):
        return ("security_profile: profile 2 needs a wss:// backend URL; this one is not",)
    return ()


def _check_power(charger_type: ChargerType, max_power_kw: float) -> float:
    allowed = limits.POWER_KW[charger_type]
    if max_power_kw not in allowed:
        raise Invalid("max_power_kw", f"{allowed.sentence} for {charger_type}")
    return float(max_power_kw)


def _check_connectors(value: int) -> int:
    refuse("num_connectors", limits.CONNECTORS.problem(value))
    return value


def _check_chargepoint_id(value: str) -> str:
    refuse("chargepoint_id", limits.CHARGEPOINT_ID.problem(value))
    return value


def _check_url(value: str) -> str:
    if value == "":
        return ""
    try:
        return limits.check_backend_url(value)
    except ValueError as exc:
        raise Invalid("backend_url", str(exc)) from None


def _check_text(name: str, value: str, limit: Text) -> str:
    try:
        return limits.check_text(value, limit)
    except ValueError as exc:
        raise Invalid(name, str(exc)) from None


def _resolve_emaid(checked: _Checked, given: str | None, chargepoint_id: str, pnc: bool) -> None:
    """Normalise a user's eMAID (warnings, not refusals) or generate one for Plug & Charge."""
    if given:
        try:
            result = emaid.check(given)
        except ValueError as exc:
            raise Invalid("pnc_emaid", str(exc)) from None
        checked.values["pnc_emaid"] = result.emaid
        checked.warnings.extend(f"pnc_emaid: {w}" for w in result.warnings)
    elif pnc:
        checked.values["pnc_emaid"] = emaid.generate(chargepoint_id)
    elif given is not None:
        checked.values["pnc_emaid"] = ""


class Chargers:
    """The charger use cases for one store."""

    def __init__(self, store: Store, *, clock: Clock = utc_now, fleet: Fleet | None = None) -> None:
        self._store = store
        self._clock = clock
        self._fleet = fleet

    def _show(
        self, record: ChargerRecord, settings: SettingsRecord, queued: Mapping[int, int]
    ) -> ChargerView:
        state = None
        if self._fleet is not None:
            state = self._fleet.state((record.user_id, record.chargepoint_id))
        return view(record, settings, state, queued=queued.get(record.id, 0))

    async def _queued(self, records: Iterable[ChargerRecord]) -> dict[int, int]:
        """Messages waiting in the outboxes of the chargers that are not running (a running
        charger reports its own)."""
        fleet = self._fleet
        idle = [
            r.id
            for r in records
            if fleet is None or fleet.state((r.user_id, r.chargepoint_id)) is None
        ]
        return await self._store.journal.queued(idle)

    async def _settle(self, user_id: int, chargepoint_id: str) -> None:
        """Wait until the action's transaction messages are in the charger's outbox: 503 when
        the store refuses them (a full disk), rather than a message silently lost."""
        if self._fleet is None:
            return
        try:
            await self._fleet.settle((user_id, chargepoint_id))
        except JournalError as exc:
            raise Unavailable(
                f"{exc}; the action was done, try again when the disk has room"
            ) from None

    async def _sync(self, record: ChargerRecord, settings: SettingsRecord | None = None) -> None:
        """Make the running charger match its stored configuration; keep the meters of one
        that stopped."""
        if self._fleet is None:
            return
        settings = settings or await self._store.get_settings(record.user_id)
        meters = await self._fleet.apply(runtime_config(record, settings))
        if meters is not None:
            await self._store.update_charger(
                record.user_id, record.chargepoint_id, {"meter_registers": _registers(meters)}
            )

    async def resume(self) -> int:
        """Start every charger that is not off (server start-up); returns how many."""
        records = await self._store.active_chargers()
        settings: dict[int, SettingsRecord] = {}
        for record in records:
            if record.user_id not in settings:
                settings[record.user_id] = await self._store.get_settings(record.user_id)
            await self._sync(record, settings[record.user_id])
        return len(records)

    async def shutdown(self) -> None:
        """Stop every running charger and keep their meter registers."""
        if self._fleet is None:
            return
        for (user_id, chargepoint_id), meters in (await self._fleet.close()).items():
            try:
                await self._store.update_charger(
                    user_id, chargepoint_id, {"meter_registers": _registers(meters)}
                )
            except Exception as exc:  # a full or lost disk must not keep the server from stopping
                log.error("charger %s: its meter registers were not saved: %s", chargepoint_id, exc)

    async def settings_changed(self, user_id: int) -> None:
        """The user's defaults changed: running chargers pick them up."""
        settings = await self._store.get_settings(user_id)
        for record in await self._store.list_chargers(user_id):
            if record.mode != Mode.OFF:
                await self._sync(record, settings)

    async def _record(self, user_id: int, chargepoint_id: str) -> ChargerRecord:
        record = await self._store.get_charger(user_id, chargepoint_id)
        if record is None:
            raise NotFound(f"no charger {chargepoint_id!r}")
        return record

    async def _view(self, record: ChargerRecord, warnings: list[str] | None = None) -> ChargerView:
        settings = await self._store.get_settings(record.user_id)
        result = self._show(record, settings, await self._queued([record]))
        if warnings:
            result = replace(result, warnings=tuple(dict.fromkeys([*warnings, *result.warnings])))
        return result

    async def _update(
        self,
        user_id: int,
        chargepoint_id: str,
        changes: dict[str, object],
        warnings: list[str] | None = None,
    ) -> ChargerView:
        try:
            record = await self._store.update_charger(user_id, chargepoint_id, changes)
        except DuplicateError as exc:
            raise Conflict(str(exc)) from None
        if record is None:
            raise NotFound(f"no charger {chargepoint_id!r}")
        await self._sync(record)
        record = await self._record(user_id, record.chargepoint_id)
        return await self._view(record, warnings)

    async def _require_off(self, user_id: int, chargepoint_id: str, what: str) -> ChargerRecord:
        record = await self._record(user_id, chargepoint_id)
        if record.mode != Mode.OFF:
            raise Conflict(
                f"charger {chargepoint_id!r} is in mode {record.mode!r}: "
                f"set mode 'off' before changing {what}"
            )
        return record

    # --- reading ---

    async def list(self, user_id: int) -> list[ChargerView]:
        settings = await self._store.get_settings(user_id)
        records = await self._store.list_chargers(user_id)
        queued = await self._queued(records)
        return [self._show(r, settings, queued) for r in records]

    async def get(self, user_id: int, chargepoint_id: str) -> ChargerView:
        return await self._view(await self._record(user_id, chargepoint_id))

    # --- creating and deleting ---

    async def create(self, user_id: int, spec: NewCharger) -> ChargerView:
        checked = _Checked()
        chargepoint_id = _check_chargepoint_id(spec.chargepoint_id)
        pnc = spec.auth_mode == AuthMode.PLUG_AND_CHARGE
        version = spec.ocpp_version or OcppVersion.V16
        if pnc and version != OcppVersion.V201:
            if spec.ocpp_version is not None:
                checked.warnings.append(
                    f"ocpp_version: Plug & Charge chargers are created as OCPP 2.0.1, not {version}"
                )
            version = OcppVersion.V201
        checked.values.update(
            chargepoint_id=chargepoint_id,
            charger_type=str(spec.charger_type),
            max_power_kw=_check_power(spec.charger_type, spec.max_power_kw),
            num_connectors=_check_connectors(spec.num_connectors),
            ocpp_version=str(version),
            auth_mode=str(spec.auth_mode),
            pnc_emaid="",
            pnc_pcid=_check_text("pnc_pcid", spec.pnc_pcid, limits.PCID),
            pnc_certificate_hash=_check_text(
                "pnc_certificate_hash", spec.pnc_certificate_hash, limits.CERT_HASH
            ),
            rfid_tag=check_id_tag("rfid_tag", spec.rfid_tag) if spec.rfid_tag else "",
            backend_url=_check_url(spec.backend_url),
            charger_name=_check_text("charger_name", spec.charger_name, limits.NAME),
            free_charging=spec.free_charging,
            mode=str(spec.mode),
            error_code=str(ErrorCode.NO_ERROR),
        )
        _resolve_emaid(checked, spec.pnc_emaid, chargepoint_id, pnc)
        try:
            record = await self._store.create_charger(user_id, checked.values, self._clock())
        except DuplicateError as exc:
            raise Conflict(str(exc)) from None
        await self._sync(record)
        return await self._view(record, checked.warnings)

    async def delete(self, user_id: int, chargepoint_id: str) -> None:
        await self._record(user_id, chargepoint_id)
        if self._fleet is not None:
            await self._fleet.remove((user_id, chargepoint_id))
        if not await self._store.delete_charger(user_id, chargepoint_id):
            raise NotFound(f"no charger {chargepoint_id!r}")

    # --- configuration ---

    async def set_name(self, user_id: int, chargepoint_id: str, name: str) -> ChargerView:
        name = _check_text("charger_name", name, limits.NAME)
        return await self._update(user_id, chargepoint_id, {"charger_name": name})

    async def rename(self, user_id: int, chargepoint_id: str, new_id: str) -> ChargerView:
        new_id = _check_chargepoint_id(new_id)
        await self._require_off(user_id, chargepoint_id, "its chargepoint id")
        return await self._update(user_id, chargepoint_id, {"chargepoint_id": new_id})

    async def set_rfid(self, user_id: int, chargepoint_id: str, tag: str) -> ChargerView:
        tag = check_id_tag("rfid_tag", tag) if tag else ""
        return await self._update(user_id, chargepoint_id, {"rfid_tag": tag})

    async def set_backend_url(self, user_id: int, chargepoint_id: str, url: str) -> ChargerView:
        url = _check_url(url)
        record = await self._record(user_id, chargepoint_id)
        if record.security_profile >= 2:
            effective = url or (await self._store.get_settings(user_id)).ocpp_backend_url
            if not effective.startswith("wss://"):
                raise Invalid(
                    "backend_url", "security profile 2 needs a wss:// URL (lower the profile first)"
                )
        return await self._update(user_id, chargepoint_id, {"backend_url": url})

    async def set_num_connectors(
        self, user_id: int, chargepoint_id: str, count: int
    ) -> ChargerView:
        count = _check_connectors(count)
        await self._require_off(user_id, chargepoint_id, "its number of connectors")
        return await self._update(user_id, chargepoint_id, {"num_connectors": count})

    async def set_ocpp_version(
        self, user_id: int, chargepoint_id: str, version: OcppVersion
    ) -> ChargerView:
        await self._require_off(user_id, chargepoint_id, "its OCPP version")
        return await self._update(user_id, chargepoint_id, {"ocpp_version": str(version)})

    async def set_free_charging(self, user_id: int, chargepoint_id: str, free: bool) -> ChargerView:
        return await self._update(user_id, chargepoint_id, {"free_charging": free})

    async def set_mode(self, user_id: int, chargepoint_id: str, mode: Mode) -> ChargerView:
        result = await self._update(user_id, chargepoint_id, {"mode": str(mode)})
        await self._settle(user_id, chargepoint_id)
        return result

    async def set_error(self, user_id: int, chargepoint_id: str, code: ErrorCode) -> ChargerView:
        """A fault ends running sessions: their stop messages are in the outbox on return."""
        result = await self._update(user_id, chargepoint_id, {"error_code": str(code)})
        await self._settle(user_id, chargepoint_id)
        return result

    async def set_auth_config(
        self, user_id: int, chargepoint_id: str, config: AuthConfig
    ) -> ChargerView:
        record = await self._record(user_id, chargepoint_id)
        checked = _Checked()
        checked.values["auth_mode"] = str(config.auth_mode)
        if config.rfid_tag is not None:
            checked.values["rfid_tag"] = (
                check_id_tag("rfid_tag", config.rfid_tag) if config.rfid_tag else ""
            )
        if config.pnc_pcid is not None:
            checked.values["pnc_pcid"] = _check_text("pnc_pcid", config.pnc_pcid, limits.PCID)
        if config.pnc_certificate_hash is not None:
            checked.values["pnc_certificate_hash"] = _check_text(
                "pnc_certificate_hash", config.pnc_certificate_hash, limits.CERT_HASH
            )
        pnc = config.auth_mode == AuthMode.PLUG_AND_CHARGE
        # An omitted eMAID keeps the stored one; Plug & Charge never runs without one.
        if config.pnc_emaid is not None or not record.pnc_emaid:
            _resolve_emaid(checked, config.pnc_emaid, record.chargepoint_id, pnc)
        return await self._update(user_id, chargepoint_id, checked.values, checked.warnings)

    async def set_security(
        self, user_id: int, chargepoint_id: str, config: SecurityConfig
    ) -> ChargerView:
        """OCPP security profile 0 (none), 1 (Basic auth) or 2 (Basic auth over TLS)."""
        record = await self._record(user_id, chargepoint_id)
        refuse("security_profile", limits.SECURITY_PROFILE.problem(config.security_profile))
        changes: dict[str, object] = {"security_profile": config.security_profile}
        password = record.basic_auth_password
        if config.basic_auth_password is not None:
            password = config.basic_auth_password
            if password:  # "" removes it
                refuse("basic_auth_password", limits.BASIC_AUTH_PASSWORD.problem(password))
            changes["basic_auth_password"] = password
        if config.ca_certificate_pem is not None:
            pem = config.ca_certificate_pem.strip()
            refuse("ca_certificate_pem", limits.CA_PEM.problem(pem))
            if pem:
                try:
                    check_ca_pem(pem)
                except ValueError as exc:
                    raise Invalid("ca_certificate_pem", str(exc)) from None
            changes["ca_certificate_pem"] = pem
        if config.security_profile >= 1 and not password:
            raise Invalid(
                "basic_auth_password", "security profiles 1 and 2 need a Basic-auth password"
            )
        if config.security_profile >= 2:
            settings = await self._store.get_settings(user_id)
            url = record.backend_url or settings.ocpp_backend_url
            if not url.startswith("wss://"):
                raise Invalid("security_profile", "profile 2 needs a wss:// backend URL")
        return await self._update(user_id, chargepoint_id, changes)

    # --- sessions ---

    async def check_start(
        self, user_id: int, chargepoint_id: str, request: StartRequest
    ) -> ChargerRecord:
        """Refuse a start that cannot happen: wrong mode, bad connector, bad target."""
        record = await self._record(user_id, chargepoint_id)
        refuse("energy_kwh", limits.TARGET_KWH.problem(request.energy_kwh))
        if request.rfid_tag:
            check_id_tag("rfid_tag", request.rfid_tag)
        if request.connector_id is not None:
            allowed = limits.CONNECTOR_ID.up_to(record.num_connectors)
            if request.connector_id not in allowed:
                raise Invalid("connector_id", f"{allowed.sentence} for this charger")
        if record.mode == Mode.OFF:
            raise Conflict(f"charger {chargepoint_id!r} is off: set mode 'on' or 'manual' first")
        if record.mode == Mode.AUTOPILOT:
            raise Conflict(
                f"charger {chargepoint_id!r} is in autopilot, which runs its own sessions: "
                "set mode 'manual' to start sessions yourself"
            )
        return record

    async def start(self, user_id: int, chargepoint_id: str, request: StartRequest) -> ChargerView:
        """Start a manual session: the charger authorizes the tag (unless free charging),
        starts a transaction and charges until ``energy_kwh`` have flowed or ``stop``."""
        record = await self.check_start(user_id, chargepoint_id, request)
        settings = await self._store.get_settings(user_id)
        tag = effective_id_tag(record, settings)
        if request.rfid_tag and record.auth_mode != AuthMode.PLUG_AND_CHARGE:
            tag = request.rfid_tag
        if self._fleet is None:
            raise Conflict(f"charger {chargepoint_id!r} is not running in this process")
        try:
            self._fleet.start_session(
                (user_id, chargepoint_id), request.connector_id, tag, request.energy_kwh * 1000.0
            )
        except Refused as exc:
            raise Conflict(f"charger {chargepoint_id!r} cannot start a session: {exc}") from None
        await self._settle(user_id, chargepoint_id)
        return self._show(record, settings, {})

    async def stop(self, user_id: int, chargepoint_id: str) -> ChargerView:
        """Stop the running session (the first one, on a charger with several connectors)."""
        record = await self._record(user_id, chargepoint_id)
        if self._fleet is None:
            raise Conflict(f"charger {chargepoint_id!r} is not running in this process")
        try:
            self._fleet.stop_session((user_id, chargepoint_id), None)
        except Refused as exc:
            raise Conflict(f"charger {chargepoint_id!r} has no session to stop: {exc}") from None
        await self._settle(user_id, chargepoint_id)
        return await self._view(record)


def _registers(meters: tuple[float, ...]) -> str:
    return ",".join(f"{m:.1f}" for m in meters)
