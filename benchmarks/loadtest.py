"""Benchmark: the mass-charger load test, through the real server or the worker pool alone.

    .venv/bin/python benchmarks/loadtest.py --chargers 10000 --seconds 60
    .venv/bin/python benchmarks/loadtest.py --via pool --chargers 50000 --mode connect \\
        --workers 4 --csms-processes 4 --source-addresses 127.0.0.1,127.0.0.2

``--via api`` (default) starts ``ocppsim serve`` in its own process with a fresh SQLite file,
points its first user at the demo CSMS in lean mode (its own processes, sharing one port), sets
the batch size, and calls ``POST /api/mass-charger/apply``. While the run ramps and charges,
``GET /api/chargers`` is probed every 50 ms for the API's latency. ``--via pool`` drives the
same worker pool without the server (``ocppsim loadtest``'s path), for runs past the REST
range. Workload (the one the issue compares simulators on): OCPP 1.6, boot, one long
transaction per charger, MeterValues every 15 s, Heartbeat every 60 s (the backend's interval).

Measured: seconds from apply until every charger is connected, booted and charging (or booted,
in connect mode); RSS per added charger, all simulator processes summed, above their baseline
with the workers started; simulator CPU per OCPP call + reply over a steady window (the worker
processes, and separately the API process, which also serves the probes); API latency; errors;
the backend's CPU, separately. Writes benchmarks/results/loadtest-<mode>-<N>.json. Traffic
stays on 127.0.0.1 and the run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from common import cpu_seconds, free_port, machine, raise_open_files, rss_bytes, run_fast, write

from ocppsim.loadtest.plan import MassMode, Plan
from ocppsim.loadtest.pool import LoadTest, WorkerPool


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _summed(pids: list[int], read: Callable[[int], float]) -> float:
    """``read`` over processes, skipping any that ended meanwhile."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += read(pid)
    return total


def tree_cpu(pids: list[int]) -> float:
    return _summed(pids, cpu_seconds)


def tree_rss(pids: list[int]) -> int:
    return int(_summed(pids, rss_bytes))


def start_lean_csms(port: int, processes: int, interval: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ocppsim.democsms.lean",
            f"--port={port}",
            f"--processes={processes}",
            f"--interval={interval}",
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while len(children(process.pid)) < processes and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # the children import and bind
    return process


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def latency_summary(samples: list[float]) -> dict[str, float | int]:
    ms = [s * 1000 for s in samples]
    return {
        "count": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms, default=0.0), 2),
        "mean_ms": round(statistics.fmean(ms), 2) if ms else 0.0,
    }


