"""Rendering: the reference's documents (``docs``) from the OpenAPI document, with what
``schemas`` reads and ``examples`` derives, and the curl and EventSource snippets."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from markupsafe import Markup, escape

from ocppsim.api.ui.reference.docs import (
    AuthWay,
    FieldDoc,
    OperationDoc,
    Reference,
    ResponseDoc,
    SectionDoc,
)
from ocppsim.api.ui.reference.examples import Examples, Params
from ocppsim.api.ui.reference.schemas import Schemas, constraints

#: Tags in reading order; tags not named here follow, in the document's order.
TAG_ORDER = ("account", "authentication", "chargers", "settings", "logs", "load test", "admin")
_METHODS = ("get", "post", "put", "patch", "delete")


class Renderer:
    """The reference for one OpenAPI document."""

    def __init__(self, openapi: dict[str, Any]) -> None:
        self.doc = openapi
        components = openapi.get("components") or {}
        self.schemas = Schemas(components.get("schemas") or {})
        self.examples = Examples(self.schemas)
        self.security_schemes: dict[str, Any] = components.get("securitySchemes") or {}

    # Sections.

    def reference(self) -> Reference:
        info = self.doc.get("info") or {}
        by_tag = self._operations_by_tag()
        common = _common_errors([op for ops in by_tag.values() for op in ops])
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

    def _operations_by_tag(self) -> dict[str, list[OperationDoc]]:
        """Every operation, under its first tag ("other" without one), in document order."""
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
        return by_tag

    # Operations.

    def operation(
        self, method: str, path: str, operation: dict[str, Any], shared: list[Any]
    ) -> OperationDoc:
        params = self._parameters([*shared, *(operation.get("parameters") or [])])
        body_schema, body_required = _request_body(operation)
        responses = [
            self.response(str(status), answer)
            for status, answer in (operation.get("responses") or {}).items()
            if isinstance(answer, dict)
        ]
        responses.sort(key=lambda r: r.status)
        stream = any(r.success and r.media_type == "text/event-stream" for r in responses)
        example_path = self.examples.path(path, params)
        example_body = self.examples.body(body_schema, params) if body_schema is not None else ""
        requirements = operation.get("security", self.doc.get("security") or [])
        auth = tuple(dict.fromkeys(name for requirement in requirements for name in requirement))
        header = self.auth_header() if auth else ""
        return OperationDoc(
            anchor=_slug(f"{method}-{path}"),
            method=method.upper(),
            path=path,
            summary=str(operation.get("summary") or ""),
            description=" ".join(str(operation.get("description") or "").split()),
            deprecated=bool(operation.get("deprecated")),
            auth=auth,
            parameters=tuple(
                self._parameter(where, name, p) for (where, name), p in params.items()
            ),
            body=self.body_fields(body_schema) if body_schema is not None else (),
            body_required=body_required,
            body_schema=self.schemas.schema_name(body_schema) if body_schema is not None else "",
            example_path=example_path,
            example_body=example_body,
            curl=_curl(method.upper(), example_path, example_body, header, stream=stream),
            event_source=_event_source(example_path, self.query_key_name()) if stream else "",
            responses=tuple(r for r in responses if not r.status.startswith(("4", "5"))),
            errors=tuple(r for r in responses if r.status.startswith(("4", "5"))),
        )

    def _parameters(self, raws: list[Any]) -> Params:
        """The parameters by (location, name), ``$ref`` to ``components.parameters`` followed;
        an operation's own replace the path's shared ones."""
        params: Params = {}
        components = self.doc.get("components") or {}
        for raw in raws:
            param = raw
            if isinstance(raw, dict) and str(raw.get("$ref", "")).startswith(
                "#/components/parameters/"
            ):
                name = str(raw["$ref"]).rsplit("/", 1)[-1]
                param = (components.get("parameters") or {}).get(name)
            if isinstance(param, dict):
                params[(str(param.get("in")), str(param.get("name")))] = param
        return params

    def _parameter(self, where: str, name: str, p: dict[str, Any]) -> FieldDoc:
        return self.field(
            name,
            p.get("schema"),
            location=where,
            required=bool(p.get("required")) or where == "path",
            description=str(p.get("description") or ""),
        )

    def response(self, status: str, answer: dict[str, Any]) -> ResponseDoc:
        content: dict[str, Any] = answer.get("content") or {}
        media_type = next(iter(content), "")
        media: dict[str, Any] = content.get(media_type) or {}
        schema = media.get("schema")
        success = status.startswith("2")
        return ResponseDoc(
            status=status,
            description=" ".join(str(answer.get("description") or "").split()),
            media_type=media_type,
            schema_name=self.schemas.schema_name(schema) if schema is not None else "",
            example=self._response_example(media, media_type) if success else "",
            notes=self.notes(schema) if schema is not None and success else (),
            common=False,
        )

    def _response_example(self, media: dict[str, Any], media_type: str) -> str:
        """The media's own example, else its first named one, else one built from its schema."""
        if "example" in media:
            return _pretty(media["example"], media_type)
        if media.get("examples"):
            first = next(iter(media["examples"].values()))
            return _pretty(first.get("value"), media_type) if isinstance(first, dict) else ""
        schema = media.get("schema")
        if schema is not None:
            return _pretty(self.examples.example(schema), media_type)
        return ""

    # Fields.

    def field(
        self, name: str, schema: Any, *, location: str, required: bool, description: str = ""
    ) -> FieldDoc:
        r = self.schemas.resolve(schema)
        s = r.schema
        text = description or str(s.get("description") or "")
        if not text and r.ref:
            text = self.schemas.description_of(r.ref)
        return FieldDoc(
            name=name,
            location=location,
            type=self.schemas.type_name(schema),
            required=required,
            nullable=r.nullable,
            default=_json(s["default"]) if "default" in s and s["default"] is not None else "",
            constraints=constraints(s),
            enum=self.schemas.enum(s),
            description=" ".join(text.split()),
        )

    def body_fields(self, schema: Any) -> tuple[FieldDoc, ...]:
        s = self.schemas.resolve(schema).schema
        required = set(s.get("required") or ())
        return tuple(
            self.field(key, value, location="body", required=key in required)
            for key, value in (s.get("properties") or {}).items()
        )

    def notes(self, schema: Any) -> tuple[tuple[str, str], ...]:
        s = self.schemas.resolve(schema).schema
        if s.get("type") == "array":
            s = self.schemas.resolve(s.get("items")).schema
        found = []
        for key, value in (s.get("properties") or {}).items():
            text = self.schemas.resolve(value).schema.get("description")
            if text:
                found.append((key, " ".join(str(text).split())))
        return tuple(found)

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


def _request_body(operation: dict[str, Any]) -> tuple[Any, bool]:
    """The JSON body's schema (None without a body) and whether the body is required."""
    request_body = operation.get("requestBody")
    if not isinstance(request_body, dict):
        return None, False
    content = request_body.get("content") or {}
    media: dict[str, Any] = content.get("application/json") or next(iter(content.values()), {})
    return media.get("schema"), bool(request_body.get("required"))


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


def _mark_common(op: OperationDoc, common: dict[str, str]) -> OperationDoc:
    errors = tuple(replace(e, common=common.get(e.status) == e.description) for e in op.errors)
    return replace(op, errors=errors)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _pretty(value: Any, media_type: str) -> str:
    if value is None:
        return ""
    if media_type == "text/event-stream" or isinstance(value, str):
        return str(value)
    return json.dumps(value, indent=2, ensure_ascii=False)


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
