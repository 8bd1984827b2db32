"""The ``ocppsim`` command: run the server, manage users."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import click

from ocppsim.config import Config, ConfigError
from ocppsim.core import limits
from ocppsim.services.container import Services
from ocppsim.services.errors import ServiceError
from ocppsim.store.db import StoreError

T = TypeVar("T")

FIRST_USER = "admin"


def _config() -> Config:
    try:
        return Config.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _run(config: Config, action: Callable[[Services], Awaitable[T]]) -> T:
    """Open the store, run one use case, close; refusals become readable CLI errors."""

    async def go() -> T:
        services = await Services.open(config.database_url)
        try:
            return await action(services)
        finally:
            await services.close()

    try:
        return asyncio.run(go())
    except (StoreError, ServiceError) as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
@click.version_option(package_name="ocppsim")
def main() -> None:
    """ocppsim: an OCPP charge-point simulator server."""


@main.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default 8080).")
@click.option("--no-demo-csms", is_flag=True, help="Do not start the built-in demo CSMS.")
def serve(host: str | None, port: int | None, no_demo_csms: bool) -> None:
    """Migrate the database, create a first user if there is none, and serve the API."""
    import uvicorn

    from ocppsim.api import create_app
    from ocppsim.api.logs import log_config

    config = _config()
    config = replace(
        config,
        host=host or config.host,
        port=port or config.port,
        demo_csms=config.demo_csms and not no_demo_csms,
    )

    async def first_user(services: Services) -> None:
        if await services.accounts.count_users():
            return
        password = secrets.token_urlsafe(12)
        new = await services.accounts.create_user(
            FIRST_USER, password, is_admin=True, backend_url=config.default_backend_url
        )
        click.echo(
            "\nCreated the first user (shown once; keep them):\n"
            f"  user:     {new.user.name}\n"
            f"  password: {password}\n"
            f"  API key:  {new.key.key}\n"
            f"Open http://{config.host}:{config.port} and log in with the user and password.\n"
            f"Try:  export KEY=<the API key above>\n"
            f'      curl -H "X-API-Key: $KEY" http://{config.host}:{config.port}/api/me\n'
            "Lost the key? .venv/bin/ocppsim user rotate-key admin\n"
        )

    _run(config, first_user)
    click.echo(
        f"ocppsim serving on http://{config.host}:{config.port} "
        "(web UI at /, API reference at /reference)"
    )
    uvicorn.run(create_app(config), host=config.host, port=config.port, log_config=log_config())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=9000, show_default=True)
def csms(host: str, port: int) -> None:
    """Run the demo CSMS alone (a backend for chargers to dial: ws://HOST:PORT/<id>)."""
    from ocppsim.democsms import DemoCsms

    async def run() -> None:
        server = DemoCsms()
        try:
            bound = await server.start(host=host, port=port)
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from None
        click.echo(f"demo CSMS listening on ws://{host}:{bound}/<chargepoint id> (Ctrl-C stops)")
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


@main.group()
def user() -> None:
    """Manage users and their API keys."""


@user.command("add")
@click.argument("name")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The user's password (asked when omitted).",
)
@click.option("--admin", is_flag=True, help="Make the user an administrator.")
def user_add(name: str, password: str, admin: bool) -> None:
    """Create user NAME and print its API key (once)."""
    config = _config()
    new = _run(
        config,
        lambda s: s.accounts.create_user(
            name, password, is_admin=admin, backend_url=config.default_backend_url
        ),
    )
    click.echo(f"Created user {new.user.name}. API key (shown once): {new.key.key}")


@user.command("list")
def user_list() -> None:
    """List users."""
    users = _run(_config(), lambda s: s.accounts.list_users())
    if not users:
        click.echo("no users")
    for u in users:
        role = "admin" if u.is_admin else "user"
        click.echo(f"{u.name}\t{role}\tcreated {u.created_at:%Y-%m-%d %H:%M:%S} UTC")


@user.command("rotate-key")
@click.argument("name")
def user_rotate_key(name: str) -> None:
    """Revoke all of NAME's API keys and print a new one (once)."""
    key = _run(_config(), lambda s: s.accounts.rotate_key(name))
    click.echo(f"New API key for {name} (shown once; the old keys stop working now): {key.key}")


