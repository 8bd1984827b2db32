"""Benchmark: N OCPP 1.6 chargers in autopilot against the demo CSMS in another process.

    .venv/bin/python benchmarks/engine_v16.py --chargers 1000 --seconds 60

Runs the real fleet, sessions and transport (no REST API, no database) for a bounded time and
writes benchmarks/results/engine_v16.json: chargers, frames per second, simulator CPU seconds per
1,000 frames, RSS per charger, and the CSMS's own CPU separately. Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from dataclasses import replace

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
from ocppsim.runtime.fleet import ChargerConfig, Fleet
from ocppsim.runtime.runner import Endpoint


async def run(chargers: int, seconds: float, ramp_timeout: float, port: int) -> dict[str, object]:
    spec = ChargerSpec(
        charger_type=ChargerType.AC,
        max_power_kw=22.0,
        num_connectors=1,
        id_tag="AABBCCDD",
        heartbeat_interval=60,
        meter_interval=15,
        autopilot_energy_wh=(500.0, 3000.0),
        autopilot_gap_s=(5.0, 30.0),
    )
    fleet = Fleet(backoff=BackOff(1.0, 2.0, 3))
    gc.collect()
    rss_before = rss_bytes()
    started = time.monotonic()
    for n in range(chargers):
        cp = f"BENCH-{n:05d}"
        await fleet.apply(
            ChargerConfig(
                user_id=1,
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
    while fleet.counts()[1] < chargers:
        if time.monotonic() - started > ramp_timeout:
            break
        await asyncio.sleep(0.1)
    ramp = time.monotonic() - started
    booted = fleet.counts()[1]
    gc.collect()
    gc.freeze()
    rss_after = rss_bytes()
    _, _, sent0, received0 = fleet.counts()
    cpu0 = time.process_time()
    t0 = time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - t0
    cpu = time.process_time() - cpu0
    _, connected, sent1, received1 = fleet.counts()
    frames = (sent1 - sent0) + (received1 - received0)
    await fleet.close()
    return {
        "chargers": chargers,
        "booted_after_ramp": booted,
        "connected_at_end": connected,
        "ramp_seconds": round(ramp, 2),
        "measured_seconds": round(elapsed, 2),
        "frames": frames,
        "frames_per_second": round(frames / elapsed, 1),
        "calls_per_second": round(frames / 2 / elapsed, 1),
        "simulator_cpu_seconds": round(cpu, 3),
        "cpu_seconds_per_1000_frames": round(cpu / frames * 1000, 4) if frames else None,
        "cpu_us_per_call_and_reply": round(cpu / (frames / 2) * 1e6, 1) if frames else None,
        "rss_per_charger_kb": round((rss_after - rss_before) / chargers / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--ramp-timeout", type=float, default=120.0)
    args = parser.parse_args()
    raise_open_files(args.chargers + 1024)
    port = free_port()
    csms = start_csms(port)
    try:
        csms_cpu0 = cpu_seconds(csms.pid)
        result = run_fast(run(args.chargers, args.seconds, args.ramp_timeout, port))
        result["csms_cpu_seconds_total"] = round(cpu_seconds(csms.pid) - csms_cpu0, 2)
        result["machine"] = machine()
        write("engine_v16", result)
    finally:
        csms.terminate()
        csms.wait(timeout=10)


if __name__ == "__main__":
    main()
