"""WebSocket client on picows: callbacks, no coroutine per connection (DESIGN.md cost table).

Offers exactly one subprotocol and refuses a server that does not pick it (OCPP-J §3; R19);
no redirects, no environment proxies, no compression; ``ws://`` or ``wss://`` with the system
trust store plus an optional private CA; HTTP Basic auth for OCPP security profiles 1 and 2.
The password never appears in a log line or an error message.

Frames are bounded: a text frame up to ``max_frame_size`` is delivered; a larger one is never
delivered as text: the handler gets its first bytes (``on_oversized``) to refuse it by id, or
the connection closes with 1009. Beyond ``HARD_CAP_FACTOR`` times the maximum picows refuses
the frame from its header (1009) and drops the connection; the frame is never parsed. The read
buffer starts at ``READ_BUFFER`` and grows only while a larger frame arrives.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import logging
import re
import socket
import ssl
import sys
from dataclasses import dataclass
from typing import Protocol

from picows import (
    WSAutoPingStrategy,
    WSCloseCode,
    WSError,
    WSFrame,
    WSHandshakeError,
    WSInvalidStatusError,
    WSListener,
    WSMsgType,
    WSTransport,
    ws_connect,
)

log = logging.getLogger("ocppsim.transport")
# One logger for every connection: given a Logger, picows makes a child Logger per connection
# (about 400 bytes each, and an INFO line per connect); an adapter is used as it is.
_PICOWS_LOG = logging.LoggerAdapter(logging.getLogger("ocppsim.transport.picows"))
#: Frames a backend may send before ``connect`` has returned (kept, then delivered in order).
EARLY_FRAMES_MAX = 64
#: picows's read buffer starts at this size and grows only for a larger frame: most OCPP frames
#: are far smaller, and the default 16 KiB per connection would dominate a load test's memory.
READ_BUFFER = 2048

#: How long a charger that closes waits for the backend's close frame before dropping TCP.
CLOSE_TIMEOUT = 2.0

#: The largest frame a charger takes by default (``OCPPSIM_MAX_FRAME_BYTES``; OCPP names no
#: limit), and the least that may be set (about libocpp's default MaxMessageSize, 65,000).
MAX_FRAME_BYTES = 1 << 20
MIN_FRAME_BYTES = 1 << 16
#: A frame up to this many times the maximum is still received whole, so that its beginning
#: can be read and the CALL it holds refused by id; a larger one is refused by picows from its
#: header alone (1009, then the connection is dropped), and never parsed.
HARD_CAP_FACTOR = 4
#: How much of an oversized frame is read: enough for ``[2, "<36-char id>", "<action>",``
#: with generous whitespace; the rest is never decoded.
OVERSIZED_HEAD_BYTES = 256
#: picows's parser error for a frame over its cap ends with "<size> > <cap>".
_PICOWS_TOO_BIG = re.compile(r"(\d+) > \d+\s*$")


class TransportError(Exception):
    """Connecting failed; ``str(error)`` is a short reason fit to show the user."""

    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind  # refused, dns, http, tls, timeout, subprotocol, other
        self.status = status


class Handler(Protocol):
    def on_text(self, text: str) -> None: ...

    def on_oversized(self, head: str, why: str) -> bool:
        """A text frame over the maximum arrived; only ``head`` (its first bytes, decoded
        leniently) was read. Return True if it was dealt with (e.g. refused with an answer),
        False to have the connection closed with 1009 and ``why`` as the reason."""
        ...

    def on_closed(self, reason: str) -> None: ...


class Connection(Protocol):
    @property
    def subprotocol(self) -> str: ...

    def send_text(self, text: str) -> None: ...

    def close(self, code: int = 1000, reason: str = "") -> None: ...


@dataclass(frozen=True, slots=True)
class ConnectOptions:
    subprotocol: str
    basic_auth: tuple[str, str] | None = None
    ca_certificate_pem: str | None = None
    ping_interval: float = 0.0
    pong_timeout: float = 5.0
    handshake_timeout: float = 10.0
    #: Text frames up to this many bytes are delivered; a larger one is never delivered as text
    #: (``Handler.on_oversized``, or 1009 beyond ``HARD_CAP_FACTOR`` times it).
    max_frame_size: int = MAX_FRAME_BYTES
    source_address: str | None = None


def too_big(size: int, limit: int) -> str:
    """The reason given for a frame of ``size`` bytes over the maximum ``limit``."""
    return f"frame of {size} bytes exceeds the maximum of {limit}"


class _Listener(WSListener):
    """Bridges picows callbacks to a Handler; is also the Connection handed to the caller."""

    __slots__ = (
        "_close_timer",
        "close_reason",
        "closed",
        "closing",
        "early",
        "handler",
        "options",
        "ready",
        "transport",
    )

    def __init__(self, handler: Handler, options: ConnectOptions) -> None:
        super().__init__()
        self.handler = handler
        self.options = options
        self.transport: WSTransport | None = None
        self.ready = False
        #: Frames that arrived with the handshake, before the caller had the connection: a
        #: text, or an oversized frame's (head, why).
        self.early: list[str | tuple[str, str]] = []
        self.closed = False
        self.closing = False
        self.close_reason = ""
        self._close_timer: asyncio.TimerHandle | None = None

    # --- Connection

    @property
    def subprotocol(self) -> str:
        return self.options.subprotocol

    def send_text(self, text: str) -> None:
        if self.transport is not None and not self.closed:
            self.transport.send(WSMsgType.TEXT, text.encode())

    def close(self, code: int = 1000, reason: str = "") -> None:
        if self.transport is None or self.closed:
            return
        if not self.close_reason:
            self.close_reason = f"closed by the charger ({code} {reason})".strip()
        if self.closing:
            return
        try:
            self.transport.send_close(WSCloseCode(code), reason.encode()[:120])
        except ValueError:
            self.transport.send_close(WSCloseCode.OK)
        # RFC 6455 §7.1.1: wait for the backend's close frame before dropping TCP. Dropping at
        # once with the backend's data still unread makes the kernel send RST, and the backend
        # may then lose what we sent last (e.g. the answer to the Reset that closes us).
        self.closing = True
        transport = self.transport
        self._close_timer = asyncio.get_running_loop().call_later(
            CLOSE_TIMEOUT, transport.disconnect
        )

    # --- picows callbacks

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind == WSMsgType.TEXT:
            if self.closing:  # our close is under way: nothing more is executed
                return
            if not frame.fin:
                self._fail(
                    transport, WSCloseCode.UNSUPPORTED_DATA, "fragmented frames are not supported"
                )
                return
            if frame.payload_size > self.options.max_frame_size:
                if transport.is_close_frame_sent:
                    # A frame over picows's cap: picows refused it from its header and sent
                    # 1009, yet reads its payload and hands the frame over once complete, and
                    # then the frames after it. None of them is executed (checked here, off
                    # the path of every normal frame: this one always comes first).
                    self.closing = True
                    self._closed_by_picows(transport)
                else:
                    self._oversized(transport, frame)
                return
            try:
                text = frame.get_payload_as_utf8_text()
            except UnicodeDecodeError:
                self._fail(transport, WSCloseCode.INVALID_TEXT, "backend sent invalid UTF-8")
                return
            if self.ready and not self.early:
                self._deliver(text)
            else:
                self._keep_early(text)
        elif kind == WSMsgType.CLOSE:
            if transport.is_close_frame_sent:
                # The backend answers a close we began (or picows did): the handshake is
                # complete, and the reason stays ours (not "backend closed the connection").
                transport.disconnect()
                return
            code = frame.get_close_code()
            why = frame.get_close_reason()
            self.close_reason = (
                f"backend closed the connection ({code.value}{' ' + why if why else ''})"
            )
            transport.send_close(code if code != WSCloseCode.NO_INFO else WSCloseCode.OK)
            transport.disconnect()
        elif kind == WSMsgType.BINARY:
            self._fail(transport, WSCloseCode.UNSUPPORTED_DATA, "backend sent a binary frame")

    def _keep_early(self, item: str | tuple[str, str]) -> None:
        """Keep a frame that arrives before the caller has the connection, or while earlier
        ones still wait: a backend may send a CALL at once after accepting; it must not be
        lost, and what comes after it waits until it has been handed over."""
        if len(self.early) >= EARLY_FRAMES_MAX:
            if self.transport is not None:
                self._fail(self.transport, WSCloseCode.POLICY_VIOLATION, "too many early frames")
        else:
            self.early.append(item)

    def _oversized(self, transport: WSTransport, frame: WSFrame) -> None:
        """A text frame over the maximum: only its beginning is read (an OCPP-J message names
        its type and id first), never the whole of it."""
        why = too_big(frame.payload_size, self.options.max_frame_size)
        head = bytes(frame.get_payload_as_memoryview()[:OVERSIZED_HEAD_BYTES])
        item = (head.decode("utf-8", "replace"), why)
        if self.ready and not self.early:
            self._deliver_oversized(*item)
        else:
            self._keep_early(item)

    def _deliver(self, text: str) -> None:
        try:
            self.handler.on_text(text)
        except Exception:
            log.exception("the charger failed on a frame; closing the connection")
            if self.transport is not None:
                self._fail(self.transport, WSCloseCode.INTERNAL_ERROR, "charger error")

    def _deliver_oversized(self, head: str, why: str) -> None:
        try:
            handled = self.handler.on_oversized(head, why)
        except Exception:
            log.exception("the charger failed on an oversized frame; closing the connection")
            handled = False
        if not handled and self.transport is not None:
            # RFC 6455 §7.4.1: 1009, a message too big to process.
            self._fail(self.transport, WSCloseCode.MESSAGE_TOO_BIG, why)

    def deliver_early(self) -> None:
        """Hand over the frames that came with the handshake, in order (once the caller that
        awaited ``connect`` has set itself up: this runs from the event loop just after)."""
        while self.early and not (self.closed or self.closing):
            item = self.early.pop(0)
            if isinstance(item, str):
                self._deliver(item)
            else:
                self._deliver_oversized(*item)
        self.early.clear()

    def _fail(self, transport: WSTransport, code: WSCloseCode, why: str) -> None:
        self.close_reason = why
        transport.send_close(code, why.encode()[:120])
        transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        if self.closed:
            return
        self.closed = True
        if transport.is_close_frame_sent:
            self._closed_by_picows(transport)
        if self.ready:
            reason = self.close_reason or "connection lost"
            try:
                self.handler.on_closed(reason)
            except Exception:
                # Raised into picows, it would become one more stored error nobody reads.
                log.exception("the charger failed on a closed connection")

    def _closed_by_picows(self, transport: WSTransport) -> None:
        """A close frame went out: if not by us (no reason of ours), picows closed on its own
        (a protocol error, a frame over its cap, no pong). Say why, and collect the error it
        keeps for ``wait_disconnected``."""
        if not self.close_reason:
            self.close_reason = self._picows_reason(transport)
            _collect_disconnect_error(transport)

    def _picows_reason(self, transport: WSTransport) -> str:
        """The reason picows gave in the close frame it sent, in our words where we have them."""
        # close_handshake is None until a close frame went either way (typed as never None).
        sent = getattr(transport.close_handshake, "sent", None)
        if sent is None:
            return ""
        if sent.code == WSCloseCode.MESSAGE_TOO_BIG:
            found = _PICOWS_TOO_BIG.search(sent.reason)
            if found is not None:
                return too_big(int(found[1]), self.options.max_frame_size)
        return f"closed by the charger ({int(sent.code)} {sent.reason})".strip()


#: Tasks collecting picows's disconnect errors, held until done.
_COLLECTORS: set[asyncio.Task[None]] = set()


def _collect_disconnect_error(transport: WSTransport) -> None:
    """Retrieve the error picows stores when it closes a client connection on its own.

    picows sets it on a future that only ``wait_disconnected`` reads; nobody awaits that for a
    charger (it would cost a coroutine per connection), so the future would die unread and
    asyncio log "Future exception was never retrieved" with a traceback. The reason is already
    the connection's close reason; here it is only consumed. Runs once per such disconnect.
    """

    async def collect() -> None:
        try:
            await transport.wait_disconnected()
        except Exception as exc:  # the point: read it, it was logged and reported already
            log.debug("picows closed the connection: %r", exc)

    task = asyncio.get_running_loop().create_task(collect())
    _COLLECTORS.add(task)
    task.add_done_callback(_COLLECTORS.discard)


@functools.lru_cache(maxsize=64)
def _ssl_context(ca_pem: str | None) -> ssl.SSLContext:
    """One context per trust configuration (loading the system store costs milliseconds)."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_pem:
        try:
            context.load_verify_locations(cadata=ca_pem)
        except (ssl.SSLError, ValueError) as exc:
            raise TransportError("tls", f"the CA certificate is not usable PEM: {exc}") from None
    return context


