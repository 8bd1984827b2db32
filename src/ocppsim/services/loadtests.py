"""Mass-charger load tests: one run per user, sharded over the server's worker processes.

A run uses the user's settings (backend URL, default RFID, heartbeat interval, batch size);
the request picks target, mode and optionally the OCPP version mix, the id prefix and the
meter-value interval (unset optional fields keep the run's previous values). Runs are not
stored: a server restart ends them. The server caps the mass chargers of all runs together.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ocppsim.core.limits import CHARGEPOINT_ID, ID_PREFIX, MASS_TARGET, METER_INTERVAL
from ocppsim.core.model import OcppVersion
from ocppsim.loadtest import preflight
from ocppsim.loadtest.plan import DEFAULT_METER_INTERVAL, MassMode, Plan, parse_versions
from ocppsim.loadtest.pool import LoadTest, WorkerError, WorkerPool, pool_size
from ocppsim.loadtest.stats import SHOWN, ErrorEntry
from ocppsim.services.errors import Conflict, Invalid, TooMany, refuse
from ocppsim.store.records import SettingsRecord
from ocppsim.store.repository import Store


@dataclass(frozen=True, slots=True)
class LoadTestLimits:
    """Server-wide: worker processes (None: one per core), the cap on mass chargers of all
    runs together, and the local addresses connections are spread over."""

    workers: int | None = None
    max_chargers: int = 20_000
    source_addresses: tuple[str, ...] = ()
    #: False on a server that runs no chargers (API-only mode).
    enabled: bool = True
    #: The open-file limit a worker may reach (None: this process's hard limit).
    open_file_limit: int | None = None


@dataclass(frozen=True, slots=True)
class ApplyRequest:
    target: int
    mode: MassMode
    versions: dict[str, float] | None = None
    id_prefix: str | None = None
    meter_interval: int | None = None


@dataclass(frozen=True, slots=True)
class RunStats:
    """What ``GET /api/mass-charger/stats`` shows; counters are summed over the shards."""

    running: bool
    target: int
    mode: str | None
    backend_url: str
    versions: dict[str, float]
    id_prefix: str
    meter_interval: int
    batch_size: int
    started_at: datetime | None
    counters: dict[str, int]
    messages_per_second: float
    ramp: dict[str, Any]
    latency: dict[str, dict[str, float | int]]
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    workers: int = 0


def _check(request: ApplyRequest) -> None:
    refuse("target", MASS_TARGET.problem(request.target))
    if request.id_prefix is not None:
        refuse("id_prefix", ID_PREFIX.problem(request.id_prefix))
    if request.meter_interval is not None:
        refuse("meter_interval", METER_INTERVAL.problem(request.meter_interval))


class LoadTests:
    def __init__(self, store: Store, limits: LoadTestLimits | None = None) -> None:
        self._store = store
        self.limits = limits or LoadTestLimits()
        self._pool: WorkerPool | None = None
        self._runs: dict[int, LoadTest] = {}
        self._lock = asyncio.Lock()

    @property
    def pool(self) -> WorkerPool | None:
        return self._pool

    async def _ensure_pool(self) -> WorkerPool:
        if self._pool is None:
            pool = WorkerPool(self.limits.workers)
            try:
                await pool.start()
            except OSError as exc:
                raise Conflict(f"cannot start the load-test worker processes: {exc}") from None
            self._pool = pool
        return self._pool

    def _plan(
        self, user_id: int, request: ApplyRequest, previous: Plan | None, s: SettingsRecord
    ) -> Plan:
        if request.versions is not None:
            try:
                versions = parse_versions(request.versions)
            except ValueError as exc:
                raise Invalid("versions", str(exc)) from None
        else:
            versions = previous.versions if previous else ((OcppVersion.V16, 1.0),)
        return Plan(
            backend_url=s.ocpp_backend_url,
            target=request.target,
            mode=request.mode,
            batch_size=s.mass_batch_size,
            versions=versions,
            prefix=request.id_prefix
            if request.id_prefix is not None
            else (previous.prefix if previous else f"MASS{user_id}-"),
            meter_interval=request.meter_interval
            or (previous.meter_interval if previous else DEFAULT_METER_INTERVAL),
            heartbeat_interval=s.heartbeat_interval,
            id_tag=s.rfid_card_id,
            source_addresses=self.limits.source_addresses,
        )

    async def apply(self, user_id: int, request: ApplyRequest) -> RunStats:
        """Start or change the user's run; refuses what cannot fit before anything starts."""
        _check(request)
        if not self.limits.enabled:
            raise Conflict("this server runs no chargers (API-only mode): no load tests")
        settings = await self._store.get_settings(user_id)
        async with self._lock:
            run = self._runs.get(user_id)
            previous = run.plan if run is not None else None
            plan = self._plan(user_id, request, previous, settings)
            if len(plan.chargepoint_id(max(0, plan.target - 1))) > CHARGEPOINT_ID.high:
                raise Invalid(
                    "id_prefix",
                    f"makes chargepoint ids longer than {CHARGEPOINT_ID.high} characters",
                )
            others = sum(
                r.plan.target for uid, r in self._runs.items() if uid != user_id and r.plan
            )
            cap = self.limits.max_chargers
            if others + plan.target > cap:
                raise TooMany(
                    f"this server runs at most {cap} load-test chargers at once and other "
                    f"runs use {others}: at most {max(0, cap - others)} are left for yours"
                )
            await self._preflight(plan, others)
            pool = await self._ensure_pool()
            if run is None:
                run = self._runs[user_id] = LoadTest(pool, f"user-{user_id}")
            try:
                await run.apply(plan)
            except WorkerError as exc:
                raise Conflict(f"the load-test workers did not take the run: {exc}") from None
        return await self.stats(user_id)

    async def _preflight(self, plan: Plan, others: int) -> None:
        if plan.target == 0:
            return
        workers = self._pool.size if self._pool else pool_size(self.limits.workers)
        try:
            preflight.check_open_files(plan.target + others, workers, self.limits.open_file_limit)
            preflight.check_ports(plan.target + others, len(plan.source_addresses))
            if plan.mode != MassMode.IDLE:
                await preflight.check_backend(plan.backend_url)
        except preflight.PreflightError as exc:
            raise Conflict(str(exc)) from None

    async def stats(self, user_id: int) -> RunStats:
        run = self._runs.get(user_id)
        plan = run.plan if run is not None else None
        if run is None or plan is None:
            settings = await self._store.get_settings(user_id)
            return RunStats(
                running=False,
                target=0,
                mode=None,
                backend_url=settings.ocpp_backend_url,
                versions={"1.6": 1.0},
                id_prefix=f"MASS{user_id}-",
                meter_interval=DEFAULT_METER_INTERVAL,
                batch_size=settings.mass_batch_size,
                started_at=None,
                counters=dict.fromkeys(SHOWN, 0),
                messages_per_second=0.0,
                ramp={"started": 0, "pending": 0, "batches": 0, "progress": 1.0, "done": True},
                latency={},
            )
        try:
            totals = await run.stats()
        except WorkerError as exc:
            raise Conflict(f"the load-test workers did not answer: {exc}") from None
        total = totals.total
        started, pending = total.ramp_started, total.ramp_pending
        return RunStats(
            running=True,
            target=plan.target,
            mode=str(plan.mode),
            backend_url=plan.backend_url,
            versions={str(v): share for v, share in plan.versions},
            id_prefix=plan.prefix,
            meter_interval=plan.meter_interval,
            batch_size=plan.batch_size,
            started_at=datetime.fromtimestamp(run.started_at, UTC) if run.started_at else None,
            counters={name: n for name, n in total.counters().items() if name in SHOWN},
            messages_per_second=totals.messages_per_second,
            ramp={
                "started": started,
                "pending": pending,
                "batches": total.batches,
                "progress": round(started / (started + pending), 4) if started + pending else 1.0,
                "done": not total.ramping and pending == 0,
            },
            latency=total.latency_summary(),
            errors_by_kind=dict(total.errors_by_kind),
            workers=totals.workers,
        )

    async def stop(self, user_id: int) -> RunStats:
        async with self._lock:
            run = self._runs.pop(user_id, None)
            if run is not None:
                try:
                    await run.stop()
                except WorkerError as exc:
                    raise Conflict(f"the load-test workers did not stop the run: {exc}") from None
        return await self.stats(user_id)

    async def errors(self, user_id: int) -> list[ErrorEntry]:
        """The run's newest errors, newest first (none without a run)."""
        run = self._runs.get(user_id)
        if run is None:
            return []
        try:
            return await run.errors()
        except WorkerError as exc:
            raise Conflict(f"the load-test workers did not answer: {exc}") from None

    async def clear_errors(self, user_id: int) -> None:
        run = self._runs.get(user_id)
        if run is not None:
            try:
                await run.clear_errors()
            except WorkerError as exc:
                raise Conflict(f"the load-test workers did not answer: {exc}") from None

    async def shutdown(self) -> None:
        """Stop every run and the worker processes."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        self._runs.clear()
