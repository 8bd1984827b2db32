"""``/api/mass-charger`` with real worker processes, the demo CSMS on a real socket, and the
REST contract's checks: validation, the server-wide cap, preflight refusals, isolation."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ocppsim.democsms import DemoCsms
from ocppsim.services.container import Services
from ocppsim.services.loadtests import LoadTestLimits
from tests.integration.engine import open_stack, wait_until


class Site:
    def __init__(self, csms: DemoCsms, services: Services, api: httpx.AsyncClient) -> None:
        self.csms = csms
        self.services = services
        self.api = api
        self.keys: dict[str, str] = {}

    async def user(self, name: str) -> dict[str, str]:
        new = await self.services.accounts.create_user(
            name, "a fine password", backend_url=self.csms.url
        )
        return {"X-API-Key": new.key.key}

    async def stats(self, who: dict[str, str]) -> dict[str, Any]:
        r = await self.api.get("/api/mass-charger/stats", headers=who)
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def wait(self, who: dict[str, str], check: Any, timeout: float = 20.0) -> dict[str, Any]:
        last: dict[str, Any] = {}

        async def ok() -> bool:
            nonlocal last
            last = await self.stats(who)
            return bool(check(last))

        try:
            await wait_until(ok, timeout)
        except AssertionError:
            raise AssertionError(f"never reached; last stats {last}") from None
        return last


async def open_site(db_url: str, limits: LoadTestLimits) -> AsyncIterator[Site]:
    async with open_stack(db_url, loadtest_limits=limits) as stack:
        yield Site(stack.csms, stack.services, stack.api)


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async for s in open_site(db_url, LoadTestLimits(workers=2, max_chargers=30)):
        yield s


async def test_a_run_through_the_api_sharded_over_two_workers(site: Site) -> None:
    alice = await site.user("alice")
    r = await site.api.post(
        "/api/settings", json={"mass_batch_size": 10, "rfid_card_id": "LOADTAG1"}, headers=alice
    )
    assert r.status_code == 200
    idle = await site.stats(alice)
    assert (idle["running"], idle["created"], idle["mode"]) == (False, 0, None)

    body = {"target": 12, "mode": "charging", "id_prefix": "AL-", "meter_interval": 5}
    r = await site.api.post("/api/mass-charger/apply", json=body, headers=alice)
    assert r.status_code == 200, r.text
    assert (r.json()["target"], r.json()["mode"], r.json()["workers"]) == (12, "charging", 2)
    # Charging counts from StartTransaction's answer; the StatusNotification (Charging) that
    # follows is answered a moment later: wait for those answers too.
    s = await site.wait(alice, lambda s: s["charging"] == 12 and s["messages_received"] >= 72)
    assert (s["created"], s["connected"], s["booted"], s["errors"]) == (12, 12, 12, 0)
    assert s["batch_size"] == 10
    assert s["ramp"]["done"]
    assert s["ramp"]["progress"] == 1.0
    assert site.csms.counters["BootNotification.Accepted"] == 12 == s["booted"]
    assert {r.payload["idTag"] for r in site.csms.calls(action="StartTransaction")} == {"LOADTAG1"}
    assert sorted(site.csms.connects) == [f"AL-{i:05d}" for i in range(1, 13)]
    for action in ("BootNotification", "Authorize", "StartTransaction"):
        latency = s["latency"][action]
        assert latency["count"] == 12
        assert 0 < latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"] <= latency["max_ms"]
    assert s["messages_sent"] >= 12 * 6
    pool = site.services.loadtests.pool
    assert pool is not None
    assert len(pool.pids()) == 2

    r = await site.api.post(
        "/api/mass-charger/apply", json={"target": 5, "mode": "connect"}, headers=alice
    )
    assert r.status_code == 200
    s = await site.wait(alice, lambda s: s["created"] == 5 and s["charging"] == 0)
    assert s["id_prefix"] == "AL-"
    assert s["meter_interval"] == 5
    await wait_until(lambda: len(site.csms.connections) == 5)

    r = await site.api.post("/api/mass-charger/stop", headers=alice)
    assert r.status_code == 200
    assert r.json()["running"] is False
    await wait_until(lambda: not site.csms.connections)
    assert (await site.stats(alice))["created"] == 0


async def test_errors_are_listed_newest_first_and_cleared(site: Site) -> None:
    alice = await site.user("alice")
    site.csms.script.boot_status = "Rejected"
    r = await site.api.post(
        "/api/mass-charger/apply", json={"target": 3, "mode": "connect"}, headers=alice
    )
    assert r.status_code == 200
    s = await site.wait(alice, lambda s: s["errors"] >= 3)
    assert s["errors_by_kind"]["boot_rejected"] >= 3
    assert s["booted"] == 0
    errors = (await site.api.get("/api/mass-charger/errors", headers=alice)).json()
    assert len(errors) >= 3
    assert {e["kind"] for e in errors} == {"boot_rejected"}
    assert [e["time"] for e in errors] == sorted((e["time"] for e in errors), reverse=True)
    assert all(e["chargepoint_id"].startswith("MASS") for e in errors)

    r = await site.api.post("/api/mass-charger/errors/clear", headers=alice)
    assert r.status_code == 200
    assert r.json()["errors"] == 0
    assert (await site.api.get("/api/mass-charger/errors", headers=alice)).json() == []


async def test_one_users_run_is_invisible_to_another_and_the_cap_is_shared(site: Site) -> None:
    alice, bob = await site.user("alice"), await site.user("bob")
    r = await site.api.post(
        "/api/mass-charger/apply", json={"target": 20, "mode": "idle"}, headers=alice
    )
    assert r.status_code == 200
    assert (await site.stats(bob))["created"] == 0
    assert (await site.stats(bob))["running"] is False
    assert (await site.api.get("/api/mass-charger/errors", headers=bob)).json() == []
    # bob's stop and clear leave alice's run alone
    assert (await site.api.post("/api/mass-charger/stop", headers=bob)).status_code == 200
    assert (await site.api.post("/api/mass-charger/errors/clear", headers=bob)).status_code == 200
    assert (await site.wait(alice, lambda s: s["created"] == 20))["running"] is True

    r = await site.api.post(
        "/api/mass-charger/apply", json={"target": 11, "mode": "idle"}, headers=bob
    )
    assert r.status_code == 429
    assert r.json()["error"].startswith("this server runs at most 30 load-test chargers")
    assert "at most 10 are left" in r.json()["error"]
    r = await site.api.post(
        "/api/mass-charger/apply", json={"target": 10, "mode": "idle"}, headers=bob
    )
    assert r.status_code == 200
    assert (await site.stats(alice))["id_prefix"] != (await site.stats(bob))["id_prefix"]


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"target": 10001, "mode": "idle"}, 422, "target: Input should be less than or equal to"),
        ({"target": -1, "mode": "idle"}, 422, "target"),
        ({"target": 5, "mode": "fast"}, 422, "mode: must be one of"),
        ({"target": 5}, 422, "mode: is required"),
        ({"target": "5", "mode": "idle"}, 422, "target"),
        ({"target": 5, "mode": "idle", "versions": {"1.5": 1.0}}, 422, "versions: '1.5' is not"),
        ({"target": 5, "mode": "idle", "versions": {"1.6": 0.0}}, 422, "versions: at least one"),
        ({"target": 5, "mode": "idle", "versions": {"1.6": -1.0}}, 422, "versions"),
        ({"target": 5, "mode": "idle", "id_prefix": "bad/prefix"}, 422, "id_prefix"),
        ({"target": 5, "mode": "idle", "id_prefix": "x" * 41}, 422, "id_prefix"),
        ({"target": 5, "mode": "idle", "meter_interval": 1}, 422, "meter_interval"),
        ({"target": 5, "mode": "idle", "colour": "red"}, 422, "colour: is not a known field"),
    ],
)
async def test_bad_apply_bodies_are_refused_naming_the_field(
    site: Site, body: dict[str, Any], status: int, needle: str
) -> None:
    alice = await site.user("alice")
    r = await site.api.post("/api/mass-charger/apply", json=body, headers=alice)
    assert r.status_code == status, r.text
    assert needle in r.json()["error"]
    assert (await site.stats(alice))["running"] is False


async def test_an_unreachable_backend_is_refused_before_the_run_starts(site: Site) -> None:
    alice = await site.user("alice")
    r = await site.api.post(
        "/api/settings", json={"ocpp_backend_url": "ws://127.0.0.1:9"}, headers=alice
    )
    assert r.status_code == 200
    r = await site.api.post(
        "/api/mass-charger/apply", json={"target": 5, "mode": "connect"}, headers=alice
    )
    assert r.status_code == 409
    assert r.json()["error"] == "the backend 127.0.0.1:9 refused the connection"
    assert (await site.stats(alice))["running"] is False
    # idle needs no backend
    r = await site.api.post(
        "/api/mass-charger/apply", json={"target": 5, "mode": "idle"}, headers=alice
    )
    assert r.status_code == 200


async def test_a_run_that_cannot_fit_the_open_file_limit_is_refused(db_url: str) -> None:
    limits = LoadTestLimits(workers=2, open_file_limit=1000)
    async for site in open_site(db_url, limits):
        alice = await site.user("alice")
        r = await site.api.post(
            "/api/mass-charger/apply", json={"target": 2000, "mode": "idle"}, headers=alice
        )
        assert r.status_code == 409
        assert r.json()["error"].startswith(
            "2000 chargers need about 1256 open files in each of the 2 load-test worker "
            "processes, but the limit is 1000"
        )
        assert (await site.stats(alice))["running"] is False
        assert site.services.loadtests.pool is None  # nothing was started
        r = await site.api.post(
            "/api/mass-charger/apply", json={"target": 1400, "mode": "idle"}, headers=alice
        )
        assert r.status_code == 200
        assert (await site.wait(alice, lambda s: s["created"] == 1400))["running"] is True


async def test_a_server_that_runs_no_chargers_runs_no_load_test(db_url: str) -> None:
    async for site in open_site(db_url, LoadTestLimits(enabled=False)):
        alice = await site.user("alice")
        for target in (5, 0):  # not even an empty run starts the worker processes
            r = await site.api.post(
                "/api/mass-charger/apply", json={"target": target, "mode": "connect"}, headers=alice
            )
            assert r.status_code == 409
            assert r.json()["error"] == (
                "this server runs no chargers (API-only mode): no load tests"
            )
        assert site.services.loadtests.pool is None


async def test_the_cli_runs_a_load_test_and_writes_a_report(tmp_path: Any) -> None:
    csms = DemoCsms()
    await csms.start()
    report = tmp_path / "report.json"
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ocppsim",
            "loadtest",
            "--url",
            csms.url,
            "--target",
            "6",
            "--mode",
            "charging",
            "--duration",
            "3s",
            "--batch-size",
            "3",
            "--versions",
            "1.6=1,2.0.1=1",
            "--workers",
            "1",
            "--report",
            str(report),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONWARNINGS": "error"},
        )
        _out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        await csms.stop()
    assert process.returncode == 0, err.decode()
    assert "charging 6" in err.decode()
    import json

    result = json.loads(report.read_text())
    assert result["all_reached_mode"] is True
    assert result["stats"]["charging"] == 6
    assert result["stats"]["errors"] == 0
    assert csms.counters["BootNotification.Accepted"] == 6
    assert {p for ps in csms.subprotocols.values() for p in ps} == {"ocpp1.6", "ocpp2.0.1"}


async def test_the_cli_refuses_an_unreachable_backend_with_a_readable_message() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ocppsim",
        "loadtest",
        "--url",
        "ws://127.0.0.1:9",
        "--target",
        "3",
        "--duration",
        "1s",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    assert err.decode().strip() == "Error: the backend 127.0.0.1:9 refused the connection"


async def test_a_worker_that_dies_is_restarted_and_gets_its_shard_back(site: Site) -> None:
    alice = await site.user("alice")
    r = await site.api.post(
        "/api/mass-charger/apply", json={"target": 6, "mode": "connect"}, headers=alice
    )
    assert r.status_code == 200
    await site.wait(alice, lambda s: s["booted"] == 6)
    pool = site.services.loadtests.pool
    assert pool is not None
    victim = pool.pids()[0]
    os.kill(victim, signal.SIGKILL)
    # Its three chargers go with it; the next reads restart it and re-send the plan.
    s = await site.wait(alice, lambda s: s["booted"] == 6 and s["created"] == 6, timeout=30)
    assert victim not in pool.pids()
    assert len(pool.pids()) == 2
    assert s["errors"] == 0
    assert site.csms.counters["BootNotification.Accepted"] == 9  # three booted anew
