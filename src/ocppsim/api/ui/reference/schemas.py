"""Reading an OpenAPI 3.1 document's schemas: ``$ref`` and ``allOf`` merged in, a ``null``
alternative (``anyOf``/``oneOf`` or ``type: [.., "null"]``) turned into ``nullable``, type names
for the page, and a field's constraints in words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: How deep references and nested schemas are followed (a recursive schema stops here).
DEPTH = 8
_PREFIX = "#/components/schemas/"


@dataclass(frozen=True)
class Resolved:
    """A schema with ``$ref`` and ``allOf`` merged in and a ``null`` alternative taken out."""

    schema: dict[str, Any]
    nullable: bool
    #: The component's name when the schema was a reference to one.
    ref: str


class Schemas:
    """The document's ``components.schemas``, and what can be read from a schema using them."""

    def __init__(self, components: dict[str, Any]) -> None:
        self.components = components

    def _ref(self, ref: str) -> tuple[str, dict[str, Any]]:
        if not ref.startswith(_PREFIX):
            return ref, {}
        name = ref[len(_PREFIX) :]
        found = self.components.get(name)
        return name, found if isinstance(found, dict) else {}

    def description_of(self, name: str) -> str:
        """The description of the component ``name``; "" when it has none."""
        return str((self.components.get(name) or {}).get("description") or "")

    def resolve(self, schema: Any, depth: int = 0) -> Resolved:
        if not isinstance(schema, dict) or depth > DEPTH:
            return Resolved({}, False, "")
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
        return Resolved(merged, nullable, ref_name)

    def type_name(self, schema: Any, depth: int = 0) -> str:
        r = self.resolve(schema)
        s = r.schema
        if depth > DEPTH:
            return "any"
        if "anyOf" in s:
            return " | ".join(self.type_name(a, depth + 1) for a in s["anyOf"])
        kind = s.get("type")
        if isinstance(kind, list):
            return " | ".join(str(k) for k in kind)
        if kind == "array":
            return f"array of {self.type_name(s.get('items'), depth + 1)}"
        if kind == "object" or "properties" in s:
            return self._object_name(r, depth)
        if kind is None:
            return "any"
        fmt = s.get("format")
        return f"{kind} ({fmt})" if fmt else str(kind)

    def _object_name(self, r: Resolved, depth: int) -> str:
        s = r.schema
        if s.get("properties"):
            return f"object ({r.ref})" if r.ref else "object"
        extra = s.get("additionalProperties")
        if isinstance(extra, dict):
            return f"map of string → {self.type_name(extra, depth + 1)}"
        return "object"

    def schema_name(self, schema: Any) -> str:
        """The component's name (``ChargerOut``, ``list of LogOut``); "" for an inline schema."""
        r = self.resolve(schema)
        if r.ref:
            return r.ref
        if r.schema.get("type") == "array":
            inner = self.schema_name(r.schema.get("items"))
            return f"list of {inner}" if inner else ""
        return ""

    def has_example(self, schema: Any) -> bool:
        s = self.resolve(schema).schema
        return bool(s.get("examples")) or "example" in s

    def enum(self, s: dict[str, Any]) -> tuple[str, ...]:
        """The allowed values of a resolved schema, or of its items for an array."""
        values = s.get("enum")
        if values is None and isinstance(s.get("items"), dict):
            values = self.resolve(s["items"]).schema.get("enum")
        return tuple(str(v) for v in values) if isinstance(values, list) else ()


def constraints(s: dict[str, Any]) -> tuple[str, ...]:
    """A resolved schema's bounds, lengths, pattern and item counts, in words."""
    return (*_bounds(s), *_lengths(s), *_others(s))


def _bounds(s: dict[str, Any]) -> list[str]:
    low, high = s.get("minimum"), s.get("maximum")
    low_open, high_open = s.get("exclusiveMinimum"), s.get("exclusiveMaximum")
    if low is not None and high is not None:
        return [f"{_num(low)}\u2013{_num(high)}"]
    bounds = [
        f"{sign} {_num(bound)}"
        for sign, bound in (("≥", low), (">", low_open), ("≤", high), ("<", high_open))
        if bound is not None
    ]
    return [", ".join(bounds)] if bounds else []


def _lengths(s: dict[str, Any]) -> list[str]:
    if "minLength" in s and "maxLength" in s:
        return [f"{_num(s['minLength'])}\u2013{_num(s['maxLength'])} characters"]
    if "maxLength" in s:
        return [f"at most {_num(s['maxLength'])} characters"]
    if "minLength" in s:
        return [f"at least {s['minLength']} characters"]
    return []


def _others(s: dict[str, Any]) -> list[str]:
    found = []
    if "pattern" in s:
        found.append(f"pattern {s['pattern']}")
    if "maxItems" in s:
        found.append(f"at most {s['maxItems']} items")
    if "minItems" in s:
        found.append(f"at least {s['minItems']} items")
    return found


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) and abs(value) >= 10_000 else str(value)
