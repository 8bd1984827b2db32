"""The real server: ``ocppsim serve`` in a subprocess, reached over a real socket.

Proves the README's first-run story (a first user and key printed once), that the README's curl
examples work as written, and that no API key ever reaches a log line (access log included).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import KEY_RE, Server, cli, data_env, run_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with run_server(tmp_path_factory.mktemp("server")) as running:
        yield running


def test_first_start_prints_a_working_key_once(server: Server) -> None:
    text = server.log()
    assert "Created the first user" in text
    assert "user:     admin" in text
    r = httpx.get(f"{server.url}/api/me", headers={"X-API-Key": server.key})
    assert r.json() == {"name": "admin", "is_admin": True}


def test_a_second_start_creates_no_user_and_prints_no_key(tmp_path: Path) -> None:
    env = data_env(tmp_path)
    add = cli(env, "user", "add", "carol", "--password", "long enough pw")
    assert KEY_RE.search(add.stdout)
    listed = cli(env, "user", "list")
    assert listed.stdout.startswith("carol\tuser\t")


def _readme_curl_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    tour = text.split("## A short tour", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", tour, flags=re.S)
    # The demo CSMS in the test server listens on a free port, not 9000.
    return [b for b in blocks if "curl" in b and "export" not in b]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_readme_curl_examples_work_as_written(server: Server) -> None:
    blocks = _readme_curl_blocks()
    assert len(blocks) >= 7
    env = {**os.environ, "KEY": server.key, "API": server.url}
    csms = httpx.get(f"{server.url}/api/settings", headers={"X-API-Key": server.key})
    backend = csms.json()["settings"]["ocpp_backend_url"]
    for block in blocks:
        block = block.replace("ws://127.0.0.1:9000", backend)
        script = "set -e\n" + block.replace("curl -s", "curl -sS --fail-with-body")
        expect_failure = '"error"' in block
        result = subprocess.run(
            ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=30
        )
        if expect_failure:
            assert result.returncode != 0
            assert '{"error":"num_connectors:' in result.stdout
        else:
            assert result.returncode == 0, f"{block}\n{result.stdout}\n{result.stderr}"
    charger = httpx.get(
        f"{server.url}/api/chargers/SIM-AC-001", headers={"X-API-Key": server.key}
    ).json()
    assert charger["charger_name"] == "Wallbox Garage"
    assert charger["rfid_tag"] == "DEADBEEF"
    dc = httpx.get(f"{server.url}/api/chargers/SIM-DC-001", headers={"X-API-Key": server.key})
    assert dc.json()["ocpp_version"] == "2.0.1"
    assert dc.json()["security_profile"] == 1
    assert charger["connected"] is True  # autopilot connected it to the demo CSMS
    assert dc.json()["last_authorization"] == "Accepted, certificate Accepted"
    manual = httpx.get(f"{server.url}/api/chargers/SIM-AC-002", headers={"X-API-Key": server.key})
    assert manual.json()["error_code"] == "HighTemperature"
    assert manual.json()["ocpp_version"] == "2.1"


def test_no_key_reaches_any_log_line(server: Server) -> None:
    headers = {"X-API-Key": server.key}
    issued = httpx.post(f"{server.url}/api/me/api-keys", headers=headers).json()["key"]
    fake = "ocps_AAAAAAAA_" + "B" * 43
    for key in (server.key, issued, fake):
        httpx.get(f"{server.url}/api/chargers", params={"api_key": key})
        httpx.get(f"{server.url}/api/nope", params={"api_key": key, "x": "1"})
        httpx.get(f"{server.url}/api/chargers/SIM-X", headers={"X-API-Key": key})
        httpx.get(f"{server.url}/api/me?x=1&api_key={key}&y=2")
    text = server.log()
    assert "GET /api/chargers?api_key=[REDACTED]" in text  # the access log is on, and scrubbed
    assert text.count(server.key) == 1  # the first-run banner, printed once, not a log line
    for key in (issued, fake):
        assert key not in text
    assert issued[14:] not in text


def test_first_run_with_the_embedded_demo_csms_charges(tmp_path: Path) -> None:
    """``ocppsim serve`` alone: a new user's charger dials the built-in demo CSMS and charges."""
    with run_server(tmp_path) as running:
        url, key = running.url, running.key
        csms_port = running.env["OCPPSIM_DEMO_CSMS_PORT"]
        headers = {"X-API-Key": key}
        body = {
            "chargepoint_id": "FIRST-1",
            "charger_type": "AC",
            "max_power_kw": 11,
            "mode": "manual",
        }
        assert httpx.post(f"{url}/api/chargers", json=body, headers=headers).status_code == 201
        charger = _wait(url, headers, lambda c: c["connected"])
        assert charger["backend_url"] == f"ws://127.0.0.1:{csms_port}"
        r = httpx.post(f"{url}/api/chargers/FIRST-1/start", json={"energy_kwh": 5}, headers=headers)
        assert r.status_code == 200, r.text
        charger = _wait(url, headers, lambda c: c["status"] == "Charging")
        assert charger["transaction_id"] is not None
    assert key not in running.log().split("API key:", 1)[1].split("\n", 1)[1]


def _wait(url: str, headers: dict[str, str], check: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        charger: dict[str, Any] = httpx.get(f"{url}/api/chargers/FIRST-1", headers=headers).json()
        if check(charger):
            return charger
        assert time.monotonic() < deadline, charger
        time.sleep(0.05)
