"""The limits of every setting, written once: the API schema and the services both read them.

Each limit is plain data with the sentence a refusal shows: ``problem(value)`` is None for an
acceptable value, else that sentence (the caller prefixes the field's name). ``api/bounds.py``
turns the same limits into the OpenAPI ``minimum``/``maximum``/``maxLength`` of each field,
so the schema and the checks cannot drift apart (``tests/unit/test_limits.py`` proves it).

The REST contract (the seed's "REST Chargers" and "REST Configuration") fixes these ranges.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from ocppsim.core.model import ChargerType

Number = TypeVar("Number", int, float)


def _num(value: float) -> str:
    # 1.0 reads "1", 1_000_000 reads "1000000" (not "1e+06").
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True, slots=True)
class Range(Generic[Number]):
    """The numbers from ``low`` to ``high``, both included (``low`` excluded if ``low_open``).

    ``says`` replaces the default refusal sentence; ``{low}`` and ``{high}`` are filled in.
    """

    low: Number
    high: Number
    low_open: bool = False
    says: str = ""

    def __contains__(self, value: Number) -> bool:
        above = self.low < value if self.low_open else self.low <= value
        return above and value <= self.high

    @property
    def sentence(self) -> str:
        """Why a value outside the range is refused."""
        if self.says:
            return self.says.format(low=_num(self.low), high=_num(self.high))
        if self.low_open:
            return f"must be greater than {_num(self.low)} and at most {_num(self.high)}"
        return f"must be between {_num(self.low)} and {_num(self.high)}"

    def problem(self, value: Number) -> str | None:
        """None if ``value`` is in the range, else the sentence saying why not."""
        return None if value in self else self.sentence

    def up_to(self, high: Number) -> Range[Number]:
        """The same range with a lower ceiling (a charger's own number of connectors)."""
        return replace(self, high=high)


@dataclass(frozen=True, slots=True)
class Text:
    """Text of ``low`` to ``high`` characters; with ``chars`` (a regex character class) only
    those characters. ``says`` replaces the default refusal sentence (``{low}``/``{high}``
    filled in). The API schema carries ``high`` only: an empty text means "the default" or
    "remove" in most fields, and the services refuse the rest with a sentence of their own."""

    high: int
    low: int = 0
    chars: str = ""
    says: str = ""

    def fits(self, value: str) -> bool:
        """Whether ``value`` has an allowed length and only allowed characters (``fullmatch``:
        a regex ``$`` would let a trailing newline through)."""
        if not self.low <= len(value) <= self.high:
            return False
        return not self.chars or re.fullmatch(f"[{self.chars}]*", value) is not None

    @property
    def sentence(self) -> str:
        """Why a text that does not fit is refused."""
        if self.says:
            return self.says.format(low=self.low, high=self.high)
        if self.low:
            return f"must be {self.low} to {self.high} characters"
        return f"must be at most {self.high} characters"

    def problem(self, value: str) -> str | None:
        """None if ``value`` fits, else the sentence saying why not."""
        return None if self.fits(value) else self.sentence


#: Any limit of the table.
Limit = Range[int] | Range[float] | Text

# --- charger ---

_UNRESERVED = "A-Za-z0-9._~-"
#: OCPP 2.0.1 part 4 §3.1.1: identity at most 48 characters, RFC 3986 "unreserved" characters.
CHARGEPOINT_ID = Text(
    48,
    low=1,
    chars=_UNRESERVED,
    says="use {low}-{high} characters from A-Z a-z 0-9 . _ ~ - (OCPP charging station identity)",
)
CONNECTORS = Range(1, 5)
#: A session's connector: 1 to the charger's number of connectors (see ``Range.up_to``).
CONNECTOR_ID = Range(1, CONNECTORS.high)
#: AC: up to 44 kW (3 x 63 A at 230 V); DC: up to 1 MW. Both at least 1 kW.
POWER_KW: Mapping[ChargerType, Range[float]] = {
    ChargerType.AC: Range(1.0, 44.0),
    ChargerType.DC: Range(1.0, 1000.0),
}
#: What a schema that does not know the charger type can say: the widest of the two.
POWER_KW_ANY = Range(min(r.low for r in POWER_KW.values()), max(r.high for r in POWER_KW.values()))
#: OCPP 1.6 idTag is CiString20; the tag must fit every version the charger can switch to.
ID_TAG = Text(
    20,
    low=1,
    chars="\x21-\x7e",
    says="must be {low}-{high} printable ASCII characters without spaces",
)
NAME = Text(100)
#: 2.0.1 NetworkConnectionProfile ocppCsmsUrl maxLength.
URL = Text(512)
PCID = Text(64)
CERT_HASH = Text(128)
#: What the API takes before normalising (``core/emaid.py`` then allows ``ID_TAG.high``).
EMAID_INPUT = Text(32)
#: Largest session target a user may ask for (kWh); far above any EV battery.
TARGET_KWH = Range(0, 1000.0, low_open=True)
#: OCPP security profiles (2.0.1 part 2 A00): 0 none, 1 Basic auth, 2 Basic auth over TLS;
#: 3 (client certificates) is not simulated.
SECURITY_PROFILE = Range(0, 2, says="must be 0, 1 or 2")
#: OCPP 2.0.1 A00.FR.205: 16-64 printable ASCII characters, no spaces ("" removes it).
BASIC_AUTH_PASSWORD = Text(
    64,
    low=16,
    chars="\x21-\x7e",
    says="must be {low}-{high} printable ASCII characters without spaces (OCPP 2.0.1 A00.FR.205)",
)
CA_PEM = Text(20_000)

# --- global settings ---

HEARTBEAT = Range(10, 3600)
BATCH = Range(10, 2500)
#: OCPP message log retention per user: the newest N records, none older than D days.
LOG_RECORDS = Range(100, 1_000_000)
LOG_DAYS = Range(1, 365)

# --- load test (the REST contract's range for one user's run; the CLI may go further) ---

MASS_TARGET = Range(0, 10_000)
ID_PREFIX = Text(
    40,
    chars=_UNRESERVED,
    says="at most {high} characters of A-Z a-z 0-9 . _ ~ - (ids are prefix + 00001)",
)
METER_INTERVAL = Range(5, 3600)

# --- the log and accounts ---

#: Entries one history page may hold.
LOG_PAGE = Range(1, 1000)
ACCOUNT_PASSWORD = Text(128, low=8)

#: The bounds of every API field, by its name (bodies and query parameters): the OpenAPI
#: document shows exactly these (``tests/unit/test_limits.py``).
BY_FIELD: Mapping[str, Limit] = {
    "chargepoint_id": CHARGEPOINT_ID,
    "num_connectors": CONNECTORS,
    "connector_id": CONNECTOR_ID,
    "max_power_kw": POWER_KW_ANY,
    "rfid_tag": ID_TAG,
    "rfid_card_id": ID_TAG,
    "charger_name": NAME,
    "backend_url": URL,
    "ocpp_backend_url": URL,
    "pnc_pcid": PCID,
    "pnc_certificate_hash": CERT_HASH,
    "pnc_emaid": EMAID_INPUT,
    "energy_kwh": TARGET_KWH,
    "security_profile": SECURITY_PROFILE,
    "basic_auth_password": BASIC_AUTH_PASSWORD,
    "ca_certificate_pem": CA_PEM,
    "heartbeat_interval": HEARTBEAT,
    "mass_batch_size": BATCH,
    "log_retention_records": LOG_RECORDS,
    "log_retention_days": LOG_DAYS,
    "target": MASS_TARGET,
    "id_prefix": ID_PREFIX,
    "meter_interval": METER_INTERVAL,
    "limit": LOG_PAGE,
}

# --- checks that are more than a range ---

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_backend_url(url: str) -> str:
    """Return the normalised WebSocket URL (no trailing slash) or raise ValueError saying why.

    The charger dials ``url + "/" + chargepoint_id``; credentials never travel in the URL
    (they have their own write-only fields), so user info and fragments are refused.
    """
    if (problem := URL.problem(url)) is not None:
        raise ValueError(problem)
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
    if (problem := ID_TAG.problem(value)) is not None:
        raise ValueError(problem)
    return value


def check_text(value: str, limit: Text) -> str:
    """A free-text field: within ``limit`` and free of control characters."""
    if (problem := limit.problem(value)) is not None:
        raise ValueError(problem)
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value
