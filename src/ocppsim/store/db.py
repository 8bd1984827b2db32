"""Opening the database: URL defaults, SQLite safety pragmas, a pre-flight check, migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


class StoreError(Exception):
    """The database cannot be used; the message says why and what to do."""


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def preflight_sqlite(path: Path) -> None:
    """Refuse a database file that is unreadable or corrupt, without writing to it.

    The file is opened read-only and ``PRAGMA quick_check`` must answer ``ok`` (reference D2).
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open database file {path}: {exc}") from None
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.Error as exc:
        raise StoreError(
            f"database file {path} is not a usable SQLite database ({exc}); "
            "it was left untouched: restore a backup or point OCPPSIM_DATABASE_URL elsewhere"
        ) from None
    finally:
        conn.close()
    if rows != [("ok",)]:
        lines = [line for r in rows for line in str(r[0]).splitlines()]
        found = "; ".join(line for line in lines[:3] if "in database main" not in line)
        raise StoreError(
            f"database file {path} failed its integrity check ({found}); "
            "it was left untouched: restore a backup or point OCPPSIM_DATABASE_URL elsewhere"
        )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # busy_timeout first: the other pragmas may need a lock (reference D1).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """An async engine for ``url``; SQLite files are checked first and opened in WAL mode."""
    path = _sqlite_path(url)
    if path is not None:
        preflight_sqlite(path)
    try:
        engine = create_async_engine(url, pool_pre_ping=path is None)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise StoreError(f"unusable database URL: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _alembic_config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", "ocppsim.store:migrations")
    config.attributes["connection"] = connection
    return config


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest migration (run at every start-up)."""
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(_alembic_config(c), "head"))
    except (OSError, sa.exc.DBAPIError) as exc:
        raise StoreError(f"cannot migrate the database: {exc}") from None
