"""``/api/chargers``: create, inspect, drive, configure and delete the caller's chargers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from ocppsim.api.auth import App, User
from ocppsim.api.responses import BODY, CHANGE, READ, errors
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

ChargepointPath = Annotated[
    str,
    Path(
        description="The charger's chargepoint id (its OCPP identity): 1-48 characters of "
        "`A-Z a-z 0-9 . _ ~ -`",
        examples=["SIM-AC-001"],
    ),
]
#: The charger's new state, the answer of every action.
NEW_STATE = "The charger's new state"
NOT_OFF = "The charger is not in mode `off`: switch it off first"


@router.get(
    "",
    response_model=list[ChargerOut],
    summary="List all chargers with full state",
    response_description="Your chargers",
    responses=errors(READ),
)
async def list_chargers(who: User, app: App) -> list[ChargerOut]:
    """Every charger of yours, with its configuration and live state, as
    GET /api/chargers/{chargepoint_id} shows one."""
    return [ChargerOut.of(v) for v in await app.chargers.list(who.user_id)]


@router.post(
    "",
    response_model=ChargerOut,
    status_code=201,
    summary="Create a charger",
    response_description="The new charger",
    responses=errors(BODY, (409, "You already have a charger with this `chargepoint_id`")),
)
async def create_charger(body: CreateChargerIn, who: User, app: App) -> ChargerOut:
    """Creates a charger; only `chargepoint_id`, `charger_type` and `max_power_kw` are
    required. A `mode` other than `off` (the default) starts it at once: it connects to its
    backend and boots. A Plug & Charge charger is created as OCPP 2.0.1 whatever
    `ocpp_version` asks (a warning says so) and gets a generated eMAID when none is given.
    `warnings` in the answer lists doubts that did not refuse the request, such as an eMAID
    with a wrong check digit."""
    spec = NewCharger(**body.model_dump())
    return ChargerOut.of(await app.chargers.create(who.user_id, spec))


@router.get(
    "/{chargepoint_id}",
    response_model=ChargerOut,
    summary="One charger's full state",
    response_description="The charger",
    responses=errors(READ, 404),
)
async def get_charger(chargepoint_id: ChargepointPath, who: User, app: App) -> ChargerOut:
    """The charger's configuration and live state. `backend_url` and `rfid_tag` are the
    effective values: the charger's own, or your global default when it has none. A charger
    that is off shows its idle state (not connected, no session)."""
    return ChargerOut.of(await app.chargers.get(who.user_id, chargepoint_id))


@router.delete(
    "/{chargepoint_id}",
    status_code=204,
    summary="Delete a charger",
    response_description="Deleted",
    responses=errors(CHANGE, 404),
)
async def delete_charger(chargepoint_id: ChargepointPath, who: User, app: App) -> Response:
    """Switches the charger off first (closing its connection to the backend), then deletes
    it and its configuration."""
    await app.chargers.delete(who.user_id, chargepoint_id)
    return Response(status_code=204)


@router.post(
    "/{chargepoint_id}/mode",
    response_model=ChargerOut,
    summary="Set the operating mode",
    response_description=NEW_STATE,
    responses=errors(BODY, 404),
)
async def set_mode(
    chargepoint_id: ChargepointPath, body: ModeIn, who: User, app: App
) -> ChargerOut:
    """`off` disconnects the charger and stops it (its meter readings are kept); `on` and
    `manual` connect it, boot it and leave sessions to you (POST .../start); `autopilot`
    connects it and runs sessions by itself. The mode is stored: after a server restart every
    charger that is not off starts again."""
    return ChargerOut.of(await app.chargers.set_mode(who.user_id, chargepoint_id, body.mode))


@router.post(
    "/{chargepoint_id}/start",
    response_model=ChargerOut,
    summary="Start a manual session",
    response_description=NEW_STATE,
    responses=errors(
        BODY,
        404,
        (
            409,
            "The session cannot start: the charger is `off` or in `autopilot`, not connected "
            "or not yet accepted by its backend, faulted, or has no free connector (or this "
            "server runs no chargers)",
        ),
    ),
)
async def start(chargepoint_id: ChargepointPath, body: StartIn, who: User, app: App) -> ChargerOut:
    """Plugs in an EV and starts a session: the charger authorizes the tag with the backend
    (skipped with `free_charging`), starts a transaction and charges until `energy_kwh` have
    been delivered or you stop it. Needs mode `on` or `manual`, a connection the backend has
    accepted (BootNotification), no error set, and a free connector: the first free one unless
    `connector_id` names one. `rfid_tag` replaces the charger's tag for this session; a
    Plug & Charge charger presents its eMAID instead. The answer comes at once; the session's
    progress (`status`, `last_authorization`, `last_error`) shows in later reads."""
    request = StartRequest(body.energy_kwh, body.rfid_tag, body.connector_id)
    return ChargerOut.of(await app.chargers.start(who.user_id, chargepoint_id, request))


@router.post(
    "/{chargepoint_id}/stop",
    response_model=ChargerOut,
    summary="Stop the active session",
    response_description=NEW_STATE,
    responses=errors(CHANGE, 404, (409, "No session is running (or the charger is off)")),
)
async def stop(chargepoint_id: ChargepointPath, who: User, app: App) -> ChargerOut:
    """Stops the running session (on a charger with several connectors, the first one that
    has a session), in any mode: the charger ends the transaction with the backend. A session
    still waiting for its authorization just ends."""
    return ChargerOut.of(await app.chargers.stop(who.user_id, chargepoint_id))


@router.post(
    "/{chargepoint_id}/free-charging",
    response_model=ChargerOut,
    summary="Skip Authorize or not",
    response_description=NEW_STATE,
    responses=errors(BODY, 404),
)
async def set_free_charging(
    chargepoint_id: ChargepointPath, body: FreeChargingIn, who: User, app: App
) -> ChargerOut:
    """With `free_charging` true, sessions start without asking the backend to authorize the
    tag (no Authorize request)."""
    view = await app.chargers.set_free_charging(who.user_id, chargepoint_id, body.free_charging)
    return ChargerOut.of(view)


@router.post(
    "/{chargepoint_id}/error",
    response_model=ChargerOut,
    summary="Simulate an error",
    response_description=NEW_STATE,
    responses=errors(BODY, 404),
)
async def set_error(
    chargepoint_id: ChargepointPath, body: ErrorCodeIn, who: User, app: App
) -> ChargerOut:
    """Sets the charger's error. Any code but `NoError` is a fault: every connector becomes
    `Faulted`, running sessions end, and no session starts until the error is cleared.
    `NoError` clears it. The error is stored, so it lasts until cleared, across restarts."""
    return ChargerOut.of(await app.chargers.set_error(who.user_id, chargepoint_id, body.error_code))


@router.post(
    "/{chargepoint_id}/ocpp-version",
    response_model=ChargerOut,
    summary="Switch OCPP version",
    response_description=NEW_STATE,
    responses=errors(BODY, 404, (409, NOT_OFF)),
)
async def set_ocpp_version(
    chargepoint_id: ChargepointPath, body: OcppVersionIn, who: User, app: App
) -> ChargerOut:
    """Sets the OCPP version the charger speaks with its backend. Needs mode `off`."""
    view = await app.chargers.set_ocpp_version(who.user_id, chargepoint_id, body.ocpp_version)
    return ChargerOut.of(view)


@router.post(
    "/{chargepoint_id}/name",
    response_model=ChargerOut,
    summary="Set the display name",
    response_description=NEW_STATE,
    responses=errors(BODY, 404),
)
async def set_name(
    chargepoint_id: ChargepointPath, body: NameIn, who: User, app: App
) -> ChargerOut:
    """Sets the charger's display name (free text); `""` removes it."""
    return ChargerOut.of(
        await app.chargers.set_name(who.user_id, chargepoint_id, body.charger_name)
    )


