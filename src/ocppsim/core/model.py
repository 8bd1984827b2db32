"""The charger's vocabulary: kinds, modes, versions and the limits of each setting.

These are the names the REST API uses; the OCPP adapters translate them.
"""

from __future__ import annotations

import re
from enum import StrEnum
from urllib.parse import urlsplit


class ChargerType(StrEnum):
    """AC or DC charging."""

    AC = "AC"
    DC = "DC"


class Mode(StrEnum):
    """What the charger does: `off` stopped and not connected; `on` and `manual` connected,
    sessions only when you start them; `autopilot` connected, running sessions by itself."""

    OFF = "off"
    ON = "on"
    AUTOPILOT = "autopilot"
    MANUAL = "manual"


class OcppVersion(StrEnum):
    """The OCPP version the charger speaks: 1.6 (JSON), 2.0.1 or 2.1."""

    V16 = "1.6"
    V201 = "2.0.1"
    V21 = "2.1"


class AuthMode(StrEnum):
    """How sessions are authorized: RFID tag, or Plug & Charge (the eMAID)."""

    RFID = "rfid"
    PLUG_AND_CHARGE = "plug_and_charge"


class ErrorCode(StrEnum):
    """An error to simulate, named as in OCPP 1.6 ChargePointErrorCode; `NoError` clears it.
    Any other value is a fault: the connectors become Faulted."""

    NO_ERROR = "NoError"
    GROUND_FAILURE = "GroundFailure"
    OVER_CURRENT_FAILURE = "OverCurrentFailure"
    EV_COMMUNICATION_ERROR = "EVCommunicationError"
    INTERNAL_ERROR = "InternalError"
    CONNECTOR_LOCK_FAILURE = "ConnectorLockFailure"
    HIGH_TEMPERATURE = "HighTemperature"
    UNDER_VOLTAGE = "UnderVoltage"
    OVER_VOLTAGE = "OverVoltage"


# --- limits of each setting (shared by the API schema and the services) ---

#: OCPP 2.0.1 part 4 §3.1.1: identity at most 48 characters, RFC 3986 "unreserved" characters.
CHARGEPOINT_ID_PATTERN = r"^[A-Za-z0-9._~-]{1,48}$"
CHARGEPOINT_ID_MAX = 48
MIN_CONNECTORS, MAX_CONNECTORS = 1, 5
#: AC: up to 44 kW (3 x 63 A at 230 V); DC: up to 1 MW. Both at least 1 kW.
MIN_POWER_KW = 1.0
MAX_POWER_KW = {ChargerType.AC: 44.0, ChargerType.DC: 1000.0}
#: OCPP 1.6 idTag is CiString20; the tag must fit every version the charger can switch to.
ID_TAG_PATTERN = r"^[\x21-\x7e]{1,20}$"
ID_TAG_MAX = 20
NAME_MAX = 100
#: 2.0.1 NetworkConnectionProfile ocppCsmsUrl maxLength.
URL_MAX = 512
PCID_MAX = 64
CERT_HASH_MAX = 128
EMAID_INPUT_MAX = 32
HEARTBEAT_MIN, HEARTBEAT_MAX = 10, 3600
BATCH_MIN, BATCH_MAX = 10, 2500
#: OCPP message log retention per user: the newest N records, none older than D days.
LOG_RECORDS_MIN, LOG_RECORDS_MAX = 100, 1_000_000
LOG_DAYS_MIN, LOG_DAYS_MAX = 1, 365
#: Largest session target a user may ask for (kWh); far above any EV battery.
MAX_TARGET_KWH = 1000.0

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_backend_url(url: str) -> str:
    """Return the normalised WebSocket URL (no trailing slash) or raise ValueError saying why.

    The charger dials ``url + "/" + chargepoint_id``; credentials never travel in the URL
    (they have their own write-only fields), so user info and fragments are refused.
    """
    if len(url) > URL_MAX:
        raise ValueError(f"must be at most {URL_MAX} characters")
    if _CONTROL.search(url) or " " in url:
        raise ValueError("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"is not a valid URL ({exc})") from None
    if parts.scheme not in ("ws", "wss"):
        raise ValueError("must start with ws:// or wss://")
    if not parts.hostname:
        raise ValueError("must name a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry user:password (set the charger's password instead)")
    if parts.fragment or url.endswith("#"):
        raise ValueError("must not have a #fragment")
    if port == 0:
        raise ValueError("port must be between 1 and 65535")
    return url.rstrip("/")


def check_id_tag(value: str) -> str:
    """An RFID idTag: what fits OCPP 1.6 CiString20 (and so every later version)."""
    if not re.match(ID_TAG_PATTERN, value):
        raise ValueError("must be 1-20 printable ASCII characters without spaces")
    return value


def check_text(value: str, *, max_len: int) -> str:
    """A free-text field: bounded and free of control characters."""
    if len(value) > max_len:
        raise ValueError(f"must be at most {max_len} characters")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value
