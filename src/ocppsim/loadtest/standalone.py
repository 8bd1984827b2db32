"""``ocppsim loadtest``: the load-test engine without the server, for a terminal or CI.

The same worker pool and engines as the server's runs; a progress line about once a second
and, at the end, a report with the plan, how long the ramp took, the final counters, latency
per action and the errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable
from typing import Any

from ocppsim.loadtest import preflight
from ocppsim.loadtest.plan import MassMode, Plan
from ocppsim.loadtest.pool import LoadTest, WorkerPool
from ocppsim.loadtest.stats import RunTotals, ShardStats

#: Progress is shown this often (seconds) on a terminal; elsewhere every fifth time.
TICK = 1.0


def _reached(plan: Plan, stats: ShardStats) -> bool:
    if plan.mode == MassMode.IDLE:
        return stats.created >= plan.target
    if plan.mode == MassMode.CONNECT:
        return stats.booted >= plan.target
    return stats.charging >= plan.target


def _line(elapsed: float, plan: Plan, run: RunTotals) -> str:
    s = run.total
    p95 = max((v["p95_ms"] for v in s.latency_summary().values()), default=0.0)
    return (
        f"{elapsed:6.1f}s  created {s.created}/{plan.target}  connected {s.connected}  "
        f"booted {s.booted}  charging {s.charging}  errors {s.errors}  "
        f"{run.messages_per_second:.0f} msg/s  worst p95 {p95:.1f} ms"
    )


async def run_standalone(
    plan: Plan, duration: float, workers: int | None, progress: Callable[[str], None]
) -> tuple[dict[str, Any], bool]:
    """Run ``plan`` for ``duration`` seconds; returns (report, every charger reached the
    mode). Raises RuntimeError with a readable reason when the run cannot start."""
    if len(plan.chargepoint_id(plan.target - 1)) > 48:
        raise RuntimeError("the prefix makes chargepoint ids longer than 48 characters")
    pool = WorkerPool(workers)
    try:
        preflight.check_open_files(plan.target, pool.size)
        preflight.check_ports(plan.target, len(plan.source_addresses))
        if plan.mode != MassMode.IDLE:
            await preflight.check_backend(plan.backend_url)
    except preflight.PreflightError as exc:
        raise RuntimeError(str(exc)) from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await pool.start()
    run = LoadTest(pool, "cli")
    ramp_seconds: float | None = None
    started = time.monotonic()
    try:
        await run.apply(plan)
        stats = await run.stats()
        while (elapsed := time.monotonic() - started) < duration and not stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(TICK):
                    await stop.wait()
            stats = await run.stats()
            elapsed = time.monotonic() - started
            if ramp_seconds is None and _reached(plan, stats.total):
                ramp_seconds = round(elapsed, 2)
            progress(_line(elapsed, plan, stats))
        errors = await run.errors()
        progress("stopping: disconnecting every charger ...")
        await run.stop()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await pool.close()
    reached = ramp_seconds is not None
    report = {
        "plan": plan.to_json(),
        "duration_s": round(time.monotonic() - started, 2),
        "interrupted": stop.is_set(),
        "reached_mode_after_s": ramp_seconds,
        "all_reached_mode": reached,
        "stats": {k: v for k, v in stats.to_json().items() if k != "ramping"},
        "errors": [e.to_json() for e in errors],
    }
    return report, reached
