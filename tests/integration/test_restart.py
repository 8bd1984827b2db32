"""A server restart: every charger returns to its mode, reconnects, and keeps its meter."""

from __future__ import annotations

from pathlib import Path

from ocppsim.core.model import ChargerType, Mode
from ocppsim.democsms import DemoCsms
from ocppsim.runtime.fleet import Fleet
from ocppsim.services.chargers import NewCharger, StartRequest
from ocppsim.services.container import Services
from ocppsim.store.db import sqlite_url
from tests.integration.engine import TEST_BACKOFF, wait_until


async def test_chargers_resume_their_mode_after_a_restart(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "ocppsim.db")
    csms = DemoCsms()
    await csms.start()
    try:
        services = await Services.open(url, fleet=Fleet(backoff=TEST_BACKOFF))
        user = (
            await services.accounts.create_user("alice", "long password", backend_url=csms.url)
        ).user
        chargers = services.chargers
        await chargers.create(user.id, NewCharger("R-1", ChargerType.AC, 22.0, mode=Mode.MANUAL))
        await chargers.create(user.id, NewCharger("R-2", ChargerType.DC, 50.0, mode=Mode.OFF))
        await wait_until(lambda: "R-1" in csms.connections)
        await wait_until(lambda: bool(csms.calls("R-1", "StatusNotification")))
        await chargers.start(user.id, "R-1", StartRequest(energy_kwh=100))
        await wait_until(lambda: bool(csms.calls("R-1", "StartTransaction")))

        async def charged() -> bool:
            return (await chargers.get(user.id, "R-1")).state.energy_delivered_wh > 0.5

        await wait_until(charged)
        await services.close()  # the server stops: sessions end, meters are kept
        stop = csms.calls("R-1", "StopTransaction")[0].payload
        await wait_until(lambda: "R-1" not in csms.connections)

        services = await Services.open(url, fleet=Fleet(backoff=TEST_BACKOFF))
        try:
            assert await services.chargers.resume() == 1
            await wait_until(lambda: "R-1" in csms.connections)
            view = await services.chargers.get(user.id, "R-1")
            assert view.mode == "manual"
            assert view.state.energy_delivered_wh >= stop["meterStop"] - 0.5
            off = await services.chargers.get(user.id, "R-2")
            assert off.state.connected is False
            assert "R-2" not in csms.connections
            # A restart is a new power-up: BootNotification again (R13 covers reconnects only).
            assert len(csms.calls("R-1", "BootNotification")) == 2
        finally:
            await services.close()
    finally:
        await csms.stop()
