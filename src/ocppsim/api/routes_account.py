"""``/api/me``, ``/api/settings``, ``/api/admin``: who am I, my keys, my global settings, and
the server-wide settings an administrator changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from ocppsim.api.auth import App, User
from ocppsim.api.responses import BODY, CHANGE, READ, errors
from ocppsim.api.schemas import (
    KeyOut,
    MeOut,
    NewKeyOut,
    ServerSettingsIn,
    ServerSettingsOut,
    SettingsIn,
    SettingsOut,
)
from ocppsim.services.settings import SettingsChange

router = APIRouter(prefix="/api")

KeyPrefix = Annotated[
    str,
    Path(
        description="The key's public prefix, `ocps_` and 8 letters or digits, as "
        "GET /api/me/api-keys lists it",
        examples=["ocps_AbCd1234"],
    ),
]


@router.get(
    "/me",
    response_model=MeOut,
    tags=["account"],
    summary="Who am I",
    response_description="The user the request authenticates as",
    responses=errors(READ),
)
async def me(who: User) -> MeOut:
    """The user whose key (or web session) authenticates the request."""
    return MeOut.of(who)


@router.get(
    "/me/api-keys",
    response_model=list[KeyOut],
    tags=["account"],
    summary="My API keys",
    response_description="Your keys, by prefix",
    responses=errors(READ),
)
async def list_keys(who: User, app: App) -> list[KeyOut]:
    """Your API keys by their public prefix, with when each was made and last used. The keys
    themselves are never shown again after they are made."""
    return [KeyOut.of(k) for k in await app.accounts.list_keys(who)]


@router.post(
    "/me/api-keys",
    response_model=NewKeyOut,
    status_code=201,
    tags=["account"],
    summary="Create a key (shown once)",
    response_description="The new key: the only time it is shown",
    responses=errors(CHANGE),
)
async def create_key(who: User, app: App) -> NewKeyOut:
    """Makes a new personal API key. The answer is the only time the key is shown: ocppsim
    stores only its SHA-256 digest. Your other keys keep working."""
    return NewKeyOut.of(await app.accounts.create_key(who))


@router.delete(
    "/me/api-keys/{prefix}",
    status_code=204,
    tags=["account"],
    summary="Revoke a key",
    response_description="Revoked",
    responses=errors(
        CHANGE,
        (404, "You have no API key with this prefix"),
        (409, "This is your last API key: create a new one before revoking it"),
    ),
)
async def revoke_key(prefix: KeyPrefix, who: User, app: App) -> Response:
    """Revokes the key with this prefix: it stops authenticating at once, and log streams it
    opened close within a second. Your last key cannot be revoked: create another first."""
    await app.accounts.revoke_key(who, prefix)
    return Response(status_code=204)


@router.get(
    "/settings",
    response_model=SettingsOut,
    tags=["settings"],
    summary="Global settings and chargers",
    response_description="Your global settings and each charger's configured values",
    responses=errors(READ),
)
async def get_settings(who: User, app: App) -> SettingsOut:
    """Your global settings (the defaults your chargers and your load test use) and the
    configured values of each of your chargers. The settings' values are strings here
    (`"heartbeat_interval": "300"`); POST takes them typed. A charger's `backend_url` or
    `rfid_tag` of `""` means it uses the global default."""
    return SettingsOut.of(await app.settings.overview(who.user_id))


@router.post(
    "/settings",
    response_model=SettingsOut,
    tags=["settings"],
    summary="Update global settings",
    response_description="The settings after the change, as GET /api/settings answers them",
    responses=errors(BODY),
)
async def update_settings(body: SettingsIn, who: User, app: App) -> SettingsOut:
    """Changes only the keys given; the others keep their values. If one value is refused,
    nothing is stored. Running chargers pick up the new defaults at once (a changed
    `ocpp_backend_url` reconnects those that use it); a running load test picks them up at its
    next apply."""
    change = SettingsChange(**body.model_dump())
    return SettingsOut.of(await app.settings.update(who.user_id, change))


@router.get(
    "/admin/server-settings",
    response_model=ServerSettingsOut,
    tags=["admin"],
    summary="Server-wide settings",
    response_description="The server-wide settings",
    responses=errors(READ),
)
async def get_server_settings(who: User, app: App) -> ServerSettingsOut:
    """Whether visitors may create their own account on the web UI's sign-up page. Every user
    can read it; only an administrator can change it."""
    return ServerSettingsOut(signup_enabled=await app.websessions.signup_enabled())


@router.post(
    "/admin/server-settings",
    response_model=ServerSettingsOut,
    tags=["admin"],
    summary="Change server-wide settings (administrators only)",
    response_description="The server-wide settings after the change",
    responses=errors(
        BODY,
        (
            403,
            "Not an administrator (or a change authenticated by the session cookie without "
            "its CSRF token, or from another site)",
        ),
    ),
)
async def update_server_settings(body: ServerSettingsIn, who: User, app: App) -> ServerSettingsOut:
    """Switches self sign-up on or off for the whole server. The choice is stored and replaces
    the server's start-up default (`OCPPSIM_SIGNUP`) from then on."""
    enabled = await app.websessions.set_signup(who, body.signup_enabled)
    return ServerSettingsOut(signup_enabled=enabled)
