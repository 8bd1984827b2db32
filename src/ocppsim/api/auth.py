"""Authentication: one dependency that every ``/api/`` route carries.

Scripts send their personal key, in order of preference, in ``X-API-Key``, as
``Authorization: Bearer`` or as the ``api_key`` query parameter (for EventSource, which cannot
set headers). The web UI sends its session cookie instead; a state-changing request that a
cookie authenticates must also pass the CSRF check (:func:`check_csrf`), or it gets 403.
Anything else: 401.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer

from ocppsim.services.accounts import Principal
from ocppsim.services.container import Services
from ocppsim.services.errors import Forbidden, Unauthenticated
from ocppsim.services.websessions import WebSession

header_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="Personal API key")
bearer_key = HTTPBearer(auto_error=False, description="Personal API key as a bearer token")
query_key = APIKeyQuery(name="api_key", auto_error=False, description="For EventSource (SSE)")

#: The session cookie: ``__Host-`` prefixed and ``Secure`` over TLS (browsers refuse both on
#: plain HTTP), ``HttpOnly`` and ``SameSite=Strict`` always.
SESSION_COOKIE = "ocppsim_session"
SECURE_SESSION_COOKIE = "__Host-ocppsim_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Where ``require_user`` notes the credential it accepted: ("key" | "session", secret).
_CREDENTIAL = "ocppsim.credential"


def services(request: Request) -> Services:
    result: Services = request.app.state.services
    return result


def session_cookie(request: Request) -> str:
    """The cookie's name for this request's scheme."""
    return SECURE_SESSION_COOKIE if request.url.scheme == "https" else SESSION_COOKIE


async def web_session(request: Request) -> WebSession | None:
    """The request's live web session, if its cookie carries one (looked up once)."""
    if "web_session" in request.scope:
        cached: WebSession | None = request.scope["web_session"]
        return cached
    token = request.cookies.get(session_cookie(request), "")
    found = await services(request).websessions.resolve(token) if token else None
    request.scope["web_session"] = found
    return found


def check_same_origin(request: Request) -> None:
    """Refuse a cross-site request: Fetch Metadata first, ``Origin`` where a browser sends no
    ``Sec-Fetch-Site`` (reference S8)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        if site != "same-origin":
            raise Forbidden("cross-site request refused")
        return
    # Pages send Referrer-Policy: no-referrer, under which a browser may send "Origin: null"
    # even for its own forms; the CSRF token decides then.
    origin = request.headers.get("origin")
    if origin not in (None, "null") and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise Forbidden("cross-origin request refused")


def check_csrf(request: Request, session: WebSession, token: str | None) -> None:
    """A state-changing request of a session: same origin, and the session's CSRF token."""
    check_same_origin(request)
    if not token or not hmac.compare_digest(token.encode(), session.csrf_token.encode()):
        raise Forbidden(f"CSRF check failed: send the page's {CSRF_HEADER}")


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
            request.scope[_CREDENTIAL] = ("key", key)
            return who
        raise Unauthenticated("Authentication required")
    session = await web_session(request)
    if session is not None:
        if request.method not in SAFE_METHODS:
            check_csrf(request, session, request.headers.get(CSRF_HEADER))
        request.scope[_CREDENTIAL] = ("session", request.cookies[session_cookie(request)])
        return session.principal
    raise Unauthenticated("Authentication required")


async def still_authenticated(request: Request) -> bool:
    """Does the credential that authenticated the request still do (key not revoked, session
    not ended)? Long-lived responses (the SSE log) ask this every second; asking does not
    count as use of a session, so an open tab does not keep an idle session alive."""
    kind, secret = request.scope.get(_CREDENTIAL, ("", ""))
    if kind == "key":
        return await services(request).accounts.authenticate(secret) is not None
    if kind == "session":
        return await services(request).websessions.resolve(secret, touch=False) is not None
    return False


User = Annotated[Principal, Depends(require_user)]
App = Annotated[Services, Depends(services)]
