"""Queries of the OCPP message log. Every read and prune is scoped to one user."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ocppsim.store.records import LogRecord
from ocppsim.store.tables import ocpp_log

_COLUMNS = (
    ocpp_log.c.id,
    ocpp_log.c.user_id,
    ocpp_log.c.chargepoint_id,
    ocpp_log.c.kind,
    ocpp_log.c.direction,
    ocpp_log.c.message_type,
    ocpp_log.c.message_id,
    ocpp_log.c.payload,
    ocpp_log.c.ts,
)


def _record(row: Any) -> LogRecord:
    return LogRecord(
        id=row.id,
        user_id=row.user_id,
        chargepoint_id=row.chargepoint_id,
        kind=row.kind,
        direction=row.direction,
        message_type=row.message_type,
        message_id=row.message_id,
        payload=orjson.loads(row.payload),
        timestamp=row.ts,
    )


class LogStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def max_id(self) -> int:
        async with self.engine.connect() as conn:
            value = (await conn.execute(sa.select(sa.func.max(ocpp_log.c.id)))).scalar()
        return int(value or 0)

    async def insert(self, records: Sequence[LogRecord]) -> None:
        """Write a batch in one transaction (one executemany)."""
        if not records:
            return
        rows = [
            {
                "id": r.id,
                "user_id": r.user_id,
                "chargepoint_id": r.chargepoint_id,
                "kind": r.kind,
                "direction": r.direction,
                "message_type": r.message_type,
                "message_id": r.message_id,
                "payload": orjson.dumps(r.payload).decode(),
                "ts": r.timestamp,
            }
            for r in records
        ]
        async with self.engine.begin() as conn:
            await conn.execute(ocpp_log.insert(), rows)

    async def page(
        self,
        user_id: int,
        *,
        chargepoint_id: str | None = None,
        limit: int,
        before_id: int | None = None,
        after_id: int | None = None,
    ) -> list[LogRecord]:
        """Newest first below ``before_id``; or oldest first above ``after_id`` (resuming)."""
        query = sa.select(*_COLUMNS).where(ocpp_log.c.user_id == user_id)
        if chargepoint_id is not None:
            query = query.where(ocpp_log.c.chargepoint_id == chargepoint_id)
        if after_id is not None:
            query = query.where(ocpp_log.c.id > after_id).order_by(ocpp_log.c.id)
        else:
            if before_id is not None:
                query = query.where(ocpp_log.c.id < before_id)
            query = query.order_by(ocpp_log.c.id.desc())
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.limit(limit))).all()
        return [_record(row) for row in rows]

    async def count(self, user_id: int) -> int:
        query = sa.select(sa.func.count()).where(ocpp_log.c.user_id == user_id)
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def prune(self, user_id: int, *, keep: int, older_than: float, batch: int) -> int:
        """Delete at most ``batch`` of the user's records beyond the newest ``keep`` or older
        than ``older_than`` (epoch seconds), oldest first; return how many went."""
        async with self.engine.begin() as conn:
            floor = (
                await conn.execute(
                    sa.select(ocpp_log.c.id)
                    .where(ocpp_log.c.user_id == user_id)
                    .order_by(ocpp_log.c.id.desc())
                    .offset(keep - 1)
                    .limit(1)
                )
            ).scalar()
            doomed = ocpp_log.c.ts < older_than
            if floor is not None:
                doomed = sa.or_(doomed, ocpp_log.c.id < floor)
            victims = (
                sa.select(ocpp_log.c.id)
                .where(ocpp_log.c.user_id == user_id, doomed)
                .order_by(ocpp_log.c.id)
                .limit(batch)
                .scalar_subquery()
            )
            result = await conn.execute(sa.delete(ocpp_log).where(ocpp_log.c.id.in_(victims)))
        return int(result.rowcount or 0)
