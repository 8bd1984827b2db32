"""Plain records the repositories return (frozen, slotted, no ORM)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class DuplicateError(Exception):
    """A unique constraint refused the write (for example a chargepoint id already taken)."""


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    name: str
    password_hash: str
    is_admin: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: int
    user_id: int
    prefix: str
    digest: bytes
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class WebSessionRecord:
    """A web UI log-in session; ``digest`` is the SHA-256 of the cookie's token."""

    id: int
    digest: bytes = field(repr=False)
    user_id: int
    csrf_token: str = field(repr=False)
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True, slots=True)
class SettingsRecord:
    ocpp_backend_url: str
    rfid_card_id: str
    heartbeat_interval: int
    mass_batch_size: int
    log_retention_records: int = 100_000
    log_retention_days: int = 7


@dataclass(frozen=True, slots=True)
class ChargerRecord:
    """A charger's stored configuration; empty ``rfid_tag`` / ``backend_url`` mean the default."""

    id: int
    user_id: int
    chargepoint_id: str
    charger_type: str
    max_power_kw: float
    num_connectors: int
    ocpp_version: str
    auth_mode: str
    rfid_tag: str
    backend_url: str
    pnc_emaid: str
    pnc_pcid: str
    pnc_certificate_hash: str
    charger_name: str
    mode: str
    free_charging: bool
    error_code: str
    created_at: datetime
    meter_registers: str = ""
    security_profile: int = 0
    basic_auth_password: str = field(default="", repr=False)
    ca_certificate_pem: str = ""

    def meters(self) -> tuple[float, ...]:
        """The stored registers as numbers (Wh, connector 1 first)."""
        return tuple(float(v) for v in self.meter_registers.split(",") if v)


#: Charger columns a caller may write (everything but the keys and the creation time).
CHARGER_FIELDS = frozenset(ChargerRecord.__slots__) - {"id", "user_id", "created_at"}


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One entry of the OCPP message log: a frame, or a connection event (kind "connection")."""

    id: int
    user_id: int
    chargepoint_id: str
    kind: str  # call, result, error, send, result_error, invalid, connection
    direction: str  # sent, received, local
    message_type: str
    message_id: str
    payload: Any
    timestamp: float  # epoch seconds
