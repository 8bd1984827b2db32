"""``ocppsim serve`` in a subprocess with its own data dir and ports, reached over real sockets."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

KEY_RE = re.compile(r"ocps_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    key: str
    #: The first user's password, as printed at the first start.
    password: str
    output: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    #: Keys handed out by ``add_user`` (tests check that none reaches a log line).
    issued: list[str] = field(default_factory=list)

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def kill_and_restart(self) -> None:
        """kill -9 the server, then start it again on the same data and ports (its chargers
        resume their mode)."""
        self.process.kill()
        self.process.wait(timeout=10)
        with self.output.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ocppsim", "serve"],
                env=self.env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                cwd=self.output.parent,
            )
        _wait_healthy(self.url, self.process, self.output)

    def add_user(self, name: str) -> str:
        """Create a user with the CLI (same database); returns its API key."""
        done = cli(self.env, "user", "add", name, "--password", "a long password")
        match = KEY_RE.search(done.stdout)
        assert match, done.stdout
        self.issued.append(match.group(0))
        return match.group(0)


def data_env(data_dir: Path, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment with ``extra_env``, the data in ``data_dir`` and no
    ``OCPPSIM_DATABASE_URL`` (so the database is the data dir's SQLite file)."""
    env = {**os.environ, **(extra_env or {}), "OCPPSIM_DATA_DIR": str(data_dir)}
    env.pop("OCPPSIM_DATABASE_URL", None)
    return env


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``ocppsim <args>`` with ``env``; raises CalledProcessError if it fails."""
    return subprocess.run(
        [sys.executable, "-m", "ocppsim", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


@contextmanager
def run_server(tmp: Path, extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """``ocppsim serve`` with its data in ``tmp/data``, its output in ``tmp/server.log`` and
    free ports for the API and the embedded demo CSMS; stopped when the block ends."""
    port = free_port()
    env = {
        **data_env(tmp / "data", extra_env),
        "OCPPSIM_PORT": str(port),
        "OCPPSIM_DEMO_CSMS_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    output = tmp / "server.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "ocppsim", "serve"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=tmp,
        )
    url = f"http://127.0.0.1:{port}"
    server: Server | None = None
    try:
        _wait_healthy(url, process, output)
        text = output.read_text()
        keys = KEY_RE.findall(text)
        password = re.search(r"password: (\S+)", text)
        assert keys, text
        assert password, text
        server = Server(url, keys[0], password.group(1), output, env, process)
        yield server
    finally:
        running = server.process if server is not None else process
        running.terminate()
        running.wait(timeout=10)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], output: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"server did not start:\n{output.read_text()}")
        time.sleep(0.05)
