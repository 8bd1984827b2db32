"""One charger's connection: dial, feed frames to the session, wake it at its deadlines,
reconnect with back-off.

Frames arrive by callback from the transport and the session is woken by one timer handle per
charger, so a running charger costs no coroutine (DESIGN.md cost table); a task exists only
while dialing.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from ocppsim.core.backoff import BackOff
from ocppsim.protocol.rpc import Frame
from ocppsim.protocol.session import Session
from ocppsim.runtime.events import EventKind, Reason, RunnerEvent
from ocppsim.transport import (
    MAX_FRAME_BYTES,
    Connection,
    ConnectOptions,
    TransportError,
    connect,
)

log = logging.getLogger("ocppsim.runtime")

T = TypeVar("T")

#: How long a reset or a switch-off waits for transaction messages to be acknowledged.
DRAIN_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where and how the charger dials its backend."""

    url: str
    basic_auth: tuple[str, str] | None = field(default=None, repr=False)
    ca_certificate_pem: str | None = None
    source_address: str | None = None
    #: Security profile 2 and up: only wss:// is acceptable (never a silent downgrade).
    require_tls: bool = False


#: The context every charger's timer callbacks run in: call_later would otherwise copy the
#: current context for each of them (no runtime code uses context variables).
_CONTEXT = contextvars.copy_context()
#: Reboot tasks of every runner (a set per runner would cost 200 bytes each).
_TASKS: set[asyncio.Task[None]] = set()


