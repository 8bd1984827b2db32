"""Users, passwords and API keys (reference S5, S7)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from ocppsim.services.accounts import Accounts, Principal, make_key
from ocppsim.services.container import Services
from ocppsim.services.errors import Conflict, Invalid, NotFound
from ocppsim.store.db import sqlite_url
from ocppsim.store.tables import api_keys, users
from tests.conftest import DEMO_BACKEND, FAST_HASHER


class ManualClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 4, 9, 14, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_keys_have_a_public_prefix_and_256_secret_bits() -> None:
    key, prefix, digest = make_key()
    assert re.fullmatch(r"ocps_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}", key)
    assert key.startswith(prefix + "_")
    assert len(digest) == 32
    assert len({make_key()[0] for _ in range(1000)}) == 1000


async def test_a_database_dump_holds_no_key_and_no_password(tmp_path: Path) -> None:
    path = tmp_path / "ocppsim.db"
    services = await Services.open(sqlite_url(path))
    accounts = Accounts(services.store, hasher=FAST_HASHER)
    try:
        new = await accounts.create_user("alice", "a fine password", backend_url=DEMO_BACKEND)
        who = Principal(new.user.id, "alice", False)
        extra = await accounts.create_key(who)
        async with services.store.engine.connect() as conn:
            hashes = (await conn.execute(sa.select(users.c.password_hash))).scalars().all()
            prefixes = (await conn.execute(sa.select(api_keys.c.prefix))).scalars().all()
    finally:
        await services.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    for secret in (new.key.key, extra.key):
        assert secret.encode() not in raw
        assert secret[14:].encode() not in raw
    assert b"a fine password" not in raw
    assert hashes[0].startswith("$argon2id$")
    assert sorted(prefixes) == sorted([new.key.prefix, extra.prefix])


async def test_passwords_verify_and_unknown_users_fail_alike(services: Services) -> None:
    await services.accounts.create_user("alice", "a fine password", backend_url=DEMO_BACKEND)
    who = await services.accounts.verify_password("alice", "a fine password")
    assert who is not None
    assert who.name == "alice"
    assert await services.accounts.verify_password("alice", "wrong password") is None
    assert await services.accounts.verify_password("nobody", "a fine password") is None


@pytest.mark.parametrize(
    ("name", "password", "field"),
    [
        ("", "long enough", "name"),
        ("a b", "long enough", "name"),
        ("x" * 65, "long enough", "name"),
        ("alice", "short", "password"),
        ("alice", "x" * 129, "password"),
    ],
)
async def test_user_names_and_passwords_are_checked(
    services: Services, name: str, password: str, field: str
) -> None:
    with pytest.raises(Invalid, match=f"^{field}:"):
        await services.accounts.create_user(name, password, backend_url=DEMO_BACKEND)
    assert await services.accounts.count_users() == 0


async def test_duplicate_user_names_are_refused(services: Services) -> None:
    await services.accounts.create_user("alice", "a fine password", backend_url=DEMO_BACKEND)
    with pytest.raises(Conflict, match="exists already"):
        await services.accounts.create_user("alice", "another password", backend_url=DEMO_BACKEND)


async def test_authenticate_and_last_used_is_written_at_most_once_a_minute(db_url: str) -> None:
    services = await Services.open(db_url)
    clock = ManualClock()
    accounts = Accounts(services.store, clock=clock, hasher=FAST_HASHER)
    try:
        new = await accounts.create_user("alice", "a fine password", backend_url=DEMO_BACKEND)
        who = await accounts.authenticate(new.key.key)
        assert who == Principal(new.user.id, "alice", False)
        first = (await accounts.list_keys(who))[0].last_used_at
        assert first == clock.now
        clock.now += timedelta(seconds=30)
        await accounts.authenticate(new.key.key)
        assert (await accounts.list_keys(who))[0].last_used_at == first
        clock.now += timedelta(seconds=31)
        await accounts.authenticate(new.key.key)
        assert (await accounts.list_keys(who))[0].last_used_at == clock.now
        key = new.key.key
        # The last character changed (to a letter it is not: "A" would be the key itself
        # one time in 64).
        other_last = key[:-1] + ("B" if key.endswith("A") else "A")
        for wrong in ("", "ocps_x", other_last, key + "A", new.key.prefix):
            assert await accounts.authenticate(wrong) is None
    finally:
        await services.close()


async def test_rotate_key_revokes_every_old_key(services: Services) -> None:
    accounts = services.accounts
    new = await accounts.create_user("alice", "a fine password", backend_url=DEMO_BACKEND)
    who = Principal(new.user.id, "alice", False)
    second = await accounts.create_key(who)
    rotated = await accounts.rotate_key("alice")
    assert await accounts.authenticate(new.key.key) is None
    assert await accounts.authenticate(second.key) is None
    assert await accounts.authenticate(rotated.key) == who
    assert [k.prefix for k in await accounts.list_keys(who)] == [rotated.prefix]
    with pytest.raises(NotFound):
        await accounts.rotate_key("nobody")


async def test_the_last_key_cannot_be_revoked(services: Services) -> None:
    accounts = services.accounts
    new = await accounts.create_user("alice", "a fine password", backend_url=DEMO_BACKEND)
    who = Principal(new.user.id, "alice", False)
    with pytest.raises(Conflict, match="last API key"):
        await accounts.revoke_key(who, new.key.prefix)
    second = await accounts.create_key(who)
    await accounts.revoke_key(who, new.key.prefix)
    assert await accounts.authenticate(new.key.key) is None
    assert await accounts.authenticate(second.key) == who
    with pytest.raises(NotFound):
        await accounts.revoke_key(who, new.key.prefix)
