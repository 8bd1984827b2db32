"""OCPP 2.1: the 2.0.1 adapter with the 2.1 deltas, by functional block."""

from ocppsim.protocol.v21.adapter import V21Adapter

__all__ = ["V21Adapter"]
