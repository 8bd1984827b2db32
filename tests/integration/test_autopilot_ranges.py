"""The server-wide autopilot ranges (``OCPPSIM_AUTOPILOT_ENERGY_WH`` / ``_GAP_S``) reach every
persistent charger: short sessions, short pauses (what the fault suite needs)."""

from __future__ import annotations

from pathlib import Path

from ocppsim.core.model import ChargerType, Mode
from ocppsim.runtime.fleet import Fleet
from ocppsim.services.chargers import NewCharger
from ocppsim.store.db import sqlite_url
from tests.integration.engine import TEST_BACKOFF, open_stack, wait_until


async def test_autopilot_sessions_use_the_servers_ranges(tmp_path: Path) -> None:
    fleet = Fleet(
        backoff=TEST_BACKOFF, autopilot_energy_wh=(100.0, 100.0), autopilot_gap_s=(0.2, 0.4)
    )
    async with open_stack(sqlite_url(tmp_path / "ocppsim.db"), fleet=fleet) as stack:
        user = (
            await stack.services.accounts.create_user(
                "alice", "a fine password", backend_url=stack.csms.url
            )
        ).user
        await stack.services.chargers.create(
            user.id, NewCharger("AP-1", ChargerType.DC, 150.0, mode=Mode.AUTOPILOT)
        )
        # The charger's own range is 1-15 kWh with 10-120 s pauses: a session and the next
        # start would take minutes. 100 Wh at 100 kW or more take seconds.
        await wait_until(lambda: len(stack.csms.calls("AP-1", "StartTransaction")) >= 2, 30)
        start = stack.csms.calls("AP-1", "StartTransaction")[0]
        stop = stack.csms.calls("AP-1", "StopTransaction")[0]
        assert 99 <= stop.payload["meterStop"] - start.payload["meterStart"] <= 101
