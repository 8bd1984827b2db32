"""Charger configuration rules through the API (seed "Chargers", "Charger Configuration",
"Global Settings"); no engine runs here, so chargers show their idle state."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ocppsim.core import emaid
from tests.conftest import ApiUser


async def make(api: httpx.AsyncClient, user: ApiUser, cp: str, **fields: Any) -> httpx.Response:
    body = {"chargepoint_id": cp, "charger_type": "AC", "max_power_kw": 22, **fields}
    return await api.post("/api/chargers", json=body, headers=user.headers)


async def act(
    api: httpx.AsyncClient, user: ApiUser, cp: str, what: str, body: dict[str, Any]
) -> httpx.Response:
    return await api.post(f"/api/chargers/{cp}/{what}", json=body, headers=user.headers)


async def test_create_defaults_and_idle_state(api: httpx.AsyncClient, alice: ApiUser) -> None:
    r = await make(api, alice, "CP-1")
    assert r.status_code == 201
    c = r.json()
    assert (c["num_connectors"], c["ocpp_version"], c["auth_mode"], c["mode"]) == (
        1,
        "1.6",
        "rfid",
        "off",
    )
    assert (c["connected"], c["status"], c["transaction_id"]) == (False, "Available", None)
    assert c["connector_status"] == {"1": "Available"}
    assert (c["rfid_tag"], c["backend_url"]) == ("AABBCCDD", "ws://127.0.0.1:9000")
    assert c["heartbeat_interval"] == 300
    assert c["pnc_emaid"] == ""
    dup = await make(api, alice, "CP-1")
    assert dup.status_code == 409
    assert "exists already" in dup.json()["error"]


@pytest.mark.parametrize(
    ("what", "body"),
    [
        ("ocpp-version", {"ocpp_version": "2.0.1"}),
        ("chargepoint-id", {"chargepoint_id": "CP-NEW"}),
        ("num-connectors", {"num_connectors": 3}),
    ],
)
async def test_changes_that_need_the_charger_off(
    api: httpx.AsyncClient, alice: ApiUser, what: str, body: dict[str, Any]
) -> None:
    await make(api, alice, "CP-1", mode="on")
    refused = await act(api, alice, "CP-1", what, body)
    assert refused.status_code == 409
    assert "set mode 'off'" in refused.json()["error"]
    await act(api, alice, "CP-1", "mode", {"mode": "off"})
    done = await act(api, alice, "CP-1", what, body)
    assert done.status_code == 200, done.text
    key, value = next(iter(body.items()))
    assert done.json()[key] == value


async def test_rename(api: httpx.AsyncClient, alice: ApiUser) -> None:
    await make(api, alice, "CP-1")
    await make(api, alice, "CP-2")
    taken = await act(api, alice, "CP-1", "chargepoint-id", {"chargepoint_id": "CP-2"})
    assert taken.status_code == 409
    assert (
        await act(api, alice, "CP-1", "chargepoint-id", {"chargepoint_id": "CP-3"})
    ).status_code == 200
    assert (await api.get("/api/chargers/CP-1", headers=alice.headers)).status_code == 404
    assert (await api.get("/api/chargers/CP-3", headers=alice.headers)).status_code == 200


async def test_empty_values_fall_back_to_the_defaults(
    api: httpx.AsyncClient, alice: ApiUser
) -> None:
    await make(api, alice, "CP-1", rfid_tag="OWNTAG", backend_url="ws://own:1")
    await api.post(
        "/api/settings",
        json={"rfid_card_id": "DEFTAG", "ocpp_backend_url": "ws://default:2"},
        headers=alice.headers,
    )
    c = (await act(api, alice, "CP-1", "rfid", {"rfid_tag": ""})).json()
    assert c["rfid_tag"] == "DEFTAG"
    c = (await act(api, alice, "CP-1", "backend-url", {"backend_url": ""})).json()
    assert c["backend_url"] == "ws://default:2"
    raw = (await api.get("/api/settings", headers=alice.headers)).json()["chargers"][0]
    assert (raw["rfid_tag"], raw["backend_url"]) == ("", "")


async def test_plug_and_charge_creation(api: httpx.AsyncClient, alice: ApiUser) -> None:
    c = (await make(api, alice, "SIM-AC-001", auth_mode="plug_and_charge")).json()
    assert c["ocpp_version"] == "2.0.1"
    assert len(c["pnc_emaid"]) == 15
    assert emaid.iso_check_digit(c["pnc_emaid"][:14]) == c["pnc_emaid"][14]
    assert c["pnc_emaid"] == emaid.generate("SIM-AC-001")
    assert c["warnings"] == []
    forced = (
        await make(api, alice, "CP-2", auth_mode="plug_and_charge", ocpp_version="1.6")
    ).json()
    assert forced["ocpp_version"] == "2.0.1"
    assert any("ocpp_version" in w for w in forced["warnings"])
    own = await make(
        api, alice, "CP-3", auth_mode="plug_and_charge", pnc_emaid="de*pip*c12345678*9"
    )
    assert own.status_code == 201
    assert own.json()["pnc_emaid"] == "DEPIPC123456789"
    assert any("check digit should be '8'" in w for w in own.json()["warnings"])


async def test_auth_config(api: httpx.AsyncClient, alice: ApiUser) -> None:
    await make(api, alice, "CP-1")
    c = (
        await act(
            api, alice, "CP-1", "auth-config", {"auth_mode": "plug_and_charge", "pnc_emaid": ""}
        )
    ).json()
    generated = c["pnc_emaid"]
    assert generated == emaid.generate("CP-1")
    assert c["ocpp_version"] == "1.6"  # an existing charger keeps its version (eMAID as idTag)
    c = (
        await act(
            api, alice, "CP-1", "auth-config", {"auth_mode": "plug_and_charge", "pnc_pcid": "PCID1"}
        )
    ).json()
    assert (c["pnc_emaid"], c["pnc_pcid"]) == (generated, "PCID1")
    c = (
        await act(api, alice, "CP-1", "auth-config", {"auth_mode": "rfid", "rfid_tag": "TAG1"})
    ).json()
    assert (c["auth_mode"], c["rfid_tag"], c["pnc_emaid"]) == ("rfid", "TAG1", generated)


async def test_switching_a_plug_and_charge_charger_to_16(
    api: httpx.AsyncClient, alice: ApiUser
) -> None:
    await make(api, alice, "CP-1", auth_mode="plug_and_charge")
    c = (await act(api, alice, "CP-1", "ocpp-version", {"ocpp_version": "1.6"})).json()
    assert (c["ocpp_version"], c["auth_mode"]) == ("1.6", "plug_and_charge")


async def test_errors_and_sessions_without_an_engine(
    api: httpx.AsyncClient, alice: ApiUser
) -> None:
    await make(api, alice, "CP-1")
    c = (await act(api, alice, "CP-1", "error", {"error_code": "GroundFailure"})).json()
    assert (c["error_code"], c["status"], c["connector_status"]) == (
        "GroundFailure",
        "Faulted",
        {"1": "Faulted"},
    )
    c = (await act(api, alice, "CP-1", "error", {"error_code": "NoError"})).json()
    assert c["status"] == "Available"
    off = await act(api, alice, "CP-1", "start", {"energy_kwh": 5})
    assert off.status_code == 409
    assert "is off" in off.json()["error"]
    await act(api, alice, "CP-1", "mode", {"mode": "autopilot"})
    auto = await act(api, alice, "CP-1", "start", {"energy_kwh": 5})
    assert auto.status_code == 409
    assert "autopilot" in auto.json()["error"]
    bad = await act(api, alice, "CP-1", "start", {"energy_kwh": 5, "connector_id": 2})
    assert bad.status_code == 422


async def test_delete(api: httpx.AsyncClient, alice: ApiUser) -> None:
    await make(api, alice, "CP-1")
    assert (await api.delete("/api/chargers/CP-1", headers=alice.headers)).status_code == 204
    assert (await api.get("/api/chargers/CP-1", headers=alice.headers)).status_code == 404
    assert (await api.delete("/api/chargers/CP-1", headers=alice.headers)).status_code == 404


async def test_settings_shape_and_partial_updates(api: httpx.AsyncClient, alice: ApiUser) -> None:
    await make(api, alice, "CP-1", auth_mode="plug_and_charge")
    s = (await api.get("/api/settings", headers=alice.headers)).json()
    assert s["settings"] == {
        "ocpp_backend_url": "ws://127.0.0.1:9000",
        "rfid_card_id": "AABBCCDD",
        "heartbeat_interval": "300",
        "mass_batch_size": "50",
        "log_retention_records": "100000",
        "log_retention_days": "7",
    }
    assert set(s["chargers"][0]) == {
        "chargepoint_id", "charger_type", "mode", "num_connectors", "backend_url", "rfid_tag",
        "auth_mode", "pnc_emaid", "pnc_pcid", "pnc_certificate_hash",
    }  # fmt: skip
    changed = (
        await api.post("/api/settings", json={"heartbeat_interval": 120}, headers=alice.headers)
    ).json()
    assert changed["settings"]["heartbeat_interval"] == "120"
    assert changed["settings"]["mass_batch_size"] == "50"
    same = (await api.post("/api/settings", json={}, headers=alice.headers)).json()
    assert same == changed
    c = (await api.get("/api/chargers/CP-1", headers=alice.headers)).json()
    assert c["heartbeat_interval"] == 120
