"""Shared fixtures: a real database (SQLite file, or PostgreSQL when configured), the services
over it, the API app, and users with their keys.

PostgreSQL: set ``OCPPSIM_TEST_DATABASE_URL`` (e.g. ``postgresql+asyncpg://postgres@127.0.0.1/test``)
and every test using ``db_url`` also runs against a fresh database created on that server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url

from ocppsim.api import create_app
from ocppsim.config import Config
from ocppsim.services.accounts import Accounts
from ocppsim.services.container import Services
from ocppsim.services.websessions import WebSessions
from ocppsim.store.db import sqlite_url

PG_URL = os.environ.get("OCPPSIM_TEST_DATABASE_URL", "")
DEMO_BACKEND = "ws://127.0.0.1:9000"
# Cheap Argon2id parameters for tests (production uses argon2-cffi's defaults).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


async def _pg_database() -> tuple[str, str]:
    import asyncpg

    name = f"ocppsim_test_{uuid.uuid4().hex[:12]}"
    base = make_url(PG_URL)
    conn = await asyncpg.connect(base.set(drivername="postgresql").render_as_string(False))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base.set(database=name).render_as_string(False), name


async def _drop_pg_database(name: str) -> None:
    import asyncpg

    base = make_url(PG_URL)
    conn = await asyncpg.connect(base.set(drivername="postgresql").render_as_string(False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: an SQLite file, then (if configured) a PostgreSQL database."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "ocppsim.db")
        return
    if not PG_URL:
        pytest.skip("OCPPSIM_TEST_DATABASE_URL is not set")
    url, name = await _pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(name)


def fast_hashing(services: Services) -> Services:
    """The same services with cheap password hashing (log-in and sign-up included)."""
    accounts = Accounts(services.store, hasher=FAST_HASHER)
    return replace(
        services,
        accounts=accounts,
        websessions=WebSessions(services.store, accounts, signup_default=True),
    )


@pytest.fixture
async def services(db_url: str) -> AsyncIterator[Services]:
    opened = await Services.open(db_url)
    fast = fast_hashing(opened)
    try:
        yield fast
    finally:
        await opened.close()


@dataclass(frozen=True)
class ApiUser:
    name: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}


async def make_user(services: Services, name: str) -> ApiUser:
    new = await services.accounts.create_user(
        name, "correct horse battery", backend_url=DEMO_BACKEND
    )
    return ApiUser(name, new.key.key)


@pytest.fixture
async def api(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the app, in process (``httpx.ASGITransport``)."""
    app = create_app(Config(database_url="unused://"), services=services)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            yield client


@pytest.fixture
async def alice(services: Services) -> ApiUser:
    return await make_user(services, "alice")


@pytest.fixture
async def bob(services: Services) -> ApiUser:
    return await make_user(services, "bob")


@pytest.fixture
def sqlite_only(db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite-specific")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: while Playwright's sync API is open it keeps an event loop
    running in this thread, and pytest-asyncio cannot run a test's loop beside it."""
    items.sort(key=lambda item: "e2e" in item.path.parts)
