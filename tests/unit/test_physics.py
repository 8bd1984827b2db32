"""EV physics on its own: AC phases and current, DC taper and pack voltage, state of charge."""

from __future__ import annotations

import random

import pytest

from ocppsim.core import physics
from ocppsim.core.model import ChargerType
from ocppsim.core.physics import FLEET, Ev

EV = Ev(battery_kwh=50.0, max_ac_kw=11.0, max_dc_kw=100.0, soc_start=20.0)


@pytest.mark.parametrize(("max_kw", "phases"), [(3.7, 1), (7.4, 1), (7.5, 3), (11.0, 3), (44.0, 3)])
def test_ac_uses_one_phase_up_to_7_4_kw_then_three(max_kw: float, phases: int) -> None:
    assert physics.ac_phases(max_kw) == phases


@pytest.mark.parametrize(("max_kw", "phases"), [(7.4, 1), (22.0, 3)])
def test_ac_current_is_power_over_230_v_per_phase(max_kw: float, phases: int) -> None:
    e = physics.electrical(ChargerType.AC, max_kw, 6.9, soc=50.0)
    assert (e.power_w, e.voltage_v, e.phases) == (6900.0, 230.0, phases)
    assert e.current_a == pytest.approx(6900.0 / (230.0 * phases))
    assert e.voltage_v * e.current_a * e.phases == pytest.approx(e.power_w)


def test_ac_power_is_the_lower_of_charger_and_ev_whatever_the_soc() -> None:
    assert physics.power_kw(ChargerType.AC, 22.0, EV, 30.0) == 11.0
    assert physics.power_kw(ChargerType.AC, 7.4, EV, 99.0) == 7.4
    assert physics.power_kw(ChargerType.AC, 22.0, EV, 100.0) == 0.0


def test_dc_full_power_up_to_60_percent_then_a_linear_taper_to_5_percent() -> None:
    def dc(soc: float) -> float:
        return physics.power_kw(ChargerType.DC, 150.0, EV, soc)

    assert dc(10.0) == dc(60.0) == 100.0  # the EV's limit is the lower one
    assert dc(80.0) == pytest.approx(100.0 * (1 - 0.5 * 0.95))
    assert dc(99.9) == pytest.approx(100.0 * max(0.05, 1 - 39.9 / 40 * 0.95))
    assert dc(100.0) == 0.0
    powers = [dc(soc) for soc in range(60, 100)]
    assert powers == sorted(powers, reverse=True)
    assert min(powers) >= 5.0


def test_dc_pack_voltage_rises_with_the_soc_and_current_follows() -> None:
    low = physics.electrical(ChargerType.DC, 150.0, 100.0, soc=10.0)
    high = physics.electrical(ChargerType.DC, 150.0, 100.0, soc=90.0)
    assert (low.voltage_v, high.voltage_v) == (360.0, 440.0)
    assert low.current_a == pytest.approx(100_000.0 / 360.0)
    assert high.current_a < low.current_a
    assert low.phases == high.phases == 0


def test_soc_grows_with_energy_and_stops_at_100() -> None:
    assert physics.soc_after(EV, 0.0) == 20.0
    assert physics.soc_after(EV, 5000.0) == pytest.approx(30.0)  # 5 kWh of 50 kWh
    assert physics.soc_after(EV, 10_000_000.0) == 100.0


def test_draw_ev_is_seeded_from_the_fleet_with_a_start_soc_of_10_to_50_percent() -> None:
    drawn = [physics.draw_ev(random.Random(seed)) for seed in range(50)]
    assert drawn == [physics.draw_ev(random.Random(seed)) for seed in range(50)]
    capacities = {(e.battery_kwh, e.max_ac_kw, e.max_dc_kw) for e in FLEET}
    for ev in drawn:
        assert (ev.battery_kwh, ev.max_ac_kw, ev.max_dc_kw) in capacities
        assert 10.0 <= ev.soc_start <= 50.0
        assert ev.soc_start == round(ev.soc_start, 1)
