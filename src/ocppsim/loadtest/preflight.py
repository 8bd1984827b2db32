"""Checks before a run starts, so that a run that cannot fit says why instead of failing
halfway: open files per worker process, local ports per source address, and a backend that
answers on its TCP port."""

from __future__ import annotations

import asyncio
import contextlib
import math
import resource
import socket
from pathlib import Path
from urllib.parse import urlsplit

#: Sockets a worker needs besides its chargers' (pipes, the event loop, libraries).
FILE_MARGIN = 256
_PORT_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


class PreflightError(Exception):
    """The run cannot start; the message says why and what to change."""


def open_file_limit() -> int:
    """The hard open-file limit a worker raises its soft limit to."""
    return resource.getrlimit(resource.RLIMIT_NOFILE)[1]


def raise_open_file_limit() -> int:
    """Raise this process's soft open-file limit to the hard one; returns the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def check_open_files(chargers: int, workers: int, limit: int | None = None) -> None:
    """Each of ``workers`` processes holds about chargers / workers sockets."""
    hard = open_file_limit() if limit is None else limit
    needed = math.ceil(chargers / workers) + FILE_MARGIN
    if needed > hard:
        raise PreflightError(
            f"{chargers} chargers need about {needed} open files in each of the {workers} "
            f"load-test worker processes, but the limit is {hard}: raise it (ulimit -n) or run "
            f"more workers (OCPPSIM_LOADTEST_WORKERS)"
        )


def local_port_count() -> int:
    """How many ephemeral ports one source address has towards one backend address."""
    try:
        low, high = (int(x) for x in _PORT_RANGE.read_text().split())
    except (OSError, ValueError):
        return 28_232  # Linux's default range 32768-60999
    return high - low + 1


def check_ports(chargers: int, source_addresses: int, ports: int | None = None) -> None:
    available = local_port_count() if ports is None else ports
    per_address = math.ceil(chargers / max(1, source_addresses))
    if per_address > available:
        needed = math.ceil(chargers / available)
        raise PreflightError(
            f"{chargers} connections to one backend address need {needed} local source "
            f"addresses ({available} ports each); set OCPPSIM_LOADTEST_SOURCE_ADDRESSES "
            f"(for a local backend: 127.0.0.1,127.0.0.2,...)"
        )


async def check_backend(url: str, timeout: float = 3.0) -> None:
    """The backend's host resolves and its TCP port accepts a connection."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise PreflightError(f"the backend URL {url!r} is not a ws:// or wss:// URL")
    try:
        port = parts.port or (443 if parts.scheme == "wss" else 80)
    except ValueError:
        raise PreflightError(f"the backend URL {url!r} has an invalid port") from None
    where = f"{parts.hostname}:{port}"
    try:
        async with asyncio.timeout(timeout):
            _, writer = await asyncio.open_connection(parts.hostname, port)
    except TimeoutError:
        raise PreflightError(f"the backend {where} did not answer within {timeout:.0f} s") from None
    except socket.gaierror:
        raise PreflightError(f"the backend host {parts.hostname} is unknown") from None
    except ConnectionRefusedError:
        raise PreflightError(f"the backend {where} refused the connection") from None
    except OSError as exc:
        raise PreflightError(f"the backend {where} is not reachable: {exc.strerror}") from None
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
