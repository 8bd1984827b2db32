"""``/api/chargers``: the seed's Chargers and Charger Configuration sections."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ocppsim.api.auth import App, User
from ocppsim.api.schemas import (
    AuthConfigIn,
    BackendUrlIn,
    ChargerOut,
    CreateChargerIn,
    ErrorCodeIn,
    FreeChargingIn,
    ModeIn,
    NameIn,
    NumConnectorsIn,
    OcppVersionIn,
    RenameIn,
    RfidIn,
    SecurityIn,
    StartIn,
)
from ocppsim.services.chargers import AuthConfig, NewCharger, SecurityConfig, StartRequest

router = APIRouter(prefix="/api/chargers", tags=["chargers"])


@router.get("", response_model=list[ChargerOut], summary="List all chargers with full state")
async def list_chargers(who: User, app: App) -> list[ChargerOut]:
    return [ChargerOut.of(v) for v in await app.chargers.list(who.user_id)]


@router.post("", response_model=ChargerOut, status_code=201, summary="Create a charger")
async def create_charger(body: CreateChargerIn, who: User, app: App) -> ChargerOut:
    spec = NewCharger(**body.model_dump())
    return ChargerOut.of(await app.chargers.create(who.user_id, spec))


@router.get("/{chargepoint_id}", response_model=ChargerOut, summary="One charger's full state")
async def get_charger(chargepoint_id: str, who: User, app: App) -> ChargerOut:
    return ChargerOut.of(await app.chargers.get(who.user_id, chargepoint_id))


@router.delete("/{chargepoint_id}", status_code=204, summary="Delete a charger")
async def delete_charger(chargepoint_id: str, who: User, app: App) -> Response:
    await app.chargers.delete(who.user_id, chargepoint_id)
    return Response(status_code=204)


@router.post("/{chargepoint_id}/mode", response_model=ChargerOut, summary="Set the operating mode")
async def set_mode(chargepoint_id: str, body: ModeIn, who: User, app: App) -> ChargerOut:
    return ChargerOut.of(await app.chargers.set_mode(who.user_id, chargepoint_id, body.mode))


@router.post("/{chargepoint_id}/start", response_model=ChargerOut, summary="Start a manual session")
async def start(chargepoint_id: str, body: StartIn, who: User, app: App) -> ChargerOut:
    request = StartRequest(body.energy_kwh, body.rfid_tag, body.connector_id)
    return ChargerOut.of(await app.chargers.start(who.user_id, chargepoint_id, request))


@router.post("/{chargepoint_id}/stop", response_model=ChargerOut, summary="Stop the active session")
async def stop(chargepoint_id: str, who: User, app: App) -> ChargerOut:
    return ChargerOut.of(await app.chargers.stop(who.user_id, chargepoint_id))


@router.post(
    "/{chargepoint_id}/free-charging", response_model=ChargerOut, summary="Skip Authorize or not"
)
async def set_free_charging(
    chargepoint_id: str, body: FreeChargingIn, who: User, app: App
) -> ChargerOut:
    view = await app.chargers.set_free_charging(who.user_id, chargepoint_id, body.free_charging)
    return ChargerOut.of(view)


@router.post("/{chargepoint_id}/error", response_model=ChargerOut, summary="Simulate an error")
async def set_error(chargepoint_id: str, body: ErrorCodeIn, who: User, app: App) -> ChargerOut:
    return ChargerOut.of(await app.chargers.set_error(who.user_id, chargepoint_id, body.error_code))


@router.post(
    "/{chargepoint_id}/ocpp-version", response_model=ChargerOut, summary="Switch OCPP version"
)
async def set_ocpp_version(
    chargepoint_id: str, body: OcppVersionIn, who: User, app: App
) -> ChargerOut:
    view = await app.chargers.set_ocpp_version(who.user_id, chargepoint_id, body.ocpp_version)
    return ChargerOut.of(view)


@router.post("/{chargepoint_id}/name", response_model=ChargerOut, summary="Set the display name")
async def set_name(chargepoint_id: str, body: NameIn, who: User, app: App) -> ChargerOut:
    return ChargerOut.of(
        await app.chargers.set_name(who.user_id, chargepoint_id, body.charger_name)
    )


@router.post(
    "/{chargepoint_id}/chargepoint-id", response_model=ChargerOut, summary="Rename a chargepoint"
)
async def rename(chargepoint_id: str, body: RenameIn, who: User, app: App) -> ChargerOut:
    return ChargerOut.of(
        await app.chargers.rename(who.user_id, chargepoint_id, body.chargepoint_id)
    )


@router.post("/{chargepoint_id}/rfid", response_model=ChargerOut, summary="Set the RFID tag")
async def set_rfid(chargepoint_id: str, body: RfidIn, who: User, app: App) -> ChargerOut:
    return ChargerOut.of(await app.chargers.set_rfid(who.user_id, chargepoint_id, body.rfid_tag))


@router.post(
    "/{chargepoint_id}/auth-config", response_model=ChargerOut, summary="RFID or Plug & Charge"
)
async def set_auth_config(
    chargepoint_id: str, body: AuthConfigIn, who: User, app: App
) -> ChargerOut:
    config = AuthConfig(**body.model_dump())
    return ChargerOut.of(await app.chargers.set_auth_config(who.user_id, chargepoint_id, config))


@router.post(
    "/{chargepoint_id}/backend-url", response_model=ChargerOut, summary="Set the backend URL"
)
async def set_backend_url(
    chargepoint_id: str, body: BackendUrlIn, who: User, app: App
) -> ChargerOut:
    view = await app.chargers.set_backend_url(who.user_id, chargepoint_id, body.backend_url)
    return ChargerOut.of(view)


@router.post(
    "/{chargepoint_id}/num-connectors", response_model=ChargerOut, summary="Set connector count"
)
async def set_num_connectors(
    chargepoint_id: str, body: NumConnectorsIn, who: User, app: App
) -> ChargerOut:
    view = await app.chargers.set_num_connectors(who.user_id, chargepoint_id, body.num_connectors)
    return ChargerOut.of(view)


@router.post("/{chargepoint_id}/security", response_model=ChargerOut, summary="Connection security")
async def set_security(chargepoint_id: str, body: SecurityIn, who: User, app: App) -> ChargerOut:
    """Security profile 0-2, the Basic-auth password (write-only: never returned), a private CA."""
    config = SecurityConfig(**body.model_dump())
    return ChargerOut.of(await app.chargers.set_security(who.user_id, chargepoint_id, config))