@router.post(
    "/{chargepoint_id}/chargepoint-id",
    response_model=ChargerOut,
    summary="Rename a chargepoint",
    response_description="The charger under its new id",
    responses=errors(
        BODY,
        404,
        (409, "The charger is not in mode `off`, or you already have a charger with the new id"),
    ),
)
async def rename(
    chargepoint_id: ChargepointPath, body: RenameIn, who: User, app: App
) -> ChargerOut:
    """Gives the charger a new chargepoint id (its OCPP identity; it then dials
    `backend_url + "/" + new id`). The body's `chargepoint_id` is the new id; the path names
    the charger by its current one. Needs mode `off`. The charger keeps its configuration,
    meter readings and eMAID."""
    return ChargerOut.of(
        await app.chargers.rename(who.user_id, chargepoint_id, body.chargepoint_id)
    )


@router.post(
    "/{chargepoint_id}/rfid",
    response_model=ChargerOut,
    summary="Set the RFID tag",
    response_description=NEW_STATE,
    responses=errors(BODY, 404),
)
async def set_rfid(
    chargepoint_id: ChargepointPath, body: RfidIn, who: User, app: App
) -> ChargerOut:
    """Sets the idTag the charger presents to authorize its sessions; `""` makes it use your
    global `rfid_card_id` again."""
    return ChargerOut.of(await app.chargers.set_rfid(who.user_id, chargepoint_id, body.rfid_tag))


