"""The WebSocket transport against real local servers (127.0.0.1 only)."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from ocppsim.transport import ConnectOptions, TransportError, connect
from tests.integration.engine import wait_until
from tests.support.tls import make_pki

PASSWORD = "correct-horse-battery-staple-42"


@dataclass
class Peer:
    """A websockets server that records handshakes and frames and can misbehave."""

    subprotocols: list[str] | None = field(default_factory=lambda: ["ocpp1.6"])
    reject_status: int | None = None
    headers: list[dict[str, str]] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    on_connect: Callable[[ServerConnection], Any] | None = None
    #: Frames sent at once after the handshake, before the charger says anything.
    greeting: list[str] = field(default_factory=list)
    #: The close code of each connection that ended (the charger's, as the server saw it).
    close_codes: list[int | None] = field(default_factory=list)
    server: Server | None = None

    async def start(self, **kwargs: Any) -> int:
        self.server = await serve(
            self._serve,
            "127.0.0.1",
            0,
            subprotocols=self.subprotocols,  # type: ignore[arg-type]
            process_request=self._process,
            **kwargs,
        )
        return int(self.server.sockets[0].getsockname()[1])

    def _process(self, connection: ServerConnection, request: Request) -> Response | None:
        self.headers.append({k.lower(): v for k, v in request.headers.raw_items()})
        if self.reject_status is not None:
            return connection.respond(self.reject_status, "no\n")
        return None

    async def _serve(self, connection: ServerConnection) -> None:
        for text in self.greeting:
            await connection.send(text)
        try:
            async for message in connection:
                assert isinstance(message, str)
                self.received.append(message)
                if message == "misbehave" and self.on_connect is not None:
                    await self.on_connect(connection)
                else:
                    await connection.send(f"echo:{message}")
        finally:
            self.close_codes.append(connection.close_code)


class Sink:
    def __init__(self, *, take_oversized: bool = False) -> None:
        self.texts: list[str] = []
        self.closed: list[str] = []
        self.oversized: list[tuple[str, str]] = []
        self.take_oversized = take_oversized

    def on_text(self, text: str) -> None:
        self.texts.append(text)

    def on_oversized(self, head: str, why: str) -> bool:
        self.oversized.append((head, why))
        return self.take_oversized

    def on_closed(self, reason: str) -> None:
        self.closed.append(reason)


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    p = Peer()
    yield p
    if p.server is not None:
        p.server.close()
        await p.server.wait_closed()


OPTIONS = ConnectOptions(subprotocol="ocpp1.6", handshake_timeout=2.0)


async def test_frames_sent_with_the_handshake_are_delivered_in_order(peer: Peer) -> None:
    """A backend may send a CALL the moment it accepts: nothing it sends is lost."""
    peer.greeting = [f'[2,"g{n}","GetConfiguration",{{}}]' for n in range(3)]
    port = await peer.start()
    sink = Sink()
    conn = await connect(f"ws://127.0.0.1:{port}/CP-1", sink, OPTIONS)
    conn.send_text("after")
    await wait_until(lambda: len(sink.texts) == 4)
    assert sink.texts == [*peer.greeting, "echo:after"]
    conn.close()


async def test_text_frames_both_ways_and_close(peer: Peer) -> None:
    port = await peer.start()
    sink = Sink()
    conn = await connect(f"ws://127.0.0.1:{port}/CP-1", sink, OPTIONS)
    assert conn.subprotocol == "ocpp1.6"
    for n in range(5):
        conn.send_text(f'[2,"{n}","Heartbeat",{{}}]')
    await wait_until(lambda: len(sink.texts) == 5)
    assert sink.texts[0] == 'echo:[2,"0","Heartbeat",{}]'
    assert peer.headers[0]["sec-websocket-protocol"] == "ocpp1.6"
    assert "authorization" not in peer.headers[0]
    conn.close()
    await wait_until(lambda: len(sink.closed) == 1)
    conn.close()  # closing twice is harmless
    await asyncio.sleep(0)
    assert len(sink.closed) == 1


async def test_a_server_without_the_subprotocol_is_refused(peer: Peer) -> None:
    peer.subprotocols = None  # answers the upgrade without a Sec-WebSocket-Protocol
    port = await peer.start()
    with pytest.raises(TransportError, match=r"did not accept subprotocol ocpp1\.6") as info:
        await connect(f"ws://127.0.0.1:{port}/CP-1", Sink(), OPTIONS)
    assert info.value.kind == "subprotocol"
    assert peer.received == []


async def test_http_rejections_name_the_status(peer: Peer) -> None:
    peer.reject_status = 401
    port = await peer.start()
    with pytest.raises(TransportError, match="HTTP 401") as info:
        await connect(f"ws://127.0.0.1:{port}/CP-1", Sink(), OPTIONS)
    assert (info.value.kind, info.value.status) == ("http", 401)
    peer.reject_status = 404
    with pytest.raises(TransportError, match="HTTP 404"):
        await connect(f"ws://127.0.0.1:{port}/CP-1", Sink(), OPTIONS)


async def test_refused_connection() -> None:
    with pytest.raises(TransportError, match="refused") as info:
        await connect("ws://127.0.0.1:9/CP-1", Sink(), OPTIONS)
    assert info.value.kind == "refused"


async def test_handshake_timeout() -> None:
    done = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)  # the upgrade request, never answered
        await done.wait()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        options = ConnectOptions(subprotocol="ocpp1.6", handshake_timeout=0.3)
        with pytest.raises(TransportError) as info:
            await connect(f"ws://127.0.0.1:{port}/CP-1", Sink(), options)
        assert info.value.kind == "timeout"
    finally:
        done.set()
        server.close()
        await server.wait_closed()


async def test_basic_auth_header_and_no_password_in_logs(
    peer: Peer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    port = await peer.start()
    options = ConnectOptions(subprotocol="ocpp1.6", basic_auth=("CP-1", PASSWORD))
    conn = await connect(f"ws://127.0.0.1:{port}/CP-1", Sink(), options)
    conn.close()
    import base64

    expected = "Basic " + base64.b64encode(f"CP-1:{PASSWORD}".encode()).decode()
    assert peer.headers[0]["authorization"] == expected
    peer.reject_status = 401
    with pytest.raises(TransportError) as info:
        await connect(f"ws://127.0.0.1:{port}/CP-1", Sink(), options)
    assert PASSWORD not in str(info.value)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith(("ocppsim", "picows"))]
    assert ours  # the transport did log the handshakes
    for line in ours:
        assert PASSWORD not in line
        assert expected.split()[1] not in line


async def test_wss_with_a_private_ca(peer: Peer, tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    port = await peer.start(ssl=pki.server_context())
    url = f"wss://localhost:{port}/CP-1"
    with pytest.raises(TransportError, match="TLS") as info:
        await connect(url, Sink(), OPTIONS)  # the system store does not know our CA
    assert info.value.kind == "tls"
    sink = Sink()
    options = ConnectOptions(subprotocol="ocpp1.6", ca_certificate_pem=pki.ca_pem)
    conn = await connect(url, sink, options)
    conn.send_text("hello")
    await wait_until(lambda: sink.texts == ["echo:hello"])
    conn.close()
    with pytest.raises(TransportError, match="PEM"):
        await connect(url, Sink(), ConnectOptions(subprotocol="ocpp1.6", ca_certificate_pem="junk"))


async def test_binary_frames_and_peer_close_are_reported(peer: Peer) -> None:
    async def send_binary(connection: ServerConnection) -> None:
        await connection.send(b"\x00\x01")

    peer.on_connect = send_binary
    port = await peer.start()
    sink = Sink()
    conn = await connect(f"ws://127.0.0.1:{port}/CP-1", sink, OPTIONS)
    conn.send_text("misbehave")
    await wait_until(lambda: len(sink.closed) == 1)
    assert "binary" in sink.closed[0]

    async def close_politely(connection: ServerConnection) -> None:
        await connection.close(1001, "maintenance")

    peer.on_connect = close_politely
    sink = Sink()
    conn = await connect(f"ws://127.0.0.1:{port}/CP-1", sink, OPTIONS)
    conn.send_text("misbehave")
    await wait_until(lambda: len(sink.closed) == 1)
    assert "1001" in sink.closed[0]


async def send_on_request(peer: Peer, *frames: str) -> None:
    async def send(connection: ServerConnection) -> None:
        for frame in frames:
            await connection.send(frame)

    peer.on_connect = send


SMALL = ConnectOptions(subprotocol="ocpp1.6", handshake_timeout=2.0, max_frame_size=64 * 1024)


async def test_frames_up_to_the_maximum_are_delivered(peer: Peer) -> None:
    """The default maximum is 1 MiB: a 200 KB frame (over picows's 64 KiB default) is text."""
    big = "x" * 200_000
    await send_on_request(peer, big)
    port = await peer.start()
    sink = Sink()
    conn = await connect(f"ws://127.0.0.1:{port}/CP-1", sink, OPTIONS)
    conn.send_text("misbehave")
    await wait_until(lambda: sink.texts == [big])
    assert sink.oversized == []
    assert sink.closed == []
    conn.close()


async def test_an_oversized_frame_goes_to_the_handler_by_its_head(peer: Peer) -> None:
    """Over the maximum, the handler gets the frame's first bytes and the reason, never the
    text; when it takes the frame (answered it), the connection goes on."""
    frame = '[2,"id-1","DataTransfer",{"data":"' + "y" * 100_000 + '"}]'
    await send_on_request(peer, frame, "small after")
    port = await peer.start()
    sink = Sink(take_oversized=True)
    conn = await connect(f"ws://127.0.0.1:{port}/CP-1", sink, SMALL)
    conn.send_text("misbehave")
    await wait_until(lambda: sink.texts == ["small after"])
    [(head, why)] = sink.oversized
    assert head == frame[:256]
    assert why == f"frame of {len(frame)} bytes exceeds the maximum of 65536"
    assert sink.closed == []
    conn.close()


async def test_an_oversized_frame_sent_with_the_handshake_keeps_its_place(peer: Peer) -> None:
    """Early frames are handed over in order, an oversized one (as its head) included."""
    big = '[2,"e2","DataTransfer",{"data":"' + "q" * 70_000 + '"}]'
    peer.greeting = ['[2,"e1","Heartbeat",{}]', big, '[2,"e3","Heartbeat",{}]']
    port = await peer.start()
    order: list[str] = []

    class Ordered(Sink):
        def on_text(self, text: str) -> None:
            order.append(text[:9])

        def on_oversized(self, head: str, why: str) -> bool:
            order.append(head[:9])
            return True

    conn = await connect(f"ws://127.0.0.1:{port}/CP-1", Ordered(), SMALL)
    await wait_until(lambda: len(order) == 3)
    assert order == ['[2,"e1","', '[2,"e2","', '[2,"e3","']
    conn.close()


async def test_an_oversized_frame_the_handler_refuses_closes_with_1009(
    peer: Peer, caplog: pytest.LogCaptureFixture
) -> None:
    """The handler cannot answer it: 1009 (RFC 6455 §7.4.1) with the true reason, also when
    the backend echoes the close (the reason is not "backend closed the connection")."""
    frame = "z" * 100_000
    await send_on_request(peer, frame)
    port = await peer.start()
    sink = Sink()
    conn = await connect(f"ws://127.0.0.1:{port}/CP-1", sink, SMALL)
    conn.send_text("misbehave")
    await wait_until(lambda: len(sink.closed) == 1)
    assert sink.closed == ["frame of 100000 bytes exceeds the maximum of 65536"]
    assert sink.texts == []
    await wait_until(lambda: peer.close_codes == [1009])
    del conn  # what is left of the connection goes: an unread error would now be reported
    assert_no_loop_errors(caplog)


async def test_a_frame_beyond_the_hard_cap_is_refused_from_its_header(
    peer: Peer, caplog: pytest.LogCaptureFixture
) -> None:
    """Beyond 4 times the maximum picows refuses the frame from its header (1009). Its bytes
    still arrive and picows completes the frame after the close: it is never delivered. The
    reason says the frame's size, and picows's stored error is collected (no "Future exception
    was never retrieved")."""
    caplog.set_level(logging.ERROR, logger="asyncio")
    frame = "w" * 300_000
    await send_on_request(peer, frame, "after")
    port = await peer.start()
    sink = Sink(take_oversized=True)
    conn = await connect(f"ws://127.0.0.1:{port}/CP-1", sink, SMALL)
    conn.send_text("misbehave")
    await wait_until(lambda: len(sink.closed) == 1)
    assert sink.closed == ["frame of 300000 bytes exceeds the maximum of 65536"]
    await asyncio.sleep(0.1)
    assert sink.texts == []
    assert sink.oversized == []
    await wait_until(lambda: peer.close_codes == [1009])
    del conn  # what is left of the connection goes: an unread error would now be reported
    assert_no_loop_errors(caplog)


def assert_no_loop_errors(caplog: pytest.LogCaptureFixture) -> None:
    """No "Future exception was never retrieved" (nor any other asyncio complaint), once the
    garbage collector has dropped what was left unread."""
    gc.collect()
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


async def test_a_handler_error_closes_instead_of_crashing(peer: Peer) -> None:
    class Exploding(Sink):
        def on_text(self, text: str) -> None:
            raise RuntimeError("boom")

    port = await peer.start()
    sink = Exploding()
    conn = await connect(f"ws://127.0.0.1:{port}/CP-1", sink, OPTIONS)
    conn.send_text("x")
    await wait_until(lambda: len(sink.closed) == 1)


async def test_a_handler_error_on_close_is_logged_not_left_in_a_future(
    peer: Peer, caplog: pytest.LogCaptureFixture
) -> None:
    class FailsOnClose(Sink):
        def on_closed(self, reason: str) -> None:
            super().on_closed(reason)
            raise RuntimeError("boom on close")

    async def close_politely(connection: ServerConnection) -> None:
        await connection.close(1001, "maintenance")

    caplog.set_level(logging.ERROR, logger="asyncio")
    peer.on_connect = close_politely
    port = await peer.start()
    sink = FailsOnClose()
    conn = await connect(f"ws://127.0.0.1:{port}/CP-1", sink, OPTIONS)
    conn.send_text("misbehave")
    await wait_until(lambda: len(sink.closed) == 1)
    await asyncio.sleep(0.05)
    del conn  # what is left of the connection goes: an unread error would now be reported
    assert_no_loop_errors(caplog)
    assert "the charger failed on a closed connection" in caplog.text


async def test_source_address(peer: Peer) -> None:
    seen: list[str] = []

    async def remember(connection: ServerConnection) -> None:
        seen.append(connection.remote_address[0])

    peer.on_connect = remember
    port = await peer.start()
    options = ConnectOptions(subprotocol="ocpp1.6", source_address="127.0.0.2")
    conn = await connect(f"ws://127.0.0.1:{port}/CP-1", Sink(), options)
    conn.send_text("misbehave")
    await wait_until(lambda: seen == ["127.0.0.2"])
    conn.close()


async def test_a_silent_peer_is_detected_by_ping() -> None:
    """R17: with WebSocketPingInterval p and pong timeout t, detection within p + t + 1 s."""
    from picows import (
        WSListener,
        WSUpgradeResponse,
        WSUpgradeResponseWithListener,
        ws_create_server,
    )

    def accept(request: object) -> WSUpgradeResponseWithListener:
        response = WSUpgradeResponse.create_101_response(
            extra_headers={"Sec-WebSocket-Protocol": "ocpp1.6"}
        )
        return WSUpgradeResponseWithListener(response, WSListener())

    server = await ws_create_server(accept, "127.0.0.1", 0, enable_auto_pong=False)
    port = server.sockets[0].getsockname()[1]
    try:
        sink = Sink()
        options = ConnectOptions(subprotocol="ocpp1.6", ping_interval=0.3, pong_timeout=0.3)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await connect(f"ws://127.0.0.1:{port}/CP-1", sink, options)
        await wait_until(lambda: len(sink.closed) == 1, timeout=3)
        assert loop.time() - started < 0.3 + 0.3 + 1
        # The reason is picows's own close frame, not "connection lost".
        assert sink.closed[0].startswith("closed by the charger (1001 ")
        assert "ping" in sink.closed[0]
    finally:
        server.close()
        await server.wait_closed()
