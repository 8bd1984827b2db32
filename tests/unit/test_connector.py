"""The session phase and the one energy integral (core/connector.py), without a charger."""

from __future__ import annotations

import pytest

from ocppsim.core.connector import NEVER, Connector, Phase, Session
from ocppsim.core.intents import Trigger
from ocppsim.core.model import ChargerType
from ocppsim.core.physics import Ev

EV = Ev(battery_kwh=50.0, max_ac_kw=11.0, max_dc_kw=100.0, soc_start=20.0)


def running(target_wh: float | None = None, power_kw: float = 11.0) -> Connector:
    connector = Connector(1, meter_wh=500.0)
    s = Session(1, "TAG", target_wh, remote=False, trigger=Trigger.FREE)
    s.begin(100.0, EV, meter_interval=60)
    s.power_kw = power_kw
    connector.session = s
    return connector


def test_a_session_goes_authorizing_running_ended() -> None:
    s = Session(1, "TAG", None, remote=False, trigger=Trigger.AUTHORIZED)
    assert (s.phase, s.running, s.ended, s.started_at) == (Phase.AUTHORIZING, False, False, None)
    s.begin(100.0, EV, meter_interval=60)
    assert (s.phase, s.running, s.started_at, s.next_sample_at) == (
        Phase.RUNNING,
        True,
        100.0,
        160.0,
    )
    s.end(unplug_at=102.0)
    assert (s.phase, s.ended, s.power_kw, s.unplug_at) == (Phase.ENDED, True, 0.0, 102.0)


def test_no_energy_flows_outside_the_running_phase() -> None:
    s = Session(1, "TAG", None, remote=False, trigger=Trigger.AUTHORIZED, power_kw=11.0)
    assert s.energy_since(1e9) == 0.0
    connector = running()
    assert connector.session is not None
    connector.session.end(NEVER)
    assert connector.energy_at(1e9) == 500.0


def test_energy_since_is_power_times_time_and_energy_at_changes_nothing() -> None:
    connector = running(power_kw=36.0)
    assert connector.energy_at(100.0) == 500.0
    assert connector.energy_at(50.0) == 500.0  # before the last update: nothing
    assert connector.energy_at(200.0) == pytest.approx(500.0 + 1000.0)
    assert connector.session is not None
    assert connector.session.energy_wh == 0.0


def test_energy_never_passes_the_target() -> None:
    connector = running(target_wh=300.0, power_kw=36.0)
    s = connector.session
    assert s is not None
    assert s.energy_at(1e6) == 300.0
    assert s.step_end(ChargerType.AC) == pytest.approx(100.0 + 30.0)
    connector.advance(1e6, ChargerType.AC, 22.0)
    assert (s.energy_wh, connector.meter_wh, s.target_reached) == (300.0, 800.0, True)


def test_advance_moves_energy_into_session_and_register_alike_and_updates_power() -> None:
    connector = running(power_kw=11.0)
    s = connector.session
    assert s is not None
    connector.advance(100.0 + 3600.0, ChargerType.DC, 150.0)
    assert s.energy_wh == pytest.approx(11_000.0)
    assert connector.meter_wh - 500.0 == pytest.approx(s.energy_wh)
    assert s.updated_at == 3700.0
    assert s.power_kw == 100.0  # DC at 42 % state of charge: the EV's limit
    assert s.step_end(ChargerType.DC) == 3700.0 + 30.0  # DC follows the state of charge
