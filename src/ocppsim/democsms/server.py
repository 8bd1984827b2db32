"""The demo CSMS server: websockets for the transport, the ``ocpp`` package's ChargePoint for
each connection (one subclass per OCPP version, in ``handlers``)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hmac
import itertools
import logging
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from ocppsim.democsms.handlers import HANDLERS, CsmsChargePoint
from ocppsim.democsms.model import Record, Script

log = logging.getLogger("ocppsim.democsms")
# The ocpp package logs every frame at INFO: keep it quiet unless asked.
logging.getLogger("ocpp").setLevel(logging.WARNING)


class DemoCsms:
    """A CSMS for ``ocpp1.6``, ``ocpp2.0.1`` and ``ocpp2.1`` at ``ws://host:port/<charger id>``."""

    def __init__(self, *, record_limit: int = 200_000) -> None:
        self.script = Script()
        self.records: deque[Record] = deque(maxlen=record_limit)
        self.counters: Counter[str] = Counter()
        self.connections: dict[str, CsmsChargePoint] = {}
        self.connects: Counter[str] = Counter()
        self.subprotocols: dict[str, list[str]] = defaultdict(list)  # per connection, in order
        self._server: Server | None = None
        self._changed = asyncio.Event()
        self._transaction_ids = itertools.count(1)
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._server = await serve(
            self._serve,
            host,
            port,
            subprotocols=list(HANDLERS),  # type: ignore[arg-type]
            process_request=self._check_request,
            compression=None,
            max_size=1 << 20,
            ping_interval=None,
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def next_transaction_id(self) -> int:
        return next(self._transaction_ids)

    def _check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        offered = request.headers.get("Sec-WebSocket-Protocol", "")
        if not any(p.strip() in HANDLERS for p in offered.split(",")):
            return connection.respond(400, "OCPP subprotocol required\n")
        charger_id = request.path.rstrip("/").rsplit("/", 1)[-1]
        password = self.script.passwords.get(charger_id)
        if password is not None:
            expected = "Basic " + base64.b64encode(f"{charger_id}:{password}".encode()).decode()
            if not hmac.compare_digest(request.headers.get("Authorization", ""), expected):
                self.counters["handshake.401"] += 1
                return connection.respond(401, "wrong or missing password\n")
        return None

    async def _serve(self, connection: ServerConnection) -> None:
        charger_id = (connection.request.path if connection.request else "/").rstrip("/")
        charger_id = charger_id.rsplit("/", 1)[-1]
        protocol = connection.subprotocol or ""
        handler_class = HANDLERS.get(protocol)
        if not charger_id or handler_class is None:
            await connection.close(1002, "unknown charger or subprotocol")
            return
        point: Any = handler_class(charger_id, connection, self)
        self.connections[charger_id] = point
        self.connects[charger_id] += 1
        self.subprotocols[charger_id].append(protocol)
        self._notify()
        try:
            await point.start()
        except Exception as exc:  # connection closed or broken: the charger will reconnect
            log.debug("%s disconnected: %s", charger_id, exc)
        finally:
            if self.connections.get(charger_id) is point:
                del self.connections[charger_id]
            self._notify()

    # ------------------------------------------------------------------ recording and waiting

    def record(self, record: Record) -> None:
        self.records.append(record)
        if record.direction == "in" and record.message_type == 2:
            self.counters[record.action] += 1
        self._notify()

    def _notify(self) -> None:
        """Wake every waiter; each re-checks its condition."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``predicate()`` holds (checked whenever a frame or connection changes)."""
        async with asyncio.timeout(timeout):
            while not predicate():
                await self._changed.wait()

    def calls(self, charger_id: str | None = None, action: str | None = None) -> list[Record]:
        """CALLs received, optionally of one charger and one action."""
        return [
            r
            for r in self.records
            if r.direction == "in"
            and r.message_type == 2
            and (charger_id is None or r.charger_id == charger_id)
            and (action is None or r.action == action)
        ]

    async def wait_for_call(
        self, charger_id: str, action: str, *, count: int = 1, timeout: float = 10.0
    ) -> Record:
        """Wait until ``count`` CALLs of ``action`` came from the charger; return the last."""
        await self.wait_for(lambda: len(self.calls(charger_id, action)) >= count, timeout)
        return self.calls(charger_id, action)[count - 1]

    async def wait_connected(self, charger_id: str, timeout: float = 10.0) -> None:
        await self.wait_for(lambda: charger_id in self.connections, timeout)

    # ------------------------------------------------------------------ CSMS-initiated calls

    async def call(self, charger_id: str, payload: Any, *, timeout: float = 10.0) -> Any:
        """Send a CALL (an ``ocpp.vXX.call`` object) and return the charger's answer.

        Raises the ``ocpp`` package's OCPPError for a CALLERROR and TimeoutError without answer.
        """
        point: Any = self.connections.get(charger_id)
        if point is None:
            raise LookupError(f"charger {charger_id!r} is not connected")
        point._response_timeout = timeout
        return await point.call(payload, suppress=False)

    async def send_raw(self, charger_id: str, text: str) -> None:
        """Send ``text`` as one frame, as it is: what the ``ocpp`` package would not build
        (oversized, padded, malformed). It is recorded as sent; the charger's answer, if any,
        is recorded like every frame (find it by the message id in ``records``)."""
        point: Any = self.connections.get(charger_id)
        if point is None:
            raise LookupError(f"charger {charger_id!r} is not connected")
        await point._send(text)

    def answer_to(self, charger_id: str, message_id: str) -> Record | None:
        """The CALLRESULT or CALLERROR the charger sent for ``message_id``, if any yet."""
        for r in self.records:
            if (
                r.charger_id == charger_id
                and r.direction == "in"
                and r.message_type in (3, 4)
                and r.message_id == message_id
            ):
                return r
        return None

    async def disconnect(self, charger_id: str) -> None:
        point = self.connections.get(charger_id)
        if point is not None:
            with contextlib.suppress(Exception):
                await point.connection.close(1001, "demo CSMS closes the connection")


__all__ = ["DemoCsms"]
