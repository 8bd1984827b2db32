"""Server configuration, read once at the edge from the environment and the command line."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ocppsim.store.db import sqlite_url
from ocppsim.transport import MAX_FRAME_BYTES, MIN_FRAME_BYTES

DEFAULT_PORT = 8080
DEMO_CSMS_PORT = 9000
#: The most OCPPSIM_MAX_FRAME_BYTES may be: a frame up to 4 times the maximum is read whole
#: before it is refused, so this bounds what one connection may buffer (64 MiB).
MAX_FRAME_BYTES_LIMIT = 16 << 20


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the server needs to start.

    Environment variables: ``OCPPSIM_DATABASE_URL`` (default: SQLite file under
    ``OCPPSIM_DATA_DIR``, itself ``./data``), ``OCPPSIM_HOST``, ``OCPPSIM_PORT``,
    ``OCPPSIM_DEMO_CSMS`` (``0`` disables the embedded demo CSMS), ``OCPPSIM_DEMO_CSMS_PORT``,
    ``OCPPSIM_DEFAULT_BACKEND_URL`` (the backend new users start with),
    ``OCPPSIM_LOADTEST_WORKERS`` (load-test worker processes; default one per core),
    ``OCPPSIM_LOADTEST_MAX_CHARGERS`` (all users' mass chargers together; default 20,000),
    ``OCPPSIM_LOADTEST_SOURCE_ADDRESSES`` (comma-separated local addresses to dial from),
    ``OCPPSIM_SIGNUP`` (``1``/``0``: may visitors of the web UI create accounts; default on
    when the server listens on a loopback address only; an administrator can change it later),
    ``OCPPSIM_ALLOWED_HOSTS`` (comma-separated names the ``Host`` header may carry, ``*`` for
    any; default: the loopback names when listening on loopback, else any),
    ``OCPPSIM_REPLAY_RATE`` (transaction messages a second one charger replays after an outage
    or a restart; default 5), ``OCPPSIM_REPLAY_MAX_RATE`` (the same over all chargers of
    the server; default 200),
    ``OCPPSIM_MAX_FRAME_BYTES`` (the largest WebSocket frame a charger takes from its backend;
    default 1 MiB, at least 64 KiB, at most 16 MiB; a larger CALL is refused with a CALLERROR,
    see docs/api.md), and
    ``OCPPSIM_AUTOPILOT_ENERGY_WH`` and ``OCPPSIM_AUTOPILOT_GAP_S`` (``LOW-HIGH``: the range
    autopilot sessions' energy and the pauses between them are drawn from, for every
    persistent charger; default 1000-15000 Wh, at least 100 (targets are whole 100 Wh), and
    10-120 s; short sessions for fault runs).
    """

    database_url: str
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    demo_csms: bool = True
    demo_csms_port: int = DEMO_CSMS_PORT
    default_backend_url: str = f"ws://127.0.0.1:{DEMO_CSMS_PORT}"
    #: False: serve the API only, chargers never dial (fuzzing the API, maintenance).
    run_chargers: bool = True
    #: Load tests: worker processes (None: one per core), the cap on mass chargers of all
    #: users' runs together, and local addresses to spread connections over.
    loadtest_workers: int | None = None
    loadtest_max_chargers: int = 20_000
    loadtest_source_addresses: tuple[str, ...] = ()
    #: Self sign-up in the web UI until an administrator decides; None: on for loopback hosts.
    signup: bool | None = None
    #: Host header names the server answers (DNS rebinding); None: derived from ``host``.
    allowed_hosts: tuple[str, ...] | None = None
    #: Pace of a replayed backlog of transaction messages: per charger, and server-wide.
    replay_rate: float = 5.0
    replay_max_rate: float = 200.0
    #: The largest frame a charger takes from its backend, in bytes.
    max_frame_bytes: int = MAX_FRAME_BYTES
    #: Autopilot ranges for every persistent charger; None: the charger's own defaults.
    autopilot_energy_wh: tuple[float, float] | None = None
    autopilot_gap_s: tuple[float, float] | None = None

    @property
    def host_allowlist(self) -> frozenset[str] | None:
        """The names requests may address, or None for any."""
        if self.allowed_hosts is not None:
            names = frozenset(h.lower() for h in self.allowed_hosts)
            return None if "*" in names else names
        if self._loopback():
            return frozenset({"localhost", "127.0.0.1", "::1", self.host.lower()})
        return None

    def _loopback(self) -> bool:
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return self.host == "localhost"

    @property
    def signup_default(self) -> bool:
        return self.signup if self.signup is not None else self._loopback()

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Config:
        data_dir = Path(env.get("OCPPSIM_DATA_DIR", "data"))
        demo_port = _int(env, "OCPPSIM_DEMO_CSMS_PORT", DEMO_CSMS_PORT)
        return cls(
            database_url=env.get("OCPPSIM_DATABASE_URL") or sqlite_url(data_dir / "ocppsim.db"),
            host=env.get("OCPPSIM_HOST", "127.0.0.1"),
            port=_int(env, "OCPPSIM_PORT", DEFAULT_PORT),
            demo_csms=_flag(env, "OCPPSIM_DEMO_CSMS") is not False,
            demo_csms_port=demo_port,
            default_backend_url=env.get("OCPPSIM_DEFAULT_BACKEND_URL")
            or f"ws://127.0.0.1:{demo_port}",
            loadtest_workers=_int(env, "OCPPSIM_LOADTEST_WORKERS", 0) or None,
            loadtest_max_chargers=_int(env, "OCPPSIM_LOADTEST_MAX_CHARGERS", 20_000),
            loadtest_source_addresses=_addresses(env.get("OCPPSIM_LOADTEST_SOURCE_ADDRESSES", "")),
            signup=_flag(env, "OCPPSIM_SIGNUP"),
            allowed_hosts=_names(env.get("OCPPSIM_ALLOWED_HOSTS")),
            replay_rate=_rate(env, "OCPPSIM_REPLAY_RATE", 5.0),
            replay_max_rate=_rate(env, "OCPPSIM_REPLAY_MAX_RATE", 200.0),
            max_frame_bytes=_frame_bytes(env),
            autopilot_energy_wh=_range(env, "OCPPSIM_AUTOPILOT_ENERGY_WH", 100.0),
            autopilot_gap_s=_range(env, "OCPPSIM_AUTOPILOT_GAP_S", 0.0),
        )


