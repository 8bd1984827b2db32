"""Property-based fuzzing of the whole REST API with schemathesis against a real server.

No input may cause a 5xx, and every response must match the OpenAPI document (status code,
content type, body schema). Fixed seed (derandomized), so CI is reproducible. The server runs
with chargers disabled, so fuzzed backend URLs are never dialed.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ocppsim.api import create_app
from ocppsim.config import Config
from ocppsim.services.container import Services
from ocppsim.store.db import sqlite_url

EXAMPLES = 40
SEEDED = ["SIM-AC-001", "SIM-DC-002", "PNC-003"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    url = sqlite_url(tmp_path_factory.mktemp("fuzz") / "ocppsim.db")

    async def first_user() -> str:
        services = await Services.open(url)
        try:
            new = await services.accounts.create_user(
                "fuzz", "fuzzing password", backend_url="ws://127.0.0.1:9"
            )
            return new.key.key
        finally:
            await services.close()

    key = asyncio.run(first_user())
    port = _free_port()
    app = create_app(Config(database_url=url, demo_csms=False, run_chargers=False))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    headers = {"X-API-Key": key}
    for n, cp in enumerate(SEEDED):
        body: dict[str, Any] = {
            "chargepoint_id": cp,
            "charger_type": "DC" if n else "AC",
            "max_power_kw": 22,
        }
        if cp.startswith("PNC"):
            body["auth_mode"] = "plug_and_charge"
        assert httpx.post(f"{base}/api/chargers", json=body, headers=headers).status_code == 201
    try:
        yield base, key
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_no_input_breaks_the_api(server: tuple[str, str]) -> None:
    base, key = server
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    checks = [
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
        content_type_conformance,
    ]
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())  # type: ignore[union-attr]
        # The SSE stream never ends by itself; tests/integration/test_logs_stream.py covers it.
        if op.path != "/api/logs/stream"
    ]
    assert len(operations) >= 20
    calls = 0
    for operation in operations:
        run = _fuzz(operation, key, checks)
        run()
        calls += run.calls
    assert calls >= len(operations) * 10
    # The fuzzing never broke authentication or the store.
    assert httpx.get(f"{base}/api/me", headers={"X-API-Key": key}).status_code == 200


def _fuzz(operation: Any, key: str, checks: list[Any]) -> Any:
    """A hypothesis test for one operation; its ``calls`` attribute counts the requests."""
    uses_charger = "{chargepoint_id}" in operation.path

    @hypothesis.given(case=operation.as_strategy(), existing=st.sampled_from([*SEEDED, None]))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any, existing: str | None) -> None:
        if uses_charger and existing is not None:
            case.path_parameters["chargepoint_id"] = existing  # reach real chargers too
        case.call_and_validate(headers={"X-API-Key": key}, checks=checks)
        run.calls += 1  # type: ignore[attr-defined]

    run.calls = 0  # type: ignore[attr-defined]
    return run
