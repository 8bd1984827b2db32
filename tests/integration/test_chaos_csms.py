"""The fault suite's recording CSMS (benchmarks/chaos_csms.py) in its own process, over real
WebSockets: the record is written before each answer and survives ``kill -9``; a 1.6
transactionId stays unique across restarts and a resent StartTransaction gets its old id
(1.6 §4.8; reference R3: the backend deduplicates what a charger sends again)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chaos_check import check_record
from chaos_csms import read_record
from websockets.asyncio.client import ClientConnection, connect

from tests.support.server import free_port

CSMS = Path(__file__).resolve().parents[2] / "benchmarks" / "chaos_csms.py"


class Backend:
    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.record = tmp / "record.jsonl"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(CSMS), f"--port={self.port}", f"--record={self.record}"],
            stdout=subprocess.PIPE,
        )
        assert self.process.stdout is not None
        ready = json.loads(self.process.stdout.readline())
        assert ready["listening"] == self.port

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[Backend]:
    b = Backend(tmp_path)
    b.start()
    try:
        yield b
    finally:
        if b.process is not None and b.process.poll() is None:
            b.kill()


ANSWERS: dict[str, Any] = {
    "ChangeConfiguration": {"status": "Accepted"},
    "SetVariables": {
        "setVariableResult": [
            {
                "attributeStatus": "Accepted",
                "component": {"name": "SampledDataCtrlr"},
                "variable": {"name": "TxUpdatedInterval"},
            }
        ]
    },
}


async def call(ws: ClientConnection, action: str, payload: dict[str, Any]) -> Any:
    message_id = f"{action}-{time.monotonic_ns()}"
    await ws.send(json.dumps([2, message_id, action, payload]))
    while True:
        message = json.loads(await ws.recv())
        if message[0] == 2:  # the CSMS's own CALL (the meter interval): answer it
            await ws.send(json.dumps([3, message[1], ANSWERS[message[2]]]))
            continue
        assert message[:2] == [3, message_id], message
        return message[2]


def start(meter: int) -> dict[str, Any]:
    return {
        "connectorId": 1,
        "idTag": "TAG1",
        "meterStart": meter,
        "timestamp": "2026-01-01T12:00:00.000Z",
    }


BOOT16 = {"chargePointVendor": "v", "chargePointModel": "m"}


async def test_1_6_ids_survive_kill_9_and_a_resent_start_keeps_its_id(backend: Backend) -> None:
    url = f"ws://127.0.0.1:{backend.port}/CP-1"
    async with connect(url, subprotocols=["ocpp1.6"]) as ws:  # type: ignore[list-item]
        assert (await call(ws, "BootNotification", BOOT16))["status"] == "Accepted"
        first = (await call(ws, "StartTransaction", start(0)))["transactionId"]
        assert (await call(ws, "StartTransaction", start(0)))["transactionId"] == first
        second = (await call(ws, "StartTransaction", start(10)))["transactionId"]
        assert second != first
    backend.kill()
    backend.start()
    async with connect(url, subprotocols=["ocpp1.6"]) as ws:  # type: ignore[list-item]
        # Resent after the restart (its answer was lost): the id the charger may already use.
        assert (await call(ws, "StartTransaction", start(0)))["transactionId"] == first
        third = (await call(ws, "StartTransaction", start(20)))["transactionId"]
        assert third not in (first, second)
        assert await call(ws, "StopTransaction", {**_stop(first)}) == {}
    lines = list(read_record(backend.record))
    config = [x for x in lines if x["ev"] == "out"]
    assert config[0]["f"][2:] == [
        "ChangeConfiguration",
        {"key": "MeterValueSampleInterval", "value": "5"},
    ]
    answered = [x for x in lines if x["ev"] == "in" and x["f"][0] == 3]
    assert answered[0]["re"] == "ChangeConfiguration"
    report = check_record(backend.record)
    assert report.invalid_frames == 0
    assert report.retransmissions == 2
    assert report.transactions_started == 3
    assert report.lost_ends == 2  # second and third were never stopped


def _stop(tx: int) -> dict[str, Any]:
    return {"transactionId": tx, "meterStop": 5, "timestamp": "2026-01-01T12:01:00.000Z"}


async def test_every_frame_is_recorded_before_its_answer(backend: Backend) -> None:
    url = f"ws://127.0.0.1:{backend.port}/CP-2"
    async with connect(url, subprotocols=["ocpp2.0.1"]) as ws:  # type: ignore[list-item]
        boot = {"reason": "PowerUp", "chargingStation": {"model": "m", "vendorName": "v"}}
        assert (await call(ws, "BootNotification", boot))["status"] == "Accepted"
        event = {
            "eventType": "Started",
            "timestamp": "2026-01-01T12:00:00.000Z",
            "triggerReason": "Authorized",
            "seqNo": 0,
            "transactionInfo": {"transactionId": "t-1"},
            "idToken": {"idToken": "TAG1", "type": "ISO14443"},
        }
        answer = await call(ws, "TransactionEvent", event)
        # The answer came back: the line is in the file already, whatever happens next.
        calls = [x for x in read_record(backend.record) if x["ev"] == "in" and x["f"][0] == 2]
        assert calls[-1]["f"][2:] == ["TransactionEvent", event]
        assert calls[-1]["a"] == answer == {"idTokenInfo": {"status": "Accepted"}}
        assert calls[-1]["cp"] == "CP-2"
        assert calls[-1]["v"] == "2.0.1"
        await ws.send("not json")
        await ws.send(json.dumps([2, "x", "NoSuchAction", {}]))
        assert json.loads(await ws.recv())[:3] == [4, "x", "NotImplemented"]
    backend.kill()
    lines = list(read_record(backend.record))
    assert lines[0]["ev"] == "open"
    assert any(x.get("raw") == "not json" for x in lines)
    set_variables = next(x for x in lines if x["ev"] == "out")["f"]
    assert set_variables[2] == "SetVariables"
    assert set_variables[3]["setVariableData"][0]["variable"] == {"name": "TxUpdatedInterval"}
    report = check_record(backend.record)
    assert report.invalid_frames == 2, (
        report.examples
    )  # the text that is no JSON, the unknown action
    assert report.lost_ends == 1
