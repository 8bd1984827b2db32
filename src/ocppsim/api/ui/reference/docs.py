"""The reference's documents: what the page shows, one frozen record per section, operation,
field, response and way to authenticate."""

from __future__ import annotations

import re
from dataclasses import dataclass


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
