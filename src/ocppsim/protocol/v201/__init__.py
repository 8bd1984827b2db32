"""OCPP 2.0.1: the adapter, its handlers by functional block, and the device model. ``v21``
extends it with deltas only."""

from ocppsim.protocol.v201.adapter import V201Adapter
from ocppsim.protocol.v201.device_model import DeviceModel

__all__ = ["DeviceModel", "V201Adapter"]
