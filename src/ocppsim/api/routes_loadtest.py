"""``/api/mass-charger``: the caller's load test."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from ocppsim.api.auth import App, User
from ocppsim.api.responses import BODY, CHANGE, READ
from ocppsim.api.responses import errors as refusals
from ocppsim.api.schemas import MassApplyIn, MassErrorOut, MassStatsOut
from ocppsim.services.loadtests import ApplyRequest

router = APIRouter(prefix="/api/mass-charger", tags=["load test"])

#: The load-test worker processes failed to answer or to carry out the request.
WORKERS = (409, "The load-test worker processes did not answer")


@router.get(
    "/stats",
    response_model=MassStatsOut,
    summary="Load-test statistics",
    response_description="Your load test's plan and counters",
    responses=refusals(READ, WORKERS),
)
async def stats(who: User, app: App) -> MassStatsOut:
    """Your load test's plan and counters, summed over the worker processes. Without a run:
    `running` false, every counter 0, and the plan a new run would start from (your settings,
    the default prefix and meter interval)."""
    return MassStatsOut.of(await app.loadtests.stats(who.user_id))


@router.post(
    "/apply",
    response_model=MassStatsOut,
    summary="Start or change the load test",
    response_description="The run's statistics right after the change",
    responses=refusals(
        BODY,
        (
            409,
            "The run cannot start: the backend does not accept TCP connections (not checked "
            "for `idle`), the open-file limit of a worker process is too low, there are more "
            "connections than local ports, the worker processes failed, or this server runs "
            "no chargers",
        ),
        (
            429,
            "The load-test chargers of all users together would exceed the server's limit",
        ),
    ),
)
async def apply(body: MassApplyIn, who: User, app: App) -> MassStatsOut:
    """Starts your load test, or changes the running one, and answers at once: chargers are
    added in batches of your `mass_batch_size`, each batch once the one before has booted or
    failed. Optional fields left out keep the run's previous values (for a new run, the
    defaults). The chargers dial your global `ocpp_backend_url` + `"/"` + their id and use
    your `rfid_card_id` and `heartbeat_interval`, as they are at this call. Lowering `target`
    stops the chargers with the highest numbers. The limits are checked before anything starts."""
    request = ApplyRequest(
        target=body.target,
        mode=body.mode,
        versions=body.versions,
        id_prefix=body.id_prefix,
        meter_interval=body.meter_interval,
    )
    return MassStatsOut.of(await app.loadtests.apply(who.user_id, request))


@router.post(
    "/stop",
    response_model=MassStatsOut,
    summary="Disconnect and remove every one",
    response_description="The statistics with no run",
    responses=refusals(CHANGE, (409, "The load-test worker processes did not stop the run")),
)
async def stop(who: User, app: App) -> MassStatsOut:
    """Ends your load test: every mass charger disconnects and is removed, and the run's
    counters and errors go with it. Without a run, nothing changes."""
    return MassStatsOut.of(await app.loadtests.stop(who.user_id))


@router.get(
    "/errors",
    response_model=list[MassErrorOut],
    summary="Newest errors (up to 500)",
    response_description="The newest errors, newest first",
    responses=refusals(READ, WORKERS),
)
async def errors(who: User, app: App) -> list[MassErrorOut]:
    """The newest errors of your load test (at most 500), newest first; empty without a
    run."""
    return [
        MassErrorOut(
            time=datetime.fromtimestamp(e.time, UTC),
            chargepoint_id=e.chargepoint_id,
            kind=e.kind,
            message=e.message,
        )
        for e in await app.loadtests.errors(who.user_id)
    ]


@router.post(
    "/errors/clear",
    response_model=MassStatsOut,
    summary="Clear the error list",
    response_description="The run's statistics after clearing",
    responses=refusals(CHANGE, WORKERS),
)
async def clear_errors(who: User, app: App) -> MassStatsOut:
    """Empties your load test's error list and resets its error counters (`errors`,
    `errors_by_kind`)."""
    await app.loadtests.clear_errors(who.user_id)
    return MassStatsOut.of(await app.loadtests.stats(who.user_id))
