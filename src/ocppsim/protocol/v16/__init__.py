"""OCPP 1.6J: the adapter, its handlers by feature profile, and the configuration keys."""

from ocppsim.protocol.v16.adapter import V16Adapter
from ocppsim.protocol.v16.config import ConfigStore

__all__ = ["ConfigStore", "V16Adapter"]
