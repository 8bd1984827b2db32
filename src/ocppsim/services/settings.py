"""Per-user global settings: default backend URL and RFID, heartbeat, load-test batch size."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ocppsim.core import limits
from ocppsim.core.limits import Range
from ocppsim.services.errors import Invalid, refuse
from ocppsim.store.records import ChargerRecord, SettingsRecord
from ocppsim.store.repository import Store

DEFAULT_RFID = "AABBCCDD"
DEFAULT_HEARTBEAT = 300
DEFAULT_BATCH = 50


def default_settings(backend_url: str) -> SettingsRecord:
    return SettingsRecord(
        ocpp_backend_url=backend_url,
        rfid_card_id=DEFAULT_RFID,
        heartbeat_interval=DEFAULT_HEARTBEAT,
        mass_batch_size=DEFAULT_BATCH,
    )


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """Only the fields that are not None change."""

    ocpp_backend_url: str | None = None
    rfid_card_id: str | None = None
    heartbeat_interval: int | None = None
    mass_batch_size: int | None = None
    log_retention_records: int | None = None
    log_retention_days: int | None = None


@dataclass(frozen=True, slots=True)
class SettingsOverview:
    settings: SettingsRecord
    chargers: list[ChargerRecord]


def validate_change(change: SettingsChange) -> dict[str, object]:
    """The columns to write, each checked against its range."""
    values: dict[str, object] = {}
    if change.ocpp_backend_url is not None:
        try:
            values["ocpp_backend_url"] = limits.check_backend_url(change.ocpp_backend_url)
        except ValueError as exc:
            raise Invalid("ocpp_backend_url", str(exc)) from None
    if change.rfid_card_id is not None:
        values["rfid_card_id"] = check_id_tag("rfid_card_id", change.rfid_card_id)
    numbers: tuple[tuple[str, Range[int], int | None], ...] = (
        ("heartbeat_interval", limits.HEARTBEAT, change.heartbeat_interval),
        ("mass_batch_size", limits.BATCH, change.mass_batch_size),
        ("log_retention_records", limits.LOG_RECORDS, change.log_retention_records),
        ("log_retention_days", limits.LOG_DAYS, change.log_retention_days),
    )
    for name, limit, value in numbers:
        if value is not None:
            refuse(name, limit.problem(value))
            values[name] = value
    return values


def check_id_tag(field: str, value: str) -> str:
    try:
        return limits.check_id_tag(value)
    except ValueError as exc:
        raise Invalid(field, str(exc)) from None


class Settings:
    def __init__(
        self, store: Store, on_change: Callable[[int], Awaitable[None]] | None = None
    ) -> None:
        self._store = store
        self._on_change = on_change

    async def overview(self, user_id: int) -> SettingsOverview:
        return SettingsOverview(
            await self._store.get_settings(user_id), await self._store.list_chargers(user_id)
        )

    async def get(self, user_id: int) -> SettingsRecord:
        return await self._store.get_settings(user_id)

    async def update(self, user_id: int, change: SettingsChange) -> SettingsOverview:
        values = validate_change(change)
        await self._store.update_settings(user_id, values)
        if values and self._on_change is not None:
            await self._on_change(user_id)
        return await self.overview(user_id)