def check_ca_pem(pem: str) -> None:
    """Raise ValueError unless ``pem`` holds at least one usable CA certificate."""
    try:
        ssl.create_default_context().load_verify_locations(cadata=pem)
    except (ssl.SSLError, ValueError) as exc:
        raise ValueError(f"not a usable PEM CA certificate ({exc})") from None


#: Linux: bind() fixes only the address, the port is picked at connect() for the whole 4-tuple.
#: Without it, each bind to port 0 reserves a port of its own and searches for it, which slows
#: to milliseconds per connection once thousands are bound.
_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)


def _bound_socket(address: str) -> socket.socket:
    """An unconnected TCP socket bound to ``address`` (a load test's local source address)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if sys.platform.startswith("linux"):
            sock.setsockopt(socket.IPPROTO_IP, _BIND_ADDRESS_NO_PORT, 1)
        sock.bind((address, 0))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _auth_header(identity: str, password: str) -> str:
    token = base64.b64encode(f"{identity}:{password}".encode()).decode()
    return f"Basic {token}"


def _describe(exc: BaseException, url: str) -> TransportError:
    """A short, password-free reason for a failed dial."""
    if isinstance(exc, TransportError):
        return exc
    if isinstance(exc, WSInvalidStatusError) and exc.response is not None:
        status = int(exc.response.status)
        hint = " (check the charger's password)" if status == 401 else ""
        return TransportError("http", f"HTTP {status} from backend{hint}", status)
    if isinstance(exc, WSHandshakeError):
        return TransportError("http", f"WebSocket handshake failed: {str(exc)[:200]}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TransportError("tls", f"TLS: {exc.verify_message or exc.reason}")
    if isinstance(exc, ssl.SSLError):
        return TransportError("tls", f"TLS: {exc.reason or exc}")
    if isinstance(exc, socket.gaierror):
        host = url.split("://", 1)[-1].split("/", 1)[0]
        return TransportError("dns", f"unknown host {host}")
    if isinstance(exc, ConnectionRefusedError):
        return TransportError("refused", "connection refused")
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return TransportError("timeout", "handshake timed out")
    if isinstance(exc, OSError):
        return TransportError("other", exc.strerror or type(exc).__name__)
    if isinstance(exc, WSError):
        return TransportError("other", f"WebSocket error: {str(exc)[:200]}")
    return TransportError("other", f"{type(exc).__name__}: {str(exc)[:200]}")


async def connect(url: str, handler: Handler, options: ConnectOptions) -> Connection:
    """Open the WebSocket; raises TransportError with the reason when that fails."""
    headers = {"Sec-WebSocket-Protocol": options.subprotocol}
    if options.basic_auth is not None:
        headers["Authorization"] = _auth_header(*options.basic_auth)
    source = options.source_address
    secure = url.startswith("wss://")
    try:
        context = _ssl_context(options.ca_certificate_pem) if secure else None
        # asyncio.timeout, not wait_for: no extra task per dial (DESIGN.md: dials are hot in
        # a load test's ramp).
        async with asyncio.timeout(options.handshake_timeout + 5):
            transport, listener = await ws_connect(
                lambda: _Listener(handler, options),
                url,
                ssl_context=context,
                websocket_handshake_timeout=options.handshake_timeout,
                enable_auto_ping=options.ping_interval > 0,
                auto_ping_idle_timeout=max(options.ping_interval, 0.1),
                auto_ping_reply_timeout=options.pong_timeout,
                auto_ping_strategy=WSAutoPingStrategy.PING_WHEN_IDLE,
                # Frames up to the cap are read whole and checked against the maximum in
                # on_ws_frame; beyond it picows refuses them from their header.
                max_frame_size=options.max_frame_size * HARD_CAP_FACTOR,
                extra_headers=headers,
                max_redirects=0,
                logger_name=_PICOWS_LOG,
                socket_factory=(lambda _url: _bound_socket(source)) if source else None,
                read_buffer_init_size=READ_BUFFER,
                # uvloop's own TCP transport: 5 KB less per connection than aiofastnet's, for
                # about 7 % more CPU per message (benchmarks/engine_v16.py); memory is what
                # bounds a load test, and its CPU per call stays far below the goal.
                use_aiofastnet=False,
            )
    except asyncio.CancelledError:
        raise
    except BaseException as exc:  # every failure becomes a reason
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        raise _describe(exc, url) from None
    if not isinstance(listener, _Listener):
        # picows hands back no listener of ours when the peer closed during the handshake.
        transport.disconnect()
        raise TransportError("other", "the backend closed the connection during the handshake")
    offered = transport.response.headers.get("Sec-WebSocket-Protocol", "")
    # picows keeps the handshake's request and response, headers included, for the life of
    # the connection (about 2.7 KB per connection): what is needed is read; let them go.
    transport.request.headers.clear()
    transport.response.headers.clear()
    if offered.strip() != options.subprotocol:
        transport.send_close(WSCloseCode.PROTOCOL_ERROR, b"subprotocol required")
        transport.disconnect()
        got = f"answered {offered!r}" if offered else "answered without one"
        raise TransportError(
            "subprotocol", f"backend did not accept subprotocol {options.subprotocol} ({got})"
        )
    if listener.closed:
        raise TransportError("other", listener.close_reason or "connection closed at once")
    listener.ready = True
    if listener.early:
        asyncio.get_running_loop().call_soon(listener.deliver_early)
    return listener
