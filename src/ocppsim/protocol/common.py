"""Small pieces every version adapter uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: An OCPP message payload as JSON decodes it (the one alias of the protocol package).
Payload = dict[str, Any]


def iso(timestamp: float) -> str:
    """OCPP dateTime: UTC, millisecond precision, 'Z' suffix."""
    text = datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Identity:
    """How the charger introduces itself in BootNotification."""

    vendor: str
    model: str
    serial_number: str
    firmware_version: str
