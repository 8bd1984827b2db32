"""The store: migrations, SQLite safety settings and pre-flight check, PostgreSQL parity."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ocppsim.services.container import Services
from ocppsim.store.db import StoreError, create_engine, migrate, sqlite_url
from ocppsim.store.records import DuplicateError, SettingsRecord
from ocppsim.store.repository import Store
from ocppsim.store.tables import metadata

NOW = datetime(2026, 4, 9, 14, 30, tzinfo=UTC)
SETTINGS = SettingsRecord("ws://127.0.0.1:9000", "AABBCCDD", 300, 50)


async def _user(store: Store, name: str) -> int:
    record = await store.create_user(
        name=name,
        password_hash="x",
        is_admin=False,
        now=NOW,
        settings=SETTINGS,
        key_prefix=f"ocps_{name[:8]:0>8}",
        key_digest=hashlib.sha256(name.encode()).digest(),
    )
    return record.id


def _charger(chargepoint_id: str) -> dict[str, object]:
    return {
        "chargepoint_id": chargepoint_id,
        "charger_type": "AC",
        "max_power_kw": 22.0,
        "num_connectors": 1,
        "ocpp_version": "1.6",
        "auth_mode": "rfid",
        "rfid_tag": "",
        "backend_url": "",
        "pnc_emaid": "",
        "pnc_pcid": "",
        "pnc_certificate_hash": "",
        "charger_name": "",
        "mode": "off",
        "free_charging": False,
        "error_code": "NoError",
    }


async def test_migrations_create_the_schema_and_are_idempotent(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate(engine)
        await migrate(engine)  # second start: nothing to do, no error
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
            version = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).one()
            # The migrations build exactly the schema the code declares.
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), metadata)
            )
    finally:
        await engine.dispose()
    assert {"users", "api_keys", "user_settings", "chargers", "ocpp_log", "web_sessions"} <= tables
    assert version == ("0006",)
    assert diff == []


async def test_rows_round_trip_with_aware_utc_times(db_url: str) -> None:
    services = await Services.open(db_url)
    try:
        store = services.store
        user_id = await _user(store, "alice")
        created = await store.create_charger(user_id, _charger("SIM-AC-001"), NOW)
        assert created.created_at == NOW
        assert await store.get_charger(user_id, "SIM-AC-001") == created
        assert (await store.get_settings(user_id)) == SETTINGS
    finally:
        await services.close()


async def test_chargepoint_ids_are_unique_per_user_only(db_url: str) -> None:
    services = await Services.open(db_url)
    try:
        store = services.store
        alice, bob = await _user(store, "alice"), await _user(store, "bob")
        await store.create_charger(alice, _charger("CP-1"), NOW)
        await store.create_charger(bob, _charger("CP-1"), NOW)  # another user may reuse it
        with pytest.raises(DuplicateError):
            await store.create_charger(alice, _charger("CP-1"), NOW)
        await store.create_charger(alice, _charger("CP-2"), NOW)
        with pytest.raises(DuplicateError):
            await store.update_charger(alice, "CP-2", {"chargepoint_id": "CP-1"})
        # Every query filters by owner: bob's row is invisible to alice's id and vice versa.
        assert [c.chargepoint_id for c in await store.list_chargers(alice)] == ["CP-1", "CP-2"]
        assert await store.update_charger(bob, "CP-2", {"charger_name": "x"}) is None
        assert not await store.delete_charger(bob, "CP-2")
        assert await store.get_charger(alice, "CP-2") is not None
    finally:
        await services.close()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = create_engine(sqlite_url(tmp_path / "x.db"))
    try:
        await migrate(engine)
        async with engine.connect() as conn:
            pragmas = {
                name: (await conn.execute(sa.text(f"PRAGMA {name}"))).scalar_one()
                for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
            }
    finally:
        await engine.dispose()
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "synchronous": 1,
        "busy_timeout": 5000,
    }


def test_a_missing_data_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "ocppsim.db"
    engine = create_engine(sqlite_url(path))
    assert path.parent.is_dir()
    engine.sync_engine.dispose()


@pytest.mark.parametrize(
    "content",
    [b"this is not a database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 4080],
    ids=["garbage", "broken-header"],
)
async def test_a_corrupt_file_stops_startup_and_is_left_untouched(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "ocppsim.db"
    path.write_bytes(content)
    with pytest.raises(StoreError, match=r"left untouched"):
        await Services.open(sqlite_url(path))
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ocppsim.db"]


async def test_a_damaged_page_fails_the_integrity_check(tmp_path: Path) -> None:
    path = tmp_path / "ocppsim.db"
    services = await Services.open(sqlite_url(path))
    user_id = await _user(services.store, "alice")
    for n in range(200):
        await services.store.create_charger(user_id, _charger(f"CP-{n}"), NOW)
    await services.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for n in range(2, len(data) // page):  # scribble over every b-tree page's cell pointers
        data[n * page + 8 : n * page + 40] = b"\x13" * 32
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=r"integrity check|not a usable"):
        await Services.open(sqlite_url(path))
    assert path.read_bytes() == bytes(data)


async def test_an_unusable_url_is_a_readable_error() -> None:
    with pytest.raises(StoreError, match=r"unusable database URL"):
        await Services.open("nosuchdb+driver://x/y")
