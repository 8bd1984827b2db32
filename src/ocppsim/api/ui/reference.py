"""The API reference page's content, built from the app's own OpenAPI document.

:func:`build` reads the document FastAPI generates (OpenAPI 3.1: ``$ref`` into
``components.schemas``, ``anyOf`` with ``null`` for an optional or nullable value, ``allOf``)
and returns typed sections, one per tag in reading order, titled by the tag's ``x-displayName``
and introduced by its ``description``. Each operation has its parameters, its body's fields
with their constraints, its responses with an example of the success body, and a curl example
whose body is built from the schema: a field's ``examples``, else its ``default``, else the
first enum value, else a round number inside its bounds. Pure (no I/O); the result for the
last document is kept, since FastAPI hands out the same document each time.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape

#: Tags in reading order; tags not named here follow, in the document's order.
TAG_ORDER = ("account", "authentication", "chargers", "settings", "logs", "load test", "admin")

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
_METHODS = ("get", "post", "put", "patch", "delete")
_DEPTH = 8


@dataclass(frozen=True)
class FieldDoc:
    """A parameter (path, query, header) or a field of a JSON body."""

    name: str
    location: str
    type: str
    required: bool
    nullable: bool
    #: The default as JSON text; "" when there is none.
    default: str
    constraints: tuple[str, ...]
    enum: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class ResponseDoc:
    status: str
    description: str
    media_type: str
    #: The body's schema name (``ChargerOut``, ``list of LogOut``); "" without a body.
    schema_name: str
    #: The success body's example (indented JSON); "" when there is none.
    example: str
    #: The body fields that carry a description: (name, description).
    notes: tuple[tuple[str, str], ...]
    #: The status and description most operations share (listed once, in the intro).
    common: bool

    @property
    def success(self) -> bool:
        return self.status.startswith("2")


@dataclass(frozen=True)
class OperationDoc:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    deprecated: bool
    #: The security schemes that authenticate it; empty: public.
    auth: tuple[str, ...]
    parameters: tuple[FieldDoc, ...]
    body: tuple[FieldDoc, ...]
    body_required: bool
    body_schema: str
    #: The path with its parameters filled in (and example query parameters).
    example_path: str
    #: The example request body as compact JSON; "" without a body.
    example_body: str
    curl: str
    #: For a Server-Sent Events stream: a browser ``EventSource`` example; else "".
    event_source: str
    responses: tuple[ResponseDoc, ...]
    errors: tuple[ResponseDoc, ...]

    @property
    def stream(self) -> bool:
        return bool(self.event_source)

    @property
    def path_parts(self) -> list[tuple[str, bool]]:
        """The path in pieces: (text, is a ``{parameter}``)."""
        return [(p, p.startswith("{")) for p in re.split(r"(\{[^}]+\})", self.path) if p]


@dataclass(frozen=True)
class SectionDoc:
    anchor: str
    tag: str
    title: str
    intro: str
    operations: tuple[OperationDoc, ...]


@dataclass(frozen=True)
class AuthWay:
    """One way to pass the API key, from ``components.securitySchemes``."""

    name: str
    #: How it is sent, e.g. ``X-API-Key: $KEY``.
    how: str
    description: str
    example: str


@dataclass(frozen=True)
class Reference:
    title: str
    version: str
    description: str
    auth: tuple[AuthWay, ...]
    #: Error statuses (with the description) that most operations share.
    common_errors: tuple[tuple[str, str], ...]
    sections: tuple[SectionDoc, ...]

    def operations(self) -> list[OperationDoc]:
        return [op for section in self.sections for op in section.operations]


_cache: tuple[dict[str, Any], Reference] | None = None


def build(openapi: dict[str, Any]) -> Reference:
    """The reference for ``openapi`` (the result for the same document object is reused)."""
    global _cache
    if _cache is not None and _cache[0] is openapi:
        return _cache[1]
    result = _Builder(openapi).reference()
    _cache = (openapi, result)
    return result


def sections(openapi: dict[str, Any]) -> list[SectionDoc]:
    return list(build(openapi).sections)


# --- schemas ---


@dataclass(frozen=True)
class _Resolved:
    """A schema with ``$ref`` and ``allOf`` merged in and a ``null`` alternative taken out."""

    schema: dict[str, Any]
    nullable: bool
    #: The component's name when the schema was a reference to one.
    ref: str


class _Builder:
    def __init__(self, openapi: dict[str, Any]) -> None:
        self.doc = openapi
        components = openapi.get("components") or {}
        self.schemas: dict[str, Any] = components.get("schemas") or {}
        self.security_schemes: dict[str, Any] = components.get("securitySchemes") or {}

    # Resolving.

    def _ref(self, ref: str) -> tuple[str, dict[str, Any]]:
        prefix = "#/components/schemas/"
        if not ref.startswith(prefix):
            return ref, {}
        name = ref[len(prefix) :]
        found = self.schemas.get(name)
        return name, found if isinstance(found, dict) else {}

    def resolve(self, schema: Any, depth: int = 0) -> _Resolved:
        if not isinstance(schema, dict) or depth > _DEPTH:
            return _Resolved({}, False, "")
        merged: dict[str, Any] = {}
        nullable = False
        ref_name = ""
        if "$ref" in schema:
            ref_name, target = self._ref(str(schema["$ref"]))
            inner = self.resolve(target, depth + 1)
            merged.update(inner.schema)
            nullable = inner.nullable
        for part in schema.get("allOf") or ():
            inner = self.resolve(part, depth + 1)
            merged.update(inner.schema)
            ref_name = ref_name or inner.ref
        alternatives = schema.get("anyOf") or schema.get("oneOf")
        if alternatives:
            rest = [
                a for a in alternatives if not (isinstance(a, dict) and a.get("type") == "null")
            ]
            nullable = nullable or len(rest) < len(alternatives)
            if len(rest) == 1:
                inner = self.resolve(rest[0], depth + 1)
                merged.update(inner.schema)
                ref_name = ref_name or inner.ref
            else:
                merged["anyOf"] = rest
        for key, value in schema.items():
            if key not in ("$ref", "allOf", "anyOf", "oneOf"):
                merged[key] = value
        kind = merged.get("type")
        if isinstance(kind, list):  # ["string", "null"]
            nullable = nullable or "null" in kind
            kinds = [k for k in kind if k != "null"]
            merged["type"] = kinds[0] if len(kinds) == 1 else kinds
        return _Resolved(merged, nullable, ref_name)

    def type_name(self, schema: Any, depth: int = 0) -> str:
        r = self.resolve(schema)
        s = r.schema
        if depth > _DEPTH:
            return "any"
        if "anyOf" in s:
            return " | ".join(self.type_name(a, depth + 1) for a in s["anyOf"])
        kind = s.get("type")
        if isinstance(kind, list):
            return " | ".join(str(k) for k in kind)
        if kind == "array":
            return f"array of {self.type_name(s.get('items'), depth + 1)}"
        if kind == "object" or "properties" in s:
            if s.get("properties"):
                return f"object ({r.ref})" if r.ref else "object"
            extra = s.get("additionalProperties")
            if isinstance(extra, dict):
                return f"map of string → {self.type_name(extra, depth + 1)}"
            return "object"
        if kind is None:
            return "any"
        fmt = s.get("format")
        return f"{kind} ({fmt})" if fmt else str(kind)

    def schema_name(self, schema: Any) -> str:
        r = self.resolve(schema)
        if r.ref:
            return r.ref
        if r.schema.get("type") == "array":
            inner = self.schema_name(r.schema.get("items"))
            return f"list of {inner}" if inner else ""
        return ""

    # Examples.

    def example(
        self,
        schema: Any,
        name: str = "",
        *,
        request: bool = False,
        parent: str = "",
        depth: int = 0,
    ) -> Any:
        """An example value: the schema's own (``examples``), else a sample for this field of
        this schema, else its ``default`` or first enum value, else a sample by field name,
        else one built from the type. A request example has the required fields and the
        optional ones that carry ``examples``."""
        r = self.resolve(schema)
        s = r.schema
        if depth > _DEPTH:
            return None
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
        if "anyOf" in s:
            first = s["anyOf"][0]
            return self.example(first, name, request=request, parent=parent, depth=depth + 1)
        kind = s.get("type")
        properties: dict[str, Any] = s.get("properties") or {}
        if properties:
            required = set(s.get("required") or ())
            return {
                key: self.example(value, key, request=request, parent=r.ref, depth=depth + 1)
                for key, value in properties.items()
                if not request or key in required or self.has_example(value)
            }
        sample = _sample("*", name, s)
        if sample is not None:
            return sample
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
            if s.get("format") == "date-time" or _TIME_NAMES.search(name):
                return _TIME
            if not request:
                return ""
            return "string"[: int(s.get("maxLength", 6))].ljust(int(s.get("minLength", 0)), "x")
        return None

    def has_example(self, schema: Any) -> bool:
        s = self.resolve(schema).schema
        return bool(s.get("examples")) or "example" in s

    # Fields.

    def field(
        self, name: str, schema: Any, *, location: str, required: bool, description: str = ""
    ) -> FieldDoc:
        r = self.resolve(schema)
        s = r.schema
        text = description or str(s.get("description") or "")
        if not text and r.ref:
            text = str((self.schemas.get(r.ref) or {}).get("description") or "")
        enum = s.get("enum")
        if enum is None and isinstance(s.get("items"), dict):
            enum = self.resolve(s["items"]).schema.get("enum")
        return FieldDoc(
            name=name,
            location=location,
            type=self.type_name(schema),
            required=required,
            nullable=r.nullable,
            default=_json(s["default"]) if "default" in s and s["default"] is not None else "",
            constraints=_constraints(s),
            enum=tuple(str(v) for v in enum) if isinstance(enum, list) else (),
            description=" ".join(text.split()),
        )

    def body_fields(self, schema: Any) -> tuple[FieldDoc, ...]:
        s = self.resolve(schema).schema
        required = set(s.get("required") or ())
        return tuple(
            self.field(key, value, location="body", required=key in required)
            for key, value in (s.get("properties") or {}).items()
        )

    def notes(self, schema: Any) -> tuple[tuple[str, str], ...]:
        s = self.resolve(schema).schema
        if s.get("type") == "array":
            s = self.resolve(s.get("items")).schema
        found = []
        for key, value in (s.get("properties") or {}).items():
            text = self.resolve(value).schema.get("description")
            if text:
                found.append((key, " ".join(str(text).split())))
        return tuple(found)

    # Operations.

    def reference(self) -> Reference:
        info = self.doc.get("info") or {}
        by_tag: dict[str, list[OperationDoc]] = {}
        for path, item in (self.doc.get("paths") or {}).items():
            shared = item.get("parameters") or []
            for method in _METHODS:
                operation = item.get(method)
                if not isinstance(operation, dict):
                    continue
                tags = operation.get("tags") or ["other"]
                by_tag.setdefault(str(tags[0]), []).append(
                    self.operation(method, str(path), operation, shared)
                )
        common = self._common_errors([op for ops in by_tag.values() for op in ops])
        tag_meta = {str(t.get("name")): t for t in self.doc.get("tags") or []}
        order = list(TAG_ORDER) + [t for t in tag_meta if t not in TAG_ORDER]
        ordered = sorted(by_tag, key=lambda t: order.index(t) if t in order else len(order))
        built = []
        for tag in ordered:
            meta = tag_meta.get(tag) or {}
            title = str(meta.get("x-displayName") or tag.capitalize())
            intro = " ".join(str(meta.get("description") or "").split())
            operations = tuple(_mark_common(op, common) for op in by_tag[tag])
            built.append(SectionDoc(_slug(title), tag, title, intro, operations))
        return Reference(
            title=str(info.get("title") or "API"),
            version=str(info.get("version") or ""),
            description=str(info.get("description") or ""),
            auth=self.auth_ways([op for section in built for op in section.operations]),
            common_errors=tuple(sorted(common.items())),
            sections=tuple(built),
        )

    @staticmethod
    def _common_errors(operations: list[OperationDoc]) -> dict[str, str]:
        """Per error status, the description most operations give, if at least half do."""
        counts: dict[tuple[str, str], int] = {}
        for op in operations:
            for e in op.errors:
                counts[(e.status, e.description)] = counts.get((e.status, e.description), 0) + 1
        common: dict[str, str] = {}
        for (status, text), count in sorted(counts.items(), key=lambda item: -item[1]):
            if status not in common and 2 * count >= len(operations):
                common[status] = text
        return common

    def operation(
        self, method: str, path: str, operation: dict[str, Any], shared: list[Any]
    ) -> OperationDoc:
        params: dict[tuple[str, str], dict[str, Any]] = {}
        components = self.doc.get("components") or {}
        for raw in [*shared, *(operation.get("parameters") or [])]:
            param = raw
            if isinstance(raw, dict) and str(raw.get("$ref", "")).startswith(
                "#/components/parameters/"
            ):
                name = str(raw["$ref"]).rsplit("/", 1)[-1]
                param = (components.get("parameters") or {}).get(name)
            if isinstance(param, dict):
                params[(str(param.get("in")), str(param.get("name")))] = param
        parameters = tuple(
            self.field(
                name,
                p.get("schema"),
                location=where,
                required=bool(p.get("required")) or where == "path",
                description=str(p.get("description") or ""),
            )
            for (where, name), p in params.items()
        )
        body_schema: Any = None
        body_required = False
        request_body = operation.get("requestBody")
        if isinstance(request_body, dict):
            content = request_body.get("content") or {}
            media: dict[str, Any] = content.get("application/json") or next(
                iter(content.values()), {}
            )
            body_schema = media.get("schema")
            body_required = bool(request_body.get("required"))
        body = self.body_fields(body_schema) if body_schema is not None else ()
        responses = [
            self.response(str(status), answer)
            for status, answer in (operation.get("responses") or {}).items()
            if isinstance(answer, dict)
        ]
        responses.sort(key=lambda r: r.status)
        stream = any(r.success and r.media_type == "text/event-stream" for r in responses)
        example_path = self.example_path(path, params)
        example_body = ""
        if body_schema is not None:
            value = self.example(body_schema, request=True)
            value = _distinct_from_path(value, params, self)
            example_body = json.dumps(value, ensure_ascii=False)
        requirements = operation.get("security", self.doc.get("security") or [])
        auth = tuple(dict.fromkeys(name for requirement in requirements for name in requirement))
        anchor = _slug(f"{method}-{path}")
        header = self.auth_header() if auth else ""
        return OperationDoc(
            anchor=anchor,
            method=method.upper(),
            path=path,
            summary=str(operation.get("summary") or ""),
            description=" ".join(str(operation.get("description") or "").split()),
            deprecated=bool(operation.get("deprecated")),
            auth=auth,
            parameters=parameters,
            body=body,
            body_required=body_required,
            body_schema=self.schema_name(body_schema) if body_schema is not None else "",
            example_path=example_path,
            example_body=example_body,
            curl=_curl(method.upper(), example_path, example_body, header, stream=stream),
            event_source=_event_source(example_path, self.query_key_name()) if stream else "",
            responses=tuple(r for r in responses if not r.status.startswith(("4", "5"))),
            errors=tuple(r for r in responses if r.status.startswith(("4", "5"))),
        )

    def example_path(self, path: str, params: dict[tuple[str, str], dict[str, Any]]) -> str:
        query = []
        for (where, name), p in params.items():
            schema = p.get("schema")
            wanted = p.get("required") or self.has_example(schema) or "example" in p
            if where == "path":
                value = p.get("example", self.example(schema, name, request=True))
                path = path.replace("{" + name + "}", _url_part(value))
            elif where == "query" and (
                wanted or _sample("*", name, self.resolve(schema).schema) is not None
            ):
                value = p.get("example", self.example(schema, name, request=True))
                query.append(f"{name}={_url_part(value)}")
        return path + ("?" + "&".join(query) if query else "")

    def response(self, status: str, answer: dict[str, Any]) -> ResponseDoc:
        content: dict[str, Any] = answer.get("content") or {}
        media_type = next(iter(content), "")
        media: dict[str, Any] = content.get(media_type) or {}
        schema = media.get("schema")
        example = ""
        if status.startswith("2"):
            if "example" in media:
                example = _pretty(media["example"], media_type)
            elif media.get("examples"):
                first = next(iter(media["examples"].values()))
                example = _pretty(first.get("value"), media_type) if isinstance(first, dict) else ""
            elif schema is not None:
                example = _pretty(self.example(schema), media_type)
        return ResponseDoc(
            status=status,
            description=" ".join(str(answer.get("description") or "").split()),
            media_type=media_type,
            schema_name=self.schema_name(schema) if schema is not None else "",
            example=example,
            notes=self.notes(schema) if schema is not None and status.startswith("2") else (),
            common=False,
        )

    # Authentication.

    def auth_header(self) -> str:
        for scheme in self.security_schemes.values():
            if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                return f"{scheme.get('name')}: $KEY"
        for scheme in self.security_schemes.values():
            if scheme.get("type") == "http" and str(scheme.get("scheme")).lower() == "bearer":
                return "Authorization: Bearer $KEY"
        return ""

    def query_key_name(self) -> str:
        for scheme in self.security_schemes.values():
            if scheme.get("type") == "apiKey" and scheme.get("in") == "query":
                return str(scheme.get("name"))
        return ""

    def auth_ways(self, operations: list[OperationDoc]) -> tuple[AuthWay, ...]:
        plain = next(
            (op.path for op in operations if op.method == "GET" and "{" not in op.path), "/api"
        )
        streamed = next((op.path for op in operations if op.stream), plain)
        ways = []
        for name, scheme in self.security_schemes.items():
            kind, where = scheme.get("type"), scheme.get("in")
            text = " ".join(str(scheme.get("description") or "").split())
            if kind == "apiKey" and where == "header":
                how = f"{scheme.get('name')}: $KEY"
                example = f'curl -s -H "{how}" $API{plain}'
            elif kind == "http" and str(scheme.get("scheme")).lower() == "bearer":
                how = "Authorization: Bearer $KEY"
                example = f'curl -s -H "{how}" $API{plain}'
            elif kind == "apiKey" and where == "query":
                how = f"?{scheme.get('name')}=$KEY"
                example = f'curl -s -N "$API{streamed}?{scheme.get("name")}=$KEY"'
            elif kind == "apiKey" and where == "cookie":
                how = f"Cookie {scheme.get('name')}"
                example = f'curl -s -b "{scheme.get("name")}=$KEY" $API{plain}'
            else:
                continue
            ways.append(AuthWay(str(name), how, text, example))
        return tuple(ways)


# --- helpers ---


def _mark_common(op: OperationDoc, common: dict[str, str]) -> OperationDoc:
    errors = tuple(replace(e, common=common.get(e.status) == e.description) for e in op.errors)
    return replace(op, errors=errors)


def _distinct_from_path(
    value: Any, params: dict[tuple[str, str], dict[str, Any]], builder: _Builder
) -> Any:
    """A body field named like a path parameter is the new value (a rename): not the same."""
    if not isinstance(value, dict):
        return value
    for (where, name), p in params.items():
        if where == "path" and name in value:
            current = p.get("example", builder.example(p.get("schema"), name, request=True))
            if value[name] == current and isinstance(current, str):
                value = {**value, name: _next_value(current)}
    return value


def _next_value(text: str) -> str:
    match = re.search(r"(\d+)$", text)
    if not match:
        return text + "-2"
    digits = match.group(1)
    return text[: match.start()] + str(int(digits) + 1).zfill(len(digits))


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


def _constraints(s: dict[str, Any]) -> tuple[str, ...]:
    found = []
    low, high = s.get("minimum"), s.get("maximum")
    low_open, high_open = s.get("exclusiveMinimum"), s.get("exclusiveMaximum")
    if low is not None and high is not None:
        found.append(f"{_num(low)}\u2013{_num(high)}")
    else:
        bounds = [
            f"{sign} {_num(bound)}"
            for sign, bound in (("≥", low), (">", low_open), ("≤", high), ("<", high_open))
            if bound is not None
        ]
        if bounds:
            found.append(", ".join(bounds))
    if "minLength" in s and "maxLength" in s:
        found.append(f"{_num(s['minLength'])}\u2013{_num(s['maxLength'])} characters")
    elif "maxLength" in s:
        found.append(f"at most {_num(s['maxLength'])} characters")
    elif "minLength" in s:
        found.append(f"at least {s['minLength']} characters")
    if "pattern" in s:
        found.append(f"pattern {s['pattern']}")
    if "maxItems" in s:
        found.append(f"at most {s['maxItems']} items")
    if "minItems" in s:
        found.append(f"at least {s['minItems']} items")
    return tuple(found)


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) and abs(value) >= 10_000 else str(value)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _pretty(value: Any, media_type: str) -> str:
    if value is None:
        return ""
    if media_type == "text/event-stream" or isinstance(value, str):
        return str(value)
    return json.dumps(value, indent=2, ensure_ascii=False)


def _url_part(value: Any) -> str:
    text = value if isinstance(value, str) else _json(value)
    return quote(text, safe="")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _curl(method: str, path: str, body: str, header: str, *, stream: bool) -> str:
    url = f"$API{path}"
    if re.search(r"[?&*]", path):
        url = f'"{url}"'
    first = ["curl", "-s"]
    if stream:
        first.append("-N")
    if method != "GET" or body:
        first += ["-X", method]
    if header:
        first.append(f'-H "{header}"')
    if stream:
        first.append('-H "Accept: text/event-stream"')
    if body:
        first.append('-H "Content-Type: application/json"')
        return " ".join(first) + " \\\n  -d " + _shell_quote(body) + " \\\n  " + url
    return " ".join([*first, url])


def _event_source(path: str, query_name: str) -> str:
    """A browser example: EventSource cannot set headers, so the key goes in the query."""
    if query_name:
        joiner = "&" if "?" in path else "?"
        url = f'"{path}{joiner}{query_name}=" + encodeURIComponent(KEY)'
    else:
        url = f'"{path}"'
    return (
        f"const es = new EventSource({url});\n"
        "es.onmessage = (event) => console.log(JSON.parse(event.data));"
    )


_CODE = re.compile(r"``(.+?)``|`(.+?)`")


def inline(text: str) -> Markup:
    """Text for the page with its `code` spans (single or double backticks) as ``<code>``;
    everything else escaped."""
    parts: list[str] = []
    last = 0
    for match in _CODE.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(Markup("<code>%s</code>") % (match.group(1) or match.group(2)))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)
