"""The web UI's pages: log-in, sign-up, log-out, and the pages of a logged-in user.

Pages are server-rendered shells (Jinja2, autoescaped); their scripts call the JSON API with
the session cookie and the page's CSRF token. Forms posted here (log-in, sign-up, log-out) are
checked too: log-out by the session's CSRF token, log-in and sign-up by a double-submit token
(a cookie set with the form) against log-in CSRF, all three by :func:`check_same_origin`.
"""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from ocppsim import __version__
from ocppsim.api.auth import check_csrf, check_same_origin, services, session_cookie, web_session
from ocppsim.api.ui import reference
from ocppsim.core import limits
from ocppsim.services.accounts import USER_NAME_RE
from ocppsim.services.errors import Conflict, Forbidden, Invalid, TooMany
from ocppsim.services.websessions import ABSOLUTE_TIMEOUT, StartedSession, WebSession

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals["version"] = __version__
templates.env.globals["password_min"] = limits.ACCOUNT_PASSWORD.low
templates.env.globals["password_max"] = limits.ACCOUNT_PASSWORD.high
#: Form fields take their ``maxlength`` from the table the API checks with.
templates.env.globals["limits"] = limits

FORM_COOKIE = "ocppsim_form"
SECURE_FORM_COOKIE = "__Host-ocppsim_form"
#: The pages of a logged-in user: path -> (template, title).
PAGES = {
    "/chargers": ("chargers.html", "Chargers"),
    "/log": ("log.html", "OCPP log"),
    "/loadtest": ("loadtest.html", "Load test"),
    "/settings": ("settings.html", "Settings"),
    "/keys": ("keys.html", "API keys"),
}
HOME = "/chargers"

router = APIRouter(include_in_schema=False)


