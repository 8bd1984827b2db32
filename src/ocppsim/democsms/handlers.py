"""One ``ocpp`` ChargePoint subclass per OCPP version, answering what a charger sends.

The shared ``CsmsChargePoint`` records every frame and applies the CSMS's script (drop, delay
or fail the next CALL of an action) before the ``ocpp`` package validates and routes it.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v21 import ChargePoint as ChargePoint21
from ocpp.v21 import call_result as result21
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as result201

from ocppsim.democsms.model import CsmsHost, Record

if TYPE_CHECKING:
    from websockets.asyncio.server import ServerConnection


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class CsmsChargePoint:
    """Recording and scripting shared by every version (mixed into an ``ocpp`` ChargePoint)."""

    csms: CsmsHost
    connection: ServerConnection

    def __init__(self, charger_id: str, connection: ServerConnection, csms: CsmsHost) -> None:
        super().__init__(charger_id, connection)
        self.csms = csms
        self.connection = connection

    def _record(self, direction: str, raw: str) -> list[Any] | None:
        try:
            message = json.loads(raw)
            kind, message_id = int(message[0]), str(message[1])
        except (ValueError, TypeError, IndexError, KeyError):
            self.csms.record(Record(self.id, direction, 0, "", "", raw, _loop_time()))
            return None
        action = message[2] if kind == 2 and len(message) > 2 else ""
        payload = message[3] if kind == 2 and len(message) > 3 else message[2:]
        if kind == 3:
            payload = message[2] if len(message) > 2 else None
        self.csms.record(
            Record(self.id, direction, kind, message_id, str(action), payload, _loop_time())
        )
        return message if isinstance(message, list) else None

    async def route_message(self, raw_msg: str) -> None:
        message = self._record("in", raw_msg)
        if message is not None and message[0] == 2 and len(message) > 2:
            script = self.csms.script
            action = str(message[2])
            if script.drops.get(action, 0) > 0:
                script.drops[action] -= 1
                return
            if action in script.errors:
                code, text = script.errors.pop(action)
                await self._send(json.dumps([4, message[1], code, text, {}]))
                return
            delay = script.delays.get(action, 0.0)
            if delay > 0:
                # Answer later without blocking this connection's other frames (CALLs cross).
                asyncio.get_running_loop().create_task(self._route_later(raw_msg, delay))
                return
        await super().route_message(raw_msg)

    async def _route_later(self, raw_msg: str, delay: float) -> None:
        await asyncio.sleep(delay)
        await super().route_message(raw_msg)

    async def _send(self, message: str) -> None:
        self._record("out", message)
        await super()._send(message)

    def id_tag_status(self, id_tag: str) -> str:
        return "Invalid" if id_tag in self.csms.script.rejected_id_tags else "Accepted"


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


class V16(CsmsChargePoint, ChargePoint16):
    @on("BootNotification")
    def on_boot(self, **_: Any) -> Any:
        s = self.csms.script
        self.csms.counters[f"BootNotification.{s.boot_status}"] += 1
        return result16.BootNotification(_now(), s.boot_interval, s.boot_status)

    @on("Heartbeat")
    def on_heartbeat(self, **_: Any) -> Any:
        return result16.Heartbeat(_now())

    @on("StatusNotification")
    def on_status(self, **_: Any) -> Any:
        return result16.StatusNotification()

    @on("Authorize")
    def on_authorize(self, id_tag: str, **_: Any) -> Any:
        return result16.Authorize({"status": self.id_tag_status(id_tag)})

    @on("StartTransaction")
    def on_start(self, id_tag: str, **_: Any) -> Any:
        return result16.StartTransaction(
            self.csms.next_transaction_id(),
            {"status": self.id_tag_status(id_tag)},
        )

    @on("StopTransaction")
    def on_stop(self, **_: Any) -> Any:
        return result16.StopTransaction()

    @on("MeterValues")
    def on_meter_values(self, **_: Any) -> Any:
        return result16.MeterValues()

    @on("DataTransfer")
    def on_data_transfer(self, **_: Any) -> Any:
        return result16.DataTransfer("Accepted")

    @on("DiagnosticsStatusNotification")
    def on_diagnostics(self, **_: Any) -> Any:
        return result16.DiagnosticsStatusNotification()

    @on("FirmwareStatusNotification")
    def on_firmware(self, **_: Any) -> Any:
        return result16.FirmwareStatusNotification()


class _V2Base(CsmsChargePoint):
    """2.0.1 and 2.1 answer alike; the result module differs."""

    results: Any

    def _boot(self) -> Any:
        s = self.csms.script
        self.csms.counters[f"BootNotification.{s.boot_status}"] += 1
        return self.results.BootNotification(_now(), s.boot_interval, s.boot_status)

    def _token_info(self, id_token: dict[str, Any] | None) -> dict[str, Any]:
        token = (id_token or {}).get("id_token", "")
        return {"status": self.id_tag_status(str(token))}


def _v2_handlers(results: Any) -> dict[str, Any]:
    def on_boot(self: _V2Base, **_: Any) -> Any:
        return self._boot()

    def on_heartbeat(self: _V2Base, **_: Any) -> Any:
        return results.Heartbeat(_now())

    def on_status(self: _V2Base, **_: Any) -> Any:
        return results.StatusNotification()

    def on_authorize(
        self: _V2Base,
        id_token: dict[str, Any],
        iso15118_certificate_hash_data: list[Any] | None = None,
        **_: Any,
    ) -> Any:
        if iso15118_certificate_hash_data:  # Plug & Charge: the contract certificate checks out
            return results.Authorize(self._token_info(id_token), certificate_status="Accepted")
        return results.Authorize(self._token_info(id_token))

    def on_transaction_event(
        self: _V2Base, event_type: str, id_token: dict[str, Any] | None = None, **_: Any
    ) -> Any:
        answer: dict[str, Any] = {}
        if id_token is not None:
            answer["id_token_info"] = self._token_info(id_token)
        limit = self.csms.script.transaction_limit
        if limit is not None and event_type == "Started" and results is result21:
            answer["transaction_limit"] = limit
        return results.TransactionEvent(**answer)

    def empty(name: str) -> Any:
        def handler(self: _V2Base, **_: Any) -> Any:
            return getattr(results, name)()

        return handler

    def on_data_transfer(self: _V2Base, **_: Any) -> Any:
        return results.DataTransfer("Accepted")

    return {
        "on_boot": on("BootNotification")(on_boot),
        "on_heartbeat": on("Heartbeat")(on_heartbeat),
        "on_status": on("StatusNotification")(on_status),
        "on_authorize": on("Authorize")(on_authorize),
        "on_transaction_event": on("TransactionEvent")(on_transaction_event),
        "on_meter_values": on("MeterValues")(empty("MeterValues")),
        "on_notify_report": on("NotifyReport")(empty("NotifyReport")),
        "on_notify_event": on("NotifyEvent")(empty("NotifyEvent")),
        "on_security_event": on("SecurityEventNotification")(empty("SecurityEventNotification")),
        "on_firmware": on("FirmwareStatusNotification")(empty("FirmwareStatusNotification")),
        "on_data_transfer": on("DataTransfer")(on_data_transfer),
    }


V201 = type("V201", (_V2Base, ChargePoint201), {"results": result201, **_v2_handlers(result201)})
V21 = type("V21", (_V2Base, ChargePoint21), {"results": result21, **_v2_handlers(result21)})

HANDLERS: dict[str, type[CsmsChargePoint]] = {"ocpp1.6": V16, "ocpp2.0.1": V201, "ocpp2.1": V21}
