"""The recording CSMS of the fault suite (``benchmarks/chaos.py``): answers every charger, writes
down every frame, and survives its own ``kill -9``.

    .venv/bin/python benchmarks/chaos_csms.py --port 9100 --record /tmp/record.jsonl

Answers are the lean demo CSMS's (``ocppsim.democsms.lean``: the smallest valid payload, boots
``Accepted``, every token accepted) with two changes a real backend also makes:

- **The record comes first.** Every frame received is appended to the record (JSON Lines) with
  one ``write`` on an ``O_APPEND`` file, together with the answer about to be sent, *before* the
  answer goes out. The page cache keeps the line when the process is killed, so whatever a
  charger saw answered is in the record; what the process received but never answered may be
  missing, and the charger must send it again.
- **A 1.6 transactionId is unique across restarts, and a repeated StartTransaction gets the id
  it was given before** (a charger that did not see the answer sends the same message again;
  the record holds the id, keyed by charger, connector, idTag, timestamp and meterStart). At
  start the record is read back for both.

After an accepted BootNotification it sets the charger's meter interval (1.6
``MeterValueSampleInterval``, 2.x ``SampledDataCtrlr.TxUpdatedInterval``), so that sessions
carry meter values. Record lines: ``{"ev": "open"|"in"|"out"|"close", "t": epoch seconds,
"c": connection id, "cp": charger id, "v": OCPP version, ...}``; ``in`` has ``f`` (the frame),
or ``raw`` (text that is no JSON), ``a`` (the answer sent) and, for an answer to one of our
CALLs, ``re`` (its action). Traffic stays on 127.0.0.1 unless ``--host`` says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

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

from ocppsim.democsms.lean import PROTOCOLS, Answers

_VERSIONS = {"ocpp1.6": "1.6", "ocpp2.0.1": "2.0.1", "ocpp2.1": "2.1"}
_ACCEPTED = {"status": "Accepted"}


def read_record(path: Path, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """The record's lines (those within its first ``limit`` bytes); a line cut short by a kill
    (no newline, or no JSON) is skipped."""
    if not path.exists():
        return
    left = limit if limit is not None else -1
    with path.open("rb") as f:
        for line in f:
            if left >= 0:
                left -= len(line)
                if left < 0:
                    return
            if not line.endswith(b"\n"):
                return
            try:
                yield orjson.loads(line)
            except orjson.JSONDecodeError:
                continue


def start_key(charger: str, payload: dict[str, Any]) -> str:
    """What makes a 1.6 StartTransaction the same message when it is sent again."""
    fields = (payload.get(k) for k in ("connectorId", "idTag", "timestamp", "meterStart"))
    return orjson.dumps([charger, *fields]).decode()


class Recorder:
    """The append-only record and the 1.6 transaction ids, rebuilt from it at start."""

    def __init__(self, path: Path) -> None:
        self.starts: dict[str, int] = {}
        last = 0
        for line in read_record(path):
            frame, answer = line.get("f"), line.get("a")
            if (
                line.get("ev") == "in"
                and isinstance(frame, list)
                and len(frame) == 4
                and frame[2] == "StartTransaction"
                and isinstance(answer, dict)
                and isinstance(frame[3], dict)
            ):
                tx = int(answer["transactionId"])
                self.starts[start_key(line["cp"], frame[3])] = tx
                last = max(last, tx)
        self.next_id = last + 1
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, line: dict[str, Any]) -> None:
        data = orjson.dumps(line) + b"\n"
        while data:  # one write() in practice; a short write is finished, not lost
            data = data[os.write(self.fd, data) :]

    def transaction_id(self, charger: str, payload: dict[str, Any]) -> int:
        key = start_key(charger, payload)
        tx = self.starts.get(key)
        if tx is None:
            tx = self.starts[key] = self.next_id
            self.next_id += 1
        return tx

    def close(self) -> None:
        os.close(self.fd)


class _Charger(WSListener):
    def __init__(self, csms: RecordingCsms, charger: str, version: str, conn: str) -> None:
        super().__init__()
        self.csms = csms
        self.charger = charger
        self.version = version
        self.conn = conn
        self.answer: Callable[[str, dict[str, Any]], dict[str, Any] | None] = (
            csms.answers.v16 if version == "1.6" else csms.answers.v2
        )
        self.pending: dict[str, str] = {}
        self.parts: list[bytes] = []
        self.calls = 0

    def line(self, ev: str, **fields: Any) -> None:
        self.csms.recorder.write(
            {"ev": ev, "t": time.time(), "c": self.conn, "cp": self.charger, "v": self.version}
            | fields
        )

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.line("open")

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.line("close")

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind == WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()
            return
        if kind == WSMsgType.TEXT or (kind == WSMsgType.CONTINUATION and self.parts):
            self.parts.append(frame.get_payload_as_bytes())
            if frame.fin:
                data, self.parts = b"".join(self.parts), []
                self.on_text(transport, data)
        elif kind in (WSMsgType.BINARY, WSMsgType.CONTINUATION):
            self.line("in", raw=f"<{kind.name} frame>")

    def on_text(self, transport: WSTransport, data: bytes) -> None:
        try:
            message = orjson.loads(data)
        except orjson.JSONDecodeError:
            self.line("in", raw=data.decode("utf-8", "replace"))
            return
        if not (isinstance(message, list) and len(message) >= 3 and isinstance(message[1], str)):
            self.line("in", f=message)
            return
        if message[0] in (3, 4):
            self.line("in", f=message, re=self.pending.pop(message[1], None))
            return
        if message[0] != 2 or len(message) != 4 or not isinstance(message[3], dict):
            self.line("in", f=message)
            return
        action, payload = message[2], message[3]
        result = self.result(action, payload)
        if result is None:
            reply: list[Any] = [4, message[1], "NotImplemented", f"{action} is not answered", {}]
        else:
            reply = [3, message[1], result]
        self.line("in", f=message, a=result)  # before the answer: see the module's docstring
        transport.send(WSMsgType.TEXT, orjson.dumps(reply))
        if action == "BootNotification" and result is not None and self.csms.meter_interval:
            self.configure(transport)

    def result(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        if action == "StartTransaction" and self.version == "1.6":
            tx = self.csms.recorder.transaction_id(self.charger, payload)
            return {"idTagInfo": _ACCEPTED, "transactionId": tx}
        return self.answer(action, payload)

    def configure(self, transport: WSTransport) -> None:
        """Ask for meter values every ``meter_interval`` seconds during a transaction."""
        value = str(self.csms.meter_interval)
        if self.version == "1.6":
            action = "ChangeConfiguration"
            payload: dict[str, Any] = {"key": "MeterValueSampleInterval", "value": value}
        else:
            action = "SetVariables"
            item = {
                "component": {"name": "SampledDataCtrlr"},
                "variable": {"name": "TxUpdatedInterval"},
                "attributeValue": value,
            }
            payload = {"setVariableData": [item]}
        self.calls += 1
        message_id = f"chaos-{self.calls}"
        call = [2, message_id, action, payload]
        self.pending[message_id] = action
        self.line("out", f=call)
        transport.send(WSMsgType.TEXT, orjson.dumps(call))


class RecordingCsms:
    """One backend process: ``ws://host:port/<charger id>``, OCPP 1.6, 2.0.1 and 2.1."""

    def __init__(self, record: Path, *, interval: int, meter_interval: int) -> None:
        self.recorder = Recorder(record)
        self.answers = Answers(interval, "Accepted")
        self.meter_interval = meter_interval
        self.connections = 0
        self._server: asyncio.Server | None = None

    def _route(self, request: WSUpgradeRequest) -> WSUpgradeResponseWithListener:
        offered = {p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")}
        chosen = next((p for p in PROTOCOLS if p in offered), None)
        if chosen is None:
            return WSUpgradeResponseWithListener(
                WSUpgradeResponse.create_error_response(400, b"OCPP subprotocol required\n"),
                None,
            )
        path = request.path.decode() if isinstance(request.path, bytes) else str(request.path)
        charger = unquote(path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1])
        self.connections += 1
        conn = f"{os.getpid()}.{self.connections}"
        response = WSUpgradeResponse.create_101_response({"Sec-WebSocket-Protocol": chosen})
        listener = _Charger(self, charger, _VERSIONS[chosen], conn)
        return WSUpgradeResponseWithListener(response, listener)

    async def start(self, host: str, port: int) -> int:
        self._server = await ws_create_server(
            self._route,
            host,
            port,
            backlog=4096,
            max_frame_size=1 << 20,
            websocket_handshake_timeout=30,
            use_aiofastnet=False,
        )
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self.recorder.close()


async def _serve(args: argparse.Namespace) -> None:
    csms = RecordingCsms(args.record, interval=args.interval, meter_interval=args.meter_interval)
    bound = await csms.start(args.host, args.port)
    print(orjson.dumps({"listening": bound, "pid": os.getpid()}).decode(), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await csms.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The fault suite's recording CSMS.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", type=Path, required=True, help="JSON Lines file (appended)")
    parser.add_argument("--interval", type=int, default=60, help="heartbeat interval (s)")
    parser.add_argument(
        "--meter-interval", type=int, default=5, help="meter values every N s (0: leave as is)"
    )
    args = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency off Windows
        asyncio.run(_serve(args))
        return
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(_serve(args))


if __name__ == "__main__":
    main()
