"""Load-test plans, shards, version mixes, latency histograms and preflight rules."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ocppsim.core.model import OcppVersion
from ocppsim.loadtest import preflight
from ocppsim.loadtest.plan import MassMode, Plan, parse_versions, shard_indices
from ocppsim.loadtest.stats import (
    ERROR_LIMIT,
    ErrorEntry,
    Errors,
    Histogram,
    ShardStats,
    merge,
)

MIX = ((OcppVersion.V16, 0.5), (OcppVersion.V201, 0.3), (OcppVersion.V21, 0.2))


def test_shards_split_the_run_without_overlap_or_gap() -> None:
    shards = [set(shard_indices(10_001, s, 3)) for s in range(3)]
    assert set().union(*shards) == set(range(10_001))
    assert sum(len(s) for s in shards) == 10_001
    assert [len(s) for s in shards] == [3334, 3334, 3333]


def test_ids_are_the_prefix_and_a_five_digit_number() -> None:
    plan = Plan("ws://x", 3, MassMode.IDLE, prefix="LT-")
    assert [plan.chargepoint_id(i) for i in range(3)] == ["LT-00001", "LT-00002", "LT-00003"]


def test_every_prefix_of_a_run_holds_each_version_in_about_its_share() -> None:
    plan = Plan("ws://x", 10_000, MassMode.CONNECT, versions=MIX)
    for n in (100, 1000, 10_000):
        versions = [plan.version_of(i) for i in range(n)]
        for version, share in MIX:
            assert abs(versions.count(version) - share * n) <= max(2, 0.01 * n)


def test_a_plan_crosses_the_worker_pipe_unchanged() -> None:
    plan = Plan(
        "wss://backend/ocpp",
        42,
        MassMode.CHARGING,
        batch_size=7,
        versions=MIX,
        prefix="P-",
        meter_interval=15,
        heartbeat_interval=60,
        id_tag="TAG",
        source_addresses=("127.0.0.1", "127.0.0.2"),
    )
    assert Plan.from_json(plan.to_json()) == plan
    assert [plan.source_address(i) for i in range(3)] == ["127.0.0.1", "127.0.0.2", "127.0.0.1"]


@pytest.mark.parametrize(
    ("shares", "problem"),
    [
        ({"1.5": 1.0}, "'1.5' is not an OCPP version"),
        ({"1.6": 0.0}, "at least one version needs a share above 0"),
        ({"1.6": -1.0}, "must be a number of at least 0"),
        ({"1.6": float("nan")}, "must be a number of at least 0"),
        ({}, "at least one version"),
    ],
)
def test_bad_version_mixes_are_refused(shares: dict[str, float], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_versions(shares)


def test_version_mixes_drop_zero_shares_and_keep_version_order() -> None:
    assert parse_versions({"2.1": 1, "1.6": 3, "2.0.1": 0}) == (
        (OcppVersion.V16, 3.0),
        (OcppVersion.V21, 1.0),
    )


def test_histogram_percentiles_are_within_a_bucket_and_merge_across_shards() -> None:
    a, b = Histogram(), Histogram()
    for ms in range(1, 501):
        a.add(ms / 1000)
    for ms in range(501, 1001):
        b.add(ms / 1000)
    whole = Histogram.from_json(a.to_json())
    whole.merge(Histogram.from_json(b.to_json()))
    assert whole.count == 1000
    assert whole.max == 1.0
    for p, exact in ((50, 0.5), (95, 0.95), (99, 0.99)):
        assert exact <= whole.percentile(p) <= exact * 1.04 + 1e-9
    assert whole.summary()["max_ms"] == 1000.0
    assert Histogram().summary() == {
        "count": 0,
        "p50_ms": 0.0,
        "p95_ms": 0.0,
        "p99_ms": 0.0,
        "max_ms": 0.0,
    }


def test_the_error_list_keeps_the_newest_and_counts_them_all() -> None:
    errors = Errors()
    for n in range(ERROR_LIMIT + 20):
        errors.add(ErrorEntry(float(n), f"CP{n}", "timeout" if n % 2 else "disconnect", "x"))
    assert errors.count == ERROR_LIMIT + 20
    assert len(errors.entries) == ERROR_LIMIT
    assert errors.entries[0].chargepoint_id == "CP20"
    assert errors.by_kind == {"timeout": 260, "disconnect": 260}
    errors.clear()
    assert (errors.count, len(errors.entries), errors.by_kind) == (0, 0, {})


def test_merge_sums_counters_and_kinds() -> None:
    shard = ShardStats(created=2, errors=1, errors_by_kind={"timeout": 1}, latency={})
    total = merge([shard, replace(shard, ramping=True)])
    assert (total.created, total.errors, total.ramping) == (4, 2, True)
    assert total.errors_by_kind == {"timeout": 2}


def test_preflight_refuses_runs_past_the_open_file_limit() -> None:
    preflight.check_open_files(10_000, 2, limit=20_000)
    with pytest.raises(preflight.PreflightError, match=r"about 20256 open files .* limit is 20000"):
        preflight.check_open_files(40_000, 2, limit=20_000)


def test_preflight_refuses_more_connections_than_one_address_has_ports() -> None:
    preflight.check_ports(28_000, 0, ports=28_232)
    with pytest.raises(preflight.PreflightError, match="need 2 local source addresses"):
        preflight.check_ports(50_000, 1, ports=28_232)
    preflight.check_ports(50_000, 2, ports=28_232)
