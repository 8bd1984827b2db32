"""The charger's WebSocket to its backend, behind a small interface (connect, send text,
on text, close) so the library can change without touching anything above. Knows no OCPP."""

from ocppsim.transport.ws import (
    MAX_FRAME_BYTES,
    MIN_FRAME_BYTES,
    Connection,
    ConnectOptions,
    Handler,
    TransportError,
    check_ca_pem,
    connect,
)

__all__ = [
    "MAX_FRAME_BYTES",
    "MIN_FRAME_BYTES",
    "ConnectOptions",
    "Connection",
    "Handler",
    "TransportError",
    "check_ca_pem",
    "connect",
]
