"""OCPP 2.1 deltas of functional block B, Provisioning: Reset ImmediateAndResume."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocppsim.protocol.common import Payload
from ocppsim.protocol.v201 import provisioning

if TYPE_CHECKING:
    from ocppsim.protocol.v21.adapter import V21Adapter


def reset(a: V21Adapter, p: Payload, now: float) -> Payload:
    """Reset (2.1 B11, B12) adds ImmediateAndResume: resuming a transaction across a reboot is
    not simulated, so with one running ocppsim refuses rather than pretends; without one it is
    an immediate reset. The other types are 2.0.1's."""
    if p["type"] != "ImmediateAndResume":
        return provisioning.reset(a, p, now)
    if "evseId" in p or a.charger.has_running_session():
        return {"status": "Rejected"}
    a.charger.reset(True, now)
    return {"status": "Accepted"}
