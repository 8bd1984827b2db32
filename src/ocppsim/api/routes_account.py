"""``/api/me``, ``/api/settings``, ``/api/admin``: who am I, my keys, my global settings, and
the server-wide settings an administrator changes."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ocppsim.api.auth import App, User
from ocppsim.api.schemas import (
    ErrorOut,
    KeyOut,
    MeOut,
    NewKeyOut,
    ServerSettingsIn,
    ServerSettingsOut,
    SettingsIn,
    SettingsOut,
)
from ocppsim.services.settings import SettingsChange

router = APIRouter(prefix="/api", tags=["account"])


@router.get("/me", response_model=MeOut, summary="Who am I")
async def me(who: User) -> MeOut:
    return MeOut.of(who)


@router.get("/me/api-keys", response_model=list[KeyOut], summary="My API keys")
async def list_keys(who: User, app: App) -> list[KeyOut]:
    return [KeyOut.of(k) for k in await app.accounts.list_keys(who)]


@router.post(
    "/me/api-keys", response_model=NewKeyOut, status_code=201, summary="Create a key (shown once)"
)
async def create_key(who: User, app: App) -> NewKeyOut:
    return NewKeyOut.of(await app.accounts.create_key(who))


@router.delete("/me/api-keys/{prefix}", status_code=204, summary="Revoke a key")
async def revoke_key(prefix: str, who: User, app: App) -> Response:
    await app.accounts.revoke_key(who, prefix)
    return Response(status_code=204)


@router.get("/settings", response_model=SettingsOut, summary="Global settings and chargers")
async def get_settings(who: User, app: App) -> SettingsOut:
    return SettingsOut.of(await app.settings.overview(who.user_id))


@router.post("/settings", response_model=SettingsOut, summary="Update global settings")
async def update_settings(body: SettingsIn, who: User, app: App) -> SettingsOut:
    change = SettingsChange(**body.model_dump())
    return SettingsOut.of(await app.settings.update(who.user_id, change))


@router.get(
    "/admin/server-settings", response_model=ServerSettingsOut, summary="Server-wide settings"
)
async def get_server_settings(who: User, app: App) -> ServerSettingsOut:
    return ServerSettingsOut(signup_enabled=await app.websessions.signup_enabled())


@router.post(
    "/admin/server-settings",
    response_model=ServerSettingsOut,
    summary="Change server-wide settings (administrators only)",
    responses={403: {"model": ErrorOut, "description": "Not an administrator"}},
)
async def update_server_settings(body: ServerSettingsIn, who: User, app: App) -> ServerSettingsOut:
    enabled = await app.websessions.set_signup(who, body.signup_enabled)
    return ServerSettingsOut(signup_enabled=enabled)
