"""Server configuration, read once at the edge from the environment and the command line."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ocppsim.store.db import sqlite_url

DEFAULT_PORT = 8080
DEMO_CSMS_PORT = 9000


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the server needs to start.

    Environment variables: ``OCPPSIM_DATABASE_URL`` (default: SQLite file under
    ``OCPPSIM_DATA_DIR``, itself ``./data``), ``OCPPSIM_HOST``, ``OCPPSIM_PORT``,
    ``OCPPSIM_DEMO_CSMS`` (``0`` disables the embedded demo CSMS), ``OCPPSIM_DEMO_CSMS_PORT``,
    ``OCPPSIM_DEFAULT_BACKEND_URL`` (the backend new users start with).
    """

    database_url: str
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    demo_csms: bool = True
    demo_csms_port: int = DEMO_CSMS_PORT
    default_backend_url: str = f"ws://127.0.0.1:{DEMO_CSMS_PORT}"
    #: False: serve the API only, chargers never dial (fuzzing the API, maintenance).
    run_chargers: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Config:
        data_dir = Path(env.get("OCPPSIM_DATA_DIR", "data"))
        demo_port = _int(env, "OCPPSIM_DEMO_CSMS_PORT", DEMO_CSMS_PORT)
        return cls(
            database_url=env.get("OCPPSIM_DATABASE_URL") or sqlite_url(data_dir / "ocppsim.db"),
            host=env.get("OCPPSIM_HOST", "127.0.0.1"),
            port=_int(env, "OCPPSIM_PORT", DEFAULT_PORT),
            demo_csms=env.get("OCPPSIM_DEMO_CSMS", "1").lower() not in ("0", "false", "no", "off"),
            demo_csms_port=demo_port,
            default_backend_url=env.get("OCPPSIM_DEFAULT_BACKEND_URL")
            or f"ws://127.0.0.1:{demo_port}",
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
