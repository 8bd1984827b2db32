"""One charger's OCPP session: the charger core, its version adapter and the RPC layer.

The runtime feeds it connection events, received text and timer wake-ups (each with ``now``),
then writes ``data_to_send()`` to the socket and sleeps until ``next_deadline()``. The session
knows no version: ``protocol/versions.py`` picks the adapter, which owns the version's dialect.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

from ocppsim.core.charger import Charger
from ocppsim.core.intents import Reboot
from ocppsim.core.model import OcppVersion
from ocppsim.protocol import schemas
from ocppsim.protocol.adapter import Adapter
from ocppsim.protocol.common import Identity, Payload
from ocppsim.protocol.rpc import AnswerObserver, CallError, Frame, Rpc
from ocppsim.protocol.versions import new_adapter

T = TypeVar("T")

_IDS = random.Random()  # seeded from the OS; message ids need uniqueness, not secrecy


def new_message_id() -> str:
    """A random UUID4 string (RFC 9562 §5.4), without ``uuid.UUID`` and without a system call
    per id (os.urandom is one): a third of the cost, and every CALL needs one."""
    h = f"{_IDS.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


class Session:
    """One charger's OCPP session; ``adapter`` is its version's (see protocol/adapter.py)."""

    __slots__ = ("adapter", "charger", "reboot", "rpc", "subprotocol", "version")

    def __init__(
        self,
        charger: Charger,
        version: OcppVersion,
        identity: Identity,
        *,
        new_id: Callable[[], str] = new_message_id,
        record_frames: bool = True,
        message_timeout: float = 30.0,
        on_answer: AnswerObserver | None = None,
    ) -> None:
        self.charger = charger
        self.version = version
        self.reboot: Reboot | None = None
        self.adapter: Adapter = new_adapter(version, charger, identity)
        self.subprotocol = self.adapter.subprotocol
        self.rpc = Rpc(
            dialect=self.adapter.dialect,
            new_id=new_id,
            handle_call=self.adapter.handle,
            check_outgoing=self._check_outgoing,
            check_incoming=self._check_incoming,
            check_result=self._check_result,
            message_timeout=message_timeout,
            record_frames=record_frames,
            on_answer=on_answer,
        )
        self.adapter.attach(self.rpc)  # gives the Rpc the adapter's retry settings

    # ------------------------------------------------------------------ schema checks

    def _check_outgoing(self, action: str, payload: Payload) -> None:
        schemas.check(self.version, action, payload, response=False)

    def _check_incoming(self, action: str, payload: Payload) -> None:
        if not schemas.known(self.version, action):
            raise CallError("NotImplemented", f"unknown action {action}")
        try:
            schemas.check(self.version, action, payload, response=False)
        except schemas.SchemaError as exc:
            raise CallError(self.rpc.dialect.schema_error_code(exc.kind), str(exc)) from None

    def _check_result(self, action: str, payload: Payload) -> None:
        schemas.check(self.version, action, payload, response=True)

    @property
    def ping_interval(self) -> float:
        """Seconds between WebSocket pings, from the adapter's configuration; 0 for none."""
        return self.adapter.ping_interval

    # ------------------------------------------------------------------ events from the runtime

    def connected(self, now: float) -> None:
        self.charger.on_connected(now)
        self.rpc.on_connected(now)
        self._flush(now)

    def disconnected(self, now: float) -> None:
        self.rpc.on_disconnected(now)
        self.charger.on_disconnected(now)
        self._flush(now)

    def receive_text(self, text: str, now: float) -> None:
        self.rpc.receive(text, now)
        self._flush(now)

    def receive_oversized(self, head: str, why: str, now: float) -> bool:
        """A frame over the size limit, of which only ``head`` was read (``Rpc.
        receive_oversized``): never executed; False if the connection should close (1009)."""
        handled = self.rpc.receive_oversized(head, why, now)
        self._flush(now)
        return handled

    def on_timer(self, now: float) -> None:
        self.rpc.on_timer(now)
        self.charger.tick(now)
        self._flush(now)

    def act(self, action: Callable[[], T], now: float) -> T:
        """Run a user action on the charger (start, stop, error ...) and send what follows."""
        try:
            return action()
        finally:
            self._flush(now)

    def _flush(self, now: float) -> None:
        # The adapter's own messages first: they were numbered (2.x seqNo) before the intents
        # that follow them are turned into messages.
        adapter = self.adapter
        own = adapter.pending_calls
        if own:
            adapter.pending_calls = None
            for call in own:
                self.rpc.call(call, now)
        while intents := self.charger.take_intents():
            for intent in intents:
                if isinstance(intent, Reboot):
                    self.reboot = intent
                    continue
                out = adapter.outgoing(intent)
                if out is not None:
                    self.rpc.call(out, now)
        self.rpc.registered = self.charger.accepted
        self.rpc.pump(now)

    # ------------------------------------------------------------------ outputs

    def data_to_send(self) -> list[str]:
        return self.rpc.data_to_send()

    def take_frames(self) -> list[Frame]:
        return self.rpc.take_frames()

    def next_deadline(self) -> float:
        return min(self.charger.next_deadline(), self.rpc.next_deadline())

    def pending_transaction_messages(self) -> int:
        return self.rpc.pending()

    def quiet(self) -> bool:
        """No transaction message queued and no CALL awaiting its answer: closing now loses
        nothing. (A backend still sending that answer may treat our close as an error and drop
        what we sent last, such as the answer to the Reset that makes us close.)"""
        return not self.rpc.pending() and self.rpc.in_flight is None
