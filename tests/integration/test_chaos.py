"""The fault suite, short: benchmarks/chaos.py with 12 chargers (1.6, 2.0.1 and 2.1), 3 kills
of the backend, 10 abrupt connection closes and 2 kills of the ocppsim server, in under two
minutes. Nothing may be lost or duplicated, no frame may fail its schema, no meter may go back
(1.6 §3.7 and §4.8-4.10; 2.0.1 E04.FR.04, E08.FR.08, E13; reference R3-R5, R18). The default
run (200 chargers, 30 / 200 / 10 faults) is ``benchmarks/chaos.py``: docs/reliability.md."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from chaos import VERSIONS, Options, run, verdict

SHORT = Options(
    chargers=12,
    backend_kills=3,
    closes=10,
    server_kills=2,
    seconds=40.0,
    seed=14,
    energy_wh="100-300",
    settle_seconds=45.0,
    grace_seconds=5.0,
    verbose=False,
)


@pytest.mark.slow
@pytest.mark.timeout(150)
async def test_fault_suite_loses_duplicates_and_breaks_nothing_r3_r18(tmp_path: Path) -> None:
    options = replace(SHORT, workdir=tmp_path / "chaos")
    result = await run(options)
    report = verdict(result)
    faults = result["faults"]
    # The harness did what it says, or its verdict means nothing.
    assert faults["backend_kills"] == options.backend_kills
    assert faults["server_kills"] == options.server_kills
    assert faults["closes"] + faults["closes_missed"] == options.closes
    assert faults["closes"] >= options.closes // 2
    for version in VERSIONS:
        assert report.by_version[version]["started"] >= 3, report.by_version
    assert report.meter_readings > report.transactions_started
    what = json.dumps(
        {
            "counts": report.summary(),
            "examples": report.examples,
            "settle": result["settle"],
            "workdir": result["workdir"],
        },
        indent=1,
    )
    assert report.lost == 0, what
    assert report.duplicated == 0, what
    assert report.invalid_frames == 0, what
    assert report.meter_regressions == 0, what
    assert result["settle"]["settled"], what
