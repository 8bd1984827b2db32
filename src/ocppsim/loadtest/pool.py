"""The worker pool: load-test engines in their own processes, one per core by default.

The API's event loop must not share a core with thousands of chargers (DESIGN.md: its p99 went
from under 8 ms to 170-550 ms with the engine in-process), and one process holds at most about
20,000 sockets here. So each worker process holds shard ``i`` of every run, and the pool talks
to them over pipes (``worker``'s JSON lines), fans a run's commands out and merges the answers.
A worker that dies is started again on the next request, and the next stats read sends it its
runs' plans again, so its chargers are built and ramped anew.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import sys
import time
from typing import Any

import orjson

from ocppsim.loadtest.plan import Plan
from ocppsim.loadtest.stats import ERROR_LIMIT, ErrorEntry, RunTotals, ShardStats, merge

log = logging.getLogger("ocppsim.loadtest")

#: How long the pool waits for a worker's answer to a quick request.
REQUEST_TIMEOUT = 10.0


class WorkerError(Exception):
    """A worker did not answer, or answered with an error."""


class _WorkerExited(WorkerError):
    """The worker process ended while a request waited for it."""


class _Worker:
    def __init__(self, index: int, shards: int) -> None:
        self.index = index
        self.shards = shards
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()
        #: How often the process was started: a change means its shards are gone.
        self.starts = 0

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def ensure_started(self) -> None:
        async with self._lock:
            if self.alive:
                return
            if self.process is not None:
                log.warning(
                    "load-test worker %d exited (code %s); starting it again",
                    self.index,
                    self.process.returncode,
                )
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "ocppsim.loadtest.worker",
                f"--shard={self.index}",
                f"--shards={self.shards}",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=1 << 24,
            )
            self._reader = asyncio.create_task(self._read(self.process))
            self.starts += 1

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while True:
            line = await process.stdout.readline()
            if not line:
                break
            try:
                reply = orjson.loads(line)
            except orjson.JSONDecodeError:
                log.error("worker %d wrote an unreadable line %.200r", self.index, line)
                continue
            future = self._waiting.pop(reply.get("id"), None)
            if future is None or future.done():
                continue
            if reply.get("ok"):
                future.set_result(reply.get("result"))
            else:
                future.set_exception(WorkerError(str(reply.get("error"))))
        await process.wait()
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(
                    _WorkerExited(f"load-test worker {self.index} exited ({process.returncode})")
                )
        self._waiting.clear()

    async def request(self, op: str, timeout: float, **fields: Any) -> Any:
        """Send one request and wait for its answer; a worker found dead is started again
        (once) before the request gives up."""
        for attempt in (1, 2):
            await self.ensure_started()
            process = self.process
            assert process is not None
            assert process.stdin is not None
            request_id = next(self._ids)
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._waiting[request_id] = future
            try:
                process.stdin.write(orjson.dumps({"id": request_id, "op": op, **fields}) + b"\n")
                await process.stdin.drain()
                async with asyncio.timeout(timeout):
                    return await future
            except (ConnectionError, BrokenPipeError, _WorkerExited):
                if attempt == 2:
                    raise WorkerError(f"load-test worker {self.index} is gone") from None
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(5.0):
                        await process.wait()  # it died: let ensure_started see that
            except TimeoutError:
                raise WorkerError(f"load-test worker {self.index} did not answer {op}") from None
            finally:
                self._waiting.pop(request_id, None)
        raise AssertionError("unreachable")

    async def close(self) -> None:
        process = self.process
        if process is None:
            return
        if process.returncode is None:
            # End of input: the worker disconnects its chargers and exits.
            if process.stdin is not None:
                process.stdin.close()
            try:
                async with asyncio.timeout(15.0):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader
        self.process = None


def pool_size(workers: int | None) -> int:
    """How many worker processes a pool of ``workers`` has (None: one per core)."""
    return max(1, workers or os.cpu_count() or 1)


class WorkerPool:
    """``workers`` processes (default: one per core), started on first use."""

    def __init__(self, workers: int | None = None) -> None:
        self.size = pool_size(workers)
        self._workers = [_Worker(i, self.size) for i in range(self.size)]

    async def start(self) -> None:
        await asyncio.gather(*(w.ensure_started() for w in self._workers))

    def pids(self) -> list[int]:
        return [w.process.pid for w in self._workers if w.process is not None and w.alive]

    def starts(self) -> list[int]:
        return [w.starts for w in self._workers]

    async def request(
        self, index: int, op: str, timeout: float = REQUEST_TIMEOUT, **fields: Any
    ) -> Any:
        return await self._workers[index].request(op, timeout, **fields)

    async def broadcast(
        self, op: str, timeout: float = REQUEST_TIMEOUT, **fields: Any
    ) -> list[Any]:
        return list(
            await asyncio.gather(*(w.request(op, timeout, **fields) for w in self._workers))
        )

    async def close(self) -> None:
        await asyncio.gather(*(w.close() for w in self._workers))


class LoadTest:
    """One run (``key``) across the pool: every worker holds its shard."""

    def __init__(self, pool: WorkerPool, key: str) -> None:
        self.pool = pool
        self.key = key
        self.plan: Plan | None = None
        self.started_at: float | None = None
        self._rate_sample: tuple[float, int] | None = None
        self._rate = 0.0
        self._starts: list[int] = []

    async def apply(self, plan: Plan) -> None:
        if self.plan is None:
            self.started_at = time.time()
        self.plan = plan
        await self.pool.broadcast("apply", run=self.key, plan=plan.to_json())
        self._starts = self.pool.starts()

    async def _recover(self) -> None:
        """A worker that was started again lost its shard: send it the plan once more, and
        its chargers are built and ramped anew."""
        plan = self.plan
        starts = self.pool.starts()
        if plan is None or starts == self._starts:
            return
        for index, (now, then) in enumerate(zip(starts, self._starts, strict=True)):
            if now != then:
                log.warning("re-applying run %s to restarted worker %d", self.key, index)
                await self.pool.request(index, "apply", run=self.key, plan=plan.to_json())
        self._starts = starts

    async def settled(self, timeout: float = 120.0) -> None:
        """Wait until every shard reached the plan (raises WorkerError after ``timeout``)."""
        await self.pool.broadcast("settled", timeout + 5.0, run=self.key, wait=timeout)

    async def stats(self) -> RunTotals:
        """Every shard's stats merged, with the message rate (sent and received, per second,
        over at least the last half second)."""
        replies = await self.pool.broadcast("stats", run=self.key)
        await self._recover()
        total = merge([ShardStats.from_json(s) for s in replies if s])
        now = time.monotonic()
        messages = total.messages_sent + total.messages_received
        sample = self._rate_sample
        if sample is None:
            self._rate_sample = (now, messages)
        elif now - sample[0] >= 0.5:
            self._rate = max(0.0, (messages - sample[1]) / (now - sample[0]))
            self._rate_sample = (now, messages)
        return RunTotals(total, round(self._rate, 1), self.pool.size)

    async def errors(self) -> list[ErrorEntry]:
        """The newest errors first, at most ``ERROR_LIMIT`` over every shard."""
        lists = await self.pool.broadcast("errors", run=self.key)
        entries = [ErrorEntry.from_json(e) for shard in lists for e in shard]
        entries.sort(key=lambda e: e.time, reverse=True)
        return entries[:ERROR_LIMIT]

    async def clear_errors(self) -> None:
        await self.pool.broadcast("clear_errors", run=self.key)

    async def stop(self) -> None:
        """Disconnect and remove every charger of the run."""
        await self.pool.broadcast("stop", 60.0, run=self.key)
        self.plan = None
        self.started_at = None
