"""The demo CSMS: a small standalone backend built on the independent ``ocpp`` package.

New users' chargers dial it by default, and tests and benchmarks use it as a real peer. It
validates every frame against the official schemas (the ``ocpp`` package does), records what it
saw, and can be scripted: reject tags or boots, delay or drop answers, send its own CALLs.
It imports nothing of the simulator (an import-linter contract keeps it independent).
"""

from ocppsim.democsms.model import Record, Script
from ocppsim.democsms.server import DemoCsms

__all__ = ["DemoCsms", "Record", "Script"]
