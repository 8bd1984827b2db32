"""A load-test worker process: holds one shard of every run, answers the pool over a pipe.

    python -m ocppsim.loadtest.worker --shard 0 --shards 2

Requests arrive on stdin and answers leave on stdout, one JSON object per line:
``{"id": 7, "op": "apply", "run": "user-1", "plan": {...}}`` is answered by
``{"id": 7, "ok": true, "result": ...}`` (or ``"ok": false, "error": "..."``). Operations:
``apply`` (take a plan, answer at once), ``settled`` (wait until the plan is reached),
``stats``, ``errors``, ``clear_errors``, ``stop`` (remove the run's chargers) and ``exit``.
Each request runs in its own task, so a slow ``stop`` never delays ``stats``. Logging goes to
stderr; nothing else writes to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import sys
import zlib
from typing import Any

import orjson

from ocppsim.loadtest.engine import LoadEngine
from ocppsim.loadtest.plan import Plan
from ocppsim.loadtest.preflight import raise_open_file_limit

log = logging.getLogger("ocppsim.loadtest.worker")

#: How much lower than the server a worker runs (see ``main``).
NICENESS = 5


class Worker:
    def __init__(self, shard: int, shards: int) -> None:
        self.shard = shard
        self.shards = shards
        self.engines: dict[str, LoadEngine] = {}
        self.exit = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    def _engine(self, run: str) -> LoadEngine:
        engine = self.engines.get(run)
        if engine is None:
            engine = self.engines[run] = LoadEngine(
                self.shard, self.shards, seed=zlib.crc32(run.encode())
            )
        return engine

    async def handle(self, request: dict[str, Any]) -> Any:
        op = request.get("op")
        run = str(request.get("run", ""))
        match op:
            case "apply":
                self._engine(run).apply(Plan.from_json(request["plan"]))
                return None
            case "settled":
                engine = self.engines.get(run)
                if engine is not None:
                    await engine.settled(float(request.get("wait", 60.0)))
                return None
            case "stats":
                engine = self.engines.get(run)
                return engine.snapshot().to_json() if engine is not None else None
            case "errors":
                engine = self.engines.get(run)
                return [e.to_json() for e in engine.error_list()] if engine is not None else []
            case "clear_errors":
                engine = self.engines.get(run)
                if engine is not None:
                    engine.clear_errors()
                return None
            case "stop":
                engine = self.engines.pop(run, None)
                if engine is not None:
                    await engine.close()
                return None
            case "exit":
                self.exit.set()
                return None
        raise ValueError(f"unknown operation {op!r}")

    async def _answer(self, request: dict[str, Any]) -> None:
        reply: dict[str, Any] = {"id": request.get("id")}
        try:
            reply["result"] = await self.handle(request)
            reply["ok"] = True
        except TimeoutError:
            reply.update(ok=False, error="timed out")
        except Exception as exc:
            log.exception("worker request %r failed", request.get("op"))
            reply.update(ok=False, error=f"{type(exc).__name__}: {exc}")
        os.write(sys.stdout.fileno(), orjson.dumps(reply) + b"\n")

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=1 << 24)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while not self.exit.is_set():
            line = await reader.readline()
            if not line:  # the pool went away: stop everything
                break
            try:
                request = orjson.loads(line)
            except orjson.JSONDecodeError:
                log.error("unreadable request line %.200r", line)
                continue
            task = loop.create_task(self._answer(request))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        for engine in self.engines.values():
            with contextlib.suppress(Exception):
                await engine.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="ocppsim load-test worker (started by the pool)")
    parser.add_argument("--shard", type=int, required=True)
    parser.add_argument("--shards", type=int, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s: %(message)s")
    raise_open_file_limit()
    # Below the API process: when chargers and the API want the same core, the API answers
    # first (its p99 must stay low while a run ramps); alone, a worker still gets every cycle.
    os.nice(NICENESS)
    # Fewer young-generation collections during a ramp that allocates thousands of chargers.
    gc.set_threshold(50_000, 50, 100)
    worker = Worker(args.shard, args.shards)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency off Windows
        asyncio.run(worker.serve())
    else:
        uvloop.run(worker.serve())


if __name__ == "__main__":
    main()
