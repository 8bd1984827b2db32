"""Helpers shared by the benchmarks: subprocess CSMS, CPU and memory readings, JSON output."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from ocppsim.loadtest.preflight import raise_open_file_limit

T = TypeVar("T")

RESULTS = Path(__file__).resolve().parent / "results"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raise_open_files(needed: int) -> int:
    """Raise the soft open-file limit to the hard limit; refuse if ``needed`` cannot fit."""
    hard = raise_open_file_limit()
    if hard < needed:
        sys.exit(f"open-file limit {hard} is below the {needed} this run needs")
    return hard


def start_csms(port: int) -> subprocess.Popen[bytes]:
    """The demo CSMS in its own process (its CPU is not counted as the simulator's)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ocppsim", "csms", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    sys.exit("the demo CSMS did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int | None = None) -> int:
    for line in Path(f"/proc/{pid or 'self'}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def run_fast(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop when it is installed (10-30 % less CPU per message, DESIGN.md)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is optional
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def write(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {path}")
    return path
