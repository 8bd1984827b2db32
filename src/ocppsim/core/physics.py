"""EV physics: how much power flows, and the electrical values a meter would show.

AC: the charger's power over 1 phase (up to 7.4 kW, 32 A) or 3 phases at 230 V per phase.
DC: the EV's battery accepts full power up to 60 % state of charge, then tapers linearly to
5 % of it at 100 %; the pack voltage rises with the state of charge.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ocppsim.core.model import ChargerType

PHASE_VOLTAGE = 230.0
SINGLE_PHASE_MAX_KW = 7.4
TAPER_FROM_SOC = 60.0


@dataclass(frozen=True, slots=True)
class Ev:
    """The car plugged in for one session."""

    battery_kwh: float
    max_ac_kw: float
    max_dc_kw: float
    soc_start: float  # percent


#: A small, plausible fleet to draw sessions' cars from.
FLEET = (
    Ev(50.0, 7.4, 100.0, 0),
    Ev(64.0, 11.0, 150.0, 0),
    Ev(77.0, 11.0, 175.0, 0),
    Ev(82.0, 22.0, 250.0, 0),
    Ev(100.0, 11.0, 270.0, 0),
)


def draw_ev(rng: random.Random) -> Ev:
    ev = rng.choice(FLEET)
    return Ev(ev.battery_kwh, ev.max_ac_kw, ev.max_dc_kw, round(rng.uniform(10.0, 50.0), 1))


@dataclass(frozen=True, slots=True)
class Electrical:
    """What a meter shows at one instant."""

    power_w: float
    voltage_v: float
    current_a: float
    phases: int


def ac_phases(max_power_kw: float) -> int:
    return 1 if max_power_kw <= SINGLE_PHASE_MAX_KW else 3


def soc_after(ev: Ev, energy_wh: float) -> float:
    """State of charge in percent after ``energy_wh`` went into the battery."""
    return min(100.0, ev.soc_start + energy_wh / (ev.battery_kwh * 10.0))


def power_kw(kind: ChargerType, max_power_kw: float, ev: Ev, soc: float) -> float:
    """The power that flows now: the lower of what charger and EV allow, tapered for DC."""
    if soc >= 100.0:
        return 0.0
    if kind == ChargerType.AC:
        return min(max_power_kw, ev.max_ac_kw)
    limit = min(max_power_kw, ev.max_dc_kw)
    if soc <= TAPER_FROM_SOC:
        return limit
    fraction = 1.0 - (soc - TAPER_FROM_SOC) / (100.0 - TAPER_FROM_SOC) * 0.95
    return limit * max(0.05, fraction)


def electrical(kind: ChargerType, max_power_kw: float, power: float, soc: float) -> Electrical:
    """Voltage and current consistent with ``power`` (kW): P = U * I per phase for AC."""
    watts = power * 1000.0
    if kind == ChargerType.AC:
        phases = ac_phases(max_power_kw)
        return Electrical(watts, PHASE_VOLTAGE, watts / (PHASE_VOLTAGE * phases), phases)
    volts = 350.0 + soc  # a 400 V-class pack: about 350 V empty, 450 V full
    return Electrical(watts, volts, watts / volts, 0)
