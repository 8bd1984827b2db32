"""OCPP 2.1 deltas of functional block E, Transactions: limits in TransactionEvent answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocppsim.protocol.common import Payload, iso
from ocppsim.protocol.v201.transactions import transaction_event

if TYPE_CHECKING:
    from ocppsim.protocol.v21.adapter import V21Adapter


def confirm_limit(a: V21Adapter, ref: int, answer: Payload, now: float) -> None:
    """2.1 E16: the CSMS may limit a transaction in its TransactionEvent answer. ocppsim
    enforces ``maxEnergy`` (the session ends with EnergyLimitReached) and confirms the limit
    with an Updated event, triggerReason LimitSet."""
    limit = answer.get("transactionLimit")
    tx = a.tx.get(ref)
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
    a.send_own(transaction_event(a, event, ref))
    if "maxEnergy" in limit:
        a.charger.limit_energy(ref, float(limit["maxEnergy"]), now)
