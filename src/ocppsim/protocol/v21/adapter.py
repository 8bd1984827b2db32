"""OCPP 2.1 adapter: 2.0.1 plus the deltas a 2.1 CSMS meets in normal operation.

RPC: 2.1 part 4 adds SEND (6, no reply) and CALLRESULTERROR (5) frames and ignores unknown
message types instead of answering them (§4.1.3, §4.4). Payloads are checked against the 2.1
schemas; the messages a station sends in normal operation keep their 2.0.1 shape there.
"""

from __future__ import annotations

from ocppsim.protocol.common import iso
from ocppsim.protocol.rpc import Dialect, Outgoing, Payload
from ocppsim.protocol.v201.adapter import NOT_SUPPORTED as NOT_SUPPORTED_201
from ocppsim.protocol.v201.adapter import V201Adapter

DIALECT = Dialect(
    formation="FormatViolation",
    occurrence="OccurrenceConstraintViolation",
    reply_unknown_type=False,
    has_send=True,
)

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
    __slots__ = ()
    dialect = DIALECT
    version_label = "2.1"
    not_supported = NOT_SUPPORTED

    def _reset(self, p: Payload, now: float) -> Payload:
        if p["type"] != "ImmediateAndResume":
            return super()._reset(p, now)
        # Resuming a transaction across a reboot is not simulated: with one running, refuse
        # rather than pretend; without one it is an immediate reset.
        if "evseId" in p or self.charger.has_running_session():
            return {"status": "Rejected"}
        self.charger.reset(True, now)
        return {"status": "Accepted"}

    def on_transaction_answer(self, ref: int, answer: Payload, now: float) -> None:
        """2.1 E16: the CSMS may limit a transaction in its TransactionEvent answer. ocppsim
        enforces ``maxEnergy`` (the session ends with EnergyLimitReached) and confirms the
        limit with an Updated event, triggerReason LimitSet."""
        limit = answer.get("transactionLimit")
        tx = self._tx.get(ref)
        if not limit or tx is None:
            return
        confirmed = {k: v for k, v in limit.items() if k != "customData"}
        event: Payload = {
            "eventType": "Updated",
            "timestamp": iso(now),
            "triggerReason": "LimitSet",
            "seqNo": tx.next_seq(),
            "transactionInfo": {
                "transactionId": tx.transaction_id,
                "chargingState": "Charging",
                "transactionLimit": confirmed,
            },
        }
        self.pending_calls.append(Outgoing("TransactionEvent", lambda: event, transactional=True))
        if "maxEnergy" in limit:
            self.charger.limit_energy(ref, float(limit["maxEnergy"]), now)
