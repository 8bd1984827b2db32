"""One shard of a load-test run, in one process: mass chargers ramped in batches.

Every mass charger is the real thing: a core ``Charger``, an OCPP ``Session`` of its version
and a ``Runner`` on the picows transport, exactly as a persistent charger, only without the
message log. The engine reconciles what runs with the latest plan: it removes the surplus,
creates what is missing, moves every charger to the plan's mode, and starts connections in
batches, each batch once the previous one has booted or failed.

Memory is what limits a run, so per-charger state is small: the configuration tables are
shared (``protocol``), one random generator serves the whole shard, and nothing is recorded
per frame. After a ramp the survivors are moved out of the garbage collector's way
(``gc.freeze``): full collections over 10,000 connections would otherwise pause the loop for
hundreds of milliseconds (DESIGN.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from ocppsim import __version__
from ocppsim.core.backoff import BackOff
from ocppsim.core.charger import Charger, ChargerSpec, Refused
from ocppsim.core.intents import StopReason
from ocppsim.core.model import ChargerType
from ocppsim.loadtest.plan import MassMode, Plan, shard_indices
from ocppsim.loadtest.stats import ErrorEntry, Errors, Histogram, ShardStats
from ocppsim.protocol.common import Identity
from ocppsim.protocol.session import Session
from ocppsim.runtime.events import EventKind, Reason, RunnerEvent
from ocppsim.runtime.runner import Endpoint, Runner
from ocppsim.transport import MIN_FRAME_BYTES

log = logging.getLogger("ocppsim.loadtest")

#: A batch that has neither booted nor failed by then no longer holds the ramp back.
BATCH_TIMEOUT = 60.0
#: Mass chargers take frames up to 64 KiB, not the server's OCPPSIM_MAX_FRAME_BYTES: what a
#: backend can make one connection buffer bounds a 10,000-charger run (reference L2: max_size
#: at most 64 KiB for load runs). A larger CALL gets its CALLERROR like any charger's.
MASS_MAX_FRAME_BYTES = MIN_FRAME_BYTES
#: Connection failures for these reasons; the rest are "connect_failed".
_CONNECT_KINDS: dict[Reason | None, str] = {
    Reason.REFUSED: "connect_refused",
    Reason.HTTP: "handshake_rejected",
    Reason.SUBPROTOCOL: "handshake_rejected",
    Reason.TLS: "handshake_rejected",
    Reason.TIMEOUT: "timeout",
}


@dataclass(slots=True, eq=False)
class _Mass:
    index: int
    chargepoint_id: str
    session: Session | None = None
    runner: Runner | None = None
    #: Booted or failed since its runner started (the ramp waits for its batch to settle).
    settled: bool = True


def _mass_spec(plan: Plan) -> ChargerSpec:
    return ChargerSpec(
        charger_type=ChargerType.AC,
        max_power_kw=plan.max_power_kw,
        num_connectors=1,
        id_tag=plan.id_tag,
        heartbeat_interval=plan.heartbeat_interval,
        meter_interval=plan.meter_interval,
        # Later sessions (after an EV is full) start by themselves; targets above any
        # battery, so a session lasts until the EV is full.
        autopilot_energy_wh=(200_000.0, 200_000.0),
        autopilot_gap_s=(5.0, 30.0),
    )


def _rebuild_key(plan: Plan) -> tuple[Any, ...]:
    """What the chargers are built from: when it changes, the run is rebuilt."""
    return (
        plan.backend_url,
        plan.versions,
        plan.prefix,
        plan.meter_interval,
        plan.heartbeat_interval,
        plan.id_tag,
        plan.max_power_kw,
        plan.source_addresses,
    )


class LoadEngine:
    """Runs shard ``shard`` of ``shards`` of one run; every method is called on the loop."""

    def __init__(
        self,
        shard: int = 0,
        shards: int = 1,
        *,
        clock: Callable[[], float] = time.time,
        backoff: BackOff | None = None,
        message_timeout: float = 30.0,
        seed: int = 0,
    ) -> None:
        self.shard = shard
        self.shards = shards
        self.clock = clock
        self.backoff = backoff or BackOff()
        self.message_timeout = message_timeout
        # One generator for the shard: a Random per charger would cost 2.5 KB each.
        self.rng = random.Random(seed * 1_000_003 + shard)
        self.plan: Plan | None = None
        self.chargers: dict[int, _Mass] = {}
        self.errors = Errors()
        self.latency: dict[str, Histogram] = {}
        self.batches = 0
        self.ramp_started = 0
        self._built_from: tuple[Any, ...] | None = None
        self._shared_spec: tuple[tuple[Any, ...], ChargerSpec] | None = None
        self._retired_sent = 0
        self._retired_received = 0
        self._generation = 0
        self._reconciling = False
        self._wake = asyncio.Event()
        self._done = asyncio.Event()
        self._batch_left = 0
        self._batch_settled = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._frozen = False

    # ------------------------------------------------------------------ commands

    def apply(self, plan: Plan) -> None:
        """Take a new plan; the engine gets there in the background (``settled()`` waits)."""
        self.ramp_started = 0  # ramp progress counts from the latest plan
        self.batches = 0
        self.plan = plan
        self._generation += 1
        self._done.clear()
        self._wake.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._reconcile_forever())

    async def settled(self, timeout: float | None = None) -> None:
        """Wait until the latest plan is reached (ramp finished, surplus removed)."""
        async with asyncio.timeout(timeout):
            await self._done.wait()

    async def close(self) -> None:
        """Disconnect and remove every charger, then stop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        chargers, self.chargers = list(self.chargers.values()), {}
        self._unfreeze()
        await asyncio.gather(*(self._retire(m) for m in chargers))
        self.plan = None

    # ------------------------------------------------------------------ reconciling

    async def _reconcile_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            generation = self._generation
            self._reconciling = True
            try:
                await self._reconcile(generation)
            except Exception:  # never let one plan's failure end the engine
                log.exception("load-test shard %d failed to apply its plan", self.shard)
            finally:
                self._reconciling = False
            if generation == self._generation:
                self._done.set()

    async def _reconcile(self, generation: int) -> None:
        plan = self.plan
        assert plan is not None
        if self._built_from is not None and self._built_from != _rebuild_key(plan):
            await self._remove([*self.chargers])  # backend, versions or intervals changed
        self._built_from = _rebuild_key(plan)
        wanted = shard_indices(plan.target, self.shard, self.shards)
        await self._remove([i for i in self.chargers if i >= plan.target])
        for index in wanted:
            if index not in self.chargers:
                self.chargers[index] = self._create(index, plan)
        if plan.mode == MassMode.IDLE:
            await asyncio.gather(
                *(self._disconnect(m) for m in self.chargers.values() if m.runner is not None)
            )
            return
        charging = plan.mode == MassMode.CHARGING
        for m in self.chargers.values():
            self._set_mode(m, charging)
        pending = [self.chargers[i] for i in wanted if self.chargers[i].runner is None]
        size = max(1, math.ceil(plan.batch_size / self.shards))
        for start in range(0, len(pending), size):
            if generation != self._generation:
                return
            batch = pending[start : start + size]
            await self._start_batch(batch, generation)
            self.batches += 1
            # What a batch built lives as long as the run: out of the collector's sight at
            # once, or every full collection during the ramp scans all chargers so far (a
            # quarter of the ramp's CPU, measured).
            gc.freeze()
            self._frozen = True
        self._freeze()

    async def _start_batch(self, batch: list[_Mass], generation: int) -> None:
        self._batch_left = len(batch)
        self._batch_settled.clear()
        for m in batch:
            m.settled = False
            m.runner = self._runner(m)
            m.runner.start()
            self.ramp_started += 1
        deadline = time.monotonic() + BATCH_TIMEOUT
        while not self._batch_settled.is_set() and generation == self._generation:
            left = deadline - time.monotonic()
            if left <= 0:
                log.info("a batch did not settle in %.0f s; the ramp goes on", BATCH_TIMEOUT)
                break
            try:
                async with asyncio.timeout(min(left, 0.2)):
                    await self._batch_settled.wait()
            except TimeoutError:
                continue
        for m in batch:
            m.settled = True

    def _spec(self, plan: Plan) -> ChargerSpec:
        """The one spec every charger of the plan shares (it is immutable)."""
        key = _rebuild_key(plan)
        if self._shared_spec is None or self._shared_spec[0] != key:
            self._shared_spec = (key, _mass_spec(plan))
        return self._shared_spec[1]

    def _create(self, index: int, plan: Plan) -> _Mass:
        chargepoint_id = plan.chargepoint_id(index)
        m = _Mass(index, chargepoint_id)
        identity = Identity("ocppsim", "Sim-AC", chargepoint_id[-25:], __version__)
        m.session = Session(
            Charger(self._spec(plan), self.rng),
            plan.version_of(index),
            identity,
            record_frames=False,
            message_timeout=self.message_timeout,
            on_answer=partial(self._on_answer, m),
        )
        return m

    def _runner(self, m: _Mass) -> Runner:
        plan = self.plan
        assert plan is not None
        assert m.session is not None
        url = f"{plan.backend_url.rstrip('/')}/{m.chargepoint_id}"
        return Runner(
            m.session,
            Endpoint(url, source_address=plan.source_address(m.index)),
            backoff=self.backoff,
            rng=self.rng,
            clock=self.clock,
            on_event=partial(self._on_event, m),
            max_frame_bytes=MASS_MAX_FRAME_BYTES,
        )

    def _set_mode(self, m: _Mass, charging: bool) -> None:
        session, runner = m.session, m.runner
        assert session is not None
        charger = session.charger
        if charger.autopilot == charging:
            return
        now = self.clock()

        def switch() -> None:
            charger.set_autopilot(charging, now)
            if not charging:
                charger.stop_all(StopReason.LOCAL, now)

        if runner is None:
            switch()
            return
        runner.act(switch)
        if charging:
            self._begin_charging(m)

    def _begin_charging(self, m: _Mass) -> None:
        """Start a session at once (the autopilot would wait its gap first)."""
        runner, plan = m.runner, self.plan
        if runner is None or plan is None or plan.mode != MassMode.CHARGING:
            return
        charger = runner.session.charger
        if not (runner.connected and charger.accepted) or charger.has_running_session():
            return
        now = self.clock()
        with contextlib.suppress(Refused):  # busy or faulted: the autopilot tries again later
            runner.act(lambda: charger.start(None, plan.id_tag, None, now))

    async def _remove(self, indices: list[int]) -> None:
        if not indices:
            return
        self._unfreeze()
        gone = [self.chargers.pop(i) for i in indices]
        await asyncio.gather(*(self._retire(m) for m in gone))

    async def _retire(self, m: _Mass) -> None:
        await self._disconnect(m)
        if m.session is not None:
            self._retired_sent += m.session.rpc.frames_sent
            self._retired_received += m.session.rpc.frames_received
            m.session = None

    async def _disconnect(self, m: _Mass) -> None:
        runner = m.runner
        if runner is None:
            return
        m.runner = None
        charger = runner.session.charger
        now = self.clock()
        runner.act(lambda: charger.stop_all(StopReason.LOCAL, now))
        await runner.close()
        self._settle(m)

    # ------------------------------------------------------------------ observing chargers

    def _settle(self, m: _Mass) -> None:
        if m.settled:
            return
        m.settled = True
        self._batch_left -= 1
        if self._batch_left <= 0:
            self._batch_settled.set()

    def _error(self, m: _Mass, kind: str, message: str) -> None:
        self.errors.add(ErrorEntry(self.clock(), m.chargepoint_id, kind, message))

    def _on_event(self, m: _Mass, event: RunnerEvent) -> None:
        """A failed dial settles the charger's batch; every failure and every disconnect that
        was not the charger's own doing (switched off, reconfigured) is an error."""
        if event.kind == EventKind.CONNECT_FAILED:
            kind = _CONNECT_KINDS.get(event.reason, "connect_failed")
            self._error(m, kind, event.text or "")
            self._settle(m)
        elif event.kind == EventKind.DISCONNECTED and not (
            event.reason is not None and event.reason.by_the_charger
        ):
            self._error(m, "disconnect", event.text or "")

    def _on_answer(self, m: _Mass, action: str, seconds: float, outcome: str) -> None:
        if outcome != "timeout":
            histogram = self.latency.get(action)
            if histogram is None:
                histogram = self.latency[action] = Histogram()
            histogram.add(seconds)
        boot = action == "BootNotification"
        if outcome == "timeout":
            self._error(m, "timeout", f"{action}: no answer in {self.message_timeout:.0f} s")
        elif outcome == "invalid answer":
            self._error(m, "invalid_answer", f"{action}: the answer breaks its schema")
        elif outcome:
            self._error(m, "call_error", f"{action}: {outcome}")
        elif boot:
            assert m.session is not None
            charger = m.session.charger
            if charger.accepted:
                if self.plan is not None and self.plan.mode == MassMode.CHARGING:
                    # Not from inside the session's receive: on the next loop turn.
                    asyncio.get_running_loop().call_soon(self._begin_charging, m)
            else:
                self._error(m, "boot_rejected", f"BootNotification {charger.registration}")
        if boot:
            self._settle(m)

    # ------------------------------------------------------------------ reading

    def snapshot(self) -> ShardStats:
        """This shard's counters (summed by the pool) and histograms (merged by it)."""
        connecting = connected = booted = charging = pending = 0
        sent, received = self._retired_sent, self._retired_received
        for m in self.chargers.values():
            session, runner = m.session, m.runner
            if session is None:
                continue
            sent += session.rpc.frames_sent
            received += session.rpc.frames_received
            if runner is None:
                pending += 1
            elif not runner.connected:
                connecting += 1
            else:
                connected += 1
                charger = session.charger
                if charger.accepted:
                    booted += 1
                    if charger.has_running_session():
                        charging += 1
        plan = self.plan
        idle = plan is None or plan.mode == MassMode.IDLE
        return ShardStats(
            target=len(shard_indices(plan.target, self.shard, self.shards)) if plan else 0,
            created=len(self.chargers),
            connecting=connecting,
            connected=connected,
            booted=booted,
            charging=charging,
            errors=self.errors.count,
            messages_sent=sent,
            messages_received=received,
            ramp_started=self.ramp_started,
            ramp_pending=0 if idle else pending,
            batches=self.batches,
            ramping=self._reconciling or self._wake.is_set(),
            errors_by_kind=dict(self.errors.by_kind),
            latency={action: h.copy() for action, h in self.latency.items()},
        )

    def error_list(self) -> list[ErrorEntry]:
        """The newest errors, oldest first."""
        return list(self.errors.entries)

    def clear_errors(self) -> None:
        self.errors.clear()

    # ------------------------------------------------------------------ garbage collector

    def _freeze(self) -> None:
        gc.collect()  # only what is not frozen yet: cheap
        gc.freeze()
        self._frozen = True

    def _unfreeze(self) -> None:
        if self._frozen:
            gc.unfreeze()
            self._frozen = False