class ConfigError(ValueError):
    """A setting in the environment is unusable."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None


def _rate(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        rate = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of messages a second, not {raw!r}") from None
    if not 0.1 <= rate <= 100_000:
        raise ConfigError(f"{name} must be between 0.1 and 100000 messages a second")
    return rate


def _frame_bytes(env: Mapping[str, str]) -> int:
    value = _int(env, "OCPPSIM_MAX_FRAME_BYTES", MAX_FRAME_BYTES)
    if not MIN_FRAME_BYTES <= value <= MAX_FRAME_BYTES_LIMIT:
        raise ConfigError(
            f"OCPPSIM_MAX_FRAME_BYTES must be between {MIN_FRAME_BYTES} and "
            f"{MAX_FRAME_BYTES_LIMIT} bytes, not {value}"
        )
    return value


def _flag(env: Mapping[str, str], name: str) -> bool | None:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return None
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1 or 0, not {raw!r}")


def _range(env: Mapping[str, str], name: str, minimum: float) -> tuple[float, float] | None:
    """``LOW-HIGH`` (or one number for both) with ``minimum <= LOW <= HIGH``; unset: None."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    low, _, high = raw.partition("-")
    try:
        bounds = (float(low), float(high or low))
    except ValueError:
        raise ConfigError(f"{name} must be LOW-HIGH (two numbers), not {raw!r}") from None
    if not (minimum <= bounds[0] <= bounds[1] < float("inf")):
        raise ConfigError(f"{name} must be LOW-HIGH with {minimum:g} <= LOW <= HIGH, not {raw!r}")
    return bounds


def _names(raw: str | None) -> tuple[str, ...] | None:
    if raw is None or not raw.strip():
        return None
    return tuple(n.strip().strip("[]") for n in raw.split(",") if n.strip())


def _addresses(raw: str) -> tuple[str, ...]:
    addresses = tuple(a.strip() for a in raw.split(",") if a.strip())
    for address in addresses:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise ConfigError(
                f"OCPPSIM_LOADTEST_SOURCE_ADDRESSES: {address!r} is not an IP address"
            ) from None
    return addresses
