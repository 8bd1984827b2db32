"""The fleet: every running charger of every user, keyed by (user id, chargepoint id).

Services hand it a ``ChargerConfig`` whenever a charger's configuration or mode changes; the
fleet starts, reconfigures or stops the charger's runner to match. A charger in mode ``off``
has no runner.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial

from ocppsim import __version__
from ocppsim.core.backoff import BackOff
from ocppsim.core.charger import Charger, ChargerSpec, Refused
from ocppsim.core.intents import StopReason
from ocppsim.core.model import ChargerType, Mode, OcppVersion
from ocppsim.core.state import ChargerState, live_state
from ocppsim.protocol.common import Identity
from ocppsim.protocol.outbox import Pacer
from ocppsim.protocol.session import Session
from ocppsim.runtime.events import Reason
from ocppsim.runtime.journal import JournalError, JournalWriter
from ocppsim.runtime.logbus import LogBus
from ocppsim.runtime.runner import Endpoint, Runner
from ocppsim.transport import MAX_FRAME_BYTES

log = logging.getLogger("ocppsim.runtime")

Key = tuple[int, str]


@dataclass(frozen=True, slots=True)
class ChargerConfig:
    """Everything the runtime needs to run one charger (effective values, defaults resolved)."""

    user_id: int
    chargepoint_id: str
    mode: Mode
    version: OcppVersion
    spec: ChargerSpec
    endpoint: Endpoint
    error_code: str
    meter_registers: tuple[float, ...] = ()
    #: The charger's row in the store: its journal (outbox and state) is kept there; 0 for
    #: a charger without one.
    charger_id: int = 0

    @property
    def key(self) -> Key:
        return (self.user_id, self.chargepoint_id)


@dataclass(slots=True)
class _Running:
    config: ChargerConfig
    runner: Runner


def _seed(key: Key) -> int:
    digest = hashlib.sha256(f"{key[0]}/{key[1]}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class Fleet:
    """Owns the runners; every method is called on the event loop."""

    def __init__(
        self,
        *,
        backoff: BackOff | None = None,
        clock: Callable[[], float] = time.time,
        message_timeout: float = 30.0,
        replay_rate: float = 5.0,
        replay_max_rate: float = 200.0,
        max_frame_bytes: int = MAX_FRAME_BYTES,
        autopilot_energy_wh: tuple[float, float] | None = None,
        autopilot_gap_s: tuple[float, float] | None = None,
    ) -> None:
        """``replay_rate``: transaction messages a second one charger replays after an outage;
        ``replay_max_rate``: the same over all chargers of the fleet (protocol/outbox.py).
        ``autopilot_energy_wh`` / ``autopilot_gap_s`` replace every charger's autopilot
        ranges (the server's ``OCPPSIM_AUTOPILOT_*`` settings); None keeps the spec's."""
        self.backoff = backoff or BackOff()
        self.clock = clock
        self.replay_interval = 1.0 / replay_rate
        self.pacer = Pacer(replay_max_rate, burst=max(1.0, replay_max_rate / 10))
        #: Where persistent chargers keep their outbox and state (None: in memory only).
        self.journal: JournalWriter | None = None
        self.message_timeout = message_timeout
        self.max_frame_bytes = max_frame_bytes
        #: Where the chargers' frames and connection events go (the OCPP message log).
        self.log_bus: LogBus | None = None
        self._running: dict[Key, _Running] = {}
        self._autopilot_energy_wh = autopilot_energy_wh
        self._autopilot_gap_s = autopilot_gap_s

    def __len__(self) -> int:
        return len(self._running)

    # ------------------------------------------------------------------ configuration

    async def apply(self, config: ChargerConfig) -> tuple[float, ...] | None:
        """Make the running charger match ``config`` (start, adjust, restart or stop it).

        Returns the meter registers of a charger that was stopped, for the caller to keep.
        """
        config = self._tuned(config)
        current = self._running.get(config.key)
        if config.mode == Mode.OFF:
            return await self.remove(config.key)
        if current is None:
            await self._start(config)
            return None
        changed = _restart_changes(current.config, config)
        if changed:
            meters = await self.remove(
                config.key,
                closing=(Reason.RECONFIGURED, f"configuration changed: {', '.join(changed)}"),
                details={"changed": changed},
            )
            await self._start(replace(config, meter_registers=meters or config.meter_registers))
            return None
        current.config = config
        charger = current.runner.session.charger
        now = self.clock()

        def adjust() -> None:
            charger.reconfigure(
                replace(
                    config.spec,
                    meter_interval=charger.spec.meter_interval,
                    heartbeat_interval=charger.spec.heartbeat_interval,
                    authorize_remote_start=charger.spec.authorize_remote_start,
                )
            )
            if charger.error_code != config.error_code:
                charger.set_error(config.error_code, now)
            if charger.autopilot != (config.mode == Mode.AUTOPILOT):
                charger.set_autopilot(config.mode == Mode.AUTOPILOT, now)

        current.runner.act(adjust)
        return None

    def _tuned(self, config: ChargerConfig) -> ChargerConfig:
        """``config`` with the server's autopilot ranges, where it has any."""
        energy, gap = self._autopilot_energy_wh, self._autopilot_gap_s
        if energy is None and gap is None:
            return config
        spec = replace(
            config.spec,
            autopilot_energy_wh=energy or config.spec.autopilot_energy_wh,
            autopilot_gap_s=gap or config.spec.autopilot_gap_s,
        )
        return replace(config, spec=spec)

    async def _start(self, config: ChargerConfig) -> None:
        key = config.key
        rng = random.Random(_seed(key))
        charger = Charger(config.spec, rng, error_code=config.error_code)
        for connector, meter in zip(
            charger.connectors.values(), config.meter_registers, strict=False
        ):
            connector.meter_wh = meter
        kind = "AC" if config.spec.charger_type == ChargerType.AC else "DC"
        identity = Identity("ocppsim", f"Sim-{kind}", config.chargepoint_id[-25:], __version__)
        bus = self.log_bus
        journal = self.journal if config.charger_id else None
        # Frames are recorded only for the message log; unread, they would only grow.
        session = Session(
            charger,
            config.version,
            identity,
            message_timeout=self.message_timeout,
            record_frames=bus is not None,
            journal=journal is not None,
            pacer=self.pacer,
            replay_interval=self.replay_interval,
            name=config.chargepoint_id,
        )
        if journal is not None:
            saved = await journal.store.load(config.charger_id)
            session.restore(saved.state, saved.rows, self.clock())
        runner = Runner(
            session,
            config.endpoint,
            backoff=self.backoff,
            rng=rng,
            clock=self.clock,
            on_frames=None if bus is None else partial(bus.frames, *key),
            on_event=None if bus is None else partial(bus.event, *key),
            on_journal=None if journal is None else partial(journal.mark, config.charger_id),
            max_frame_bytes=self.max_frame_bytes,
        )
        self._running[key] = _Running(config, runner)
        runner.act(lambda: charger.set_autopilot(config.mode == Mode.AUTOPILOT, self.clock()))
        runner.start()

    async def remove(
        self,
        key: Key,
        *,
        reason: StopReason = StopReason.POWER_LOSS,
        closing: tuple[Reason, str] = (Reason.SWITCHED_OFF, "charger switched off"),
        details: Mapping[str, object] | None = None,
    ) -> tuple[float, ...] | None:
        """Stop the charger: end its sessions, let the stop messages out, disconnect, and
        keep what it still owes its backend in the journal.

        ``closing`` is why the connection ends, for the message log (with ``details``):
        switched off, or reconfigured before it starts again. Returns its final meter
        registers (None if it was not running).
        """
        current = self._running.pop(key, None)
        if current is None:
            return None
        runner = current.runner
        charger = runner.session.charger
        runner.act(lambda: charger.stop_all(reason, self.clock()))
        await runner.close(reason=closing[0], text=closing[1], details=details)
        if self.journal is not None and current.config.charger_id:
            try:
                await self.journal.flush(current.config.charger_id, runner)
            except JournalError as exc:
                log.error("charger %s stopped, its journal not saved: %s", key[1], exc)
        return _registers(charger)

    async def settle(self, key: Key) -> None:
        """Wait until what the charger's last action queued is in its journal (raises
        JournalError when the store cannot take it: the caller reports the failure)."""
        current = self._running.get(key)
        if current is not None and self.journal is not None and current.config.charger_id:
            await self.journal.flush(current.config.charger_id, current.runner)

    async def close(self) -> dict[Key, tuple[float, ...]]:
        """Stop every charger; returns their final meter registers."""
        keys = list(self._running)
        results = await asyncio.gather(*(self.remove(key) for key in keys))
        return {k: m for k, m in zip(keys, results, strict=True) if m is not None}

    # ------------------------------------------------------------------ reading

    def state(self, key: Key) -> ChargerState | None:
        current = self._running.get(key)
        if current is None:
            return None
        runner = current.runner
        return live_state(
            runner.session.charger,
            self.clock(),
            connected=runner.connected,
            connection_error=runner.connection_error,
            queued_messages=runner.session.pending_transaction_messages(),
            offline_since=runner.offline_since,
        )

    def counts(self) -> tuple[int, int, int, int]:
        """(running, connected, frames sent, frames received) over every charger."""
        connected = sent = received = 0
        for current in self._running.values():
            runner = current.runner
            connected += runner.connected and runner.session.charger.accepted
            sent += runner.session.rpc.frames_sent
            received += runner.session.rpc.frames_received
        return len(self._running), connected, sent, received

    def meters(self, key: Key) -> tuple[float, ...] | None:
        current = self._running.get(key)
        if current is None:
            return None
        return _registers(current.runner.session.charger)

    # ------------------------------------------------------------------ actions

    def _runner(self, key: Key) -> Runner:
        current = self._running.get(key)
        if current is None:
            raise Refused("the charger is off")
        return current.runner

    def start_session(
        self, key: Key, connector: int | None, id_tag: str, target_wh: float | None
    ) -> int:
        runner = self._runner(key)
        charger = runner.session.charger
        return runner.act(lambda: charger.start(connector, id_tag, target_wh, self.clock()))

    def stop_session(self, key: Key, connector: int | None) -> int:
        runner = self._runner(key)
        charger = runner.session.charger
        return runner.act(lambda: charger.stop(connector, StopReason.LOCAL, self.clock()))


def _restart_changes(old: ChargerConfig, new: ChargerConfig) -> list[str]:
    """The settings a running charger takes only by connecting again (the connection or the
    charger is built from them), in words for the message log; empty: adjust in place."""
    a, b = old.endpoint, new.endpoint
    # Basic Auth on or off, or TLS required or not, is a change of security profile; the
    # credentials changing while on is a new password.
    profile = (a.basic_auth is None, a.require_tls) != (b.basic_auth is None, b.require_tls)
    checks = (
        (old.version != new.version, "OCPP version"),
        (a.url != b.url, "backend URL"),
        (profile, "security profile"),
        (not profile and a.basic_auth != b.basic_auth, "Basic Auth password"),
        (a.ca_certificate_pem != b.ca_certificate_pem, "CA certificate"),
        (a.source_address != b.source_address, "source address"),
        (old.spec.num_connectors != new.spec.num_connectors, "number of connectors"),
        (old.spec.charger_type != new.spec.charger_type, "charger type"),
    )
    changed = [words for differs, words in checks if differs]
    if not changed and a != b:
        changed.append("connection settings")  # a field added to Endpoint later
    return changed


def _registers(charger: Charger) -> tuple[float, ...]:
    return tuple(round(c.meter_wh, 1) for c in charger.connectors.values())