class Api:
    """The server in its own process, and a client for it."""

    def __init__(self, args: argparse.Namespace, backend: str, tmp: Path) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "OCPPSIM_DATA_DIR": str(tmp),
            "OCPPSIM_DEFAULT_BACKEND_URL": backend,
            "OCPPSIM_LOADTEST_MAX_CHARGERS": str(max(20_000, args.chargers)),
            "OCPPSIM_LOADTEST_SOURCE_ADDRESSES": args.source_addresses or "",
        }
        if args.workers:
            env["OCPPSIM_LOADTEST_WORKERS"] = str(args.workers)
        # Output to files: uvicorn writes an access-log line per request, and an unread pipe
        # would block the server once it is full.
        out = tmp / "server.out"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ocppsim", "serve", "--no-demo-csms", f"--port={self.port}"],
            env=env,
            stdout=out.open("w"),
            stderr=(tmp / "server.log").open("w"),
        )
        self.key = ""
        deadline = time.monotonic() + 30
        while not self.key and time.monotonic() < deadline:
            found = re.search(r"API key:\s+(\S+)", out.read_text())
            if found:
                self.key = found.group(1)
            time.sleep(0.1)
        if not self.key:
            sys.exit("the server did not print an API key")
        self.client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.port}", headers={"X-API-Key": self.key}, timeout=30
        )

    async def ready(self) -> None:
        for _ in range(200):
            try:
                if (await self.client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
        sys.exit("the server did not start")

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        r = await self.client.request(method, path, json=body)
        if r.status_code >= 400:
            sys.exit(f"{method} {path}: {r.status_code} {r.text}")
        return r.json()

    def pids(self) -> list[int]:
        return [self.process.pid, *children(self.process.pid)]

    async def close(self) -> None:
        await self.client.aclose()
        self.process.terminate()
        self.process.wait(timeout=60)


async def probe(api: Api, samples: dict[str, list[float]], phase: list[str]) -> None:
    """GET /api/chargers every 50 ms; each latency is filed under the phase it started in."""
    while True:
        started = time.perf_counter()
        r = await api.client.get("/api/chargers")
        elapsed = time.perf_counter() - started
        if r.status_code == 200:
            samples.setdefault(phase[0], []).append(elapsed)
        await asyncio.sleep(max(0.0, 0.05 - elapsed))


def reached(mode: MassMode, n: int, s: dict[str, Any]) -> bool:
    if mode == MassMode.CONNECT:
        return int(s["booted"]) >= n
    return int(s["charging"]) >= n and int(s["booted"]) >= n


async def via_api(args: argparse.Namespace, backend: str, tmp: Path) -> dict[str, Any]:
    api = Api(args, backend, tmp)
    await api.ready()
    try:
        await api.call(
            "POST",
            "/api/settings",
            {"mass_batch_size": args.batch_size, "heartbeat_interval": 60},
        )
        for n in range(10):  # a small persistent fleet for the list endpoint (off: no dialing)
            await api.call(
                "POST",
                "/api/chargers",
                {"chargepoint_id": f"OWN-{n}", "charger_type": "AC", "max_power_kw": 22.0},
            )
        await api.call("POST", "/api/mass-charger/apply", {"target": 0, "mode": "idle"})
        await asyncio.sleep(2.0)  # the workers started, imported and are idle: the baseline
        pids = api.pids()
        workers = [p for p in pids if p != api.process.pid]
        rss0 = tree_rss(pids)
        samples: dict[str, list[float]] = {}
        phase = ["idle"]
        prober = asyncio.create_task(probe(api, samples, phase))
        await asyncio.sleep(1.0)
        phase[0] = "ramp"
        t0 = time.monotonic()
        body = {"target": args.chargers, "mode": args.mode, "meter_interval": 15}
        await api.call("POST", "/api/mass-charger/apply", body)
        stats = await wait_reached(lambda: api.call("GET", "/api/mass-charger/stats"), args, t0)
        ramp = time.monotonic() - t0
        result = await steady(
            args, lambda: api.call("GET", "/api/mass-charger/stats"), workers, api, phase, stats
        )
        result["rss_baseline_mb"] = round(rss0 / 2**20, 1)
        result["rss_per_charger_kb"] = round((result.pop("_rss") - rss0) / args.chargers / 1024, 2)
        prober.cancel()
        result["api_latency_get_chargers"] = {k: latency_summary(v) for k, v in samples.items()}
        result["ramp_seconds"] = round(ramp, 2)
        t1 = time.monotonic()
        await api.call("POST", "/api/mass-charger/stop")
        result["stop_seconds"] = round(time.monotonic() - t1, 2)
        return result
    finally:
        await api.close()
        if args.server_log:
            print((tmp / "server.log").read_text()[-5000:], file=sys.stderr)


async def via_pool(args: argparse.Namespace, backend: str) -> dict[str, Any]:
    pool = WorkerPool(args.workers)
    await pool.start()
    run = LoadTest(pool, "bench")
    try:
        await run.apply(Plan(backend, 0, MassMode.IDLE))
        await asyncio.sleep(2.0)
        pids = [os.getpid(), *pool.pids()]
        rss0 = tree_rss(pids)
        t0 = time.monotonic()
        addresses = tuple(a for a in (args.source_addresses or "").split(",") if a)
        plan = Plan(
            backend,
            args.chargers,
            MassMode(args.mode),
            batch_size=args.batch_size,
            meter_interval=15,
            heartbeat_interval=60,
            source_addresses=addresses,
        )
        await run.apply(plan)

        async def read() -> dict[str, Any]:
            """The pool's totals in the API's counter names, as the API path reads them."""
            return (await run.stats()).to_json()

        stats = await wait_reached(read, args, t0)
        ramp = time.monotonic() - t0
        result = await steady(args, read, pool.pids(), None, None, stats)
        result["rss_baseline_mb"] = round(rss0 / 2**20, 1)
        result["rss_per_charger_kb"] = round((result.pop("_rss") - rss0) / args.chargers / 1024, 2)
        result["ramp_seconds"] = round(ramp, 2)
        t1 = time.monotonic()
        await run.stop()
        result["stop_seconds"] = round(time.monotonic() - t1, 2)
        return result
    finally:
        await pool.close()


async def wait_reached(read: Any, args: argparse.Namespace, t0: float) -> dict[str, Any]:
    mode = MassMode(args.mode)
    while True:
        stats: dict[str, Any] = await read()
        if reached(mode, args.chargers, stats) or time.monotonic() - t0 > args.ramp_timeout:
            return stats
        # Four reads a second: each costs the workers a pass over their chargers, and the
        # ramp's figure needs no finer grain than this.
        await asyncio.sleep(0.25)


async def steady(
    args: argparse.Namespace,
    read: Any,
    workers: list[int],
    api: Api | None,
    phase: list[str] | None,
    ramp_stats: dict[str, Any],
) -> dict[str, Any]:
    """Let the ramp's tail pass, then measure a window of ``args.seconds``."""
    if phase is not None:
        phase[0] = "settle"
    await asyncio.sleep(5.0)
    if phase is not None:
        phase[0] = "steady"
    s0 = await read()
    cpu_w0 = tree_cpu(workers)
    cpu_a0 = cpu_seconds(api.process.pid) if api else 0.0
    t0 = time.monotonic()
    await asyncio.sleep(args.seconds)
    elapsed = time.monotonic() - t0
    s1 = await read()
    cpu_w = tree_cpu(workers) - cpu_w0
    cpu_a = (cpu_seconds(api.process.pid) - cpu_a0) if api else 0.0
    frames = (s1["messages_sent"] + s1["messages_received"]) - (
        s0["messages_sent"] + s0["messages_received"]
    )
    calls = frames / 2
    rss = tree_rss(([api.process.pid] if api else [os.getpid()]) + workers)
    return {
        "_rss": rss,
        "at_ramp_end": {k: ramp_stats[k] for k in ("connected", "booted", "charging", "errors")},
        "at_end": {
            k: s1[k]
            for k in ("created", "connected", "booted", "charging", "errors", "errors_by_kind")
        },
        "measured_seconds": round(elapsed, 2),
        "calls_per_second": round(calls / elapsed, 1),
        "worker_cpu_seconds": round(cpu_w, 3),
        "worker_cpu_cores": round(cpu_w / elapsed, 3),
        "cpu_us_per_call_and_reply": round(cpu_w / calls * 1e6, 1) if calls else None,
        "api_process_cpu_seconds": round(cpu_a, 3),
        "cpu_us_per_call_incl_api_process": round((cpu_w + cpu_a) / calls * 1e6, 1)
        if calls
        else None,
        "latency_to_backend": s1["latency"],
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    csms = start_lean_csms(port, args.csms_processes, 60)
    csms_pids = [csms.pid, *children(csms.pid)]
    csms_cpu0 = tree_cpu(csms_pids)
    backend = f"ws://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if args.via == "api":
                result = await via_api(args, backend, Path(tmp))
            else:
                result = await via_pool(args, backend)
    finally:
        result_cpu = tree_cpu(csms_pids) - csms_cpu0
        csms.terminate()
        csms.wait(timeout=30)
    result["backend_cpu_seconds_whole_run"] = round(result_cpu, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--via", choices=("api", "pool"), default="api")
    parser.add_argument("--chargers", type=int, default=10_000)
    parser.add_argument("--mode", choices=("connect", "charging"), default="charging")
    parser.add_argument("--seconds", type=float, default=60.0, help="steady window")
    parser.add_argument("--batch-size", type=int, default=2500)
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    parser.add_argument("--csms-processes", type=int, default=2)
    parser.add_argument("--source-addresses", default="", help="e.g. 127.0.0.1,127.0.0.2")
    parser.add_argument("--ramp-timeout", type=float, default=120.0)
    parser.add_argument("--server-log", action="store_true", help="print the server's log tail")
    args = parser.parse_args()
    if args.via == "api" and args.chargers > 10_000:
        parser.error("the REST API takes at most 10,000 chargers per run: use --via pool")
    raise_open_files(1024)
    result: dict[str, Any] = {
        "via": args.via,
        "chargers": args.chargers,
        "mode": args.mode,
        "batch_size": args.batch_size,
        "workers": args.workers or os.cpu_count(),
        "csms_processes": args.csms_processes,
        "source_addresses": args.source_addresses,
    }
    result.update(run_fast(main_async(args)))
    result["machine"] = machine()
    write(f"loadtest-{args.mode}-{args.chargers}", result)


if __name__ == "__main__":
    main()
