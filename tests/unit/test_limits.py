"""The table of limits (``ocppsim.core.limits``): each bound is accepted, one step past it is
refused with the sentence users see, and the app's OpenAPI document shows exactly the table's
bounds for every field, so the schema and the services' checks cannot drift apart."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from ocppsim.api import create_app
from ocppsim.config import Config
from ocppsim.core import limits
from ocppsim.core.limits import Limit, Range, Text
from ocppsim.core.model import ChargerType
from ocppsim.services.errors import Invalid
from ocppsim.services.settings import SettingsChange, validate_change

_BETWEEN = "must be between {} and {}"

#: (name, range, the sentence a value outside it gets): the sentences as users read them.
RANGES: list[tuple[str, Range[int] | Range[float], str]] = [
    ("CONNECTORS", limits.CONNECTORS, _BETWEEN.format(1, 5)),
    ("CONNECTOR_ID", limits.CONNECTOR_ID, _BETWEEN.format(1, 5)),
    ("POWER_KW[AC]", limits.POWER_KW[ChargerType.AC], _BETWEEN.format(1, 44)),
    ("POWER_KW[DC]", limits.POWER_KW[ChargerType.DC], _BETWEEN.format(1, 1000)),
    ("POWER_KW_ANY", limits.POWER_KW_ANY, _BETWEEN.format(1, 1000)),
    ("TARGET_KWH", limits.TARGET_KWH, "must be greater than 0 and at most 1000"),
    ("SECURITY_PROFILE", limits.SECURITY_PROFILE, "must be 0, 1 or 2"),
    ("HEARTBEAT", limits.HEARTBEAT, _BETWEEN.format(10, 3600)),
    ("BATCH", limits.BATCH, _BETWEEN.format(10, 2500)),
    ("LOG_RECORDS", limits.LOG_RECORDS, _BETWEEN.format(100, 1000000)),
    ("LOG_DAYS", limits.LOG_DAYS, _BETWEEN.format(1, 365)),
    ("MASS_TARGET", limits.MASS_TARGET, _BETWEEN.format(0, 10000)),
    ("METER_INTERVAL", limits.METER_INTERVAL, _BETWEEN.format(5, 3600)),
    ("LOG_PAGE", limits.LOG_PAGE, _BETWEEN.format(1, 1000)),
]

_PRINTABLE = "printable ASCII characters without spaces"
#: (name, text limit, a character it allows, the sentence a text that does not fit gets).
TEXTS: list[tuple[str, Text, str, str]] = [
    (
        "CHARGEPOINT_ID",
        limits.CHARGEPOINT_ID,
        "A",
        "use 1-48 characters from A-Z a-z 0-9 . _ ~ - (OCPP charging station identity)",
    ),
    ("ID_TAG", limits.ID_TAG, "~", f"must be 1-20 {_PRINTABLE}"),
    ("NAME", limits.NAME, "n", "must be at most 100 characters"),
    ("URL", limits.URL, "u", "must be at most 512 characters"),
    ("PCID", limits.PCID, "p", "must be at most 64 characters"),
    ("CERT_HASH", limits.CERT_HASH, "h", "must be at most 128 characters"),
    ("EMAID_INPUT", limits.EMAID_INPUT, "E", "must be at most 32 characters"),
    (
        "BASIC_AUTH_PASSWORD",
        limits.BASIC_AUTH_PASSWORD,
        "!",
        f"must be 16-64 {_PRINTABLE} (OCPP 2.0.1 A00.FR.205)",
    ),
    ("CA_PEM", limits.CA_PEM, "\n", "must be at most 20000 characters"),
    (
        "ID_PREFIX",
        limits.ID_PREFIX,
        "-",
        "at most 40 characters of A-Z a-z 0-9 . _ ~ - (ids are prefix + 00001)",
    ),
    ("ACCOUNT_PASSWORD", limits.ACCOUNT_PASSWORD, " ", "must be 8 to 128 characters"),
]


def _below(r: Range[int] | Range[float]) -> float:
    return r.low - 1 if isinstance(r.low, int) else math.nextafter(r.low, -math.inf)


def _above(r: Range[int] | Range[float]) -> float:
    return r.high + 1 if isinstance(r.high, int) else math.nextafter(r.high, math.inf)


@pytest.mark.parametrize(("name", "limit", "sentence"), RANGES, ids=[c[0] for c in RANGES])
def test_a_range_takes_its_bounds_and_refuses_one_past(
    name: str, limit: Range[Any], sentence: str
) -> None:
    assert limit.problem(limit.high) is None
    assert limit.problem(_above(limit)) == sentence
    if limit.low_open:
        assert limit.problem(limit.low) == sentence
        assert limit.problem(math.nextafter(limit.low, math.inf)) is None
    else:
        assert limit.problem(limit.low) is None
        assert limit.problem(_below(limit)) == sentence


@pytest.mark.parametrize(("name", "limit", "char", "sentence"), TEXTS, ids=[c[0] for c in TEXTS])
def test_a_text_takes_its_lengths_and_refuses_one_past(
    name: str, limit: Text, char: str, sentence: str
) -> None:
    assert limit.problem(char * limit.high) is None
    assert limit.problem(char * max(limit.low, 1)) is None
    assert limit.problem(char * (limit.high + 1)) == sentence
    if limit.low:
        assert limit.problem(char * (limit.low - 1)) == sentence
    else:
        assert limit.problem("") is None


@pytest.mark.parametrize(
    ("limit", "value"),
    [
        (limits.CHARGEPOINT_ID, "has space"),
        (limits.CHARGEPOINT_ID, "a/b"),
        (limits.CHARGEPOINT_ID, "ABC\n"),  # a regex "$" would let the newline through
        (limits.ID_TAG, "has space"),
        (limits.ID_TAG, "T\u00c4G"),
        (limits.ID_TAG, "TAG\n"),
        (limits.ID_PREFIX, "bad/prefix"),
        (limits.BASIC_AUTH_PASSWORD, "sixteen chars ok"),  # a space
    ],
)
def test_a_text_refuses_characters_outside_its_set(limit: Text, value: str) -> None:
    assert limit.problem(value) == limit.sentence


def test_every_limit_of_the_table_is_tested_here() -> None:
    tested: list[Limit] = [r for _, r, _ in RANGES] + [t for _, t, _, _ in TEXTS]
    table = [*limits.BY_FIELD.values(), *limits.POWER_KW.values(), limits.ACCOUNT_PASSWORD]
    assert all(any(limit is t for t in tested) for limit in table)


def test_a_range_lowered_to_a_chargers_connectors() -> None:
    two = limits.CONNECTOR_ID.up_to(2)
    assert two.problem(2) is None
    assert two.problem(3) == "must be between 1 and 2"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (SettingsChange(heartbeat_interval=9), "heartbeat_interval: must be between 10 and 3600"),
        (SettingsChange(mass_batch_size=2501), "mass_batch_size: must be between 10 and 2500"),
        (
            SettingsChange(log_retention_records=99),
            "log_retention_records: must be between 100 and 1000000",
        ),
        (SettingsChange(log_retention_days=366), "log_retention_days: must be between 1 and 365"),
        (
            SettingsChange(rfid_card_id="a b"),
            f"rfid_card_id: must be 1-20 {_PRINTABLE}",
        ),
    ],
)
def test_the_settings_service_refuses_with_the_tables_sentence(
    change: SettingsChange, error: str
) -> None:
    with pytest.raises(Invalid) as refused:
        validate_change(change)
    assert str(refused.value) == error


def test_the_settings_service_takes_every_bound() -> None:
    for limit in (limits.HEARTBEAT, limits.BATCH, limits.LOG_RECORDS, limits.LOG_DAYS):
        for value in (limit.low, limit.high):
            change = SettingsChange(
                heartbeat_interval=value if limit is limits.HEARTBEAT else None,
                mass_batch_size=value if limit is limits.BATCH else None,
                log_retention_records=value if limit is limits.LOG_RECORDS else None,
                log_retention_days=value if limit is limits.LOG_DAYS else None,
            )
            assert list(validate_change(change).values()) == [value]


# --- the OpenAPI document ---

_BOUND_KEYS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
)
#: Bounded fields that are not settings: an id the server handed out has no upper end.
NOT_SETTINGS = {"before_id"}


def _bounds_in(schema: dict[str, Any]) -> dict[str, float]:
    """The bounds of a field's schema, looking into ``anyOf`` (an optional field)."""
    found = {k: schema[k] for k in _BOUND_KEYS if k in schema}
    for branch in schema.get("anyOf", ()):
        found |= _bounds_in(branch)
    return found


