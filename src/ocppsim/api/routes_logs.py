"""``/api/logs``: the OCPP message log of the caller's chargers, as history and live (SSE)."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.background import BackgroundTask

from ocppsim.api.auth import App, User, still_authenticated
from ocppsim.api.bounds import bounds
from ocppsim.api.responses import READ, errors
from ocppsim.api.schemas import ErrorOut, LogOut
from ocppsim.core import limits
from ocppsim.runtime.logbus import StreamOverflow
from ocppsim.services.errors import Invalid
from ocppsim.services.logs import HISTORY_DEFAULT, STREAMS_MAX, StreamTicket
from ocppsim.store.records import LogRecord

log = logging.getLogger("ocppsim.api")
router = APIRouter(prefix="/api/logs", tags=["logs"])

#: Keep-alive comment interval, and how long one write to a stream may take before the
#: client counts as gone (reference S16).
PING_SECONDS = 15.0
SEND_TIMEOUT = 10.0
#: How often an open stream checks that its key or session still authenticates: a revoked
#: key or an ended session closes its streams within this time (reference 4.2).
RECHECK_SECONDS = 1.0
#: Rechecks that may fail in a row (the store unreachable) before the stream ends.
RECHECK_FAILURES = 5

ChargepointFilter = Annotated[
    str | None,
    Query(
        **bounds(limits.CHARGEPOINT_ID),
        description="Only this charger's entries (a chargepoint id that is not yours matches "
        "nothing)",
    ),
]


@router.get(
    "",
    response_model=list[LogOut],
    summary="OCPP message history (newest first)",
    response_description="Log entries, newest first",
    responses=errors(READ, 422),
)
async def history(
    who: User,
    app: App,
    chargepoint_id: ChargepointFilter = None,
    limit: Annotated[
        int, Query(**bounds(limits.LOG_PAGE), description="How many entries, at most, to answer")
    ] = HISTORY_DEFAULT,
    before_id: Annotated[
        int | None,
        Query(
            ge=1,
            description="Older than this id: the next page back (pass the smallest `id` of "
            "the page you have)",
        ),
    ] = None,
) -> Any:
    """The OCPP message log of your chargers, newest first: every frame they sent or received,
    and every connection event. Secrets a backend sets (passwords, authorization keys) appear
    as `"[REDACTED]"`. How long entries are kept follows your `log_retention_records` and
    `log_retention_days` settings."""
    records = await app.logs.history(
        who.user_id, chargepoint_id=chargepoint_id, limit=limit, before_id=before_id
    )
    return [LogOut.fields(r) for r in records]


@router.get(
    "/stream",
    summary="Live OCPP messages (Server-Sent Events)",
    response_class=EventSourceResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "One event per log entry: `id` is the entry id, `data` its JSON "
            "(as in GET /api/logs). Reconnect with `Last-Event-ID` to resume without a gap.",
        },
        **errors(READ, 422),
        429: {
            "model": ErrorOut,
            "description": f"You have {STREAMS_MAX} log streams open, the most one user may",
        },
    },
)
async def stream(
    request: Request,
    who: User,
    app: App,
    chargepoint_id: ChargepointFilter = None,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            description="Resume after this entry id: the entries stored after it come first, "
            "then the live ones. A browser's EventSource sends it by itself when it reconnects; "
            "empty or absent: live entries only.",
        ),
    ] = None,
) -> EventSourceResponse:
    """New entries of your chargers' OCPP message log, live, as they are stored (about 0.1 s
    after the frame): one `message` event per entry, its `id` the entry's id and its `data`
    the entry's JSON. A `: ping` comment comes every 15 s. A reader that falls too far behind
    gets an `overflow` event and the stream ends; a client that does not take a write within
    10 s is disconnected; either way, reconnecting with `Last-Event-ID` resumes with no gap
    and no duplicate. The stream also ends within a second of its key being revoked or its
    web session ending. At most 5 streams per user are open at once. EventSource cannot set
    headers: pass the key as `?api_key=`."""
    resume = _event_id(last_event_id)
    ticket = app.logs.reserve_stream(who.user_id)
    shutdown = anyio.Event()  # set by sse-starlette when the server stops: end cleanly
    records = app.logs.stream(
        ticket,
        chargepoint_id=chargepoint_id,
        last_event_id=resume,
        until=_StreamEnd(request, shutdown),
    )
    return EventSourceResponse(
        _events(records),
        ping=PING_SECONDS,
        send_timeout=SEND_TIMEOUT,
        shutdown_event=shutdown,
        shutdown_grace_period=1.0,
        background=BackgroundTask(_release, ticket),
    )


class _StreamEnd:
    """Happens when the server shuts down or the stream's credentials stop authenticating."""

    def __init__(self, request: Request, shutdown: anyio.Event) -> None:
        self._request = request
        self._shutdown = shutdown

    async def wait(self) -> None:
        failures = 0
        while not self._shutdown.is_set():
            with anyio.move_on_after(RECHECK_SECONDS):
                await self._shutdown.wait()
            if self._shutdown.is_set():
                return
            try:
                valid = await still_authenticated(self._request)
                failures = 0
            except Exception:  # the store is busy: ask again, but not forever
                failures += 1
                log.warning("could not recheck a log stream's credentials", exc_info=True)
                if failures >= RECHECK_FAILURES:
                    return
                continue
            if not valid:
                return


def _release(ticket: StreamTicket) -> None:
    ticket.release()


async def _events(records: AsyncGenerator[LogRecord]) -> AsyncIterator[ServerSentEvent]:
    try:
        async with aclosing(records):  # ends the subscription as soon as the stream ends
            async for record in records:
                data = orjson.dumps(LogOut.fields(record)).decode()
                yield ServerSentEvent(data=data, id=str(record.id))
    except StreamOverflow as exc:
        # The reader fell behind; its EventSource reconnects with Last-Event-ID and resumes.
        message = orjson.dumps({"error": f"stream dropped: {exc}; reconnect to resume"}).decode()
        yield ServerSentEvent(data=message, event="overflow")


def _event_id(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise Invalid("Last-Event-ID", "must be the id of a log entry")
    return int(value)