@router.post(
    "/{chargepoint_id}/auth-config",
    response_model=ChargerOut,
    summary="RFID or Plug & Charge",
    response_description=NEW_STATE,
    responses=errors(BODY, 404),
)
async def set_auth_config(
    chargepoint_id: ChargepointPath, body: AuthConfigIn, who: User, app: App
) -> ChargerOut:
    """Chooses how the charger authorizes: `rfid` (it presents its RFID tag) or
    `plug_and_charge` (it presents its eMAID, with its PCID and contract certificate hash).
    Changes only the fields given: the others keep their values. Plug & Charge without an
    eMAID, stored or given, gets one generated from the chargepoint id. `warnings` lists
    doubts about the eMAID. The OCPP version is not changed."""
    config = AuthConfig(**body.model_dump())
    return ChargerOut.of(await app.chargers.set_auth_config(who.user_id, chargepoint_id, config))


@router.post(
    "/{chargepoint_id}/backend-url",
    response_model=ChargerOut,
    summary="Set the backend URL",
    response_description=NEW_STATE,
    responses=errors(BODY, 404),
)
async def set_backend_url(
    chargepoint_id: ChargepointPath, body: BackendUrlIn, who: User, app: App
) -> ChargerOut:
    """Sets the WebSocket URL of the charger's backend (CSMS); `""` makes it use your global
    `ocpp_backend_url`. The charger dials `backend_url + "/" + chargepoint_id`; a running
    charger reconnects to the new URL. With security profile 2 the URL must be `wss://`."""
    view = await app.chargers.set_backend_url(who.user_id, chargepoint_id, body.backend_url)
    return ChargerOut.of(view)


@router.post(
    "/{chargepoint_id}/num-connectors",
    response_model=ChargerOut,
    summary="Set connector count",
    response_description=NEW_STATE,
    responses=errors(BODY, 404, (409, NOT_OFF)),
)
async def set_num_connectors(
    chargepoint_id: ChargepointPath, body: NumConnectorsIn, who: User, app: App
) -> ChargerOut:
    """Sets how many connectors the charger has. Needs mode `off`."""
    view = await app.chargers.set_num_connectors(who.user_id, chargepoint_id, body.num_connectors)
    return ChargerOut.of(view)


@router.post(
    "/{chargepoint_id}/security",
    response_model=ChargerOut,
    summary="Connection security",
    response_description=NEW_STATE,
    responses=errors(BODY, 404),
)
async def set_security(
    chargepoint_id: ChargepointPath, body: SecurityIn, who: User, app: App
) -> ChargerOut:
    """Sets the OCPP security profile: 0 (no authentication), 1 (HTTP Basic auth: the
    chargepoint id as user name and `basic_auth_password`), 2 (Basic auth over TLS: the
    effective backend URL must be `wss://`). Profiles 1 and 2 need a password, given now or
    stored before. `basic_auth_password` and `ca_certificate_pem` keep their stored value when
    omitted; `""` clears them. The password is write-only: answers show only
    `basic_auth_password_set`. A running charger reconnects with the new settings."""
    config = SecurityConfig(**body.model_dump())
    return ChargerOut.of(await app.chargers.set_security(who.user_id, chargepoint_id, config))
