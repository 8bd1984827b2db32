"""OCPP 2.0.1 functional block E, Transactions, with the meter values of block J.

A transaction is TransactionEvent Started / Updated / Ended (E01-E07) with a station-made UUID
and a contiguous seqNo (E04.FR.04). Samples during a transaction are Updated events (J02),
others MeterValues (J01). GetTransactionStatus (E14) reports the queue of transaction messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ocppsim.core.intents import Sample, SendTxStart, SendTxStop, StopReason, Trigger
from ocppsim.protocol.adapter import Handler
from ocppsim.protocol.common import Payload, iso
from ocppsim.protocol.metering import sampled_value, sampled_values
from ocppsim.protocol.rpc import Outgoing
from ocppsim.protocol.v201.authorization import id_token

if TYPE_CHECKING:
    from ocppsim.protocol.v201.adapter import V201Adapter

#: (triggerReason, stoppedReason) of TransactionEvent Ended for each neutral stop reason.
ENDED = {
    StopReason.LOCAL: ("StopAuthorized", "Local"),
    StopReason.REMOTE: ("RemoteStop", "Remote"),
    StopReason.ENERGY_LIMIT: ("EnergyLimitReached", "EnergyLimitReached"),
    StopReason.EV_FULL: ("ChargingStateChanged", "SOCLimitReached"),
    StopReason.DEAUTHORIZED: ("Deauthorized", "DeAuthorized"),
    StopReason.POWER_LOSS: ("AbnormalCondition", "PowerLoss"),
    StopReason.SOFT_RESET: ("ResetCommand", "Reboot"),
    StopReason.HARD_RESET: ("ResetCommand", "ImmediateReset"),
    StopReason.UNLOCK: ("UnlockCommand", "Local"),
    StopReason.FAULT: ("AbnormalCondition", "Other"),
}
FAULT_REASONS = {"GroundFailure": "GroundFault", "OverCurrentFailure": "OvercurrentFault"}

#: triggerReason of TransactionEvent Started for each way a session starts.
STARTED = {
    Trigger.AUTHORIZED: "Authorized",
    Trigger.REMOTE: "RemoteStart",
    Trigger.FREE: "CablePluggedIn",
}


@dataclass(slots=True)
class Tx:
    """What the adapter keeps per transaction: its id and the next seqNo (E04.FR.04)."""

    transaction_id: str
    evse: int
    id_token: Payload
    seq_no: int = 0
    remote_start_id: int | None = None

    def next_seq(self) -> int:
        seq, self.seq_no = self.seq_no, self.seq_no + 1
        return seq


def _energy(timestamp: float, register_wh: float, context: str) -> list[Payload]:
    """The meterValue of a Started (Transaction.Begin) or Ended (Transaction.End) event."""
    value = sampled_value("Energy.Active.Import.Register", register_wh, context, textual=False)
    return [{"timestamp": iso(timestamp), "sampledValue": [value]}]


def started(a: V201Adapter, intent: SendTxStart) -> Outgoing:
    """TransactionEvent Started (E01-E03; remoteStartId after RequestStart, F01). The answer's
    idTokenInfo may refuse the token (E05)."""
    tx = Tx(a.new_transaction_id(), intent.connector, id_token(a, intent.id_tag))
    tx.remote_start_id = intent.remote_start_id
    a.tx[intent.ref] = tx
    a.charger.set_transaction_id(intent.ref, tx.transaction_id)
    info: Payload = {"transactionId": tx.transaction_id, "chargingState": "Charging"}
    if intent.remote_start_id is not None:
        info["remoteStartId"] = intent.remote_start_id
    payload = {
        "eventType": "Started",
        "timestamp": iso(intent.timestamp),
        "triggerReason": STARTED[intent.trigger],
        "seqNo": tx.next_seq(),
        "transactionInfo": info,
        "evse": {"id": intent.connector, "connectorId": 1},
        "idToken": tx.id_token,
        "meterValue": _energy(intent.timestamp, intent.meter_start_wh, "Transaction.Begin"),
    }
    return transaction_event(a, _offline(a, payload), intent.ref)


def _offline(a: V201Adapter, event: Payload) -> Payload:
    """E04.FR.03 / E11.FR.02: an event that happened while the station was offline says so."""
    if not a.charger.connected:
        event["offline"] = True
    return event


def transaction_event(a: V201Adapter, payload: Payload, ref: int | None) -> Outgoing:
    """A TransactionEvent (E01-E07, transaction-related: queued and retried, E11-E13), made now
    or read back from the store after a restart; its answer is handled by its eventType: a
    Started answer's idTokenInfo may refuse the token (E05), a Started or Updated answer may
    carry what the version adds (2.1 limits)."""

    def answered(p: Payload, now: float) -> None:
        if ref is None:
            return
        info = p.get("idTokenInfo")
        if info is not None and payload.get("eventType") == "Started":
            status = str(info.get("status", "?"))
            a.charger.on_transaction_accepted(ref, None, status == "Accepted", status, now)
        a.on_transaction_answer(ref, p, now)

    # Nothing to learn from the answer to an Ended event, nor to a LimitSet confirmation (its
    # answer may repeat the limit: confirming again would never end).
    final = payload.get("eventType") == "Ended" or payload.get("triggerReason") == "LimitSet"
    on_result = None if final else answered
    return Outgoing(
        "TransactionEvent",
        lambda: payload,
        on_result=on_result,
        transactional=True,
        ref=ref,
        stored=payload,
    )


def sample(a: V201Adapter, s: Sample) -> Outgoing:
    """A meter reading: TransactionEvent Updated in a transaction (J02, triggerReason
    MeterValuePeriodic, or Trigger when asked for the transaction, F06.FR.07), MeterValues
    outside one (J01), of the measurands in SampledDataCtrlr.TxUpdatedMeasurands. A reading
    asked for by TriggerMessage MeterValues is MeterValues of AlignedDataCtrlr.Measurands, in
    a transaction too (F06.FR.06)."""
    meter_only = s.triggered and not s.of_transaction
    if meter_only:
        measurands = a.model.value("AlignedDataCtrlr", "Measurands")
    else:
        measurands = a.model.value("SampledDataCtrlr", "TxUpdatedMeasurands")
    ref = s.ref
    tx = a.tx.get(ref) if ref is not None and not meter_only else None
    context = "Trigger" if s.triggered else "Sample.Periodic"
    meter_value = [
        {
            "timestamp": iso(s.timestamp),
            "sampledValue": sampled_values(s, measurands, context, textual=False),
        }
    ]
    if tx is None or ref is None:
        payload = {"evseId": s.connector, "meterValue": meter_value}
        return Outgoing("MeterValues", lambda: payload)
    event = {
        "eventType": "Updated",
        "timestamp": iso(s.timestamp),
        "triggerReason": "Trigger" if s.triggered else "MeterValuePeriodic",
        "seqNo": tx.next_seq(),
        "transactionInfo": {"transactionId": tx.transaction_id, "chargingState": "Charging"},
        "meterValue": meter_value,
    }
    return transaction_event(a, _offline(a, event), ref)


def ended(a: V201Adapter, intent: SendTxStop) -> Outgoing | None:
    """TransactionEvent Ended (E06-E07): triggerReason and stoppedReason per ``ENDED``; a
    fault names the fault where 2.x has a word for it."""
    tx = a.tx.pop(intent.ref, None)
    if tx is None:
        return None
    trigger, stopped = ENDED[intent.reason]
    if intent.reason == StopReason.FAULT:
        stopped = FAULT_REASONS.get(intent.error_code, "Other")
    payload = {
        "eventType": "Ended",
        "timestamp": iso(intent.timestamp),
        "triggerReason": trigger,
        "seqNo": tx.next_seq(),
        "transactionInfo": {
            "transactionId": tx.transaction_id,
            "chargingState": "EVConnected"
            if intent.reason not in (StopReason.POWER_LOSS, StopReason.FAULT)
            else "Idle",
            "stoppedReason": stopped,
        },
        "idToken": tx.id_token,
        "meterValue": _energy(intent.timestamp, intent.meter_stop_wh, "Transaction.End"),
    }
    return transaction_event(a, _offline(a, payload), intent.ref)


def get_transaction_status(a: V201Adapter, p: Payload, _now: float) -> Payload:
    """GetTransactionStatus (E14): whether transaction messages wait in the queue, and for a
    given transactionId whether that transaction is still ongoing."""
    queued = a.queued_transaction_messages() > 0
    transaction_id = p.get("transactionId")
    if transaction_id is None:
        return {"messagesInQueue": queued}
    ongoing = any(
        (s := c.running_session()) is not None and s.transaction_id == transaction_id
        for c in a.charger.connectors.values()
    )
    return {"ongoingIndicator": ongoing, "messagesInQueue": queued}


HANDLERS: Mapping[str, Handler[V201Adapter]] = {"GetTransactionStatus": get_transaction_status}
