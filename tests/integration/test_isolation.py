"""Users never see or touch each other's chargers and keys (reference S1, BOLA).

The matrix is generated from the OpenAPI document, so a new endpoint is covered (or this test
fails until it gets a body below)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ApiUser

#: A valid body for each charger operation, by path suffix ("" = the charger itself).
BODIES: dict[tuple[str, str], dict[str, Any] | None] = {
    ("get", ""): None,
    ("delete", ""): None,
    ("post", "mode"): {"mode": "on"},
    ("post", "start"): {"energy_kwh": 5},
    ("post", "stop"): {},
    ("post", "free-charging"): {"free_charging": True},
    ("post", "error"): {"error_code": "GroundFailure"},
    ("post", "ocpp-version"): {"ocpp_version": "2.0.1"},
    ("post", "name"): {"charger_name": "mine now"},
    ("post", "chargepoint-id"): {"chargepoint_id": "STOLEN"},
    ("post", "rfid"): {"rfid_tag": "EVIL"},
    ("post", "auth-config"): {"auth_mode": "plug_and_charge"},
    ("post", "backend-url"): {"backend_url": "ws://evil:1"},
    ("post", "num-connectors"): {"num_connectors": 5},
    ("post", "security"): {"security_profile": 1, "basic_auth_password": "x" * 16},
}


async def _charger_operations(api: httpx.AsyncClient, user: ApiUser) -> list[tuple[str, str]]:
    spec = (await api.get("/openapi.json", headers=user.headers)).json()
    ops = []
    for path, operations in spec["paths"].items():
        if path.startswith("/api/chargers/{chargepoint_id}"):
            suffix = path.removeprefix("/api/chargers/{chargepoint_id}").lstrip("/")
            ops += [(method, suffix) for method in operations]
    return ops


async def test_another_users_charger_is_a_404_and_stays_unchanged(
    api: httpx.AsyncClient, alice: ApiUser, bob: ApiUser
) -> None:
    for user, cp in ((alice, "A-1"), (bob, "B-1"), (bob, "SHARED"), (alice, "SHARED")):
        spec = {"chargepoint_id": cp, "charger_type": "DC", "max_power_kw": 50}
        assert (await api.post("/api/chargers", json=spec, headers=user.headers)).status_code == 201
    before = (await api.get("/api/chargers", headers=bob.headers)).json()
    ops = await _charger_operations(api, alice)
    assert len(ops) >= 15
    missing = [op for op in ops if op not in BODIES]
    assert missing == [], f"add a body for the new operations {missing}"
    for method, suffix in ops:
        path = "/api/chargers/{}" + (f"/{suffix}" if suffix else "")
        body = BODIES[(method, suffix)]
        kwargs: dict[str, Any] = {"headers": alice.headers}
        if body is not None:
            kwargs["json"] = body
        theirs = await api.request(method.upper(), path.format("B-1"), **kwargs)
        nobody = await api.request(method.upper(), path.format("NOPE-1"), **kwargs)
        assert theirs.status_code == 404, (method, suffix, theirs.text)
        assert theirs.json() == {"error": "no charger 'B-1'"}
        assert nobody.json() == {"error": "no charger 'NOPE-1'"}
        assert "50.0" not in theirs.text
    assert (await api.get("/api/chargers", headers=bob.headers)).json() == before
    mine = (await api.get("/api/chargers", headers=alice.headers)).json()
    assert sorted(c["chargepoint_id"] for c in mine) == ["A-1", "SHARED"]
    settings = (await api.get("/api/settings", headers=alice.headers)).json()
    assert sorted(c["chargepoint_id"] for c in settings["chargers"]) == ["A-1", "SHARED"]
    # The same chargepoint id in two accounts: alice's changes reach only hers.
    await api.post(
        "/api/chargers/SHARED/name", json={"charger_name": "alice's"}, headers=alice.headers
    )
    bobs = (await api.get("/api/chargers/SHARED", headers=bob.headers)).json()
    assert bobs["charger_name"] == ""


async def test_another_users_key_cannot_be_revoked(
    api: httpx.AsyncClient, alice: ApiUser, bob: ApiUser
) -> None:
    await api.post("/api/me/api-keys", headers=bob.headers)  # bob has two keys now
    bob_prefix = bob.key[:13]
    r = await api.delete(f"/api/me/api-keys/{bob_prefix}", headers=alice.headers)
    assert r.status_code == 404
    assert (await api.get("/api/me", headers=bob.headers)).json()["name"] == "bob"
    alice_keys = (await api.get("/api/me/api-keys", headers=alice.headers)).json()
    assert [k["prefix"] for k in alice_keys] == [alice.key[:13]]
