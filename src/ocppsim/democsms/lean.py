"""The demo CSMS's lean mode: minimal valid answers at the lowest cost, for load tests.

The full demo CSMS validates every frame through the ``ocpp`` package (hundreds of µs per
message); at 10,000 chargers that would make the backend, not the simulator, the bottleneck of
a benchmark. Lean mode runs on picows callbacks with orjson, answers every charger-initiated
CALL of OCPP 1.6, 2.0.1 and 2.1 with the smallest payload its schema accepts (boots
``Accepted`` with a configurable heartbeat interval, every token accepted), and validates
nothing. Several processes can share one port (``SO_REUSEPORT``) so that the backend scales
past one core; each counts what it saw and prints the counts as one JSON line when it stops.

    python -m ocppsim.democsms.lean --port 9000 --processes 2 --interval 60
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import orjson
from picows import (
    WSFrame,
    WSListener,
    WSMsgType,
    WSTransport,
    WSUpgradeRequest,
    WSUpgradeResponse,
    WSUpgradeResponseWithListener,
    ws_create_server,
)

PROTOCOLS = ("ocpp2.1", "ocpp2.0.1", "ocpp1.6")
_LOG = logging.LoggerAdapter(logging.getLogger("ocppsim.democsms.lean"))
_ACCEPTED = {"status": "Accepted"}


def _iso_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Answers:
    """The answer to each charger-initiated action, per OCPP version family."""

    def __init__(self, interval: int, boot_status: str) -> None:
        self.interval = interval
        self.boot_status = boot_status
        self._transaction_ids = itertools.count(1)
        self._time = ""
        self._time_at = 0.0

    def now(self) -> str:
        t = time.monotonic()
        if t - self._time_at >= 1.0:
            self._time, self._time_at = _iso_now(), t
        return self._time

    def boot(self) -> dict[str, Any]:
        return {"currentTime": self.now(), "interval": self.interval, "status": self.boot_status}

    def v16(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        match action:
            case "Heartbeat":
                return {"currentTime": self.now()}
            case "MeterValues" | "StatusNotification" | "StopTransaction":
                return {}
            case "BootNotification":
                return self.boot()
            case "Authorize":
                return {"idTagInfo": _ACCEPTED}
            case "StartTransaction":
                return {"idTagInfo": _ACCEPTED, "transactionId": next(self._transaction_ids)}
            case "DataTransfer":
                return _ACCEPTED
            case "DiagnosticsStatusNotification" | "FirmwareStatusNotification":
                return {}
        return None

    def v2(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        match action:
            case "Heartbeat":
                return {"currentTime": self.now()}
            case "TransactionEvent":
                return {"idTokenInfo": _ACCEPTED} if "idToken" in payload else {}
            case (
                "MeterValues"
                | "StatusNotification"
                | "NotifyReport"
                | "NotifyEvent"
                | "SecurityEventNotification"
                | "FirmwareStatusNotification"
                | "LogStatusNotification"
                | "NotifyMonitoringReport"
            ):
                return {}
            case "BootNotification":
                return self.boot()
            case "Authorize":
                return {"idTokenInfo": _ACCEPTED}
            case "DataTransfer" | "NotifyEVChargingNeeds" | "SignCertificate":
                return _ACCEPTED
        return None


class _Charger(WSListener):
    def __init__(self, server: LeanCsms, v16: bool) -> None:
        super().__init__()
        self.server = server
        self.answer: Callable[[str, dict[str, Any]], dict[str, Any] | None] = (
            server.answers.v16 if v16 else server.answers.v2
        )

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.server.counts["connections"] += 1

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.server.counts["disconnections"] += 1

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type != WSMsgType.TEXT:
            if frame.msg_type == WSMsgType.CLOSE:
                transport.send_close(frame.get_close_code())
                transport.disconnect()
            return
        try:
            message = orjson.loads(frame.get_payload_as_bytes())
            kind, message_id = message[0], message[1]
        except (orjson.JSONDecodeError, IndexError, KeyError, TypeError):
            self.server.counts["bad_frames"] += 1
            return
        if kind != 2 or len(message) != 4:
            return  # answers to CALLs the lean CSMS never sends
        action = message[2]
        counts = self.server.counts
        counts[action] += 1
        result = self.answer(action, message[3]) if isinstance(message[3], dict) else None
        if result is None:
            counts["callerror"] += 1
            reply: list[Any] = [4, message_id, "NotImplemented", f"{action} is not answered", {}]
        else:
            if action == "BootNotification" and result["status"] == "Accepted":
                counts["boots_accepted"] += 1
            reply = [3, message_id, result]
        transport.send(WSMsgType.TEXT, orjson.dumps(reply))


class LeanCsms:
    """One lean backend process: ``ws://host:port/<charger id>``, any OCPP version."""

    def __init__(self, *, interval: int = 300, boot_status: str = "Accepted") -> None:
        self.answers = Answers(interval, boot_status)
        self.counts: Counter[str] = Counter()
        self._server: asyncio.Server | None = None

    def _route(self, request: WSUpgradeRequest) -> WSUpgradeResponseWithListener:
        offered = {p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")}
        chosen = next((p for p in PROTOCOLS if p in offered), None)
        if chosen is None:
            self.counts["handshake_rejected"] += 1
            return WSUpgradeResponseWithListener(
                WSUpgradeResponse.create_error_response(400, b"OCPP subprotocol required\n"),
                None,
            )
        response = WSUpgradeResponse.create_101_response({"Sec-WebSocket-Protocol": chosen})
        return WSUpgradeResponseWithListener(response, _Charger(self, chosen == "ocpp1.6"))

    async def start(self, host: str, port: int, *, reuse_port: bool = False) -> int:
        self._server = await ws_create_server(
            self._route,
            host,
            port,
            reuse_port=reuse_port,
            backlog=4096,
            max_frame_size=1 << 20,
            read_buffer_init_size=2048,
            websocket_handshake_timeout=30,
            # One logger for all connections (picows makes a child Logger per connection when
            # given a Logger) and uvloop's own transport: less work per accepted connection.
            logger_name=_LOG,
            use_aiofastnet=False,
        )
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None


async def _serve(host: str, port: int, interval: int, boot_status: str, reuse: bool) -> None:
    server = LeanCsms(interval=interval, boot_status=boot_status)
    bound = await server.start(host, port, reuse_port=reuse)
    print(orjson.dumps({"listening": bound, "pid": os.getpid()}).decode(), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()
    print(orjson.dumps({"counts": dict(server.counts)}).decode(), flush=True)


def _run(coroutine: Any) -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency off Windows
        asyncio.run(coroutine)
        return
    uvloop.run(coroutine)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The demo CSMS in lean mode (load tests).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--processes", type=int, default=1, help="processes sharing the port")
    parser.add_argument("--interval", type=int, default=300, help="heartbeat interval (s)")
    parser.add_argument("--boot-status", default="Accepted", choices=("Accepted", "Pending"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.processes <= 1 or args.child:
        _run(_serve(args.host, args.port, args.interval, args.boot_status, args.child))
        return
    if args.port == 0:
        parser.error("--processes needs a fixed --port")
    children = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed arguments
            [
                sys.executable,
                "-m",
                "ocppsim.democsms.lean",
                "--child",
                f"--host={args.host}",
                f"--port={args.port}",
                f"--interval={args.interval}",
                f"--boot-status={args.boot_status}",
            ],
        )
        for _ in range(args.processes)
    ]

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for child in children:
        child.wait()


if __name__ == "__main__":
    main()
