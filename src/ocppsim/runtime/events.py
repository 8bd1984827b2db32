"""What a runner reports about its connection: typed events for the code that decides on
them, the same names and details as ever for the OCPP message log.

A decision (is this disconnect an error?) reads ``kind`` and ``reason``, never the words in
``text``: the words are for people and may change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class EventKind(StrEnum):
    """The message log's name of a connection event (its ``message_type``)."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    CONNECT_FAILED = "connect_failed"
    DISCONNECTED = "disconnected"
    RESET = "reset"


class Reason(StrEnum):
    """Why a dial failed or a connection ended.

    A failed dial carries the transport's kind (``TransportError.kind``) or ``config`` (the
    charger's own settings forbid the dial); a disconnect is either the charger's own doing
    (switched off, reconfigured: ``by_the_charger``) or the backend's or the network's
    (closed).
    """

    REFUSED = "refused"
    DNS = "dns"
    HTTP = "http"
    TLS = "tls"
    TIMEOUT = "timeout"
    SUBPROTOCOL = "subprotocol"
    OTHER = "other"
    CONFIG = "config"
    #: ``Runner.close``: the charger was switched off or removed; not an error.
    SWITCHED_OFF = "switched_off"
    #: ``Runner.close`` because a setting the connection depends on changed (backend URL,
    #: security profile, password, CA, OCPP version, connectors): it reconnects at once with
    #: the new one; not an error.
    RECONFIGURED = "reconfigured"
    #: The backend closed the connection, it was lost, or the charger closed it over what the
    #: backend sent (a frame over the maximum, a binary frame); the text says which.
    CLOSED = "closed"

    @classmethod
    def of_failure(cls, kind: str) -> Reason:
        """The reason of a failed dial of transport kind ``kind`` (unknown kinds: other)."""
        try:
            reason = cls(kind)
        except ValueError:
            return cls.OTHER
        return (
            reason if reason not in (cls.SWITCHED_OFF, cls.RECONFIGURED, cls.CLOSED) else cls.OTHER
        )

    @property
    def by_the_charger(self) -> bool:
        """The charger closed the connection itself (switched off, reconfigured): a
        disconnect for this reason is no error."""
        return self in (Reason.SWITCHED_OFF, Reason.RECONFIGURED)


@dataclass(frozen=True, slots=True)
class RunnerEvent:
    """One connection event of one charger at ``at`` (epoch seconds).

    ``reason`` is set for connect_failed and disconnected; ``text`` says it in words (the log's
    ``reason`` detail); ``details`` holds the rest of what the log shows (never credentials).
    """

    kind: EventKind
    at: float
    reason: Reason | None = None
    text: str | None = None
    details: Mapping[str, object] = field(default_factory=dict)

    def log_details(self) -> dict[str, object]:
        """The details the message log stores and streams: ``reason`` (the text) first, then
        ``details`` in their order."""
        if self.text is None:
            return dict(self.details)
        return {"reason": self.text, **self.details}
