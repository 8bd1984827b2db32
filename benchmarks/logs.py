"""Benchmark: the OCPP message log into SQLite with N chargers running.

    .venv/bin/python benchmarks/logs.py --chargers 1000 --seconds 60 --flood-seconds 15

Phase 1 (live): N OCPP 1.6 chargers in autopilot against the demo CSMS in another process, every
frame and connection event going through the log bus into a SQLite file (WAL), as in the server.
Reports log entries written per second, drops, and the simulator's CPU with logging on.
Phase 2 (flood): while the chargers keep running, synthetic frames are published as fast as the
bus accepts them, to find the sustained write capacity (entries per second actually committed).
Writes benchmarks/results/logs.json. Traffic stays on 127.0.0.1; the run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from common import (
    cpu_seconds,
    free_port,
    machine,
    raise_open_files,
    rss_bytes,
    run_fast,
    start_csms,
    write,
)

from ocppsim.core.backoff import BackOff
from ocppsim.core.charger import ChargerSpec
from ocppsim.core.model import ChargerType, Mode, OcppVersion
from ocppsim.protocol.rpc import Frame
from ocppsim.runtime.fleet import ChargerConfig, Fleet
from ocppsim.runtime.runner import Endpoint
from ocppsim.services.container import Services
from ocppsim.store.db import sqlite_url

#: A MeterValues CALL as the chargers send it (the typical log entry's size).
SAMPLE = {
    "connectorId": 1,
    "transactionId": 17,
    "meterValue": [
        {
            "timestamp": "2026-11-24T10:00:00Z",
            "sampledValue": [
                {"value": "1234.5", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                {"value": "11000", "measurand": "Power.Active.Import", "unit": "W"},
            ],
        }
    ],
}


async def run(args: argparse.Namespace, port: int, db: Path) -> dict[str, object]:
    services = await Services.open(sqlite_url(db))
    user = await services.accounts.create_user("bench", "benchmark password", backend_url="ws://x")
    user_id = user.user.id
    bus = services.logs.bus
    fleet = Fleet(backoff=BackOff(1.0, 2.0, 3))
    fleet.log_bus = bus
    spec = ChargerSpec(
        charger_type=ChargerType.AC,
        max_power_kw=22.0,
        num_connectors=1,
        id_tag="AABBCCDD",
        heartbeat_interval=60,
        meter_interval=args.meter_interval,
        autopilot_energy_wh=(500.0, 3000.0),
        autopilot_gap_s=(5.0, 30.0),
    )
    gc.collect()
    rss_before = rss_bytes()
    started = time.monotonic()
    for n in range(args.chargers):
        cp = f"LOG-{n:05d}"
        await fleet.apply(
            ChargerConfig(
                user_id=user_id,
                chargepoint_id=cp,
                mode=Mode.AUTOPILOT,
                version=OcppVersion.V16,
                spec=replace(spec),
                endpoint=Endpoint(f"ws://127.0.0.1:{port}/{cp}"),
                error_code="NoError",
            )
        )
        if n % 200 == 199:
            await asyncio.sleep(0)
    while fleet.counts()[1] < args.chargers and time.monotonic() - started < 120:  # noqa: ASYNC110
        await asyncio.sleep(0.1)  # polling the fleet's counters is the point
    ramp = time.monotonic() - started
    gc.collect()
    gc.freeze()

    # Phase 1: live traffic only.
    stats = bus.stats
    written0, dropped0, batches0 = stats.written, stats.dropped, stats.batches
    _, _, sent0, received0 = fleet.counts()
    cpu0, t0 = time.process_time(), time.monotonic()
    await asyncio.sleep(args.seconds)
    live_elapsed = time.monotonic() - t0
    live_cpu = time.process_time() - cpu0
    _, connected, sent1, received1 = fleet.counts()
    live_written = stats.written - written0
    live = {
        "seconds": round(live_elapsed, 2),
        "frames_per_second": round((sent1 - sent0 + received1 - received0) / live_elapsed, 1),
        "log_writes_per_second": round(live_written / live_elapsed, 1),
        "dropped": stats.dropped - dropped0,
        "batches": stats.batches - batches0,
        "simulator_cpu_share_of_one_core": round(live_cpu / live_elapsed, 3),
        "connected_at_end": connected,
    }

    # Phase 2: flood the bus on top of the live traffic; count what is committed.
    frames = [
        Frame("sent", 2, f"flood-{n}", "MeterValues", SAMPLE, time.time()) for n in range(500)
    ]
    stop = asyncio.Event()

    async def flood() -> None:
        while not stop.is_set():
            if bus.backlog < bus.queue_limit // 2:  # keep it busy, never overflowing
                bus.frames(user_id, "FLOOD", frames)
            await asyncio.sleep(0)

    written0, dropped0 = stats.written, stats.dropped
    cpu0, t0 = time.process_time(), time.monotonic()
    task = asyncio.create_task(flood())
    await asyncio.sleep(args.flood_seconds)
    stop.set()
    await task
    flood_elapsed = time.monotonic() - t0
    flood_cpu = time.process_time() - cpu0
    flooded = {
        "seconds": round(flood_elapsed, 2),
        "log_writes_per_second": round((stats.written - written0) / flood_elapsed, 1),
        "dropped": stats.dropped - dropped0,
        "simulator_cpu_share_of_one_core": round(flood_cpu / flood_elapsed, 3),
        "queue_at_end": bus.backlog,
    }
    rss_after = rss_bytes()
    await fleet.close()
    total = await services.store.logs.count(user_id)
    await services.close()
    size = db.stat().st_size  # noqa: ASYNC240 - once, after the run
    return {
        "chargers": args.chargers,
        "meter_interval_s": args.meter_interval,
        "ramp_seconds": round(ramp, 2),
        "live": live,
        "flood": flooded,
        "rows_in_database": total,
        "database_mb": round(size / 1e6, 1),
        "rss_per_charger_kb": round((rss_after - rss_before) / args.chargers / 1024, 1),
        "write_errors": stats.write_errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--flood-seconds", type=float, default=15.0)
    parser.add_argument("--meter-interval", type=int, default=15)
    args = parser.parse_args()
    raise_open_files(args.chargers + 1024)
    port = free_port()
    csms = start_csms(port)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            csms_cpu0 = cpu_seconds(csms.pid)
            result = run_fast(run(args, port, Path(tmp) / "ocppsim.db"))
            result["csms_cpu_seconds_total"] = round(cpu_seconds(csms.pid) - csms_cpu0, 2)
        result["machine"] = machine()
        write("logs", result)
    finally:
        csms.terminate()
        csms.wait(timeout=10)


if __name__ == "__main__":
    main()
