"""The ASGI application: routes, auth, error shape, security headers, lifespan."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ocppsim import __version__
from ocppsim.api import errors, routes_account, routes_chargers, routes_loadtest, routes_logs
from ocppsim.api.auth import require_user
from ocppsim.api.ui import pages
from ocppsim.config import Config
from ocppsim.democsms import DemoCsms
from ocppsim.runtime.fleet import Fleet
from ocppsim.services.container import Services
from ocppsim.services.loadtests import LoadTestLimits

log = logging.getLogger("ocppsim.api")

#: Routes reachable without a key (everything under /api/ needs one). The web UI's pages
#: redirect to the log-in page without a session; /reference and /docs are documentation.
PUBLIC_PATHS = frozenset(
    {"/openapi.json", "/healthz", "/static", "/", "/login", "/signup", "/logout", "/reference"}
    | {"/docs"}
    | set(pages.PAGES)
)

#: The document's tags in reading order, each with the sentence that introduces it.
TAGS: list[dict[str, Any]] = [
    {
        "name": "account",
        "x-displayName": "Account",
        "description": "Who you are and your personal API keys.",
    },
    {
        "name": "chargers",
        "x-displayName": "Chargers",
        "description": "Your simulated charge points: create them, switch their mode, run "
        "sessions, inject errors and configure them; every action answers with the charger's "
        "new state.",
    },
    {
        "name": "settings",
        "x-displayName": "Settings",
        "description": "Your global settings: the defaults your chargers and your load test "
        "use (backend URL, RFID tag, heartbeat interval, batch size) and how long the OCPP "
        "message log is kept.",
    },
    {
        "name": "logs",
        "x-displayName": "OCPP logs",
        "description": "Every OCPP frame your chargers send or receive, and every connection "
        "event: as history (newest first) or as a live Server-Sent Events stream.",
    },
    {
        "name": "load test",
        "x-displayName": "Load test",
        "description": "One run per user of mass chargers: simulated chargers without the "
        "message log that dial your global backend URL and never appear in the charger list.",
    },
    {
        "name": "admin",
        "x-displayName": "Administration",
        "description": "Server-wide settings, which only an administrator can change.",
    },
]


def _cannot_be_invalid(operation: dict[str, Any]) -> bool:
    """No body, and only path parameters that any string fits."""
    return "requestBody" not in operation and all(
        p.get("in") == "path"
        and set(p.get("schema", {})) <= {"type", "title", "description", "examples"}
        for p in operation.get("parameters", [])
    )


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, without FastAPI's generic ``422 Validation Error`` where
    no value can be invalid (operations with only a string path parameter): the operations
    that can refuse a value document their own 422."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    document = FastAPI.openapi(app)
    generic = "#/components/schemas/HTTPValidationError"
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or not _cannot_be_invalid(operation):
                continue
            answers = operation.get("responses", {})
            media = answers.get("422", {}).get("content", {}).get("application/json", {})
            if media.get("schema", {}).get("$ref") == generic:
                del answers["422"]
    if generic not in json.dumps(document.get("paths", {})):
        schemas = document.get("components", {}).get("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return document


_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        b"frame-ancestors 'none'",
    ),
]


class SecurityHeaders:
    """Headers on every response; ``Cache-Control: no-store`` on everything but the static
    files (API answers and pages carry user data and CSRF tokens). Pure ASGI, so it never
    buffers a stream (the SSE log) between the route and the socket."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = not scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if not (no_store and k.lower() == b"cache-control")
                ]
                headers += _SECURITY_HEADERS
                if no_store:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _host_name(header: bytes) -> str:
    """The name in a Host header, without its port ("[::1]:8080" -> "::1")."""
    host = header.decode("latin-1").strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class HostCheck:
    """Answer only requests addressed to an allowed name: a page on another site whose DNS
    name was rebound to this server's address is refused (reference 4.5)."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = next((v for k, v in scope["headers"] if k == b"host"), b"")
            if _host_name(host) not in self.allowed:
                response = errors.error(
                    400, "this server does not answer to that Host name (OCPPSIM_ALLOWED_HOSTS)"
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _start_demo_csms(config: Config) -> DemoCsms | None:
    """The built-in demo CSMS new users' chargers dial by default (``--no-demo-csms`` skips)."""
    csms = DemoCsms()
    try:
        await csms.start(host="127.0.0.1", port=config.demo_csms_port)
    except OSError as exc:
        log.warning("demo CSMS not started on port %d: %s", config.demo_csms_port, exc)
        return None
    log.info("demo CSMS listening on %s", csms.url)
    return csms


def create_app(config: Config, *, services: Services | None = None) -> FastAPI:
    """The API for ``config``; pass ``services`` to reuse an open store (tests, embedding)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if services is not None:
            app.state.services = services
            yield
            return
        csms = await _start_demo_csms(config) if config.demo_csms else None
        fleet = (
            Fleet(
                replay_rate=config.replay_rate,
                replay_max_rate=config.replay_max_rate,
                max_frame_bytes=config.max_frame_bytes,
                autopilot_energy_wh=config.autopilot_energy_wh,
                autopilot_gap_s=config.autopilot_gap_s,
            )
            if config.run_chargers
            else None
        )
        opened = await Services.open(
            config.database_url,
            fleet=fleet,
            signup_default=config.signup_default,
            loadtest_limits=LoadTestLimits(
                workers=config.loadtest_workers,
                max_chargers=config.loadtest_max_chargers,
                source_addresses=config.loadtest_source_addresses,
                enabled=config.run_chargers,
            ),
        )
        app.state.services = opened
        try:
            await opened.chargers.resume()
            yield
        finally:
            await opened.close()
            if csms is not None:
                await csms.stop()

    app = FastAPI(
        title="ocppsim",
        version=__version__,
        description="OCPP charge-point simulator. Every /api/ route needs your personal API key.",
        lifespan=lifespan,
        docs_url=None,  # the web UI's /reference page is the browsable form (no CDN scripts)
        redoc_url=None,
        openapi_tags=TAGS,
    )
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.state.default_backend_url = config.default_backend_url
    errors.install(app)
    protected = [Depends(require_user)]
    # Each operation documents the error statuses it can return (ocppsim.api.responses).
    app.include_router(routes_chargers.router, dependencies=protected)
    app.include_router(routes_account.router, dependencies=protected)
    app.include_router(routes_logs.router, dependencies=protected)
    app.include_router(routes_loadtest.router, dependencies=protected)

    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.HERE / "static"), name="static")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(SecurityHeaders)
    allowed = config.host_allowlist
    if allowed is not None:
        app.add_middleware(HostCheck, allowed=allowed)
    return app
