"""The API reference page's content, built from the app's own OpenAPI document.

:func:`build` reads the document FastAPI generates (OpenAPI 3.1: ``$ref`` into
``components.schemas``, ``anyOf`` with ``null`` for an optional or nullable value, ``allOf``)
and returns typed sections, one per tag in reading order, titled by the tag's ``x-displayName``
and introduced by its ``description``. Each operation has its parameters, its body's fields
with their constraints, its responses with an example of the success body, and a curl example
whose body is built from the schema: a field's ``examples``, else its ``default``, else the
first enum value, else a round number inside its bounds. Pure (no I/O); the result for the
last document is kept, since FastAPI hands out the same document each time.

The work is split by what it derives: ``schemas`` reads schemas (references resolved, type
names, constraints), ``examples`` derives example values, paths and bodies from them, and
``render`` turns operations into the page's documents (``docs``), with curl and EventSource
snippets.
"""

from __future__ import annotations

from typing import Any

from ocppsim.api.ui.reference.docs import (
    AuthWay,
    FieldDoc,
    OperationDoc,
    Reference,
    ResponseDoc,
    SectionDoc,
)
from ocppsim.api.ui.reference.render import TAG_ORDER, Renderer, inline

_cache: tuple[dict[str, Any], Reference] | None = None


def build(openapi: dict[str, Any]) -> Reference:
    """The reference for ``openapi`` (the result for the same document object is reused)."""
    global _cache
    if _cache is not None and _cache[0] is openapi:
        return _cache[1]
    result = Renderer(openapi).reference()
    _cache = (openapi, result)
    return result


def sections(openapi: dict[str, Any]) -> list[SectionDoc]:
    return list(build(openapi).sections)


__all__ = [
    "TAG_ORDER",
    "AuthWay",
    "FieldDoc",
    "OperationDoc",
    "Reference",
    "ResponseDoc",
    "SectionDoc",
    "build",
    "inline",
    "sections",
]
