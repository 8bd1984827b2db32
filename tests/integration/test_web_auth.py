"""Web UI log-in: sessions in a cookie, CSRF on every state-changing route, throttling,
sign-up and its switch (reference S7, S8). Real app, real database, in process."""

from __future__ import annotations

import asyncio
import contextlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from ocppsim.api import create_app
from ocppsim.api.auth import CSRF_HEADER, SECURE_SESSION_COOKIE, SESSION_COOKIE
from ocppsim.config import Config, ConfigError
from ocppsim.services import websessions
from ocppsim.services.accounts import Principal
from ocppsim.services.container import Services
from ocppsim.services.errors import Conflict, TooMany
from ocppsim.services.websessions import (
    ABSOLUTE_TIMEOUT,
    ACCOUNT_LIMIT,
    CLIENT_LIMIT,
    IDLE_TIMEOUT,
    SIGNUP_LIMIT,
    WINDOW,
    LoginThrottle,
    WebSessions,
)
from tests.conftest import ApiUser

PASSWORD = "correct horse battery"


def _token(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def log_in(client: httpx.AsyncClient, name: str, password: str = PASSWORD) -> httpx.Response:
    form = await client.get("/login")
    if form.status_code == 303:  # logged in already: the sign-up form carries a token too
        form = await client.get("/signup")
    return await client.post(
        "/login",
        data={"form_token": _token(form.text, "form_token"), "name": name, "password": password},
    )


async def csrf_of(client: httpx.AsyncClient) -> str:
    page = await client.get("/keys")
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert match, page.text
    return match.group(1)


async def status_with(client: httpx.AsyncClient, session: str) -> int:
    """GET /api/me with ``session`` as the cookie (the client's own cookies set aside)."""
    kept = httpx.Cookies(client.cookies)
    client.cookies = httpx.Cookies({SESSION_COOKIE: session})
    try:
        return (await client.get("/api/me")).status_code
    finally:
        client.cookies = kept


@pytest.fixture
async def browser(api: httpx.AsyncClient, alice: ApiUser) -> httpx.AsyncClient:
    """The ``api`` client, logged in as alice through the log-in form."""
    r = await log_in(api, alice.name)
    assert r.status_code == 303, r.text
    return api


async def test_log_in_sets_a_strict_http_only_session_cookie(
    api: httpx.AsyncClient, alice: ApiUser
) -> None:
    r = await log_in(api, alice.name)
    assert (r.status_code, r.headers["location"]) == (303, "/chargers")
    cookie = next(v for v in r.headers.get_list("set-cookie") if v.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP: a browser would drop a Secure cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    assert len(token) >= 43  # 256 random bits
    me = await api.get("/api/me")
    assert me.json() == {"name": "alice", "is_admin": False}


async def test_over_tls_the_cookie_is_host_prefixed_and_secure(
    services: Services, alice: ApiUser
) -> None:
    app = create_app(Config(database_url="unused://"), services=services)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://127.0.0.1") as client:
            r = await log_in(client, alice.name)
            cookie = next(v for v in r.headers.get_list("set-cookie") if "ocppsim_session" in v)
            assert cookie.startswith(f"{SECURE_SESSION_COOKIE}=")
            assert "Secure" in cookie
            assert "Domain" not in cookie
            assert (await client.get("/api/me")).status_code == 200


async def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(
    api: httpx.AsyncClient, alice: ApiUser
) -> None:
    wrong = await log_in(api, alice.name, "not the password")
    unknown = await log_in(api, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    for r in (wrong, unknown):
        assert "Wrong user name or password." in r.text
        assert not any(c.startswith(SESSION_COOKIE) for c in r.headers.get_list("set-cookie"))


async def test_repeated_failures_lock_the_account_name_out(
    api: httpx.AsyncClient, alice: ApiUser
) -> None:
    for _ in range(ACCOUNT_LIMIT):
        assert (await log_in(api, alice.name, "wrong password")).status_code == 401
    # Locked: even the right password is refused for now, with a readable wait.
    r = await log_in(api, alice.name)
    assert r.status_code == 429
    assert re.search(r"Too many failed log-ins: try again in \d+ s", r.text)
    # Names are throttled alike whether they exist or not.
    for _ in range(ACCOUNT_LIMIT):
        await log_in(api, "ghost", "wrong password")
    assert (await log_in(api, "ghost", "wrong password")).status_code == 429


def test_the_throttle_doubles_its_delay_and_forgets_after_the_window() -> None:
    now = [1000.0]
    throttle = LoginThrottle(3, clock=lambda: now[0])
    for _ in range(2):
        throttle.failed("alice")
    assert throttle.wait("alice") == 0
    throttle.failed("alice")  # the 3rd: 1 s
    assert throttle.wait("alice") == 1.0
    throttle.failed("alice")  # 2 s
    throttle.failed("alice")  # 4 s
    assert throttle.wait("alice") == 4.0
    now[0] += 4.0
    assert throttle.wait("alice") == 0
    throttle.succeeded("alice")
    throttle.failed("alice")
    assert throttle.wait("alice") == 0  # counting starts over
    throttle.failed("alice")
    now[0] += WINDOW + 1
    assert throttle.wait("alice") == 0
    throttle.failed("alice")
    assert throttle.wait("alice") == 0  # a new window


async def test_log_in_rotates_the_session_and_log_out_ends_it(
    browser: httpx.AsyncClient, alice: ApiUser
) -> None:
    first = browser.cookies[SESSION_COOKIE]
    await log_in(browser, alice.name)
    second = browser.cookies[SESSION_COOKIE]
    assert second != first
    assert await status_with(browser, first) == 401
    assert await status_with(browser, second) == 200
    csrf = await csrf_of(browser)
    r = await browser.post("/logout", data={"csrf_token": csrf})
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    assert await status_with(browser, second) == 401


async def test_log_out_without_the_csrf_token_is_refused(browser: httpx.AsyncClient) -> None:
    r = await browser.post("/logout", data={})
    assert r.status_code == 403
    assert (await browser.get("/api/me")).status_code == 200


async def test_sessions_expire_when_idle_and_after_the_absolute_limit(
    services: Services, alice: ApiUser
) -> None:
    now = [datetime(2026, 12, 1, tzinfo=UTC)]
    sessions = WebSessions(services.store, services.accounts, clock=lambda: now[0])
    user = await services.store.user_by_name("alice")
    assert user is not None
    who = Principal(user.id, user.name, user.is_admin)
    idle = await sessions.start(who)
    now[0] += IDLE_TIMEOUT - timedelta(seconds=1)
    assert await sessions.resolve(idle.token) is not None  # in use: seen again
    now[0] += IDLE_TIMEOUT - timedelta(seconds=1)
    assert await sessions.resolve(idle.token) is not None
    now[0] += IDLE_TIMEOUT + timedelta(seconds=1)
    assert await sessions.resolve(idle.token) is None
    busy = await sessions.start(who)
    end = now[0] + ABSOLUTE_TIMEOUT
    while now[0] < end - timedelta(hours=1):
        now[0] += timedelta(hours=1)
        assert await sessions.resolve(busy.token) is not None
    now[0] = end + timedelta(seconds=1)
    assert await sessions.resolve(busy.token) is None
    assert await sessions.resolve("not-a-token") is None


async def test_the_cookie_authenticates_reads_without_a_token(browser: httpx.AsyncClient) -> None:
    assert (await browser.get("/api/chargers")).json() == []
    assert (await browser.get("/api/me/api-keys")).status_code == 200


async def test_a_cookie_change_with_the_token_works(browser: httpx.AsyncClient) -> None:
    csrf = await csrf_of(browser)
    body = {"chargepoint_id": "UI-1", "charger_type": "AC", "max_power_kw": 11.0}
    r = await browser.post("/api/chargers", json=body, headers={CSRF_HEADER: csrf})
    assert r.status_code == 201, r.text
    r = await browser.post(
        "/api/chargers",
        json={**body, "chargepoint_id": "UI-2"},
        headers={CSRF_HEADER: csrf, "Sec-Fetch-Site": "same-origin", "Origin": "null"},
    )
    assert r.status_code == 201, r.text


def _endpoints(routes: list[Any]) -> list[tuple[str, set[str]]]:
    """(path, methods) of every endpoint, those of included routers too (FastAPI >= 0.16x
    keeps included routers as branches of effective routes)."""
    found: list[tuple[str, set[str]]] = []
    for route in routes:
        if hasattr(route, "effective_candidates"):
            found.extend(_endpoints(list(route.effective_candidates())))
        elif isinstance(route, APIRoute) or hasattr(route, "dependant"):
            found.append((route.path, set(route.methods)))
    return found


def _unsafe_routes() -> list[tuple[str, str]]:
    app = create_app(Config(database_url="unused://"))
    routes = [
        (method, path)
        for path, methods in _endpoints(list(app.routes))
        for method in sorted(methods)
        if method not in ("GET", "HEAD", "OPTIONS")
    ]
    assert len(routes) >= 25
    return routes


UNSAFE_ROUTES = _unsafe_routes()
#: Forms posted before there is a session: refused cross-site, not by a session token.
PRE_SESSION = {"/login", "/signup"}


@pytest.mark.parametrize(("method", "path"), UNSAFE_ROUTES)
async def test_every_state_changing_route_refuses_cross_site_and_tokenless_cookie_requests(
    browser: httpx.AsyncClient, method: str, path: str
) -> None:
    """Reference S8: one test over 100 % of the unsafe-method routes."""
    url = re.sub(r"\{[^}]+\}", "UI-1", path)
    csrf = await csrf_of(browser)
    attacks: list[dict[str, str]] = [
        {CSRF_HEADER: csrf, "Sec-Fetch-Site": "cross-site"},
        {CSRF_HEADER: csrf, "Sec-Fetch-Site": "same-site"},
        {CSRF_HEADER: csrf, "Origin": "http://evil.example"},
    ]
    if path not in PRE_SESSION:
        attacks += [{}, {CSRF_HEADER: "forged"}, {"Sec-Fetch-Site": "same-origin"}]
    for headers in attacks:
        r = await browser.request(method, url, headers=headers, json={})
        assert r.status_code == 403, (headers, r.text)
        if path.startswith("/api/"):
            assert "error" in r.json()
    assert (await browser.get("/api/me")).status_code == 200  # the session survived


async def test_a_key_needs_no_csrf_token(api: httpx.AsyncClient, alice: ApiUser) -> None:
    r = await api.post("/api/me/api-keys", headers=alice.headers)
    assert r.status_code == 201


async def test_pages_need_a_session_and_never_redirect_elsewhere(
    api: httpx.AsyncClient, alice: ApiUser
) -> None:
    for path in ("/chargers", "/log", "/loadtest", "/settings", "/keys"):
        r = await api.get(path)
        assert (r.status_code, r.headers["location"]) == (303, f"/login?next={path}")
    assert (await api.get("/")).headers["location"] == "/login"
    assert (await api.get("/reference")).status_code == 200  # documentation is public
    assert (await api.get("/docs")).headers["location"] == "/reference"
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        api.cookies.clear()
        form = await api.get("/login")
        r = await api.post(
            "/login",
            data={
                "form_token": _token(form.text, "form_token"),
                "name": alice.name,
                "password": PASSWORD,
                "next": target,
            },
        )
        assert (r.status_code, r.headers["location"]) == (303, "/chargers")
    r = await api.get("/login?next=/log")
    assert (r.status_code, r.headers["location"]) == (303, "/log")  # logged in already


async def test_a_login_form_without_its_token_is_refused(
    api: httpx.AsyncClient, alice: ApiUser
) -> None:
    r = await api.post("/login", data={"name": alice.name, "password": PASSWORD})
    assert r.status_code == 400
    assert "The form expired" in r.text
    assert (await api.get("/api/me")).status_code == 401


async def sign_up(
    client: httpx.AsyncClient, name: str, password: str = PASSWORD, again: str | None = None
) -> httpx.Response:
    form = await client.get("/signup")
    return await client.post(
        "/signup",
        data={
            "form_token": _token(form.text, "form_token"),
            "name": name,
            "password": password,
            "password2": password if again is None else again,
        },
    )


async def test_sign_up_logs_in_and_shows_the_first_key_once(api: httpx.AsyncClient) -> None:
    r = await sign_up(api, "carol")
    assert r.status_code == 201
    key = re.search(r'data-testid="new-key">([^<]+)<', r.text)
    assert key
    me = await api.get("/api/me", headers={"X-API-Key": key.group(1)})
    assert me.json() == {"name": "carol", "is_admin": False}
    assert (await api.get("/api/me")).json()["name"] == "carol"  # the cookie, too
    keys = await api.get("/keys")
    assert key.group(1) not in keys.text


@pytest.mark.parametrize(
    ("name", "password", "again", "status", "message"),
    [
        ("dave", PASSWORD, "something else", 400, "The two passwords differ."),
        ("dave", "short", None, 422, "password: must be 8 to 128 characters"),
        ("no spaces", PASSWORD, None, 422, "name: use 1-64 letters"),
        ("alice", PASSWORD, None, 409, "That user name is taken."),
    ],
)
async def test_sign_up_refusals_are_readable(
    api: httpx.AsyncClient,
    alice: ApiUser,
    name: str,
    password: str,
    again: str | None,
    status: int,
    message: str,
) -> None:
    r = await sign_up(api, name, password, again)
    assert r.status_code == status
    assert message in r.text
    assert (await api.get("/api/me")).status_code == 401


async def test_only_an_administrator_turns_sign_up_off(
    api: httpx.AsyncClient, services: Services, alice: ApiUser
) -> None:
    admin = await services.accounts.create_user(
        "root", PASSWORD, is_admin=True, backend_url="ws://127.0.0.1:9000"
    )
    admin_headers = {"X-API-Key": admin.key.key}
    r = await api.post(
        "/api/admin/server-settings", json={"signup_enabled": False}, headers=alice.headers
    )
    assert r.status_code == 403
    assert r.json() == {"error": "only an administrator can change server settings"}
    r = await api.post(
        "/api/admin/server-settings", json={"signup_enabled": False}, headers=admin_headers
    )
    assert r.json() == {"signup_enabled": False}
    assert (await api.get("/api/admin/server-settings", headers=alice.headers)).json() == {
        "signup_enabled": False
    }
    assert (await api.get("/signup")).status_code == 403
    assert "Sign up" not in (await api.get("/login")).text.split("</header>")[1]
    assert (await sign_up_blind(api, "eve")).status_code == 403
    assert await services.store.user_by_name("eve") is None


async def sign_up_blind(client: httpx.AsyncClient, name: str) -> httpx.Response:
    """A sign-up post with a valid form token taken from the log-in page."""
    form = await client.get("/login")
    return await client.post(
        "/signup",
        data={
            "form_token": _token(form.text, "form_token"),
            "name": name,
            "password": PASSWORD,
            "password2": PASSWORD,
        },
    )


def test_sign_up_defaults_to_on_for_loopback_hosts_only() -> None:
    assert Config(database_url="x").signup_default is True
    assert Config(database_url="x", host="::1").signup_default is True
    assert Config(database_url="x", host="0.0.0.0").signup_default is False
    assert Config(database_url="x", host="0.0.0.0", signup=True).signup_default is True
    assert Config.from_env({"OCPPSIM_SIGNUP": "0"}).signup is False


async def test_deleting_nothing_breaks_nothing(services: Services) -> None:
    sessions = WebSessions(services.store, services.accounts)
    await sessions.log_out("")
    await sessions.log_out("no-such-session")
    assert await sessions.prune() == 0


async def test_a_burst_of_guesses_sent_at_once_is_throttled_too(
    services: Services, alice: ApiUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = WebSessions(services.store, services.accounts)
    checked = 0
    verify = services.accounts.verify_password

    async def counting(name: str, password: str) -> Principal | None:
        nonlocal checked
        checked += 1
        return await verify(name, password)

    monkeypatch.setattr(services.accounts, "verify_password", counting)
    results = await asyncio.gather(
        *(sessions.log_in("alice", f"guess {n}", f"10.0.0.{n}") for n in range(40)),
        return_exceptions=True,
    )
    assert checked == ACCOUNT_LIMIT  # not 40: each attempt counts before its hash
    assert sum(isinstance(r, TooMany) for r in results) == 40 - ACCOUNT_LIMIT


async def test_sign_ups_are_limited_per_address_taken_names_included(
    services: Services, alice: ApiUser
) -> None:
    sessions = WebSessions(services.store, services.accounts)
    url = "ws://127.0.0.1:9000"
    for n in range(SIGNUP_LIMIT):
        with contextlib.suppress(Conflict):
            await sessions.sign_up("alice" if n % 2 else f"new{n}", PASSWORD, "c", backend_url=url)
    with pytest.raises(TooMany, match="too many sign-ups"):
        await sessions.sign_up("another", PASSWORD, "c", backend_url=url)
    await sessions.sign_up("another", PASSWORD, "elsewhere", backend_url=url)


async def test_a_user_name_with_a_line_break_is_refused(api: httpx.AsyncClient) -> None:
    r = await sign_up(api, "admin\n")
    assert r.status_code == 422
    assert "name: use 1-64 letters" in r.text


async def test_sign_up_while_logged_in_ends_the_old_session(
    browser: httpx.AsyncClient, alice: ApiUser
) -> None:
    old = browser.cookies[SESSION_COOKIE]
    assert (await sign_up(browser, "zoe")).status_code == 201
    assert await status_with(browser, old) == 401
    assert (await browser.get("/api/me")).json()["name"] == "zoe"


async def test_log_out_from_another_site_or_a_stale_page_logs_no_one_out(
    browser: httpx.AsyncClient,
) -> None:
    csrf = await csrf_of(browser)
    for headers, data in (
        ({"Sec-Fetch-Site": "cross-site"}, {"csrf_token": csrf}),
        ({"Origin": "https://evil.example"}, {}),
        ({}, {"csrf_token": "stale"}),
    ):
        r = await browser.post("/logout", headers=headers, data=data)
        assert r.status_code == 403
        assert "still logged in" in r.text
        assert "set-cookie" not in r.headers
        assert (await browser.get("/api/me")).status_code == 200


async def test_requests_for_another_host_name_are_refused(
    api: httpx.AsyncClient, services: Services
) -> None:
    """A page whose DNS name was rebound to this server's address (reference 4.5)."""
    r = await api.get("/login", headers={"Host": "evil.example"})
    assert r.status_code == 400
    assert "Host" in r.json()["error"]
    for host in ("localhost:8080", "127.0.0.1", "[::1]:8080"):
        assert (await api.get("/login", headers={"Host": host})).status_code == 200
    assert Config(database_url="x", host="0.0.0.0").host_allowlist is None
    assert Config(database_url="x", allowed_hosts=("*",)).host_allowlist is None
    named = Config.from_env({"OCPPSIM_ALLOWED_HOSTS": "sim.example.com, [::1]"})
    assert named.host_allowlist == frozenset({"sim.example.com", "::1"})


async def test_one_address_failing_for_many_names_is_locked_out(
    services: Services, alice: ApiUser
) -> None:
    sessions = WebSessions(services.store, services.accounts)
    for n in range(CLIENT_LIMIT):
        assert await sessions.log_in(f"name{n}", "wrong password", "10.9.9.9") is None
    with pytest.raises(TooMany):
        await sessions.log_in("alice", PASSWORD, "10.9.9.9")
    assert await sessions.log_in("alice", PASSWORD, "10.9.9.10") is not None


def test_the_throttle_forgets_the_oldest_keys_beyond_its_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(websessions, "THROTTLE_ENTRIES", 3)
    throttle = LoginThrottle(1, clock=lambda: 0.0)
    for key in ("a", "b", "c", "d"):
        throttle.failed(key)
    assert throttle.wait("a") == 0  # forgotten
    assert throttle.wait("d") == 1.0
    throttle.forgive("d")
    throttle.failed("d")
    assert throttle.wait("d") == 1.0


def test_ipv6_clients_are_throttled_by_their_64() -> None:
    from starlette.requests import Request

    from ocppsim.api.ui.pages import _client

    def client(host: str) -> str:
        return _client(Request({"type": "http", "client": (host, 1), "headers": []}))

    assert client("2001:db8:1:2:aaaa::1") == client("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert client("::ffff:10.1.2.3") == "10.1.2.3"
    assert client("10.1.2.3") == "10.1.2.3"


def test_on_off_settings_take_1_or_0_and_refuse_anything_else() -> None:
    assert Config.from_env({}).demo_csms is True
    assert Config.from_env({"OCPPSIM_DEMO_CSMS": "off"}).demo_csms is False
    assert Config.from_env({"OCPPSIM_SIGNUP": "yes"}).signup is True
    for name in ("OCPPSIM_DEMO_CSMS", "OCPPSIM_SIGNUP"):
        with pytest.raises(ConfigError, match=f"{name} must be 1 or 0"):
            Config.from_env({name: "maybe"})
