"""The ``ocppsim`` command: run the server, manage users."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TypeVar

import click

from ocppsim.config import Config, ConfigError
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
            f"Try:  export KEY=<the API key above>\n"
            f'      curl -H "X-API-Key: $KEY" http://{config.host}:{config.port}/api/me\n'
            "Lost the key? .venv/bin/ocppsim user rotate-key admin\n"
        )

    _run(config, first_user)
    click.echo(f"ocppsim serving on http://{config.host}:{config.port} (API docs at /docs)")
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