def _render(
    request: Request,
    template: str,
    *,
    session: WebSession | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    context.setdefault("title", "")
    return templates.TemplateResponse(
        request,
        template,
        {
            "user": session.principal if session else None,
            "csrf_token": session.csrf_token if session else "",
            "path": request.url.path,
            **context,
        },
        status_code=status_code,
    )


def _safe_next(target: str | None) -> str:
    """Only a local path: never another site (open redirect) or a scheme-relative URL."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return HOME
    return target


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    """Every cookie of the UI: host-only, whole site, HttpOnly, SameSite=Strict, Secure on TLS."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def _set_session(request: Request, response: Response, started: StartedSession) -> None:
    max_age = int(ABSOLUTE_TIMEOUT.total_seconds())
    _set_cookie(request, response, session_cookie(request), started.token, max_age)


def _form_page(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A log-in or sign-up form with a fresh double-submit token in a cookie and the form."""
    token = secrets.token_urlsafe(24)
    response = _render(
        request,
        template,
        session=None,
        status_code=status_code,
        form_token=token,
        **context,
    )
    _set_cookie(request, response, _form_cookie(request), token, max_age=3600)
    return response


def _form_cookie(request: Request) -> str:
    """The double-submit cookie: ``__Host-`` over TLS, so no sibling host can plant one."""
    return SECURE_FORM_COOKIE if request.url.scheme == "https" else FORM_COOKIE


async def _form(request: Request) -> dict[str, str]:
    """The posted fields; an unreadable form reads as empty (and fails its token check)."""
    try:
        form = await request.form(max_files=0, max_fields=10, max_part_size=4096)
    except HTTPException:
        return {}
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _check_form(request: Request, fields: dict[str, str]) -> tuple[str, int] | None:
    """None if the form came from our own page; else the message (and status) to show with a
    new form: 403 for a cross-site post, 400 for a missing or stale form token."""
    try:
        check_same_origin(request)
    except Forbidden as exc:
        return f"{str(exc).capitalize()}.", 403
    sent, kept = fields.get("form_token", ""), request.cookies.get(_form_cookie(request), "")
    if not sent or not kept or not secrets.compare_digest(sent.encode(), kept.encode()):
        return "The form expired: please try again.", 400
    return None


def _client(request: Request) -> str:
    """The client's throttling key: its IPv4 address, or its IPv6 /64 (one host has many)."""
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


@router.get("/")
async def home(request: Request) -> Response:
    target = HOME if await web_session(request) else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    if await web_session(request):
        return RedirectResponse(_safe_next(next), status_code=303)
    return _form_page(
        request,
        "login.html",
        title="Log in",
        next=_safe_next(next),
        signup=await services(request).websessions.signup_enabled(),
    )


@router.post("/login")
async def login(request: Request) -> Response:
    fields = await _form(request)
    name, password = fields.get("name", ""), fields.get("password", "")
    target = _safe_next(fields.get("next"))
    sessions = services(request).websessions
    problem, status = _check_form(request, fields) or ("", 200)
    if not problem:
        try:
            started = None
            if USER_NAME_RE.fullmatch(name) and len(password) <= limits.ACCOUNT_PASSWORD.high:
                started = await sessions.log_in(name, password, _client(request))
            if started is not None:
                response = RedirectResponse(target, status_code=303)
                await sessions.log_out(request.cookies.get(session_cookie(request), ""))
                _set_session(request, response, started)
                response.delete_cookie(_form_cookie(request), path="/")
                return response
            problem, status = "Wrong user name or password.", 401
        except TooMany as exc:
            problem, status = f"{str(exc).capitalize()}.", 429
    return _form_page(
        request,
        "login.html",
        status_code=status,
        title="Log in",
        error=problem,
        name=name,
        next=target,
        signup=await sessions.signup_enabled(),
    )


@router.get("/signup")
async def signup_page(request: Request) -> Response:
    if not await services(request).websessions.signup_enabled():
        return _render(
            request,
            "message.html",
            session=await web_session(request),
            status_code=403,
            title="Sign up",
            message="Sign-up is turned off on this server: ask an administrator for an account.",
        )
    return _form_page(request, "signup.html", title="Sign up")


@router.post("/signup")
async def signup(request: Request) -> Response:
    fields = await _form(request)
    name, password = fields.get("name", ""), fields.get("password", "")
    problem, status = _check_form(request, fields) or ("", 200)
    if not problem and password != fields.get("password2", ""):
        problem, status = "The two passwords differ.", 400
    if not problem:
        app = services(request)
        settings_url = request.app.state.default_backend_url
        try:
            new, started = await app.websessions.sign_up(
                name, password, _client(request), backend_url=settings_url
            )
        except Invalid as exc:
            problem, status = str(exc), 422
        except Conflict:
            problem, status = "That user name is taken.", 409
        except Forbidden as exc:
            problem, status = str(exc), 403
        except TooMany as exc:
            problem, status = str(exc), 429
        else:
            # The first key is shown on this one page and never again: no redirect, no store.
            response = _render(
                request,
                "keys.html",
                session=started.session,
                status_code=201,
                title="API keys",
                new_key=new.key.key,
                welcome=True,
            )
            await app.websessions.log_out(request.cookies.get(session_cookie(request), ""))
            _set_session(request, response, started)
            response.delete_cookie(_form_cookie(request), path="/")
            return response
    return _form_page(
        request, "signup.html", status_code=status, title="Sign up", error=problem, name=name
    )


@router.post("/logout")
async def logout(request: Request) -> Response:
    """Ends the session: only from our own page (another site can log no one out) and with
    the session's CSRF token; a stale page gets a message, not a log-out."""
    session = await web_session(request)
    try:
        check_same_origin(request)
        if session is not None:
            check_csrf(request, session, (await _form(request)).get("csrf_token"))
    except Forbidden:
        return _render(
            request,
            "message.html",
            session=session,
            status_code=403,
            title="Log out",
            message="This page was out of date, so you are still logged in: "
            "use Log out on a freshly loaded page.",
        )
    if session is not None:
        await services(request).websessions.log_out(
            request.cookies.get(session_cookie(request), "")
        )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(session_cookie(request), path="/")
    return response


@router.get("/reference")
async def reference_page(request: Request) -> Response:
    """The API reference, from the app's own OpenAPI document (public: it holds no data)."""
    return _render(
        request,
        "reference.html",
        session=await web_session(request),
        title="API reference",
        ref=reference.build(request.app.openapi()),
        inline=reference.inline,
        base_url=str(request.base_url).rstrip("/"),
    )


@router.get("/docs")
async def docs() -> Response:
    return RedirectResponse("/reference", status_code=308)


def _page(path: str, template: str, title: str) -> None:
    async def show(request: Request) -> Response:
        session = await web_session(request)
        if session is None:
            return RedirectResponse(f"/login?next={quote(path)}", status_code=303)
        return _render(request, template, session=session, title=title)

    router.add_api_route(path, show, methods=["GET"], name=template.removesuffix(".html"))


for _path, (_template, _title) in PAGES.items():
    _page(_path, _template, _title)
