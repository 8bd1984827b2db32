import httpx

from tests.conftest import ApiUser


async def test_create_and_get(api: httpx.AsyncClient, alice: ApiUser) -> None:
    r = await api.post(
        "/api/chargers",
        json={"chargepoint_id": "SIM-AC-001", "charger_type": "AC", "max_power_kw": 22},
        headers=alice.headers,
    )
    assert r.status_code == 201, r.text
    r = await api.get("/api/chargers/SIM-AC-001", headers=alice.headers)
    assert r.status_code == 200, r.text
    print(r.json())
