"""The one place that knows which adapter speaks which OCPP version."""

from __future__ import annotations

from typing import assert_never

from ocppsim.core.charger import Charger
from ocppsim.core.model import OcppVersion
from ocppsim.protocol.adapter import Adapter
from ocppsim.protocol.common import Identity
from ocppsim.protocol.v16.adapter import V16Adapter
from ocppsim.protocol.v21.adapter import V21Adapter
from ocppsim.protocol.v201.adapter import V201Adapter


def new_adapter(version: OcppVersion, charger: Charger, identity: Identity) -> Adapter:
    """The adapter of ``version`` for one charger (a new version is a mypy error here)."""
    match version:
        case OcppVersion.V16:
            return V16Adapter(charger, identity)
        case OcppVersion.V201:
            return V201Adapter(charger, identity)
        case OcppVersion.V21:
            return V21Adapter(charger, identity)
        case _:
            assert_never(version)
