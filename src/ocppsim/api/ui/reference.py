"""The API reference page's content, built from the app's own OpenAPI document."""

from __future__ import annotations

from typing import Any


def sections(openapi: dict[str, Any]) -> list[dict[str, Any]]:
    return []
