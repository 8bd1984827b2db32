"""Authentication (seed "Authentication"; reference S4, S5) and the personal API keys."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from ocppsim.api import create_app
from ocppsim.api.app import PUBLIC_PATHS
from ocppsim.api.auth import require_user
from ocppsim.config import Config
from tests.conftest import ApiUser

UNAUTHENTICATED = {"error": "Authentication required"}


async def test_the_three_ways_to_pass_a_key(api: httpx.AsyncClient, alice: ApiUser) -> None:
    for kwargs in (
        {"headers": {"X-API-Key": alice.key}},
        {"headers": {"Authorization": f"Bearer {alice.key}"}},
        {"params": {"api_key": alice.key}},
    ):
        r = await api.get("/api/me", **kwargs)  # type: ignore[arg-type]
        assert r.status_code == 200, kwargs
        assert r.json() == {"name": "alice", "is_admin": False}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-Key": ""},
        {"X-API-Key": "nonsense"},
        {"X-API-Key": "ocps_AAAAAAAA_" + "B" * 43},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic YWxpY2U6cGFzc3dvcmQ="},
    ],
)
async def test_anything_else_is_401_with_the_seed_body(
    api: httpx.AsyncClient, alice: ApiUser, headers: dict[str, str]
) -> None:
    r = await api.get("/api/chargers", headers=headers)
    assert r.status_code == 401
    assert r.json() == UNAUTHENTICATED


async def test_a_right_prefix_with_a_wrong_secret_fails(
    api: httpx.AsyncClient, alice: ApiUser
) -> None:
    forged = alice.key[:14] + ("A" if alice.key[14] != "A" else "B") + alice.key[15:]
    r = await api.get("/api/me", headers={"X-API-Key": forged})
    assert (r.status_code, r.json()) == (401, UNAUTHENTICATED)


def _depends_on(dependant: Dependant, target: object) -> bool:
    return any(d.call is target or _depends_on(d, target) for d in dependant.dependencies)


def _route_table(routes: list[Any]) -> list[tuple[str, Dependant | None]]:
    """(path, dependant) of every endpoint, including those of included routers.

    FastAPI >= 0.16x keeps included routers as branches whose effective routes carry the
    router-level dependencies; plain routes carry their own.
    """
    table: list[tuple[str, Dependant | None]] = []
    for route in routes:
        if isinstance(route, APIRoute):
            table.append((route.path, route.dependant))
        elif hasattr(route, "effective_candidates"):
            for candidate in route.effective_candidates():
                if hasattr(candidate, "effective_candidates"):
                    table.extend(_route_table([candidate]))
                else:
                    table.append((candidate.path, candidate.dependant))
        else:
            table.append((getattr(route, "path", ""), None))
    return table


def test_every_api_route_requires_a_key() -> None:
    """Route inventory (S4): a new route without the auth dependency fails here."""
    app = create_app(Config(database_url="unused://"))
    table = _route_table(list(app.routes))
    api_routes = [(p, d) for p, d in table if p.startswith("/api")]
    assert len(api_routes) >= 20
    unprotected = [p for p, d in api_routes if d is None or not _depends_on(d, require_user)]
    assert unprotected == []
    public = {p for p, _ in table} - {p for p, _ in api_routes}
    assert public <= PUBLIC_PATHS


def _example_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "SIM-AC-001", path)


async def test_every_operation_in_the_openapi_document_answers_401_without_a_key(
    api: httpx.AsyncClient, alice: ApiUser
) -> None:
    spec: dict[str, Any] = (await api.get("/openapi.json")).json()
    count = 0
    for path, operations in spec["paths"].items():
        for method in operations:
            r = await api.request(method.upper(), _example_path(path), json={})
            assert (r.status_code, r.json()) == (401, UNAUTHENTICATED), (method, path)
            count += 1
    assert count >= 20


async def test_key_lifecycle(api: httpx.AsyncClient, alice: ApiUser) -> None:
    keys = (await api.get("/api/me/api-keys", headers=alice.headers)).json()
    assert len(keys) == 1
    assert set(keys[0]) == {"prefix", "created_at", "last_used_at"}
    assert alice.key.startswith(keys[0]["prefix"] + "_")
    created = await api.post("/api/me/api-keys", headers=alice.headers)
    assert created.status_code == 201
    new = created.json()
    assert new["key"].startswith(new["prefix"] + "_")
    assert (await api.get("/api/me", headers={"X-API-Key": new["key"]})).status_code == 200
    assert (await api.get("/api/me", headers=alice.headers)).status_code == 200
    listing = (await api.get("/api/me/api-keys", headers=alice.headers)).text
    assert new["key"] not in listing
    assert alice.key not in listing
    old_prefix = keys[0]["prefix"]
    r = await api.delete(f"/api/me/api-keys/{old_prefix}", headers={"X-API-Key": new["key"]})
    assert r.status_code == 204
    assert (await api.get("/api/me", headers=alice.headers)).status_code == 401  # at once
    last = await api.delete(f"/api/me/api-keys/{new['prefix']}", headers={"X-API-Key": new["key"]})
    assert last.status_code == 409
    assert "last API key" in last.json()["error"]
    missing = await api.delete("/api/me/api-keys/ocps_nothere", headers={"X-API-Key": new["key"]})
    assert missing.status_code == 404


async def test_responses_carry_security_headers(api: httpx.AsyncClient, alice: ApiUser) -> None:
    r = await api.get("/api/me", headers=alice.headers)
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert "access-control-allow-origin" not in r.headers
