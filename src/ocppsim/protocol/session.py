"""One charger's OCPP session: the charger core, its version adapter and the RPC layer.

The runtime feeds it connection events, received text and timer wake-ups (each with ``now``),
then writes ``data_to_send()`` to the socket and sleeps until ``next_deadline()``. The version
is chosen here, once, in one ``match``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace

from ocppsim.core.charger import Charger
from ocppsim.core.intents import Reboot
from ocppsim.core.model import ChargerType, OcppVersion
from ocppsim.protocol import schemas
from ocppsim.protocol.common import Identity
from ocppsim.protocol.rpc import AnswerObserver, CallError, Frame, Outgoing, Payload, Rpc
from ocppsim.protocol.v16.adapter import DIALECT as V16_DIALECT
from ocppsim.protocol.v16.adapter import V16Adapter
from ocppsim.protocol.v16.config import ConfigStore, key_table
from ocppsim.protocol.v21.adapter import V21Adapter
from ocppsim.protocol.v201.adapter import V201Adapter
from ocppsim.protocol.v201.device_model import DeviceModel

SUBPROTOCOLS = {
    OcppVersion.V16: "ocpp1.6",
    OcppVersion.V201: "ocpp2.0.1",
    OcppVersion.V21: "ocpp2.1",
}


_IDS = random.Random()  # seeded from the OS; message ids need uniqueness, not secrecy


def new_message_id() -> str:
    """A random UUID4 string (RFC 9562 §5.4), without ``uuid.UUID`` and without a system call
    per id (os.urandom is one): a third of the cost, and every CALL needs one."""
    h = f"{_IDS.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


class Session:
    __slots__ = ("adapter", "charger", "config", "model", "reboot", "rpc", "subprotocol", "version")

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
        self.subprotocol = SUBPROTOCOLS[version]
        self.reboot: Reboot | None = None
        spec = charger.spec
        dc = spec.charger_type == ChargerType.DC
        self.config: ConfigStore | None = None
        self.model: DeviceModel | None = None
        self.adapter: V16Adapter | V201Adapter
        match version:
            case OcppVersion.V16:
                self.config = ConfigStore(key_table(spec.num_connectors, dc))
                self.config.set("HeartbeatInterval", str(charger.heartbeat_interval))
                self.config.set("MeterValueSampleInterval", str(spec.meter_interval))
                self.adapter = V16Adapter(charger, identity, self.config, self._apply_key)
                dialect = V16_DIALECT
                attempts = self.config.get_int("TransactionMessageAttempts")
                interval = self.config.get_int("TransactionMessageRetryInterval")
            case OcppVersion.V201 | OcppVersion.V21:
                self.model = DeviceModel.standard(
                    evses=spec.num_connectors,
                    dc=dc,
                    pnc=spec.auth_mode == "plug_and_charge",
                    identity=identity.serial_number,
                    model=identity.model,
                    vendor=identity.vendor,
                    heartbeat=charger.heartbeat_interval,
                    meter_interval=spec.meter_interval,
                )
                adapter_class = V21Adapter if version == OcppVersion.V21 else V201Adapter
                self.adapter = adapter_class(charger, identity, self.model, self._apply_variable)
                dialect = adapter_class.dialect
                attempts = int(
                    self.model.value("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent")
                )
                interval = int(
                    self.model.value("OCPPCommCtrlr", "MessageAttemptInterval", "TransactionEvent")
                )
        self.rpc = Rpc(
            dialect=dialect,
            new_id=new_id,
            handle_call=self.adapter.handle,
            check_outgoing=self._check_outgoing,
            check_incoming=self._check_incoming,
            check_result=self._check_result,
            message_timeout=message_timeout,
            tx_attempts=attempts,
            tx_interval=interval,
            record_frames=record_frames,
            on_answer=on_answer,
        )
        if isinstance(self.adapter, V201Adapter):
            self.adapter.queued_transaction_messages = self.rpc.pending

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

    # ------------------------------------------------------------------ configuration

    @property
    def ping_interval(self) -> float:
        if self.config is not None:
            return float(self.config.get_int("WebSocketPingInterval"))
        assert self.model is not None
        return float(self.model.value("OCPPCommCtrlr", "WebSocketPingInterval"))

    def _apply_key(self, key: str, now: float) -> None:
        """A 1.6 configuration key changed."""
        assert self.config is not None
        value = self.config.get(key)
        self._apply(key, value, now)

    def _apply_variable(self, component: str, name: str, instance: str, now: float) -> None:
        """A 2.x device-model variable changed."""
        assert self.model is not None
        value = self.model.value(component, name, instance)
        key = {
            ("OCPPCommCtrlr", "HeartbeatInterval"): "HeartbeatInterval",
            ("SampledDataCtrlr", "TxUpdatedInterval"): "MeterValueSampleInterval",
            ("AuthCtrlr", "AuthorizeRemoteStart"): "AuthorizeRemoteTxRequests",
            ("OCPPCommCtrlr", "MessageAttempts"): "TransactionMessageAttempts",
            ("OCPPCommCtrlr", "MessageAttemptInterval"): "TransactionMessageRetryInterval",
        }.get((component, name))
        if key is not None:
            self._apply(key, value, now)

    def _apply(self, key: str, value: str, now: float) -> None:
        c = self.charger
        match key:
            case "HeartbeatInterval":
                c.set_heartbeat_interval(int(value), now)
            case "MeterValueSampleInterval":
                c.reconfigure(replace(c.spec, meter_interval=int(value)))
            case "AuthorizeRemoteTxRequests":
                c.reconfigure(replace(c.spec, authorize_remote_start=value.lower() == "true"))
            case "TransactionMessageAttempts":
                self.rpc.tx_attempts = int(value)
            case "TransactionMessageRetryInterval":
                self.rpc.tx_interval = int(value)

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

    def on_timer(self, now: float) -> None:
        self.rpc.on_timer(now)
        self.charger.tick(now)
        self._flush(now)

    def act(self, action: Callable[[], object], now: float) -> object:
        """Run a user action on the charger (start, stop, error ...) and send what follows."""
        try:
            return action()
        finally:
            self._flush(now)

    def _flush(self, now: float) -> None:
        # The adapter's own messages first: they were numbered (2.x seqNo) before the intents
        # that follow them are turned into messages.
        if isinstance(self.adapter, V201Adapter) and self.adapter.pending_calls:
            queued: list[Outgoing] = self.adapter.pending_calls
            self.adapter.pending_calls = []
            for own in queued:
                self.rpc.call(own, now)
        while intents := self.charger.take_intents():
            for intent in intents:
                if isinstance(intent, Reboot):
                    self.reboot = intent
                    continue
                out = self.adapter.outgoing(intent)
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
