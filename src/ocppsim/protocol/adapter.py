"""The contract every OCPP version's adapter fulfils, and what the versions share.

An adapter translates for one charger: the core's intents become CALLs (``outgoing``), the
CSMS's CALLs become charger calls (``handle``). It owns its version's dialect: the RPC
``Dialect``, the subprotocol, the retry settings of transaction messages and the WebSocket
ping interval (read from its own configuration, and pushed into the ``Rpc`` again when the CSMS
changes them), its configuration (1.6 keys, 2.x device model) and what a change of it means to
the charger, and the messages it sends of its own accord (``pending_calls``).

Handlers live in one module per functional block of their version and are plain functions
``(adapter, payload, now) -> payload``; each adapter class holds one ``HANDLERS`` table for all
its chargers (a dict of bound methods per charger would cost a kilobyte each in a load test),
typed so that mypy checks every entry against the class.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import replace
from enum import StrEnum
from typing import Any, ClassVar, Self, TypeVar, assert_never

from ocppsim.core.charger import Charger, Refused, Registration
from ocppsim.core.intents import Intent
from ocppsim.protocol.common import Identity, Payload
from ocppsim.protocol.rpc import CallError, Dialect, Outgoing, Rpc

A = TypeVar("A", bound="Adapter")

#: A CSMS request's handler: the answer's payload, or CallError.
Handler = Callable[[A, Payload, float], Payload]


class Setting(StrEnum):
    """What a configuration change means to the charger, whatever the version calls it: each
    adapter maps its own keys (1.6) or variables (2.x) onto these."""

    HEARTBEAT_INTERVAL = "heartbeat interval"
    METER_INTERVAL = "meter value interval"
    AUTHORIZE_REMOTE_START = "authorize remote start"
    TRANSACTION_RETRY = "transaction message retry"


class Adapter(ABC):
    """One charger's translator between the core and one OCPP version.

    ``Session`` builds it, builds the ``Rpc`` with its ``dialect`` and ``handle``, then calls
    ``attach``. After every step the session sends ``pending_calls`` first, then what
    ``outgoing`` makes of the charger's intents.
    """

    __slots__ = ("charger", "identity", "pending_calls", "rpc")

    #: The RPC rules of the version (error codes, frame types).
    dialect: ClassVar[Dialect]
    #: The WebSocket subprotocol (1.6 §3.1.2 "ocpp1.6", 2.0.1 part 4 §3.1.2 "ocpp2.0.1").
    subprotocol: ClassVar[str]
    #: The CSMS requests answered, by action (one table per class).
    HANDLERS: ClassVar[Mapping[str, Callable[[Self, Payload, float], Payload]]]
    #: Actions of the version that ocppsim knows but does not simulate: NotSupported.
    NOT_SUPPORTED: ClassVar[frozenset[str]]

    charger: Charger
    identity: Identity
    #: Messages the adapter sends of its own accord (NotifyReport parts, 2.1 LimitSet), None
    #: while there are none (most chargers never hold one: no empty list each).
    pending_calls: list[Outgoing] | None
    rpc: Rpc

    def __init__(self, charger: Charger, identity: Identity) -> None:
        self.charger = charger
        self.identity = identity
        self.pending_calls = None

    # ------------------------------------------------------------------ the version's dialect

    def attach(self, rpc: Rpc) -> None:
        """Bind the connection's RPC layer and give it this charger's retry settings."""
        self.rpc = rpc
        self.apply_retry()

    def apply_retry(self) -> None:
        """Push the retry settings into the RPC layer (at attach, and when the CSMS changes
        them): transaction messages are tried ``attempts`` times, ``interval`` apart."""
        self.rpc.tx_attempts, self.rpc.tx_interval = self.retry_settings()

    def apply_setting(self, setting: Setting, value: str, now: float) -> None:
        """Apply a setting the CSMS changed to the charger or the RPC layer (``value`` as
        stored: checked and normalised by ``protocol/values.py``, booleans lowercase)."""
        c = self.charger
        match setting:
            case Setting.HEARTBEAT_INTERVAL:
                c.set_heartbeat_interval(int(value), now)
            case Setting.METER_INTERVAL:
                c.reconfigure(replace(c.spec, meter_interval=int(value)))
            case Setting.AUTHORIZE_REMOTE_START:
                c.reconfigure(replace(c.spec, authorize_remote_start=value == "true"))
            case Setting.TRANSACTION_RETRY:
                self.apply_retry()
            case _:
                assert_never(setting)

    @abstractmethod
    def retry_settings(self) -> tuple[int, int]:
        """(attempts, interval in seconds) of transaction messages, from the configuration."""

    @property
    @abstractmethod
    def ping_interval(self) -> float:
        """Seconds between WebSocket pings; 0 for none."""

    # ------------------------------------------------------------------ across restarts

    @abstractmethod
    def revive(self, action: str, payload: Payload, ref: int | None) -> Outgoing:
        """A transaction message read back from the store, sendable again with the callbacks
        it had (raises ValueError for what this version never stores)."""

    @abstractmethod
    def durable_state(self) -> dict[str, Any]:
        """What the adapter must keep across a restart (JSON-ready): the transactions' ids."""

    @abstractmethod
    def restore(self, state: Mapping[str, Any]) -> None:
        """Take back ``durable_state`` (raises KeyError/TypeError/ValueError if malformed)."""

    @abstractmethod
    def outgoing(self, intent: Intent) -> Outgoing | None:
        """The CALL for ``intent``, or None when the version sends nothing for it."""

    def send_own(self, out: Outgoing) -> None:
        """Queue a message the adapter sends of its own accord (see ``pending_calls``)."""
        if self.pending_calls is None:
            self.pending_calls = [out]
        else:
            self.pending_calls.append(out)

    def queued_transaction_messages(self) -> int:
        """Transaction messages not yet acknowledged by the CSMS (queued or in flight)."""
        return self.rpc.pending()

    # ------------------------------------------------------------------ CSMS CALLs

    def handle(self: Self, action: str, payload: Payload, now: float) -> Payload:
        """Answer one CSMS CALL (its payload already checked against the schema)."""
        if self.charger.registration == Registration.REJECTED:
            # 1.6J errata 3.10 / B03.FR.08: a charger the CSMS rejected answers SecurityError.
            raise CallError("SecurityError", "the charger is not accepted by the backend")
        handler = self.HANDLERS.get(action)
        if handler is None:
            if action in self.NOT_SUPPORTED:
                raise CallError("NotSupported", f"{action} is not supported by ocppsim")
            raise CallError("NotImplemented", f"unknown action {action}")
        return handler(self, payload, now)


