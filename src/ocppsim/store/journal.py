"""The chargers' journal: durable state and the outbox of transaction messages.

A persistent charger writes here before it sends a transaction message and deletes the row
once the backend answered it, so a restart, a kill or an outage loses nothing. One
``write`` call commits the changes of many chargers in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ocppsim.store.tables import charger_outbox, charger_state


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One queued transaction message as stored (``payload`` is JSON text)."""

    seq: int
    action: str
    payload: str
    ref: int | None
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class Saved:
    """What a charger left behind: its last state snapshot (JSON text) and its outbox."""

    state: str | None
    rows: tuple[OutboxRow, ...]


@dataclass(slots=True)
class JournalBatch:
    """One charger's changes since its last write."""

    charger_id: int
    state: str | None = None  # the new snapshot, or None to keep the stored one
    ts: float = 0.0
    added: list[OutboxRow] = field(default_factory=list)
    attempts: dict[int, int] = field(default_factory=dict)  # seq -> attempts so far
    removed: list[int] = field(default_factory=list)


class JournalStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def load(self, charger_id: int) -> Saved:
        async with self.engine.connect() as conn:
            state = (
                await conn.execute(
                    sa.select(charger_state.c.state).where(charger_state.c.charger_id == charger_id)
                )
            ).scalar()
            rows = await conn.execute(
                sa.select(
                    charger_outbox.c.seq,
                    charger_outbox.c.action,
                    charger_outbox.c.payload,
                    charger_outbox.c.ref,
                    charger_outbox.c.attempts,
                )
                .where(charger_outbox.c.charger_id == charger_id)
                .order_by(charger_outbox.c.seq)
            )
            outbox = tuple(OutboxRow(*row) for row in rows)
        return Saved(state, outbox)

    async def write(self, batches: Sequence[JournalBatch]) -> None:
        """Commit every batch in one transaction (all or nothing)."""
        async with self.engine.begin() as conn:
            for b in batches:
                await self._write(conn, b)

    async def _write(self, conn: AsyncConnection, b: JournalBatch) -> None:
        if b.removed:
            await conn.execute(
                charger_outbox.delete().where(
                    charger_outbox.c.charger_id == b.charger_id,
                    charger_outbox.c.seq.in_(b.removed),
                )
            )
        if b.added:
            await conn.execute(
                charger_outbox.insert(),
                [
                    {
                        "charger_id": b.charger_id,
                        "seq": r.seq,
                        "action": r.action,
                        "payload": r.payload,
                        "ref": r.ref,
                        "attempts": r.attempts,
                    }
                    for r in b.added
                ],
            )
        for seq, attempts in b.attempts.items():
            await conn.execute(
                charger_outbox.update()
                .where(charger_outbox.c.charger_id == b.charger_id, charger_outbox.c.seq == seq)
                .values(attempts=attempts)
            )
        if b.state is not None:
            updated = await conn.execute(
                charger_state.update()
                .where(charger_state.c.charger_id == b.charger_id)
                .values(state=b.state, ts=b.ts)
            )
            if updated.rowcount == 0:
                await conn.execute(
                    charger_state.insert().values(charger_id=b.charger_id, state=b.state, ts=b.ts)
                )

    async def clear(self, charger_id: int) -> None:
        """Forget a charger's state and outbox (its messages can no longer be sent)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                charger_outbox.delete().where(charger_outbox.c.charger_id == charger_id)
            )
            await conn.execute(
                charger_state.delete().where(charger_state.c.charger_id == charger_id)
            )

    async def queued(self, charger_ids: Iterable[int]) -> dict[int, int]:
        """How many messages wait in each charger's outbox (chargers with none are absent)."""
        ids = list(charger_ids)
        if not ids:
            return {}
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(charger_outbox.c.charger_id, sa.func.count())
                .where(charger_outbox.c.charger_id.in_(ids))
                .group_by(charger_outbox.c.charger_id)
            )
            return {int(charger_id): int(n) for charger_id, n in rows}
