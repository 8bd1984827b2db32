"""Every error leaves the API as ``{"error": "..."}`` with a fitting status code."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ocppsim.services.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ServiceError,
    TooMany,
    Unauthenticated,
    Unavailable,
)

log = logging.getLogger("ocppsim.api")

_STATUS: dict[type[ServiceError], int] = {
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    TooMany: 429,
    Unavailable: 503,
}

_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "json_invalid": "is not valid JSON",
}


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def describe(errors: list[dict[str, Any]]) -> tuple[int, str]:
    """One readable sentence (and a status) from pydantic's error list, naming the field."""
    first = errors[0]
    kind = first.get("type", "")
    loc = [str(p) for p in first.get("loc", ())]
    if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
        loc = loc[1:]  # the field's name is enough
    where = ".".join(loc)
    if kind == "json_invalid":
        return 400, "request body is not valid JSON"
    if kind in ("model_attributes_type", "dict_type") and not where:
        return 422, "request body must be a JSON object"
    if kind == "missing" and not where:
        return 422, "request body is required"
    message = _MESSAGES.get(kind) or str(first.get("msg", "is invalid"))
    if kind == "enum":
        expected = first.get("ctx", {}).get("expected", "")
        message = f"must be one of {expected}"
    if not where:
        return 422, message
    return 422, f"{where}: {message}"


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(_: Request, exc: ServiceError) -> JSONResponse:
        status = _STATUS.get(type(exc), 400)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return error(status, str(exc), headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        status, message = describe(list(exc.errors()))
        return error(status, message)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error(500, "internal error; the server log has the details")
