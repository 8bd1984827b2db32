"""Secrets a CSMS may send to a charger never reach the message log (reference T5).

The CSMS sets them through 1.6 ChangeConfiguration (AuthorizationKey, errata 3.12: write-only),
2.x SetVariables (SecurityCtrlr.BasicAuthPassword, A01.FR.09/12) and SetNetworkProfile (the
connection's Basic-auth, APN and VPN passwords). ``redact`` returns the payload to log:
the same object when there is nothing to hide, otherwise a copy with the values replaced.
"""

from __future__ import annotations

from typing import Any

REDACTED = "[REDACTED]"

#: 2.x device-model variables whose values are secrets.
SECRET_VARIABLES = frozenset({"BasicAuthPassword"})
#: 1.6 configuration keys whose values are secrets.
SECRET_KEYS = frozenset({"AuthorizationKey"})
#: Field names that hold a secret wherever they occur in a SetNetworkProfile request.
_NETWORK_SECRETS = frozenset({"basicAuthPassword", "apnPassword", "password", "key"})


def redact(action: str, payload: Any) -> Any:
    if not isinstance(payload, dict):
        return payload
    match action:
        case "ChangeConfiguration":
            if payload.get("key") in SECRET_KEYS and "value" in payload:
                return {**payload, "value": REDACTED}
        case "SetVariables":
            items = payload.get("setVariableData")
            if isinstance(items, list) and any(_secret_variable(i) for i in items):
                return {
                    **payload,
                    "setVariableData": [
                        {**i, "attributeValue": REDACTED} if _secret_variable(i) else i
                        for i in items
                    ],
                }
        case "SetNetworkProfile":
            return _scrub(payload)
    return payload


def _secret_variable(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    variable = item.get("variable")
    return isinstance(variable, dict) and variable.get("name") in SECRET_VARIABLES


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: REDACTED if k in _NETWORK_SECRETS and isinstance(v, str) else _scrub(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value
