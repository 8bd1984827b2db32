"""The charger's WebSocket to its backend, behind a small interface (connect, send text,
on text, close) so the library can change without touching anything above. Knows no OCPP."""

from ocppsim.transport.ws import (
    Connection,
    ConnectOptions,
    Handler,
    TransportError,
    check_ca_pem,
    connect,
)

__all__ = ["ConnectOptions", "Connection", "Handler", "TransportError", "check_ca_pem", "connect"]