# ---------------------------------------------------------------------- shared handlers


def clear_cache(_a: Adapter, _p: Payload, _now: float) -> Payload:
    """ClearCache (1.6 §5.4, 2.0.1 C11): ocppsim keeps no authorization cache, so there is
    nothing to clear and the request always succeeds."""
    return {"status": "Accepted"}


def data_transfer(_a: Adapter, p: Payload, _now: float) -> Payload:
    """DataTransfer (1.6 §5.6, 2.0.1 P01): ocppsim accepts every vendor and echoes the data
    back, so a CSMS can test its side."""
    result: Payload = {"status": "Accepted"}
    if "data" in p:
        result["data"] = p["data"]
    return result


def start_remotely(
    a: Adapter, evse: int | None, id_tag: str, now: float, remote_start_id: int | None = None
) -> Payload:
    """The answer to a remote start (1.6 §5.11, 2.0.1 F01): Accepted when the charger begins
    a session, Rejected when it refuses (not connected or accepted, connector busy ...)."""
    try:
        a.charger.start(evse, id_tag, None, now, remote=True, remote_start_id=remote_start_id)
    except Refused:
        return {"status": "Rejected"}
    return {"status": "Accepted"}


#: The requests every version answers alike.
SHARED_HANDLERS: Mapping[str, Handler[Adapter]] = {
    "ClearCache": clear_cache,
    "DataTransfer": data_transfer,
}
