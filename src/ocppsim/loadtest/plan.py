"""What a load-test run is: a serialisable plan, and which charger gets which OCPP version.

A plan is plain data so that it crosses the pipe to a worker process as JSON. Charger ``i``
(0-based) is called ``prefix + f"{i + 1:05d}"`` and belongs to shard ``i % shards``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from ocppsim.core.model import OcppVersion

DEFAULT_METER_INTERVAL = 60
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


class MassMode(StrEnum):
    """idle: created, not connected; connect: connected, booted, heartbeating; charging:
    connected and running sessions with meter values."""

    IDLE = "idle"
    CONNECT = "connect"
    CHARGING = "charging"


@dataclass(frozen=True, slots=True)
class Plan:
    backend_url: str
    target: int
    mode: MassMode
    batch_size: int = 50
    #: (version, share) pairs; shares are positive and are normalised.
    versions: tuple[tuple[OcppVersion, float], ...] = ((OcppVersion.V16, 1.0),)
    prefix: str = "MASS-"
    meter_interval: int = DEFAULT_METER_INTERVAL
    heartbeat_interval: int = 300
    id_tag: str = "AABBCCDD"
    max_power_kw: float = 22.0
    #: Local addresses to dial from, round-robin (each reaches ~28,000 ports to one backend).
    source_addresses: tuple[str, ...] = field(default=())

    def chargepoint_id(self, index: int) -> str:
        return f"{self.prefix}{index + 1:05d}"

    def version_of(self, index: int) -> OcppVersion:
        """A stateless, evenly spread assignment: any prefix of the run holds each version in
        about its share (a low-discrepancy sequence, so shards agree without talking)."""
        if len(self.versions) == 1:
            return self.versions[0][0]
        total = sum(share for _, share in self.versions)
        point = (index * _GOLDEN) % 1.0 * total
        for version, share in self.versions:
            if point < share:
                return version
            point -= share
        return self.versions[-1][0]

    def source_address(self, index: int) -> str | None:
        if not self.source_addresses:
            return None
        return self.source_addresses[index % len(self.source_addresses)]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["versions"] = [[str(v), s] for v, s in self.versions]
        data["source_addresses"] = list(self.source_addresses)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(
            backend_url=str(data["backend_url"]),
            target=int(data["target"]),
            mode=MassMode(data["mode"]),
            batch_size=int(data["batch_size"]),
            versions=tuple((OcppVersion(v), float(s)) for v, s in data["versions"]),
            prefix=str(data["prefix"]),
            meter_interval=int(data["meter_interval"]),
            heartbeat_interval=int(data["heartbeat_interval"]),
            id_tag=str(data["id_tag"]),
            max_power_kw=float(data["max_power_kw"]),
            source_addresses=tuple(str(a) for a in data["source_addresses"]),
        )


def parse_versions(shares: dict[str, float]) -> tuple[tuple[OcppVersion, float], ...]:
    """``{"1.6": 0.5, "2.0.1": 0.5}`` as a version mix; raises ValueError naming the problem."""
    mix: list[tuple[OcppVersion, float]] = []
    for name, share in shares.items():
        try:
            version = OcppVersion(name)
        except ValueError:
            raise ValueError(f"{name!r} is not an OCPP version (1.6, 2.0.1 or 2.1)") from None
        if not (isinstance(share, int | float) and math.isfinite(share) and share >= 0):
            raise ValueError(f"the share of {name} must be a number of at least 0")
        if share > 0:
            mix.append((version, float(share)))
    if not mix:
        raise ValueError("at least one version needs a share above 0")
    return tuple(sorted(mix))


def shard_indices(target: int, shard: int, shards: int) -> range:
    """The charger indices below ``target`` that belong to ``shard``."""
    return range(shard, target, shards)