def _request_bodies(document: dict[str, Any]) -> set[str]:
    """The names of the schemas requests send."""
    return {
        content["schema"]["$ref"].rsplit("/", 1)[-1]
        for item in document["paths"].values()
        for operation in item.values()
        for content in operation.get("requestBody", {}).get("content", {}).values()
    }


def _fields(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, float], bool]]:
    """(where, field name, bounds, whether a client sends it in a body or query) of every
    schema property and every parameter."""
    bodies = _request_bodies(document)
    for model_name, schema in document["components"]["schemas"].items():
        for name, prop in schema.get("properties", {}).items():
            yield model_name, name, _bounds_in(prop), model_name in bodies
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", ()):
                sent = parameter["in"] == "query"
                where = f"{method} {path}"
                yield where, parameter["name"], _bounds_in(parameter["schema"]), sent


def _expected(limit: Limit) -> dict[str, float]:
    if isinstance(limit, Text):
        return {"maxLength": limit.high}
    low = "exclusiveMinimum" if limit.low_open else "minimum"
    return {low: limit.low, "maximum": limit.high}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(Config(database_url="unused://")).openapi()


def test_the_openapi_document_shows_exactly_the_tables_bounds(document: dict[str, Any]) -> None:
    seen: set[str] = set()
    for where, name, found, sent in _fields(document):
        if name in NOT_SETTINGS or not (found or (sent and name in limits.BY_FIELD)):
            continue
        assert name in limits.BY_FIELD, f"{where}.{name} has bounds {found} but no table entry"
        assert found == _expected(limits.BY_FIELD[name]), f"{where}.{name}"
        seen.add(name)
    assert seen == set(limits.BY_FIELD), "table entries no API field shows"
