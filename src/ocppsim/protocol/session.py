"""One charger's OCPP session: the charger core, its version adapter and the RPC layer.

The runtime feeds it connection events, received text and timer wake-ups (each with ``now``),
then writes ``data_to_send()`` to the socket and sleeps until ``next_deadline()``. The session
knows no version: ``protocol/versions.py`` picks the adapter, which owns the version's dialect.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import orjson

from ocppsim.core.charger import Charger
from ocppsim.core.intents import Reboot
from ocppsim.core.model import OcppVersion
from ocppsim.protocol import schemas
from ocppsim.protocol.adapter import Adapter
from ocppsim.protocol.common import Identity, Payload
from ocppsim.protocol.outbox import Journal, JournalChanges, Pacer, StoredCall
from ocppsim.protocol.rpc import AnswerObserver, CallError, Frame, Rpc
from ocppsim.protocol.versions import new_adapter

log = logging.getLogger("ocppsim.protocol")

T = TypeVar("T")

_IDS = random.Random()  # seeded from the OS; message ids need uniqueness, not secrecy


def new_message_id() -> str:
    """A random UUID4 string (RFC 9562 §5.4), without ``uuid.UUID`` and without a system call
    per id (os.urandom is one): a third of the cost, and every CALL needs one."""
    h = f"{_IDS.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


class Session:
    """One charger's OCPP session; ``adapter`` is its version's (see protocol/adapter.py)."""

    __slots__ = (
        "_revision",
        "adapter",
        "charger",
        "name",
        "reboot",
        "rpc",
        "subprotocol",
        "version",
    )

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
        journal: bool = False,
        pacer: Pacer | None = None,
        replay_interval: float = 0.2,
        name: str = "",
    ) -> None:
        """``journal``: keep the transaction messages durable (persistent chargers: the
        runtime writes ``take_journal()`` to the store before they leave); ``pacer`` and
        ``replay_interval`` pace a backlog replayed after an outage (protocol/outbox.py);
        ``name`` names the charger in the server's log."""
        self.charger = charger
        self.version = version
        self.name = name
        self._revision = -1  # the charger's revision at the last snapshot (-1: none yet)
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
            journal=Journal() if journal else None,
            pacer=pacer,
            replay_interval=replay_interval,
            label=name,
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

    # ------------------------------------------------------------------ durability

    def restore(self, state: str | None, rows: Iterable[StoredCall], now: float) -> None:
        """Power up with what the store kept: the adapter's transactions, the outbox (in
        order, before anything newer) and the charger's registers, availability and the
        transactions that ran when the power went (they end now, PowerLoss). What cannot be
        read is dropped with an error in the server's log naming the charger, never raised."""
        saved = self._read_state(state)
        if saved is not None:
            self._guarded("its transactions", lambda: self.adapter.restore(saved["adapter"]))
        for row in rows:
            self._restore_row(row)
        if saved is not None:
            self._guarded("its state", lambda: self.charger.power_up(saved["charger"]))
        self._flush(now)

    def _read_state(self, text: str | None) -> dict[str, Any] | None:
        if text is None:
            return None
        try:
            saved = orjson.loads(text)
            if not isinstance(saved, dict):
                raise TypeError("not an object")
        except (orjson.JSONDecodeError, TypeError) as exc:
            log.error("charger %s: its stored state is unreadable and ignored: %s", self.name, exc)
            return None
        if saved.get("version") != self.version:
            # Messages of another OCPP version cannot be replayed in this one: the registers
            # and availability carry over, the old version's transactions do not.
            log.warning(
                "charger %s: stored for OCPP %s, now %s: its queued transaction messages of "
                "the old version are dropped",
                self.name,
                saved.get("version"),
                self.version,
            )
            charger = saved.get("charger")
            if isinstance(charger, dict):
                for c in charger.get("connectors", []):
                    if isinstance(c, dict):
                        c["session"] = None
            return {"adapter": {}, "charger": charger}
        return saved

    def _restore_row(self, row: StoredCall) -> None:
        journal = self.rpc.journal
        try:
            payload = orjson.loads(row.payload)
            if not isinstance(payload, dict):
                raise TypeError("the payload is not an object")
            out = self.adapter.revive(row.action, payload, row.ref)
        except (orjson.JSONDecodeError, TypeError, ValueError, KeyError) as exc:
            log.error(
                "charger %s: stored %s message %d is unreadable and dropped: %s",
                self.name,
                row.action,
                row.seq,
                exc,
            )
            if journal is not None:
                journal.removed.append(row.seq)
            return
        out.seq, out.attempts = row.seq, row.attempts
        self.rpc.restore(out)

    def _guarded(self, what: str, restore: Callable[[], None]) -> None:
        try:
            restore()
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.error("charger %s: %s could not be restored: %r", self.name, what, exc)

    def journal_pending(self) -> bool:
        """Are there changes for the store (persistent chargers)? Cheap: asked every step."""
        journal = self.rpc.journal
        return journal is not None and (journal.dirty or self.charger.revision != self._revision)

    def take_journal(self, now: float) -> JournalChanges | None:
        """What the store must write for this charger (the outbox changes and a snapshot of
        its durable state), or None when nothing changed; persistent chargers only."""
        journal = self.rpc.journal
        if journal is None:
            return None
        revision = self.charger.revision
        if not journal.dirty and revision == self._revision:
            return None
        self._revision = revision
        added, attempts, removed = journal.take()
        state = {
            "version": self.version,
            "charger": self.charger.durable_state(now),
            "adapter": self.adapter.durable_state(),
        }
        return JournalChanges(added, attempts, removed, orjson.dumps(state).decode())

    def journal_written(self, changes: JournalChanges, now: float) -> None:
        """The store committed ``changes``: their messages may leave."""
        for out in changes.added:
            out.saved = True
        self.rpc.journal_stalled = False
        self.rpc.pump(now)

    def journal_failed(self, changes: JournalChanges, now: float) -> None:
        """The store could not write ``changes``: they wait for the next write."""
        journal = self.rpc.journal
        if journal is not None:
            journal.give_back(changes.added, changes.attempts, changes.removed)
        self._revision = -1
        self.rpc.journal_stalled = True
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
