"""Counting a run: latency histograms that merge across shards, and the error ring.

Latencies go into logarithmic buckets (4 % wide), so a shard's histogram is a small sparse
dict that merges with another by adding counts; percentiles are read from the merged buckets
(accurate to the bucket width) and the maximum is exact.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_RATIO = 1.04
_LOG_RATIO = math.log(_RATIO)
#: Bucket 0 holds everything up to 10 µs.
_FLOOR = 1e-5
#: The error list keeps the newest this many (the REST contract: up to 500).
ERROR_LIMIT = 500


@dataclass(slots=True)
class Histogram:
    """Round-trip times of one action, in seconds."""

    buckets: dict[int, int] = field(default_factory=dict)
    count: int = 0
    max: float = 0.0

    def add(self, seconds: float) -> None:
        index = 0 if seconds <= _FLOOR else int(math.log(seconds / _FLOOR) / _LOG_RATIO) + 1
        self.buckets[index] = self.buckets.get(index, 0) + 1
        self.count += 1
        if seconds > self.max:
            self.max = seconds

    def merge(self, other: Histogram) -> None:
        for index, n in other.buckets.items():
            self.buckets[index] = self.buckets.get(index, 0) + n
        self.count += other.count
        self.max = max(self.max, other.max)

    def percentile(self, p: float) -> float:
        """The upper edge of the bucket holding the p-th percentile (seconds), capped at max."""
        if not self.count:
            return 0.0
        rank = max(1, math.ceil(self.count * p / 100.0))
        seen = 0
        for index in sorted(self.buckets):
            seen += self.buckets[index]
            if seen >= rank:
                return min(self.max, _FLOOR * _RATIO**index)
        return self.max

    def summary(self) -> dict[str, float | int]:
        """count, p50/p95/p99/max in milliseconds."""
        return {
            "count": self.count,
            "p50_ms": round(self.percentile(50) * 1000, 3),
            "p95_ms": round(self.percentile(95) * 1000, 3),
            "p99_ms": round(self.percentile(99) * 1000, 3),
            "max_ms": round(self.max * 1000, 3),
        }

    def copy(self) -> Histogram:
        return Histogram(dict(self.buckets), self.count, self.max)

    def to_json(self) -> dict[str, Any]:
        return {"b": {str(k): v for k, v in self.buckets.items()}, "n": self.count, "max": self.max}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Histogram:
        return cls({int(k): int(v) for k, v in data["b"].items()}, int(data["n"]), data["max"])


@dataclass(frozen=True, slots=True)
class ErrorEntry:
    time: float  # epoch seconds
    chargepoint_id: str
    kind: str  # connect_refused, handshake_rejected, boot_rejected, call_error, timeout, ...
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "chargepoint_id": self.chargepoint_id,
            "kind": self.kind,
            "message": self.message,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ErrorEntry:
        return cls(
            float(data["time"]),
            str(data["chargepoint_id"]),
            str(data["kind"]),
            str(data["message"]),
        )


@dataclass(slots=True)
class Errors:
    """The newest ``ERROR_LIMIT`` errors and how many there were since the last clear."""

    entries: deque[ErrorEntry] = field(default_factory=lambda: deque(maxlen=ERROR_LIMIT))
    count: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, entry: ErrorEntry) -> None:
        self.entries.append(entry)
        self.count += 1
        self.by_kind[entry.kind] = self.by_kind.get(entry.kind, 0) + 1

    def clear(self) -> None:
        self.entries.clear()
        self.count = 0
        self.by_kind.clear()


#: What a run shows of its counters (the REST stats).
SHOWN = (
    "created",
    "connecting",
    "connected",
    "booted",
    "charging",
    "errors",
    "messages_sent",
    "messages_received",
)
#: Counters every shard reports, summed by the pool.
COUNTERS = ("target", *SHOWN, "ramp_started", "ramp_pending", "batches")


@dataclass(frozen=True, slots=True)
class ShardStats:
    """One shard's counters, error kinds and latency histograms (``LoadEngine.snapshot``), or
    the sum of several (``merge``): the same shape either way.

    The histograms belong to the snapshot (copies): the engine goes on counting in its own.
    """

    target: int = 0
    created: int = 0
    connecting: int = 0
    connected: int = 0
    booted: int = 0
    charging: int = 0
    errors: int = 0
    messages_sent: int = 0
    messages_received: int = 0
    ramp_started: int = 0
    ramp_pending: int = 0
    batches: int = 0
    #: Still working towards its plan (a ramp, or removing the surplus).
    ramping: bool = False
    errors_by_kind: Mapping[str, int] = field(default_factory=dict)
    latency: Mapping[str, Histogram] = field(default_factory=dict)

    def counters(self) -> dict[str, int]:
        """``COUNTERS`` by name."""
        return {name: int(getattr(self, name)) for name in COUNTERS}

    def latency_summary(self) -> dict[str, dict[str, float | int]]:
        """Per action (sorted), count and percentiles in milliseconds."""
        return {action: h.summary() for action, h in sorted(self.latency.items())}

    def to_json(self) -> dict[str, Any]:
        """The worker pipe's form (histograms in their compact JSON)."""
        return {
            **self.counters(),
            "ramping": self.ramping,
            "errors_by_kind": dict(self.errors_by_kind),
            "latency": {action: h.to_json() for action, h in self.latency.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ShardStats:
        """Counters missing from ``data`` are 0."""
        return cls(
            **{name: int(data.get(name, 0)) for name in COUNTERS},
            ramping=bool(data.get("ramping", False)),
            errors_by_kind={k: int(n) for k, n in data.get("errors_by_kind", {}).items()},
            latency={a: Histogram.from_json(h) for a, h in data.get("latency", {}).items()},
        )


def merge(shards: Sequence[ShardStats]) -> ShardStats:
    """Sum the shards' counters and merge their histograms and error kinds."""
    totals = dict.fromkeys(COUNTERS, 0)
    latency: dict[str, Histogram] = {}
    kinds: dict[str, int] = {}
    for shard in shards:
        for name in COUNTERS:
            totals[name] += getattr(shard, name)
        for action, histogram in shard.latency.items():
            latency.setdefault(action, Histogram()).merge(histogram)
        for kind, n in shard.errors_by_kind.items():
            kinds[kind] = kinds.get(kind, 0) + n
    return ShardStats(
        **totals,
        ramping=any(shard.ramping for shard in shards),
        errors_by_kind=kinds,
        latency=latency,
    )


@dataclass(frozen=True, slots=True)
class RunTotals:
    """A run over every shard, as the pool reads it: the merged shards, the message rate and
    how many worker processes hold the run."""

    total: ShardStats
    messages_per_second: float
    workers: int

    def to_json(self) -> dict[str, Any]:
        """The report's form: counters, ramping, error kinds, latency summaries (ms), rate,
        workers."""
        total = self.total
        return {
            **total.counters(),
            "ramping": total.ramping,
            "errors_by_kind": dict(total.errors_by_kind),
            "latency": total.latency_summary(),
            "messages_per_second": self.messages_per_second,
            "workers": self.workers,
        }
