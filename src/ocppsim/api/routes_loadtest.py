"""``/api/mass-charger``: the caller's load test (seed "Load Test")."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from ocppsim.api.auth import App, User
from ocppsim.api.schemas import MassApplyIn, MassErrorOut, MassStatsOut
from ocppsim.services.loadtests import ApplyRequest

router = APIRouter(prefix="/api/mass-charger", tags=["load test"])


@router.get("/stats", response_model=MassStatsOut, summary="Load-test statistics")
async def stats(who: User, app: App) -> MassStatsOut:
    return MassStatsOut.of(await app.loadtests.stats(who.user_id))


@router.post("/apply", response_model=MassStatsOut, summary="Start or change the load test")
async def apply(body: MassApplyIn, who: User, app: App) -> MassStatsOut:
    request = ApplyRequest(
        target=body.target,
        mode=str(body.mode),
        versions=body.versions,
        id_prefix=body.id_prefix,
        meter_interval=body.meter_interval,
    )
    return MassStatsOut.of(await app.loadtests.apply(who.user_id, request))


@router.post("/stop", response_model=MassStatsOut, summary="Disconnect and remove every one")
async def stop(who: User, app: App) -> MassStatsOut:
    return MassStatsOut.of(await app.loadtests.stop(who.user_id))


@router.get("/errors", response_model=list[MassErrorOut], summary="Newest errors (up to 500)")
async def errors(who: User, app: App) -> list[MassErrorOut]:
    return [
        MassErrorOut(
            time=datetime.fromtimestamp(e["time"], UTC),
            chargepoint_id=e["chargepoint_id"],
            kind=e["kind"],
            message=e["message"],
        )
        for e in await app.loadtests.errors(who.user_id)
    ]


@router.post("/errors/clear", response_model=MassStatsOut, summary="Clear the error list")
async def clear_errors(who: User, app: App) -> MassStatsOut:
    await app.loadtests.clear_errors(who.user_id)
    return MassStatsOut.of(await app.loadtests.stats(who.user_id))
