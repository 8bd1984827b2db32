"""OCPP 2.1 adapter: 2.0.1 plus the deltas a 2.1 CSMS meets in normal operation.

RPC: 2.1 part 4 adds SEND (6, no reply) and CALLRESULTERROR (5) frames and ignores unknown
message types instead of answering them (§4.1.3, §4.4). Payloads are checked against the 2.1
schemas; the messages a station sends in normal operation keep their 2.0.1 shape there. The
deltas live by functional block: ``provisioning.py`` (B), ``transactions.py`` (E).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar, Self

from ocppsim.protocol.common import Payload
from ocppsim.protocol.rpc import Dialect
from ocppsim.protocol.v21 import provisioning, transactions
from ocppsim.protocol.v201.adapter import NOT_SUPPORTED as NOT_SUPPORTED_201
from ocppsim.protocol.v201.adapter import V201Adapter

#: 2.1 requests that ocppsim does not simulate (bidirectional power, tariffs, DER, ...).
NOT_SUPPORTED = NOT_SUPPORTED_201 | frozenset(
    {
        "AFRRSignal", "AdjustPeriodicEventStream", "ChangeTransactionTariff", "ClearDERControl",
        "ClearTariffs", "ClosePeriodicEventStream", "GetDERControl", "GetPeriodicEventStream",
        "GetTariffs", "NotifyAllowedEnergyTransfer", "NotifyWebPaymentStarted",
        "RequestBatterySwap", "SetDERControl", "SetDefaultTariff", "UpdateDynamicSchedule",
        "UsePriorityCharging", "VatNumberValidation",
    }
)  # fmt: skip


class V21Adapter(V201Adapter):
    """Translates for one charging station (OCPP 2.1)."""

    __slots__ = ()

    dialect: ClassVar[Dialect] = Dialect(
        formation="FormatViolation",
        occurrence="OccurrenceConstraintViolation",
        reply_unknown_type=False,
        has_send=True,
    )
    subprotocol: ClassVar[str] = "ocpp2.1"
    HANDLERS: ClassVar[Mapping[str, Callable[[Self, Payload, float], Payload]]] = {
        **V201Adapter.HANDLERS,
        "Reset": provisioning.reset,
    }
    NOT_SUPPORTED: ClassVar[frozenset[str]] = NOT_SUPPORTED

    def on_transaction_answer(self, ref: int, answer: Payload, now: float) -> None:
        transactions.confirm_limit(self, ref, answer, now)
