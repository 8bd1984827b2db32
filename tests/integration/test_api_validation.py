"""Every parameter of the seed's Chargers, Charger Configuration and Global Settings sections,
with at least one bad value each: 400/422 with {"error": "<field>: ..."}, and nothing changes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import ApiUser

CP = "SIM-AC-001"
GOOD_CREATE = {"chargepoint_id": "NEW-1", "charger_type": "AC", "max_power_kw": 22}
SEED_FIELDS = {
    "chargepoint_id", "charger_type", "mode", "status", "availability", "current_power_kw",
    "energy_delivered_wh", "max_power_kw", "transaction_id", "connected", "free_charging",
    "num_connectors", "backend_url", "rfid_tag", "auth_mode", "pnc_emaid", "pnc_pcid",
    "pnc_certificate_hash", "ocpp_version", "charger_name", "error_code", "session_start",
    "session_energy_wh", "target_energy_wh", "session_id_tag", "remote_start",
    "heartbeat_interval", "connector_status",
}  # fmt: skip


def create(**changes: Any) -> tuple[str, str, dict[str, Any]]:
    return ("POST", "/api/chargers", {**GOOD_CREATE, **changes})


def post(what: str, body: Any) -> tuple[str, str, Any]:
    return ("POST", f"/api/chargers/{CP}/{what}", body)


def settings(**body: Any) -> tuple[str, str, dict[str, Any]]:
    return ("POST", "/api/settings", body)


# (request, field named in the message)
CASES: list[tuple[tuple[str, str, Any], str]] = [
    (create(chargepoint_id=""), "chargepoint_id"),
    (create(chargepoint_id="x" * 49), "chargepoint_id"),
    (create(chargepoint_id="has space"), "chargepoint_id"),
    (create(chargepoint_id="a/b"), "chargepoint_id"),
    (create(chargepoint_id=7), "chargepoint_id"),
    (create(charger_type="ac"), "charger_type"),
    (create(charger_type="XX"), "charger_type"),
    (create(charger_type=1), "charger_type"),
    (create(max_power_kw=0), "max_power_kw"),
    (create(max_power_kw=-1), "max_power_kw"),
    (create(max_power_kw="22"), "max_power_kw"),
    (create(max_power_kw=True), "max_power_kw"),
    (create(max_power_kw=45), "max_power_kw"),  # AC above 44 kW
    (create(charger_type="DC", max_power_kw=1001), "max_power_kw"),
    (create(num_connectors=0), "num_connectors"),
    (create(num_connectors=6), "num_connectors"),
    (create(num_connectors=1.5), "num_connectors"),
    (create(num_connectors="2"), "num_connectors"),
    (create(ocpp_version="1.5"), "ocpp_version"),
    (create(ocpp_version=16), "ocpp_version"),
    (create(auth_mode="pin"), "auth_mode"),
    (create(pnc_emaid="DE_PIP_123"), "pnc_emaid"),
    (create(pnc_emaid="A" * 21), "pnc_emaid"),
    (create(rfid_tag="x" * 21), "rfid_tag"),
    (create(backend_url="http://x"), "backend_url"),
    (create(charger_name="bell\x07"), "charger_name"),
    (create(free_charging="yes"), "free_charging"),
    (create(mode="sleep"), "mode"),
    (create(user_id=5), "user_id"),
    (create(id=1), "id"),
    (create(created_at="2026-01-01"), "created_at"),
    (("POST", "/api/chargers", {"charger_type": "AC", "max_power_kw": 22}), "chargepoint_id"),
    (post("mode", {"mode": "sleep"}), "mode"),
    (post("mode", {}), "mode"),
    (post("mode", {"mode": "on", "user_id": 5}), "user_id"),
    (post("start", {"energy_kwh": 0}), "energy_kwh"),
    (post("start", {"energy_kwh": -5}), "energy_kwh"),
    (post("start", {"energy_kwh": "20"}), "energy_kwh"),
    (post("start", {"energy_kwh": 1001}), "energy_kwh"),
    (post("start", {"energy_kwh": 5, "connector_id": 0}), "connector_id"),
    (post("start", {"energy_kwh": 5, "connector_id": 2}), "connector_id"),  # 1 connector
    (post("start", {"energy_kwh": 5, "rfid_tag": "x" * 21}), "rfid_tag"),
    (post("free-charging", {"free_charging": "yes"}), "free_charging"),
    (post("free-charging", {"free_charging": 1}), "free_charging"),
    (post("free-charging", {"free_charging": None}), "free_charging"),
    (post("error", {"error_code": "Broken"}), "error_code"),
    (post("ocpp-version", {"ocpp_version": "3.0"}), "ocpp_version"),
    (post("name", {"charger_name": "x" * 101}), "charger_name"),
    (post("name", {"charger_name": "a\x07b"}), "charger_name"),
    (post("chargepoint-id", {"chargepoint_id": "bad id"}), "chargepoint_id"),
    (post("rfid", {"rfid_tag": "x" * 21}), "rfid_tag"),
    (post("rfid", {"rfid_tag": "has space"}), "rfid_tag"),
    (post("auth-config", {}), "auth_mode"),
    (post("auth-config", {"auth_mode": "x"}), "auth_mode"),
    (post("auth-config", {"auth_mode": "plug_and_charge", "pnc_emaid": "Ä1"}), "pnc_emaid"),
    (post("auth-config", {"auth_mode": "rfid", "pnc_pcid": "x" * 65}), "pnc_pcid"),
    (
        post("auth-config", {"auth_mode": "rfid", "pnc_certificate_hash": "x" * 129}),
        "pnc_certificate_hash",
    ),
    (post("backend-url", {"backend_url": "http://x"}), "backend_url"),
    (post("backend-url", {"backend_url": "ws://"}), "backend_url"),
    (post("backend-url", {"backend_url": "ws://user:pw@host"}), "backend_url"),
    (post("backend-url", {"backend_url": "ws://host#frag"}), "backend_url"),
    (post("backend-url", {"backend_url": "ws://h/" + "x" * 510}), "backend_url"),
    (post("backend-url", {"backend_url": "ws://h:0"}), "backend_url"),
    (post("num-connectors", {"num_connectors": 0}), "num_connectors"),
    (post("num-connectors", {"num_connectors": 6}), "num_connectors"),
    (post("security", {"security_profile": 3}), "security_profile"),
    (settings(heartbeat_interval=9), "heartbeat_interval"),
    (settings(heartbeat_interval=3601), "heartbeat_interval"),
    (settings(heartbeat_interval="120"), "heartbeat_interval"),
    (settings(heartbeat_interval=True), "heartbeat_interval"),
    (settings(mass_batch_size=9), "mass_batch_size"),
    (settings(mass_batch_size=2501), "mass_batch_size"),
    (settings(ocpp_backend_url="ftp://x"), "ocpp_backend_url"),
    (settings(rfid_card_id=""), "rfid_card_id"),
    (settings(unknown_key=1), "unknown_key"),
]


async def _snapshot(api: httpx.AsyncClient, user: ApiUser) -> tuple[Any, Any]:
    chargers = (await api.get("/api/chargers", headers=user.headers)).json()
    for c in chargers:  # live values may tick; configuration must not change
        for volatile in ("energy_delivered_wh", "session_energy_wh", "current_power_kw"):
            c.pop(volatile, None)
    return chargers, (await api.get("/api/settings", headers=user.headers)).json()


@pytest.fixture
async def seeded(api: httpx.AsyncClient, alice: ApiUser) -> ApiUser:
    r = await api.post(
        "/api/chargers",
        json={"chargepoint_id": CP, "charger_type": "AC", "max_power_kw": 22, "mode": "manual"},
        headers=alice.headers,
    )
    assert r.status_code == 201
    return alice


@pytest.mark.parametrize(("request_", "field"), CASES, ids=[f"{c[0][1]}:{c[1]}" for c in CASES])
async def test_bad_values_are_refused_and_change_nothing(
    api: httpx.AsyncClient, seeded: ApiUser, request_: tuple[str, str, Any], field: str
) -> None:
    method, path, body = request_
    before = await _snapshot(api, seeded)
    r = await api.request(method, path, json=body, headers=seeded.headers)
    assert r.status_code == 422, r.text
    assert list(r.json()) == ["error"]
    assert r.json()["error"].startswith(f"{field}:"), r.json()
    assert await _snapshot(api, seeded) == before


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "request body is not valid JSON"),
        (b"[]", 422, "request body must be a JSON object"),
        (b'"x"', 422, "request body must be a JSON object"),
        (b"", 422, "request body is required"),
    ],
)
async def test_malformed_bodies(
    api: httpx.AsyncClient, seeded: ApiUser, body: bytes, status: int, message: str
) -> None:
    headers = {**seeded.headers, "Content-Type": "application/json"}
    r = await api.post(f"/api/chargers/{CP}/mode", content=body, headers=headers)
    assert (r.status_code, r.json()) == (status, {"error": message})


async def test_get_has_every_field_of_the_seed(api: httpx.AsyncClient, seeded: ApiUser) -> None:
    one = (await api.get(f"/api/chargers/{CP}", headers=seeded.headers)).json()
    assert set(one) >= SEED_FIELDS
    listing = (await api.get("/api/chargers", headers=seeded.headers)).json()
    assert set(listing[0]) >= SEED_FIELDS


@pytest.mark.parametrize(
    ("what", "body", "field", "value"),
    [
        ("name", {"charger_name": "Wallbox Garage"}, "charger_name", "Wallbox Garage"),
        ("name", {"charger_name": ""}, "charger_name", ""),
        ("rfid", {"rfid_tag": "DEADBEEF"}, "rfid_tag", "DEADBEEF"),
        ("free-charging", {"free_charging": True}, "free_charging", True),
        ("error", {"error_code": "GroundFailure"}, "error_code", "GroundFailure"),
        (
            "backend-url",
            {"backend_url": "wss://csms.example/ocpp/"},
            "backend_url",
            "wss://csms.example/ocpp",
        ),
        ("mode", {"mode": "autopilot"}, "mode", "autopilot"),
        ("auth-config", {"auth_mode": "plug_and_charge"}, "auth_mode", "plug_and_charge"),
    ],
)
async def test_each_change_is_visible_afterwards(
    api: httpx.AsyncClient, seeded: ApiUser, what: str, body: dict[str, Any], field: str, value: Any
) -> None:
    r = await api.post(f"/api/chargers/{CP}/{what}", json=body, headers=seeded.headers)
    assert r.status_code == 200, r.text
    assert r.json()[field] == value
    assert (await api.get(f"/api/chargers/{CP}", headers=seeded.headers)).json()[field] == value


#: Values the schema lets through that a service refuses, with the whole answer: the sentence
#: comes from the table of limits (``ocppsim.core.limits``).
SERVICE_SENTENCES: list[tuple[tuple[str, str, Any], str]] = [
    (create(max_power_kw=45), "max_power_kw: must be between 1 and 44 for AC"),
    (
        create(chargepoint_id="has space"),
        "chargepoint_id: use 1-48 characters from A-Z a-z 0-9 . _ ~ - (OCPP charging station "
        "identity)",
    ),
    (
        create(chargepoint_id=""),
        "chargepoint_id: use 1-48 characters from A-Z a-z 0-9 . _ ~ - "
        "(OCPP charging station identity)",
    ),
    (
        post("rfid", {"rfid_tag": "has space"}),
        "rfid_tag: must be 1-20 printable ASCII characters without spaces",
    ),
    (post("name", {"charger_name": "a\x07b"}), "charger_name: must not contain control characters"),
    (
        post("start", {"energy_kwh": 5, "connector_id": 2}),
        "connector_id: must be between 1 and 1 for this charger",
    ),
    (
        post("security", {"security_profile": 1, "basic_auth_password": "short"}),
        "basic_auth_password: must be 16-64 printable ASCII characters without spaces "
        "(OCPP 2.0.1 A00.FR.205)",
    ),
    (
        ("POST", "/api/mass-charger/apply", {"target": 5, "mode": "idle", "id_prefix": "a/b"}),
        "id_prefix: at most 40 characters of A-Z a-z 0-9 . _ ~ - (ids are prefix + 00001)",
    ),
]


@pytest.mark.parametrize(
    ("request_", "error"), SERVICE_SENTENCES, ids=[e.split(":")[0] for _, e in SERVICE_SENTENCES]
)
async def test_a_service_refusal_says_the_tables_sentence(
    api: httpx.AsyncClient, seeded: ApiUser, request_: tuple[str, str, Any], error: str
) -> None:
    method, path, body = request_
    r = await api.request(method, path, json=body, headers=seeded.headers)
    assert (r.status_code, r.json()) == (422, {"error": error})
