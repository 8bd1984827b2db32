"""The official OCPP JSON schemas (shipped in the ``ocpp`` package), as compiled validators.

Validators are compiled once per process and shared by every charger (jsonschema-rs checks a
payload in about a microsecond, so validation stays on everywhere, load tests included).
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

import jsonschema_rs

from ocppsim.core.model import OcppVersion

_DIRS = {OcppVersion.V16: "v16", OcppVersion.V201: "v201", OcppVersion.V21: "v21"}


class SchemaError(Exception):
    """A payload does not match its schema; ``kind`` picks the OCPP-J error code."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _file_name(version: OcppVersion, action: str, response: bool) -> str:
    if response:
        return f"{action}Response.json"
    return f"{action}.json" if version == OcppVersion.V16 else f"{action}Request.json"


@cache
def validator(version: OcppVersion, action: str, response: bool) -> Any | None:
    """The compiled validator for one message, or None if the version has no such action."""
    path = files("ocpp") / _DIRS[version] / "schemas" / _file_name(version, action, response)
    if not path.is_file():
        return None
    return jsonschema_rs.validator_for(json.loads(path.read_text(encoding="utf-8")))


def check(version: OcppVersion, action: str, payload: object, *, response: bool) -> None:
    """Raise SchemaError unless ``payload`` is valid for ``action`` in ``version``."""
    v = validator(version, action, response)
    if v is None:
        raise SchemaError("unknown", f"{action} is not an OCPP {version} message")
    if v.is_valid(payload):
        return
    error = next(iter(v.iter_errors(payload)))
    path = "/".join(str(p) for p in error.instance_path) or "payload"
    raise SchemaError(type(error.kind).__name__, f"{path}: {error.message}")


def known(version: OcppVersion, action: str) -> bool:
    return validator(version, action, False) is not None