def _progress(line: str) -> None:
    """The live line: rewritten in place on a terminal, one line each time elsewhere."""
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[K" + line)
        sys.stderr.flush()
    else:
        click.echo(line, err=True)


def _duration(text: str) -> float:
    units = {"s": 1.0, "m": 60.0, "h": 3600.0}
    raw = text.strip().lower()
    factor = units.get(raw[-1:], 0.0)
    number = raw[:-1] if factor else raw
    try:
        seconds = float(number) * (factor or 1.0)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a duration such as 60s, 5m or 90") from None
    if not 0 < seconds <= 7 * 86400:
        raise click.BadParameter("must be more than 0 and at most 7 days")
    return seconds


@main.command()
@click.option("--url", required=True, help="The backend: ws://host:port/path (ids are appended).")
@click.option("--target", type=click.IntRange(1, 200_000), required=True, help="Chargers.")
@click.option(
    "--mode",
    type=click.Choice(["idle", "connect", "charging"]),
    default="charging",
    show_default=True,
)
@click.option("--duration", default="60s", show_default=True, help="How long the run lasts.")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=500, show_default=True)
@click.option(
    "--versions",
    default="1.6=1",
    show_default=True,
    help="OCPP version mix as shares, e.g. 1.6=0.5,2.0.1=0.3,2.1=0.2.",
)
@click.option("--prefix", default="LOAD-", show_default=True, help="Ids are prefix + 00001...")
@click.option(
    "--meter-interval",
    type=click.IntRange(limits.METER_INTERVAL.low, limits.METER_INTERVAL.high),
    default=60,
    show_default=True,
)
@click.option(
    "--heartbeat-interval",
    type=click.IntRange(limits.HEARTBEAT.low, limits.HEARTBEAT.high),
    default=300,
)
@click.option("--rfid", default="AABBCCDD", show_default=True, help="The id tag chargers use.")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Default: one per core.")
@click.option(
    "--source-address", multiple=True, help="Local address to dial from (repeat to spread)."
)
@click.option("--report", type=click.Path(dir_okay=False), default=None, help="Write JSON here.")
@click.option(
    "--max-errors", type=click.IntRange(0), default=0, show_default=True, help="Exit 1 above."
)
def loadtest(
    url: str,
    target: int,
    mode: str,
    duration: str,
    batch_size: int,
    versions: str,
    prefix: str,
    meter_interval: int,
    heartbeat_interval: int,
    rfid: str,
    workers: int | None,
    source_address: tuple[str, ...],
    report: str | None,
    max_errors: int,
) -> None:
    """Load-test a backend without the server: TARGET chargers against URL, a live progress
    line, and a JSON report at the end (stdout, or --report). Exits 1 when chargers did not all
    boot (connect, charging) or errors exceed --max-errors: fit for CI."""
    from ocppsim.loadtest.plan import MassMode, Plan, parse_versions
    from ocppsim.loadtest.pool import WorkerError
    from ocppsim.loadtest.standalone import run_standalone

    try:
        shares = {k.strip(): float(v) for k, v in (p.split("=", 1) for p in versions.split(","))}
        mix = parse_versions(shares)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--versions") from None
    try:
        limits.check_id_tag(rfid)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--rfid") from None
    plan = Plan(
        backend_url=url,
        target=target,
        mode=MassMode(mode),
        batch_size=batch_size,
        versions=mix,
        prefix=prefix,
        meter_interval=meter_interval,
        heartbeat_interval=heartbeat_interval,
        id_tag=rfid,
        source_addresses=source_address,
    )
    try:
        result, ok = asyncio.run(run_standalone(plan, _duration(duration), workers, _progress))
    except (RuntimeError, WorkerError) as exc:
        raise click.ClickException(str(exc)) from None
    text = json.dumps(result, indent=2)
    if report:
        Path(report).write_text(text + "\n")
        click.echo(f"report written to {report}", err=True)
    else:
        click.echo(text)
    errors = int(result["stats"]["errors"])
    if not ok or errors > max_errors:
        raise SystemExit(1)
