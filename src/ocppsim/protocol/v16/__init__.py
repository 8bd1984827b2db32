"""OCPP 1.6J: the adapter between the neutral charger core and 1.6 payloads."""

from ocppsim.protocol.v16.adapter import V16Adapter
from ocppsim.protocol.v16.config import ConfigStore

__all__ = ["ConfigStore", "V16Adapter"]
