"""The typed data a load-test worker sends back up: shard stats and error entries survive the
JSON pipe unchanged, merge sums typed shards, and the engine decides on a runner event's reason,
never on its words."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson

from ocppsim.loadtest.engine import LoadEngine, _Mass
from ocppsim.loadtest.stats import COUNTERS, ErrorEntry, Histogram, RunTotals, ShardStats, merge
from ocppsim.runtime.events import EventKind, Reason, RunnerEvent


def histogram(*seconds: float) -> Histogram:
    h = Histogram()
    for s in seconds:
        h.add(s)
    return h


def shard(**fields: Any) -> ShardStats:
    base = ShardStats(
        target=5,
        created=5,
        connecting=1,
        connected=4,
        booted=3,
        charging=2,
        errors=2,
        messages_sent=100,
        messages_received=99,
        ramp_started=5,
        ramp_pending=0,
        batches=2,
        ramping=False,
        errors_by_kind={"timeout": 1, "disconnect": 1},
        latency={"Heartbeat": histogram(0.01, 0.02), "BootNotification": histogram(0.5)},
    )
    return replace(base, **fields)


def through_pipe(data: object) -> object:
    """What the worker's JSON line turns into on the pool's side."""
    return orjson.loads(orjson.dumps(data))


def test_an_error_entry_survives_the_pipe() -> None:
    entry = ErrorEntry(1_700_000_000.25, "MASS-00007", "connect_refused", "connection refused")
    data = through_pipe(entry.to_json())
    assert isinstance(data, dict)
    assert ErrorEntry.from_json(data) == entry


def test_shard_stats_survive_the_pipe() -> None:
    stats = shard(ramping=True)
    data = through_pipe(stats.to_json())
    assert isinstance(data, dict)
    back = ShardStats.from_json(data)
    assert back.counters() == stats.counters()
    assert (back.ramping, back.errors_by_kind) == (True, {"timeout": 1, "disconnect": 1})
    assert back.latency == stats.latency  # buckets, count and maximum
    assert back == stats


def test_the_pipe_format_keeps_its_keys() -> None:
    assert list(shard().to_json()) == [*COUNTERS, "ramping", "errors_by_kind", "latency"]
    assert shard().to_json()["latency"]["BootNotification"] == histogram(0.5).to_json()


def test_missing_fields_read_as_zero() -> None:
    assert ShardStats.from_json({"created": 3}) == ShardStats(created=3)


def test_merge_sums_typed_shards_and_leaves_them_alone() -> None:
    a, b = shard(), shard(ramping=True, errors_by_kind={"timeout": 4}, latency={})
    total = merge([a, b])
    assert total.counters() == {name: 2 * n for name, n in a.counters().items()}
    assert total.ramping
    assert total.errors_by_kind == {"timeout": 5, "disconnect": 1}
    assert total.latency["Heartbeat"].count == 2
    assert total.latency["BootNotification"].max == 0.5
    assert a.latency["Heartbeat"].count == 2  # the shard's own histogram is not merged into
    assert merge([]) == ShardStats()


def test_merging_histograms_across_shards_is_one_histogram_of_everything() -> None:
    a = shard(latency={"Authorize": histogram(0.001, 0.002)})
    b = shard(latency={"Authorize": histogram(0.004)})
    whole = histogram(0.001, 0.002, 0.004)
    assert merge([a, b]).latency["Authorize"] == whole


def test_run_totals_keep_the_report_format() -> None:
    totals = RunTotals(merge([shard()]), 12.5, 2)
    data = totals.to_json()
    assert list(data) == [
        *COUNTERS,
        "ramping",
        "errors_by_kind",
        "latency",
        "messages_per_second",
        "workers",
    ]
    assert data["latency"] == {
        "BootNotification": histogram(0.5).summary(),
        "Heartbeat": histogram(0.01, 0.02).summary(),
    }
    assert (data["messages_per_second"], data["workers"]) == (12.5, 2)


def test_a_runner_event_logs_its_text_as_reason_first() -> None:
    event = RunnerEvent(
        EventKind.CONNECT_FAILED,
        5.0,
        Reason.REFUSED,
        "connection refused",
        {"kind": "refused", "retry_in_s": 1.5},
    )
    assert list(event.log_details().items()) == [
        ("reason", "connection refused"),
        ("kind", "refused"),
        ("retry_in_s", 1.5),
    ]
    connected = RunnerEvent(EventKind.CONNECTED, 5.0, details={"url": "ws://x/CP"})
    assert connected.log_details() == {"url": "ws://x/CP"}
    assert str(EventKind.CONNECT_FAILED) == "connect_failed"


def test_a_failed_dial_reason_comes_from_the_transport_kind() -> None:
    assert Reason.of_failure("tls") is Reason.TLS
    assert Reason.of_failure("something new") is Reason.OTHER
    assert Reason.of_failure("switched_off") is Reason.OTHER  # not a dial failure


def test_the_engine_decides_by_the_reason_not_the_words() -> None:
    engine = LoadEngine(clock=lambda: 10.0)
    m = _Mass(0, "LT-00001")
    # The backend closed the connection, whatever words it gave: an error.
    engine._on_event(
        m, RunnerEvent(EventKind.DISCONNECTED, 1.0, Reason.CLOSED, "charger switched off")
    )
    # The engine switched it off itself, whatever the words: not an error.
    engine._on_event(m, RunnerEvent(EventKind.DISCONNECTED, 2.0, Reason.SWITCHED_OFF, "bye"))
    engine._on_event(m, RunnerEvent(EventKind.CONNECT_FAILED, 3.0, Reason.TLS, "TLS: bad cert"))
    engine._on_event(m, RunnerEvent(EventKind.CONNECT_FAILED, 4.0, Reason.DNS, "unknown host"))
    assert [(e.kind, e.message) for e in engine.error_list()] == [
        ("disconnect", "charger switched off"),
        ("handshake_rejected", "TLS: bad cert"),
        ("connect_failed", "unknown host"),
    ]
    assert engine.error_list()[0] == ErrorEntry(
        10.0, "LT-00001", "disconnect", "charger switched off"
    )
