"""The simulated charger: a pure state machine.

Inputs are method calls with the current time ``now`` (epoch seconds); outputs are intents
collected in ``take_intents()`` and the time of the next thing to do, ``next_deadline()``.
No I/O, no clock, no global randomness: the same calls with the same seed give the same
intents, so every behaviour is unit-tested without a socket.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ocppsim.core import memory, physics
from ocppsim.core.connector import AUTHORIZING, ENDED, NEVER, RUNNING, Connector, Session
from ocppsim.core.intents import (
    STATION,
    ConnectorStatus,
    Intent,
    Reboot,
    SendAuthorize,
    SendBoot,
    SendHeartbeat,
    SendStatus,
    SendTxStart,
    SendTxStop,
    StopReason,
    Trigger,
)
from ocppsim.core.model import ChargerType, ErrorCode

#: After BootNotification Pending/Rejected with interval 0 (or a failed boot): wait this much.
BOOT_RETRY = 30.0


class Refused(Exception):
    """The charger cannot do what was asked; the message says why."""


class Registration(StrEnum):
    NONE = "none"  # no BootNotification answered since power-up
    PENDING = "Pending"
    REJECTED = "Rejected"
    ACCEPTED = "Accepted"


@dataclass(frozen=True, slots=True)
class ChargerSpec:
    """What the charger is; changes take effect through ``Charger.reconfigure``."""

    charger_type: ChargerType
    max_power_kw: float
    num_connectors: int
    id_tag: str
    free_charging: bool = False
    heartbeat_interval: int = 300
    meter_interval: int = 60
    authorize_remote_start: bool = False
    #: How the charger presents its token: "rfid" (ISO14443 card) or "plug_and_charge" (eMAID).
    auth_mode: str = "rfid"
    #: Plug & Charge extras for the backend's logs (2.x Authorize iso15118CertificateHashData).
    pnc_pcid: str = ""
    pnc_certificate_hash: str = ""
    #: Autopilot sessions' targets are drawn from this range (Wh), in whole 100 Wh.
    autopilot_energy_wh: tuple[float, float] = (1000.0, 15000.0)
    autopilot_gap_s: tuple[float, float] = (10.0, 120.0)
    unplug_delay_s: float = 2.0


@dataclass(slots=True)
class Charger:
    """One charger with 1-5 connectors."""

    spec: ChargerSpec
    rng: random.Random
    error_code: str = ErrorCode.NO_ERROR
    connected: bool = False
    #: The backend's last answer to BootNotification (NONE: none since power-up or reset).
    registration: Registration = Registration.NONE
    heartbeat_interval: int = 0
    autopilot: bool = False
    last_error: str = ""
    #: The backend's last answer to an authorization (e.g. "Accepted, certificate Accepted").
    last_authorization: str = ""
    connectors: dict[int, Connector] = field(default_factory=dict)
    _outbox: list[Intent] = field(default_factory=list)
    _next_ref: int = 1
    # The boot exchange, orthogonal to ``registration``: the next BootNotification goes out at
    # ``_boot_at`` once connected (NEVER: at the next connection, or not at all once
    # Accepted); ``_boot_in_flight`` while one waits for its answer (1.6 §4.2: one at a time).
    _boot_at: float = NEVER
    _boot_in_flight: bool = False
    _boot_reason: str = "PowerUp"
    _next_heartbeat: float = NEVER
    #: 2.x Reset OnIdle asked while a connector was busy: reset once every EV is unplugged.
    _reset_when_idle: bool = False
    #: The charger's own status (``station_status``) last sent; None: report it again.
    _station_reported: ConnectorStatus | None = None
    #: Counts changes of what must survive a power cut but leaves no transaction message
    #: (availability); the session snapshots the charger when it moves.
    revision: int = 0

    def __post_init__(self) -> None:
        if not self.connectors:
            self.connectors = {n: Connector(n) for n in range(1, self.spec.num_connectors + 1)}
        self.heartbeat_interval = self.heartbeat_interval or self.spec.heartbeat_interval
        for c in self.connectors.values():
            # A charger powers up in the state it is in: a fault it carries is reported as
            # Faulted from the first StatusNotification (1.6 §4.9, 2.0.1 G01), not Available.
            c.status = self._resting_status(c)

    # ------------------------------------------------------------------ power cuts

    def durable_state(self, now: float) -> dict[str, Any]:
        """What must survive a power cut, JSON-ready (see ``core/memory.py``)."""
        return memory.snapshot(self, now)

    def power_up(self, state: Mapping[str, Any]) -> None:
        """Take back what ``durable_state`` kept, as a charger does after a power cut: the
        registers, availability and session numbers; a transaction that ran when the power
        went ends with PowerLoss at the last moment known (1.6 §4.10 Reason PowerLoss; 2.0.1
        E06 stoppedReason PowerLoss, triggerReason AbnormalCondition, as 2.1 E17 after its
        resumption timeout). Raises ValueError/KeyError/TypeError on a malformed state."""
        ended = memory.restore(self, state)
        for stop in ended:
            self._outbox.append(stop)

    # ------------------------------------------------------------------ outputs

    def take_intents(self) -> list[Intent]:
        out, self._outbox = self._outbox, []
        return out

    def next_deadline(self) -> float:
        times = [self._boot_at, self._next_heartbeat]
        kind = self.spec.charger_type
        for c in self.connectors.values():
            if self.autopilot:
                times.append(c.next_auto_at)
            s = c.session
            if s is None:
                continue
            if s.phase is RUNNING:
                times += (s.next_sample_at, s.step_end(kind))
            elif s.phase is ENDED:
                times.append(s.unplug_at)
        return min(times)

    @property
    def accepted(self) -> bool:
        return self.registration == Registration.ACCEPTED

    def energy_wh(self, now: float) -> float:
        """The lifetime register, summed over connectors, as of ``now`` (never past a
        session's target)."""
        total = 0.0
        for c in self.connectors.values():
            total += c.energy_at(now)
        return total

    # ------------------------------------------------------------------ connection

    def on_connected(self, now: float) -> None:
        """The WebSocket is up: boot if not yet accepted, else report what changed offline."""
        self.connected = True
        if self.registration == Registration.ACCEPTED:
            self._report_changed_statuses(now)
            self._next_heartbeat = now + self.heartbeat_interval
        elif self._boot_at == NEVER:
            self._boot_at = now  # a Rejected/Pending wait that has not run out is kept
        self.tick(now)

    def on_disconnected(self, now: float) -> None:
        self.connected = False
        self._boot_in_flight = False
        self._next_heartbeat = NEVER

    def on_boot_result(self, status: str, interval: int, now: float) -> None:
        """BootNotification answered (1.6 §4.2; 2.0.1 B01-B03)."""
        self._boot_in_flight = False
        if status == Registration.ACCEPTED:
            self.registration = Registration.ACCEPTED
            self._boot_at = NEVER
            if interval > 0:
                self.heartbeat_interval = interval
            self._next_heartbeat = now + self.heartbeat_interval
            self.last_error = ""
            # B01.FR.05, 1.6 §4.9: report the charger and every connector after a boot.
            self._station_reported = None
            for c in self.connectors.values():
                c.reported = None
            self._report_changed_statuses(now)
            return
        self.registration = Registration(status)
        # B02.FR.07 / B03: wait the interval; with 0, pick our own instead of flooding.
        wait = interval if interval > 0 else BOOT_RETRY + self.rng.uniform(0, 10)
        self._boot_at = now + wait
        self.last_error = f"backend answered BootNotification {status}; next try in {wait:.0f} s"

    def on_boot_failed(self, now: float, why: str) -> None:
        """No usable answer to BootNotification (CALLERROR or timeout): try again later."""
        self._boot_in_flight = False
        self._boot_at = now + BOOT_RETRY + self.rng.uniform(0, 10)
        self.last_error = (
            f"BootNotification failed ({why}); next try in {self._boot_at - now:.0f} s"
        )

    def reboot_done(self, now: float) -> None:
        """After a Reset: power-up again, BootNotification first."""
        self.registration = Registration.NONE
        self._boot_reason = "RemoteReset"
        self._station_reported = None
        for c in self.connectors.values():
            c.reported = None

    # ------------------------------------------------------------------ user and backend actions

    def start(
        self,
        connector_id: int | None,
        id_tag: str,
        target_wh: float | None,
        now: float,
        *,
        remote: bool = False,
        remote_start_id: int | None = None,
    ) -> int:
        """Plug an EV in and begin a session; returns the connector used or raises Refused."""
        if not self.connected:
            raise Refused("the charger is not connected to its backend")
        if not self.accepted:
            raise Refused("the backend has not accepted the charger's BootNotification yet")
        connector = self._free_connector(connector_id)
        ref, self._next_ref = self._next_ref, self._next_ref + 1
        skip_authorize = self.spec.free_charging or (
            remote and not self.spec.authorize_remote_start
        )
        trigger = (
            Trigger.REMOTE if remote else Trigger.FREE if skip_authorize else Trigger.AUTHORIZED
        )
        connector.session = Session(ref, id_tag, target_wh, remote, trigger, remote_start_id)
        connector.next_auto_at = NEVER  # the autopilot plans again once this EV is unplugged
        self.last_error = ""
        self._set_status(connector, ConnectorStatus.PREPARING, now)
        if skip_authorize:
            self._begin_transaction(connector, now)
        else:
            self._outbox.append(SendAuthorize(connector.id, id_tag))
        return connector.id

    def on_authorize_result(
        self, connector_id: int, accepted: bool, status: str, now: float
    ) -> None:
        connector = self.connectors.get(connector_id)
        session = connector.session if connector else None
        if connector is None or session is None or session.phase is not AUTHORIZING:
            return
        self.last_authorization = status
        if accepted:
            self._begin_transaction(connector, now)
            return
        self.last_error = f"backend refused id tag {session.id_tag!r}: {status}"
        connector.session = None
        self._set_status(connector, ConnectorStatus.AVAILABLE, now)
        self._schedule_autopilot(connector, now)

    def limit_energy(self, ref: int, max_wh: float, now: float) -> bool:
        """Cap a running session's energy (2.1 transactionLimit.maxEnergy); a session that
        already delivered that much ends now. False if there is no such running session."""
        for connector in self.connectors.values():
            s = connector.running_session()
            if s is not None and s.ref == ref:
                connector.advance(now, self.spec.charger_type, self.spec.max_power_kw)
                max_wh = max(0.0, max_wh)
                s.target_wh = max_wh if s.target_wh is None else min(s.target_wh, max_wh)
                self._tick_connector(connector, now)
                return True
        return False

    def has_running_session(self) -> bool:
        return any(c.running_session() is not None for c in self.connectors.values())

    def set_transaction_id(self, ref: int, transaction_id: int | str) -> None:
        """2.x: the charger itself names its transactions (a UUID, 2.0.1 E01)."""
        for connector in self.connectors.values():
            if connector.session is not None and connector.session.ref == ref:
                connector.session.transaction_id = transaction_id

    def on_transaction_accepted(
        self, ref: int, transaction_id: int | str | None, accepted: bool, status: str, now: float
    ) -> None:
        """The backend confirmed a transaction start; a refused tag stops it (1.6 §3.5.4)."""
        for connector in self.connectors.values():
            session = connector.session
            if session is None or session.ref != ref:
                continue
            if transaction_id is not None:
                session.transaction_id = transaction_id
            if not accepted and session.phase is RUNNING:
                self.last_error = f"backend refused id tag {session.id_tag!r}: {status}"
                self._end_session(connector, StopReason.DEAUTHORIZED, now)

    def stop(self, connector_id: int | None, reason: StopReason, now: float) -> int:
        """End the running session (on ``connector_id`` or the first one); raises Refused."""
        for connector in self.connectors.values():
            session = connector.session
            if connector_id not in (None, connector.id) or session is None or session.ended:
                continue
            if session.phase is AUTHORIZING:
                connector.session = None  # no transaction yet: just unplug
                self._set_status(connector, ConnectorStatus.AVAILABLE, now)
            else:
                self._end_session(connector, reason, now)
            return connector.id
        raise Refused(
            "no session is running" + (f" on connector {connector_id}" if connector_id else "")
        )

    def stop_transaction(self, transaction_id: int | str, reason: StopReason, now: float) -> bool:
        """RemoteStopTransaction / RequestStopTransaction: True if it was ours and running."""
        for connector in self.connectors.values():
            s = connector.running_session()
            if s is not None and s.transaction_id == transaction_id:
                self._end_session(connector, reason, now)
                return True
        return False

    def stop_all(self, reason: StopReason, now: float) -> None:
        for connector in self.connectors.values():
            s = connector.session
            if s is not None and s.phase is not ENDED:
                self.stop(connector.id, reason, now)

    def set_error(self, code: str, now: float) -> None:
        """Inject (or clear, with NoError) a fault; a fault ends running sessions. The charger
        as a whole reports it too (1.6 connector 0: Faulted with the code, then Available)."""
        if code != self.error_code:
            self._station_reported = None  # a new code is news even while still Faulted
        self.error_code = code
        for connector in self.connectors.values():
            if code != ErrorCode.NO_ERROR:
                # A fault ends a transaction at once (no Finishing); an attempt still being
                # authorized has no transaction to end and is dropped.
                if connector.running_session() is not None:
                    self._end_session(connector, StopReason.FAULT, now, unplug=False)
                connector.session = None
            self._set_status(connector, self._resting_status(connector), now)
            if code == ErrorCode.NO_ERROR:
                self._schedule_autopilot(connector, now)
        self._report_station(now)

    def change_availability(self, connector_id: int, operative: bool, now: float) -> str:
        """ChangeAvailability: Accepted, or Scheduled while a session runs (1.6 §5.2)."""
        targets = (
            list(self.connectors.values())
            if connector_id == 0
            else [self.connectors[connector_id]]
            if connector_id in self.connectors
            else []
        )
        if not targets:
            return "Rejected"
        scheduled = False
        for connector in targets:
            busy = connector.session is not None
            if not operative and busy:
                connector.inoperative_scheduled = True
                self.revision += 1
                scheduled = True
                continue
            connector.operative = operative
            connector.inoperative_scheduled = False
            self.revision += 1
            if connector.session is None:
                self._set_status(connector, self._resting_status(connector), now)
        self._report_station(now)
        return "Scheduled" if scheduled else "Accepted"

    def reset_when_idle(self, now: float) -> bool:
        """2.x Reset OnIdle: reset now if no session runs (True), else after the last ends."""
        if not any(c.session is not None for c in self.connectors.values()):
            self.reset(False, now)
            return True
        self._reset_when_idle = True
        return False

    def reset(self, hard: bool, now: float) -> None:
        """Reset: end sessions, then ask the runtime to reconnect and boot again."""
        self._reset_when_idle = False
        self.stop_all(StopReason.HARD_RESET if hard else StopReason.SOFT_RESET, now)
        for connector in self.connectors.values():
            connector.session = None
        self._outbox.append(Reboot(hard))

    def unlock(self, connector_id: int, now: float) -> bool:
        connector = self.connectors.get(connector_id)
        if connector is None:
            return False
        if connector.running_session() is not None:
            self._end_session(connector, StopReason.UNLOCK, now)
        return True

    def trigger_status(self, connector_id: int | None, now: float) -> None:
        """Report statuses again, changed or not (TriggerMessage): with ``connector_id`` None
        the charger as a whole and every connector, with STATION (0) the charger as a whole
        only (1.6 §5.17: connector 0 is the main controller), else that connector."""
        if connector_id in (None, STATION):
            self._station_reported = None
        for connector in self.connectors.values():
            if connector_id in (None, connector.id):
                connector.reported = None
        self._report_changed_statuses(now)

    def trigger_meter_values(self, connector_id: int | None, now: float) -> None:
        """A meter reading of ``connector_id`` (None or 0: of every connector), asked for."""
        for connector in self.connectors.values():
            if connector_id in (None, 0, connector.id):
                self._sample(connector, now, triggered=True)

    def trigger_transaction_update(self, connector_id: int | None, now: float) -> bool:
        """The state of the running transaction on ``connector_id`` (None: of every running
        transaction), asked for: one reading each, ``of_transaction``. False if no
        transaction runs there: there is nothing to send."""
        found = False
        for connector in self.connectors.values():
            if connector_id in (None, connector.id) and connector.running_session() is not None:
                self._sample(connector, now, triggered=True, of_transaction=True)
                found = True
        return found

    def trigger_boot(self) -> None:
        """A BootNotification the backend asked for (2.0.1 BootReasonEnum Triggered, F06)."""
        self._outbox.append(SendBoot("Triggered"))

    def trigger_heartbeat(self) -> None:
        self._outbox.append(SendHeartbeat())

    def set_autopilot(self, on: bool, now: float) -> None:
        self.autopilot = on
        for connector in self.connectors.values():
            connector.next_auto_at = NEVER
            if on:
                self._schedule_autopilot(connector, now, gap=(1.0, 5.0))

    def set_heartbeat_interval(self, interval: int, now: float) -> None:
        self.heartbeat_interval = interval
        if self._next_heartbeat != NEVER:
            self._next_heartbeat = now + interval

    def reconfigure(self, spec: ChargerSpec) -> None:
        """Take a changed spec (tag, intervals, free charging); connectors stay as they are."""
        if spec.heartbeat_interval != self.spec.heartbeat_interval:
            self.heartbeat_interval = spec.heartbeat_interval
        self.spec = spec

    # ------------------------------------------------------------------ time

    def tick(self, now: float) -> None:
        """Do everything that is due at ``now``."""
        if self.connected and not self._boot_in_flight and self._boot_at <= now:
            self._boot_at = NEVER
            self._boot_in_flight = True
            self._outbox.append(SendBoot(self._boot_reason))
        if self.connected and self.accepted and self._next_heartbeat <= now:
            self._next_heartbeat = now + self.heartbeat_interval
            self._outbox.append(SendHeartbeat())
        for connector in self.connectors.values():
            self._tick_connector(connector, now)
        if self._reset_when_idle and not any(
            c.session is not None for c in self.connectors.values()
        ):
            self.reset(False, now)

    def _tick_connector(self, connector: Connector, now: float) -> None:
        s = connector.session
        if s is not None and s.phase is RUNNING:
            connector.advance(now, self.spec.charger_type, self.spec.max_power_kw)
            done = s.target_reached
            if done or s.power_kw <= 0.0:
                self._end_session(
                    connector, StopReason.ENERGY_LIMIT if done else StopReason.EV_FULL, now
                )
            elif s.next_sample_at <= now:
                self._sample(connector, now)
        if s is not None and s.phase is ENDED and s.unplug_at <= now:
            connector.session = None
            scheduled = connector.inoperative_scheduled
            if scheduled:
                connector.operative = False
                connector.inoperative_scheduled = False
                self.revision += 1
            self._set_status(connector, self._resting_status(connector), now)
            if scheduled:
                self._report_station(now)  # the last connector may have made it Unavailable
            self._schedule_autopilot(connector, now)
        if self.autopilot and connector.next_auto_at <= now:
            connector.next_auto_at = NEVER
            self._autopilot_start(connector, now)

    # ------------------------------------------------------------------ internals

    def _free_connector(self, connector_id: int | None) -> Connector:
        if self.error_code != ErrorCode.NO_ERROR:
            raise Refused(f"the charger is faulted ({self.error_code}); clear the error first")
        if connector_id is not None:
            connector = self.connectors.get(connector_id)
            if connector is None:
                raise Refused(f"there is no connector {connector_id}")
            if connector.session is not None:
                raise Refused(f"connector {connector_id} already has a session")
            if not connector.operative:
                raise Refused(f"connector {connector_id} is unavailable (set inoperative)")
            return connector
        for connector in self.connectors.values():
            if connector.session is None and connector.operative:
                return connector
        raise Refused("every connector is busy or unavailable")

    def station_status(self) -> ConnectorStatus:
        """The charger as a whole (1.6 connector 0, the main controller, §4.9): Faulted with
        a fault, Unavailable once every connector is inoperative (ChangeAvailability of the
        whole charger, applied), else Available. Derived, so it needs no state of its own."""
        if self.error_code != ErrorCode.NO_ERROR:
            return ConnectorStatus.FAULTED
        for connector in self.connectors.values():
            if connector.operative:
                return ConnectorStatus.AVAILABLE
        return ConnectorStatus.UNAVAILABLE

    def _resting_status(self, connector: Connector) -> ConnectorStatus:
        if self.error_code != ErrorCode.NO_ERROR:
            return ConnectorStatus.FAULTED
        if not connector.operative:
            return ConnectorStatus.UNAVAILABLE
        return ConnectorStatus.AVAILABLE

    def _set_status(self, connector: Connector, status: ConnectorStatus, now: float) -> None:
        connector.status = status
        if self.connected and self.accepted:
            self._report(connector, now)

    def _report(self, connector: Connector, now: float) -> None:
        current = (connector.status, str(self.error_code))
        if connector.reported != current:
            connector.reported = current
            self._outbox.append(SendStatus(connector.id, connector.status, current[1], now))

    def _report_station(self, now: float) -> None:
        """Report the charger as a whole (STATION) if its status changed since last sent."""
        if self.connected and self.accepted:
            status = self.station_status()
            if status != self._station_reported:
                self._station_reported = status
                self._outbox.append(SendStatus(STATION, status, str(self.error_code), now))

    def _report_changed_statuses(self, now: float) -> None:
        """The charger as a whole first, then each connector: what changed since last sent."""
        if self.connected and self.accepted:
            self._report_station(now)
            for connector in self.connectors.values():
                self._report(connector, now)

    def _begin_transaction(self, connector: Connector, now: float) -> None:
        s = connector.session
        assert s is not None
        ev = physics.draw_ev(self.rng)
        s.begin(now, ev, self.spec.meter_interval)
        connector.last_ev = ev
        s.power_kw = physics.power_kw(self.spec.charger_type, self.spec.max_power_kw, ev, s.soc())
        self._outbox.append(
            SendTxStart(
                connector.id, s.ref, s.id_tag, connector.meter_wh, now, s.trigger, s.remote_start_id
            )
        )
        self._set_status(connector, ConnectorStatus.CHARGING, now)

    def _sample(
        self,
        connector: Connector,
        now: float,
        *,
        triggered: bool = False,
        of_transaction: bool = False,
    ) -> None:
        """A meter reading (1.6 §4.7, 2.0.1 J01); a periodic one plans the next."""
        spec = self.spec
        s = connector.session
        if s is not None and s.phase is RUNNING:
            connector.advance(now, spec.charger_type, spec.max_power_kw)
            if not triggered:
                s.next_sample_at = now + spec.meter_interval
        self._outbox.append(
            connector.sample(
                now,
                spec.charger_type,
                spec.max_power_kw,
                triggered=triggered,
                of_transaction=of_transaction,
            )
        )

    def _end_session(
        self, connector: Connector, reason: StopReason, now: float, *, unplug: bool = True
    ) -> None:
        """RUNNING -> ENDED: the last energy, TransactionStop, then Finishing until the EV is
        unplugged (``unplug``; a fault drops the session at once instead)."""
        s = connector.session
        assert s is not None
        connector.advance(now, self.spec.charger_type, self.spec.max_power_kw)
        s.end(now + self.spec.unplug_delay_s if unplug else NEVER)
        self._outbox.append(
            SendTxStop(
                connector.id,
                s.ref,
                s.id_tag,
                round(connector.meter_wh, 1),
                now,
                reason,
                str(self.error_code),
            )
        )
        if unplug:
            self._set_status(connector, ConnectorStatus.FINISHING, now)

    def _schedule_autopilot(
        self, connector: Connector, now: float, gap: tuple[float, float] | None = None
    ) -> None:
        if self.autopilot and connector.session is None:
            low, high = gap or self.spec.autopilot_gap_s
            connector.next_auto_at = now + self.rng.uniform(low, high)

    def _autopilot_start(self, connector: Connector, now: float) -> None:
        low, high = self.spec.autopilot_energy_wh
        target = round(self.rng.uniform(low, high) / 100.0) * 100.0
        try:
            self.start(connector.id, self.spec.id_tag, target, now)
        except Refused:
            # Not possible now (offline, faulted, busy): look again a little later.
            self._schedule_autopilot(connector, now)
