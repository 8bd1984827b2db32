"""One connector, the session on it, the phase that session is in and the energy it delivered.

A session is created when an EV is plugged in and goes through one phase after the other::

    AUTHORIZING --(authorized, or no authorization needed)--> RUNNING --(stopped)--> ENDED
         |                                                                           |
         +--(refused, cancelled, fault)--> removed          removed <--(unplugged)--+

RUNNING is the transaction (1.6 StartTransaction .. StopTransaction; 2.x TransactionEvent
Started .. Ended). ENDED keeps the EV plugged in until ``unplug_at`` (status Finishing). A
connector without a session is free.

Energy is integrated in Wh in one place, ``Session.energy_since``: at the power of the last
update, never beyond the session's target. The connector's lifetime register grows by exactly
what ``Connector.advance`` adds to its session, so the register is the sum of its sessions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from ocppsim.core import physics
from ocppsim.core.intents import ConnectorStatus, Sample, Trigger
from ocppsim.core.model import ChargerType

NEVER = math.inf
#: DC power follows the state of charge: recompute it at least this often while charging.
DC_STEP = 30.0
#: Energy within this much of the target counts as the target reached (float rounding).
TARGET_SLACK_WH = 1e-6


class Phase(StrEnum):
    """Where a session is (see the module docstring for the transitions)."""

    AUTHORIZING = "Authorizing"
    RUNNING = "Running"
    ENDED = "Ended"


# The members as module constants: reading one through the enum class costs about 60 ns
# (the EnumType attribute lookup), and the phase is read on every tick and deadline.
AUTHORIZING, RUNNING, ENDED = Phase.AUTHORIZING, Phase.RUNNING, Phase.ENDED


@dataclass(slots=True)
class Session:
    """One EV's visit: its identity, its phase and the energy it received so far."""

    ref: int
    id_tag: str
    target_wh: float | None
    remote: bool
    trigger: Trigger
    remote_start_id: int | None = None
    phase: Phase = AUTHORIZING
    #: When the transaction began (None while authorizing).
    started_at: float | None = None
    #: Integrated up to ``updated_at``; ``energy_at(now)`` adds what flowed since.
    energy_wh: float = 0.0
    transaction_id: int | str | None = None
    ev: physics.Ev | None = None
    power_kw: float = 0.0
    updated_at: float = 0.0
    next_sample_at: float = NEVER
    #: ENDED: when the EV is unplugged and the connector becomes free.
    unplug_at: float = NEVER

    @property
    def running(self) -> bool:
        """The transaction runs: energy may flow."""
        return self.phase is RUNNING

    @property
    def ended(self) -> bool:
        """The transaction has ended; the EV stays plugged in until ``unplug_at`` (Finishing)."""
        return self.phase is ENDED

    def begin(self, now: float, ev: physics.Ev, meter_interval: float) -> None:
        """AUTHORIZING -> RUNNING with ``ev`` plugged in; the caller sets ``power_kw``."""
        self.phase = RUNNING
        self.started_at = now
        self.updated_at = now
        self.ev = ev
        self.next_sample_at = now + meter_interval

    def end(self, unplug_at: float) -> None:
        """RUNNING -> ENDED (after a last ``Connector.advance``): no more power flows."""
        self.phase = ENDED
        self.power_kw = 0.0
        self.unplug_at = unplug_at

    def energy_since(self, now: float) -> float:
        """Wh delivered between ``updated_at`` and ``now`` at ``power_kw``, capped so that
        the session never exceeds its target (a register must never show more)."""
        dt = now - self.updated_at
        if self.phase is not RUNNING or dt <= 0:
            return 0.0
        energy = self.power_kw * 1000.0 * dt / 3600.0
        if self.target_wh is not None:
            energy = min(energy, max(0.0, self.target_wh - self.energy_wh))
        return energy

    def energy_at(self, now: float) -> float:
        """The session's energy as of ``now`` (without changing the session)."""
        return self.energy_wh + self.energy_since(now)

    @property
    def target_reached(self) -> bool:
        return self.target_wh is not None and self.energy_wh >= self.target_wh - TARGET_SLACK_WH

    def soc(self) -> float:
        """The EV's state of charge now, in percent."""
        assert self.ev is not None
        return physics.soc_after(self.ev, self.energy_wh)

    def step_end(self, kind: ChargerType) -> float:
        """When a running session next needs attention: the target is reached, the EV is
        full (power 0: now), or (DC) the power must follow the state of charge again."""
        if self.power_kw <= 0:
            return self.updated_at
        end = NEVER
        if self.target_wh is not None:
            end = self.updated_at + max(0.0, self.target_wh - self.energy_wh) * 3.6 / self.power_kw
        if kind == ChargerType.DC:
            end = min(end, self.updated_at + DC_STEP)
        return end


@dataclass(slots=True)
class Connector:
    """One connector (a 2.x EVSE with one connector): its register, status and session."""

    id: int
    #: The lifetime energy register, integrated up to the session's ``updated_at``.
    meter_wh: float = 0.0
    status: ConnectorStatus = ConnectorStatus.AVAILABLE
    #: The (status, error code) last sent to the backend; None: report again.
    reported: tuple[ConnectorStatus, str] | None = None
    operative: bool = True
    #: ChangeAvailability Inoperative while a session runs: applied when the EV leaves.
    inoperative_scheduled: bool = False
    session: Session | None = None
    next_auto_at: float = NEVER
    last_ev: physics.Ev | None = None

    def running_session(self) -> Session | None:
        """The session whose transaction runs here, if any."""
        s = self.session
        return s if s is not None and s.phase is RUNNING else None

    def energy_at(self, now: float) -> float:
        """The register as of ``now`` (without changing anything)."""
        s = self.session
        return self.meter_wh if s is None else self.meter_wh + s.energy_since(now)

    def advance(self, now: float, kind: ChargerType, max_power_kw: float) -> None:
        """Integrate the running session up to ``now`` into it and into the register, then
        take the power the EV draws at its new state of charge."""
        s = self.session
        assert s is not None
        if now - s.updated_at <= 0:
            return
        energy = s.energy_since(now)
        s.energy_wh += energy
        self.meter_wh += energy
        s.updated_at = now
        assert s.ev is not None
        s.power_kw = physics.power_kw(
            kind, max_power_kw, s.ev, physics.soc_after(s.ev, s.energy_wh)
        )

    def sample(
        self,
        now: float,
        kind: ChargerType,
        max_power_kw: float,
        *,
        triggered: bool,
        of_transaction: bool = False,
    ) -> Sample:
        """A meter reading as of the last ``advance`` (the caller advances a running session
        first); outside a session it shows the register at zero power. ``of_transaction``:
        see ``Sample``."""
        s = self.session
        running = s is not None and s.phase is RUNNING
        power = s.power_kw if running and s is not None else 0.0
        ev = s.ev if s is not None and s.ev else self.last_ev
        soc: float | None = None
        if kind == ChargerType.DC and ev is not None:
            soc = round(physics.soc_after(ev, s.energy_wh if s else 0.0), 1)
        e = physics.electrical(kind, max_power_kw, power, soc or 0.0)
        return Sample(
            self.id,
            s.ref if running and s is not None else None,
            now,
            round(self.meter_wh, 1),
            round(e.power_w, 1),
            round(e.voltage_v, 1),
            round(e.current_a, 2),
            e.phases,
            soc,
            triggered,
            of_transaction,
        )