class Runner:
    """Keeps ``session`` connected to ``endpoint`` until ``close()``."""

    __slots__ = (
        "_closing",
        "_dialing",
        "_drained",
        "_loop",
        "_retry",
        "_timer",
        "_timer_at",
        "attempt",
        "backoff",
        "clock",
        "connected",
        "connection",
        "connection_error",
        "endpoint",
        "max_frame_bytes",
        "offline_since",
        "on_event",
        "on_frames",
        "on_journal",
        "rng",
        "session",
    )

    def __init__(
        self,
        session: Session,
        endpoint: Endpoint,
        *,
        backoff: BackOff,
        rng: random.Random,
        clock: Callable[[], float] = time.time,
        on_frames: Callable[[list[Frame]], None] | None = None,
        on_event: Callable[[RunnerEvent], None] | None = None,
        on_journal: Callable[[Runner], None] | None = None,
        max_frame_bytes: int = MAX_FRAME_BYTES,
    ) -> None:
        """``on_journal``: told when the session has outbox changes to write (persistent
        chargers; runtime/journal.py), which hold its transaction messages back until then."""
        self.session = session
        self.endpoint = endpoint
        self.backoff = backoff
        self.rng = rng
        self.clock = clock
        self.on_frames = on_frames
        self.on_event = on_event
        self.on_journal = on_journal
        #: The largest frame taken from the backend (OCPPSIM_MAX_FRAME_BYTES).
        self.max_frame_bytes = max_frame_bytes
        self.connection: Connection | None = None
        self.connected = False
        #: Since when the charger has been without its backend (None: connected).
        self.offline_since: float | None = clock()
        self.connection_error = ""
        self.attempt = 0
        self._loop = asyncio.get_running_loop()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf
        self._dialing: asyncio.Task[None] | None = None
        self._retry: asyncio.TimerHandle | None = None
        self._closing = False
        self._drained: asyncio.Future[None] | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._dial_soon(0.0)

    async def close(
        self,
        *,
        drain: bool = True,
        reason: Reason = Reason.SWITCHED_OFF,
        text: str = "charger switched off",
        details: Mapping[str, object] | None = None,
    ) -> None:
        """Stop for good; with ``drain``, first let queued messages and answers finish.

        ``reason`` and ``text`` are why, for the disconnected event (and ``text`` for the close
        frame): the charger switched off, or ``Reason.RECONFIGURED`` when it closes to connect
        again with a changed setting; ``details`` go into the event."""
        if drain and self.connected and not self.session.quiet():
            await self._wait_drained()
        self._closing = True
        self._cancel_timers()
        if self._dialing is not None:
            self._dialing.cancel()
        if self.connection is not None:
            self.connection.close(1000, text)
        if self.connected:
            self.connected = False
            self.session.disconnected(self.clock())
            self._event(EventKind.DISCONNECTED, reason, text, **(details or {}))
            self._flush()

    async def _wait_drained(self) -> None:
        self._drained = self._loop.create_future()
        try:
            await asyncio.wait_for(asyncio.shield(self._drained), DRAIN_TIMEOUT)
        except TimeoutError:
            log.info("messages still queued or unanswered after %.0f s", DRAIN_TIMEOUT)
        finally:
            self._drained = None

    def _cancel_timers(self) -> None:
        for handle in (self._timer, self._retry):
            if handle is not None:
                handle.cancel()
        self._timer = self._retry = None
        self._timer_at = math.inf

    # ------------------------------------------------------------------ dialing

    def _dial_soon(self, delay: float) -> None:
        if self._closing:
            return
        self._retry = self._loop.call_later(delay, self._dial, context=_CONTEXT)

    def _dial(self) -> None:
        self._retry = None
        if self._closing or self._dialing is not None:
            return
        self._dialing = self._loop.create_task(self._connect())

    async def _connect(self) -> None:
        url = self.endpoint.url
        if self.endpoint.require_tls and not url.startswith("wss://"):
            self._dialing = None
            self._connect_failed("security profile 2 needs a wss:// backend URL", Reason.CONFIG)
            return
        options = ConnectOptions(
            subprotocol=self.session.subprotocol,
            basic_auth=self.endpoint.basic_auth,
            ca_certificate_pem=self.endpoint.ca_certificate_pem,
            ping_interval=self.session.ping_interval,
            source_address=self.endpoint.source_address,
            max_frame_size=self.max_frame_bytes,
        )
        self._event(EventKind.CONNECTING, url=url, attempt=self.attempt + 1)
        try:
            connection = await connect(url, self, options)
        except TransportError as exc:
            self._dialing = None
            self._connect_failed(str(exc), Reason.of_failure(exc.kind), exc.kind)
            return
        except asyncio.CancelledError:
            self._dialing = None
            raise
        except Exception as exc:  # never let a dial kill the charger
            log.exception("dialing %s failed", url)
            self._dialing = None
            self._connect_failed(f"unexpected error: {exc}", Reason.OTHER)
            return
        self._dialing = None
        if self._closing:
            connection.close(1000, "charger switched off")
            return
        self.connection = connection
        self.connected = True
        self.offline_since = None
        self.connection_error = ""
        self.attempt = 0
        self._event(EventKind.CONNECTED, url=url, subprotocol=connection.subprotocol)
        self.session.connected(self.clock())
        self._flush()

    def _connect_failed(self, text: str, reason: Reason, kind: str | None = None) -> None:
        """``kind`` is the transport's (refused, dns, http, tls, timeout, subprotocol, other),
        shown in the log as it is; None: the reason's name."""
        self.connection_error = text
        delay = self.backoff.delay(self.attempt, self.rng)
        self.attempt += 1
        self._event(
            EventKind.CONNECT_FAILED,
            reason,
            text,
            kind=kind if kind is not None else str(reason),
            retry_in_s=round(delay, 3),
        )
        self._dial_soon(delay)

    # ------------------------------------------------------------------ transport callbacks

    def on_text(self, text: str) -> None:
        self.session.receive_text(text, self.clock())
        self._flush()

    def on_oversized(self, head: str, why: str) -> bool:
        handled = self.session.receive_oversized(head, why, self.clock())
        self._flush()
        return handled

    def on_closed(self, reason: str) -> None:
        self.connection = None
        if not self.connected:
            return
        self.connected = False
        self.offline_since = self.clock()
        self.session.disconnected(self.clock())
        self._flush()
        if self._closing:
            return
        self.connection_error = f"disconnected: {reason}"
        delay = self.backoff.delay(self.attempt, self.rng)
        self.attempt += 1
        self._event(EventKind.DISCONNECTED, Reason.CLOSED, reason, retry_in_s=round(delay, 3))
        self._dial_soon(delay)

    # ------------------------------------------------------------------ the session's clock

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = math.inf
        self.session.on_timer(self.clock())
        self._flush()

    def act(self, action: Callable[[], T]) -> T:
        """Run a user action on the charger and send what follows (raises what it raises);
        returns what the action returned."""
        try:
            return self.session.act(action, self.clock())
        finally:
            self._flush()

    def flush(self) -> None:
        """Send what the session has to send and re-arm its timer (after its journal was
        written, the messages it held back)."""
        self._flush()

    def _flush(self) -> None:
        session = self.session
        connection = self.connection
        for text in session.data_to_send():
            if connection is not None:
                connection.send_text(text)
        if self.on_journal is not None and session.journal_pending():
            self.on_journal(self)
        if self.on_frames is not None:
            frames = session.take_frames()
            if frames:
                self.on_frames(frames)
        if session.reboot is not None and not self._closing:
            reboot, session.reboot = session.reboot, None
            task = self._loop.create_task(self._reboot(reboot.hard))
            _TASKS.add(task)
            task.add_done_callback(_TASKS.discard)
        drained = self._drained
        if drained is not None and not drained.done() and session.quiet():
            drained.set_result(None)
        self._schedule(session.next_deadline())

    def _schedule(self, deadline: float) -> None:
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = deadline
        if deadline != math.inf and not self._closing:
            delay = max(0.0, deadline - self.clock())
            self._timer = self._loop.call_later(delay, self._on_timer, context=_CONTEXT)

    async def _reboot(self, hard: bool) -> None:
        """Reset: let the stop messages and any unanswered CALL finish (bounded), close, power
        up again (BootNotification first)."""
        if not self.session.quiet():
            await self._wait_drained()
        self._event(EventKind.RESET, type="hard" if hard else "soft")
        if self.connection is not None:
            connection = self.connection
            self.connected = False
            self.connection = None
            self.session.disconnected(self.clock())
            connection.close(1000, "reset")
        self.session.charger.reboot_done(self.clock())
        self._flush()
        self.attempt = 0
        self._dial_soon(1.0)

    def _event(
        self,
        kind: EventKind,
        reason: Reason | None = None,
        text: str | None = None,
        /,
        **details: object,  # may hold a "kind" of its own: the parameters are positional
    ) -> None:
        """A connection event for whoever listens (the URL never carries credentials)."""
        if self.on_event is not None:
            self.on_event(RunnerEvent(kind, self.clock(), reason, text, details))
