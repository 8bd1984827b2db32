"""Queries. Each method that touches user-owned rows takes the owner's ``user_id`` first."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ocppsim.store.journal import JournalStore
from ocppsim.store.logs import LogStore
from ocppsim.store.records import (
    CHARGER_FIELDS,
    ApiKeyRecord,
    ChargerRecord,
    DuplicateError,
    SettingsRecord,
    UserRecord,
    WebSessionRecord,
)
from ocppsim.store.tables import (
    api_keys,
    chargers,
    server_settings,
    user_settings,
    users,
    web_sessions,
)


def _user(row: sa.Row[Any]) -> UserRecord:
    return UserRecord(**row._mapping)


def _key(row: sa.Row[Any]) -> ApiKeyRecord:
    return ApiKeyRecord(**row._mapping)


def _charger(row: sa.Row[Any]) -> ChargerRecord:
    return ChargerRecord(**row._mapping)


class Store:
    """All queries of ocppsim over one async engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.logs = LogStore(engine)
        self.journal = JournalStore(engine)

    async def close(self) -> None:
        await self.engine.dispose()

    # --- users and keys ---

    async def create_user(
        self,
        *,
        name: str,
        password_hash: str,
        is_admin: bool,
        now: datetime,
        settings: SettingsRecord,
        key_prefix: str,
        key_digest: bytes,
    ) -> UserRecord:
        """Create a user with its settings row and first API key, in one transaction."""
        try:
            async with self.engine.begin() as conn:
                row = (
                    await conn.execute(
                        users.insert()
                        .values(
                            name=name,
                            password_hash=password_hash,
                            is_admin=is_admin,
                            created_at=now,
                        )
                        .returning(*users.c)
                    )
                ).one()
                await conn.execute(
                    user_settings.insert().values(user_id=row.id, **_fields(settings))
                )
                await conn.execute(
                    api_keys.insert().values(
                        user_id=row.id, prefix=key_prefix, digest=key_digest, created_at=now
                    )
                )
        except sa.exc.IntegrityError:
            raise DuplicateError(f"user {name!r} exists already") from None
        return _user(row)

    async def user_by_name(self, name: str) -> UserRecord | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(users.select().where(users.c.name == name))).one_or_none()
        return None if row is None else _user(row)

    async def list_users(self) -> list[UserRecord]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(users.select().order_by(users.c.id))).all()
        return [_user(r) for r in rows]

    async def count_users(self) -> int:
        async with self.engine.connect() as conn:
            return int(
                (await conn.execute(sa.select(sa.func.count()).select_from(users))).scalar_one()
            )

    async def key_and_owner(self, prefix: str) -> tuple[ApiKeyRecord, UserRecord] | None:
        """The key with ``prefix`` and its user, in one query (every API request asks)."""
        found = await self._with_owner(api_keys, api_keys.c.prefix == prefix)
        return None if found is None else (ApiKeyRecord(**found[0]), found[1])

    async def _with_owner(
        self, table: sa.Table, condition: sa.ColumnElement[bool]
    ) -> tuple[dict[str, Any], UserRecord] | None:
        """The one row of ``table`` matching ``condition`` and the user owning it (by
        ``user_id``), in one query."""
        owner = users.alias("owner")
        query = (
            sa.select(table, *(c.label(f"owner_{c.name}") for c in owner.c))
            .join(owner, owner.c.id == table.c.user_id)
            .where(condition)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).one_or_none()
        if row is None:
            return None
        values = row._mapping
        user = UserRecord(**{c.name: values[f"owner_{c.name}"] for c in owner.c})
        return {c.name: values[c.name] for c in table.c}, user

    async def touch_key(self, key_id: int, now: datetime) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                api_keys.update().where(api_keys.c.id == key_id).values(last_used_at=now)
            )

    async def list_keys(self, user_id: int) -> list[ApiKeyRecord]:
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    api_keys.select().where(api_keys.c.user_id == user_id).order_by(api_keys.c.id)
                )
            ).all()
        return [_key(r) for r in rows]

    async def add_key(
        self, user_id: int, prefix: str, digest: bytes, now: datetime
    ) -> ApiKeyRecord:
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    api_keys.insert()
                    .values(user_id=user_id, prefix=prefix, digest=digest, created_at=now)
                    .returning(*api_keys.c)
                )
            ).one()
        return _key(row)

    async def revoke_key(self, user_id: int, prefix: str, *, keep_one: bool) -> bool | None:
        """Delete the user's key ``prefix``. None: no such key; False: refused (last key)."""
        async with self.engine.begin() as conn:
            owned = (
                (
                    await conn.execute(
                        sa.select(api_keys.c.prefix)
                        .where(api_keys.c.user_id == user_id)
                        .with_for_update()
                    )
                )
                .scalars()
                .all()
            )
            if prefix not in owned:
                return None
            if keep_one and len(owned) == 1:
                return False
            await conn.execute(
                api_keys.delete().where(api_keys.c.user_id == user_id, api_keys.c.prefix == prefix)
            )
        return True

    async def replace_keys(self, user_id: int, prefix: str, digest: bytes, now: datetime) -> None:
        """Revoke every key of the user and install one new key (``user rotate-key``)."""
        async with self.engine.begin() as conn:
            await conn.execute(api_keys.delete().where(api_keys.c.user_id == user_id))
            await conn.execute(
                api_keys.insert().values(
                    user_id=user_id, prefix=prefix, digest=digest, created_at=now
                )
            )

    # --- web UI sessions ---

    async def create_web_session(
        self, user_id: int, digest: bytes, csrf_token: str, now: datetime
    ) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                web_sessions.insert().values(
                    user_id=user_id,
                    digest=digest,
                    csrf_token=csrf_token,
                    created_at=now,
                    last_seen_at=now,
                )
            )

    async def web_session(self, digest: bytes) -> tuple[WebSessionRecord, UserRecord] | None:
        """The session with ``digest`` and its user, in one query (every UI request asks)."""
        found = await self._with_owner(web_sessions, web_sessions.c.digest == digest)
        return None if found is None else (WebSessionRecord(**found[0]), found[1])

    async def touch_web_session(self, session_id: int, now: datetime) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                web_sessions.update()
                .where(web_sessions.c.id == session_id)
                .values(last_seen_at=now)
            )

    async def delete_web_session(self, digest: bytes) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(web_sessions.delete().where(web_sessions.c.digest == digest))

    async def delete_stale_web_sessions(
        self, seen_before: datetime, created_before: datetime
    ) -> int:
        """Remove sessions idle since ``seen_before`` or older than ``created_before``."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                web_sessions.delete().where(
                    sa.or_(
                        web_sessions.c.last_seen_at < seen_before,
                        web_sessions.c.created_at < created_before,
                    )
                )
            )
        return int(result.rowcount)

    # --- server-wide settings ---

    async def server_setting(self, name: str) -> str | None:
        async with self.engine.connect() as conn:
            value = (
                await conn.execute(
                    sa.select(server_settings.c.value).where(server_settings.c.name == name)
                )
            ).scalar_one_or_none()
        return None if value is None else str(value)

    async def set_server_setting(self, name: str, value: str) -> None:
        update = server_settings.update().where(server_settings.c.name == name).values(value=value)
        async with self.engine.begin() as conn:
            if (await conn.execute(update)).rowcount:
                return
        try:
            async with self.engine.begin() as conn:
                await conn.execute(server_settings.insert().values(name=name, value=value))
        except sa.exc.IntegrityError:  # set at the same moment by someone else: ours wins
            async with self.engine.begin() as conn:
                await conn.execute(update)

    # --- settings ---

    async def get_settings(self, user_id: int) -> SettingsRecord:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(user_settings.select().where(user_settings.c.user_id == user_id))
            ).one()
        values = dict(row._mapping)
        del values["user_id"]
        return SettingsRecord(**values)

    async def update_settings(self, user_id: int, changes: Mapping[str, object]) -> SettingsRecord:
        if changes:
            async with self.engine.begin() as conn:
                await conn.execute(
                    user_settings.update()
                    .where(user_settings.c.user_id == user_id)
                    .values(**changes)
                )
        return await self.get_settings(user_id)

    # --- chargers ---

    async def list_chargers(self, user_id: int) -> list[ChargerRecord]:
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    chargers.select().where(chargers.c.user_id == user_id).order_by(chargers.c.id)
                )
            ).all()
        return [_charger(r) for r in rows]

    async def active_chargers(self) -> list[ChargerRecord]:
        """Every user's chargers that are not off (to resume them at start-up)."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    chargers.select().where(chargers.c.mode != "off").order_by(chargers.c.id)
                )
            ).all()
        return [_charger(r) for r in rows]

    async def get_charger(self, user_id: int, chargepoint_id: str) -> ChargerRecord | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    chargers.select().where(
                        chargers.c.user_id == user_id, chargers.c.chargepoint_id == chargepoint_id
                    )
                )
            ).one_or_none()
        return None if row is None else _charger(row)

    async def create_charger(
        self, user_id: int, values: Mapping[str, object], now: datetime
    ) -> ChargerRecord:
        _check_charger_fields(values)
        try:
            async with self.engine.begin() as conn:
                row = (
                    await conn.execute(
                        chargers.insert()
                        .values(user_id=user_id, created_at=now, **values)
                        .returning(*chargers.c)
                    )
                ).one()
        except sa.exc.IntegrityError:
            raise DuplicateError(
                f"a charger with chargepoint_id {values.get('chargepoint_id')!r} exists already"
            ) from None
        return _charger(row)

    async def update_charger(
        self, user_id: int, chargepoint_id: str, changes: Mapping[str, object]
    ) -> ChargerRecord | None:
        """Write ``changes`` to the user's charger; None if the user has no such charger."""
        _check_charger_fields(changes)
        try:
            async with self.engine.begin() as conn:
                row = (
                    await conn.execute(
                        chargers.update()
                        .where(
                            chargers.c.user_id == user_id,
                            chargers.c.chargepoint_id == chargepoint_id,
                        )
                        .values(**changes)
                        .returning(*chargers.c)
                    )
                ).one_or_none()
        except sa.exc.IntegrityError:
            raise DuplicateError(
                f"a charger with chargepoint_id {changes.get('chargepoint_id')!r} exists already"
            ) from None
        return None if row is None else _charger(row)

    async def delete_charger(self, user_id: int, chargepoint_id: str) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                chargers.delete().where(
                    chargers.c.user_id == user_id, chargers.c.chargepoint_id == chargepoint_id
                )
            )
        return result.rowcount == 1


def _fields(record: SettingsRecord) -> dict[str, object]:
    return {name: getattr(record, name) for name in record.__slots__}


def _check_charger_fields(values: Mapping[str, object]) -> None:
    unknown = set(values) - CHARGER_FIELDS
    if unknown:
        raise ValueError(f"not charger columns: {sorted(unknown)}")
