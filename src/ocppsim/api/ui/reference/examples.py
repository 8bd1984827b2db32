"""Example values derived from schemas: for a response body, a request body and a request path.

An example is the schema's own (``examples``, ``example``, ``const``), else a realistic sample
for this field of this schema (``_SAMPLES``), else its ``default`` or first enum value, else a
sample by field name, else one built from the type (a round number inside the bounds, a string
within its lengths). A request example has the required fields and the optional ones that carry
``examples``; a response example has every field.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final
from urllib.parse import quote

from ocppsim.api.ui.reference.schemas import DEPTH, Schemas

#: Query or path parameters of an operation, by (location, name).
Params = dict[tuple[str, str], dict[str, Any]]

#: Realistic values by field name, for schemas that give no ``examples``, ``default`` or enum
#: (mostly response fields). Values follow the project's REST contract.
_SAMPLES: dict[str, Any] = {
    "chargepoint_id": "SIM-AC-001",
    "charger_type": "AC",
    "mode": "autopilot",
    "status": "Charging",
    "availability": "Operative",
    "current_power_kw": 11.0,
    "energy_delivered_wh": 4520.0,
    "max_power_kw": 22.0,
    "transaction_id": 12345,
    "connected": True,
    "num_connectors": 1,
    "backend_url": "ws://127.0.0.1:9000",
    "ocpp_backend_url": "ws://127.0.0.1:9000",
    "rfid_tag": "AABBCCDD",
    "rfid_card_id": "AABBCCDD",
    "session_id_tag": "AABBCCDD",
    "auth_mode": "rfid",
    "ocpp_version": "1.6",
    "charger_name": "Wallbox Garage",
    "error_code": "NoError",
    "session_energy_wh": 4520.0,
    "target_energy_wh": 20000.0,
    "heartbeat_interval": 300,
    "mass_batch_size": 50,
    "log_retention_records": 100000,
    "log_retention_days": 7,
    "connector_status": {"1": "Charging"},
    "last_authorization": "Accepted",
    "name": "alice",
    "prefix": "ocps_AbCd1234",
    "key": "ocps_AbCd1234_" + "x" * 43,
    "id": 42,
    "versions": {"1.6": 1.0},
    "id_prefix": "MASS1-",
    "meter_interval": 60,
    "batch_size": 50,
    "LogOut.direction": "sent",
    "LogOut.message_type": "BootNotification",
    "LogOut.kind": "call",
    "LogOut.message_id": "6f1c2d4e-8a3b-4c5d-9e0f-1a2b3c4d5e6f",
    "LogOut.payload": {"chargePointVendor": "ocppsim", "chargePointModel": "Simulator"},
    "LogOut.timestamp": "2026-04-09T15:07:41.368000",
    "MassStatsOut.running": True,
    "MassStatsOut.target": 100,
    "MassStatsOut.mode": "connect",
    "MassStatsOut.created": 100,
    "MassStatsOut.connecting": 0,
    "MassStatsOut.connected": 100,
    "MassStatsOut.booted": 100,
    "MassStatsOut.charging": 0,
    "MassStatsOut.errors": 0,
    "MassStatsOut.errors_by_kind": {},
    "MassStatsOut.messages_sent": 400,
    "MassStatsOut.messages_received": 400,
    "MassStatsOut.messages_per_second": 3.3,
    "MassStatsOut.workers": 1,
    "MassStatsOut.latency": {
        "Heartbeat": {"count": 100, "p50_ms": 1.2, "p95_ms": 2.9, "p99_ms": 4.1, "max_ms": 6.0}
    },
    "RampOut.started": 100,
    "RampOut.pending": 0,
    "RampOut.batches": 2,
    "RampOut.progress": 1.0,
    "RampOut.done": True,
    "MassErrorOut.chargepoint_id": "MASS1-00001",
    "MassErrorOut.kind": "connect_refused",
    "MassErrorOut.message": "the backend 127.0.0.1:9000 refused the connection",
}
_TIME = "2026-04-09T14:30:00"
_TIME_NAMES = re.compile(r"(^|_)(at|time|timestamp|start)$")
#: "The schema declares no example of its own" (None is a possible example value).
_NONE: Final = object()


class Examples:
    """Example values for the schemas of one document."""

    def __init__(self, schemas: Schemas) -> None:
        self.schemas = schemas

    def example(
        self,
        schema: Any,
        name: str = "",
        *,
        request: bool = False,
        parent: str = "",
        depth: int = 0,
    ) -> Any:
        """An example value for ``schema``, the field ``name`` of the component ``parent``
        (see the module's docstring for the order of preference)."""
        r = self.schemas.resolve(schema)
        s = r.schema
        if depth > DEPTH:
            return None
        declared = _declared(s, parent, name)
        if declared is not _NONE:
            return declared
        if "anyOf" in s:
            first = s["anyOf"][0]
            return self.example(first, name, request=request, parent=parent, depth=depth + 1)
        if s.get("properties"):
            return self._object(s, r.ref, request=request, depth=depth)
        sample = _sample("*", name, s)
        if sample is not None:
            return sample
        return self._from_type(s, name, request=request, depth=depth)

    def _object(self, s: dict[str, Any], ref: str, *, request: bool, depth: int) -> Any:
        """Every field of an answer; a request's required fields and those with examples."""
        required = set(s.get("required") or ())
        return {
            key: self.example(value, key, request=request, parent=ref, depth=depth + 1)
            for key, value in s["properties"].items()
            if not request or key in required or self.schemas.has_example(value)
        }

    def _from_type(self, s: dict[str, Any], name: str, *, request: bool, depth: int) -> Any:
        kind = s.get("type")
        if kind == "object":
            extra = s.get("additionalProperties")
            if isinstance(extra, dict):
                return {"key": self.example(extra, request=request, depth=depth + 1)}
            return {}
        if kind == "array":
            return [self.example(s.get("items"), request=request, depth=depth + 1)]
        if kind in ("integer", "number"):
            return _number_inside(s, integer=kind == "integer")
        if kind == "boolean":
            return request  # the interesting value of a switch; false in answers
        if kind == "string":
            return _string(s, name, request=request)
        return None

    def path(self, path: str, params: Params) -> str:
        """``path`` with its parameters filled in, and the query parameters that are required,
        carry an example or have a sample."""
        query = []
        for (where, name), p in params.items():
            schema = p.get("schema")
            wanted = p.get("required") or self.schemas.has_example(schema) or "example" in p
            if where == "path":
                value = p.get("example", self.example(schema, name, request=True))
                path = path.replace("{" + name + "}", _url_part(value))
            elif where == "query" and (
                wanted or _sample("*", name, self.schemas.resolve(schema).schema) is not None
            ):
                value = p.get("example", self.example(schema, name, request=True))
                query.append(f"{name}={_url_part(value)}")
        return path + ("?" + "&".join(query) if query else "")

    def body(self, schema: Any, params: Params) -> str:
        """The example request body for ``schema`` as compact JSON."""
        value = self._distinct_from_path(self.example(schema, request=True), params)
        return json.dumps(value, ensure_ascii=False)

    def _distinct_from_path(self, value: Any, params: Params) -> Any:
        """A body field named like a path parameter is the new value (a rename): not the same."""
        if not isinstance(value, dict):
            return value
        for (where, name), p in params.items():
            if where == "path" and name in value:
                current = p.get("example", self.example(p.get("schema"), name, request=True))
                if value[name] == current and isinstance(current, str):
                    value = {**value, name: _next_value(current)}
        return value


def _declared(s: dict[str, Any], parent: str, name: str) -> Any:
    """The schema's own example, else the sample for ``parent.name``, else its default or
    first enum value; ``_NONE`` when there is none of these."""
    examples = s.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    if "example" in s:
        return s["example"]
    if "const" in s:
        return s["const"]
    sample = _sample(parent, name, s) if parent else None
    if sample is not None:
        return sample
    default = s.get("default")
    if default not in (None, "", [], {}):
        return default
    enum = s.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    return _NONE


def _string(s: dict[str, Any], name: str, *, request: bool) -> str:
    if s.get("format") == "date-time" or _TIME_NAMES.search(name):
        return _TIME
    if not request:
        return ""
    return "string"[: int(s.get("maxLength", 6))].ljust(int(s.get("minLength", 0)), "x")


def _next_value(text: str) -> str:
    match = re.search(r"(\d+)$", text)
    if not match:
        return text + "-2"
    digits = match.group(1)
    return text[: match.start()] + str(int(digits) + 1).zfill(len(digits))


def _url_part(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return quote(text, safe="")


_PYTHON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
    "array": list,
}


def _sample(parent: str, name: str, schema: dict[str, Any]) -> Any:
    """The sample for ``Parent.name`` (or, with ``parent`` "*", ``name``) that fits the schema;
    None if none does. A number's sample serves as a string too (``"heartbeat_interval": "300"``
    in the settings' answer)."""
    key = name if parent == "*" else f"{parent}.{name}"
    if key not in _SAMPLES:
        return None
    value = _SAMPLES[key]
    if _fits(value, schema):
        return value
    if schema.get("type") == "string" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    """Does a sample value satisfy the schema's type and bounds?"""
    kind = schema.get("type")
    if kind is None:
        return True
    expected = _PYTHON_TYPES.get(str(kind))
    if expected is None or not isinstance(value, expected):
        return False
    if isinstance(value, bool) and kind != "boolean":
        return False
    if isinstance(value, str):
        return (
            int(schema.get("minLength", 0))
            <= len(value)
            <= int(schema.get("maxLength", len(value)))
        )
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = schema.get("minimum"), schema.get("maximum")
        low_open, high_open = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        return not (
            (low is not None and value < low)
            or (high is not None and value > high)
            or (low_open is not None and value <= low_open)
            or (high_open is not None and value >= high_open)
        )
    return True


def _number_inside(schema: dict[str, Any], *, integer: bool) -> int | float:
    """A round value inside the bounds: 1 or the one bound given, the lower bound of a short
    range, else about the geometric middle, to one significant digit (10-3600 gives 200)."""
    low: float | None = schema.get("minimum")
    high: float | None = schema.get("maximum")
    low_open: float | None = schema.get("exclusiveMinimum")
    high_open: float | None = schema.get("exclusiveMaximum")
    step = 1 if integer else 0.5
    if low is None and low_open is not None:
        low = low_open + step
    if high is None and high_open is not None:
        high = high_open - step
    value: float
    if low is None or high is None:
        value = low if low is not None else min(1, high) if high is not None else 1
    elif high - low <= 10:
        value = low
    else:
        bottom = max(low, 1)
        middle = math.sqrt(bottom * high)
        magnitude = 10 ** math.floor(math.log10(middle))
        value = min(max(round(middle / magnitude) * magnitude, low), high)
    if integer or float(value).is_integer():
        return int(value)
    return value
