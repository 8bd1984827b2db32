"""Authentication: one dependency that every ``/api/`` route carries.

The key comes, in order of preference, from ``X-API-Key``, ``Authorization: Bearer`` or the
``api_key`` query parameter (for EventSource, which cannot set headers). Anything else: 401.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer

from ocppsim.services.accounts import Principal
from ocppsim.services.container import Services
from ocppsim.services.errors import Unauthenticated

header_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="Personal API key")
bearer_key = HTTPBearer(auto_error=False, description="Personal API key as a bearer token")
query_key = APIKeyQuery(name="api_key", auto_error=False, description="For EventSource (SSE)")


def services(request: Request) -> Services:
    result: Services = request.app.state.services
    return result


async def require_user(
    request: Request,
    header: Annotated[str | None, Security(header_key)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_key)],
    query: Annotated[str | None, Security(query_key)],
) -> Principal:
    key = header or (bearer.credentials if bearer else None) or query
    if key:
        who = await services(request).accounts.authenticate(key)
        if who is not None:
            return who
    raise Unauthenticated("Authentication required")


User = Annotated[Principal, Depends(require_user)]
App = Annotated[Services, Depends(services)]
