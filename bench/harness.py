"""The shared harness: the servers under test, a lean blocking client, and small statistics.

The client reads stdout with a blocking readline in the calling thread: no reader thread and
no queue, so a round trip costs the client as little as possible and both servers pay the same.
Each spawn gets a fresh home from tests/kit/home.py, like the differential tests.
"""

from __future__ import annotations

import contextlib
import json
import math
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bench.memory import MemorySampler
from tests.kit.home import make_home

INITIALIZE = {
    "id": 0,
    "method": "initialize",
    "params": {"clientInfo": {"name": "bench", "title": "Benchmark", "version": "0.1.0"}},
}


class BenchError(RuntimeError):
    """A server failed to start or to answer; the benchmark reports it and carries on."""


class Refused(BenchError):
    """The server answered with a JSON-RPC error (e.g. a method pycodex lacks so far)."""


@dataclass(frozen=True)
class Server:
    name: str
    argv: Sequence[str]


@dataclass
class Figure:
    """One table row: per server, the figure of each repeat; `summary` folds them to one."""

    metric: str
    unit: str
    values: dict[str, list[float]] = field(default_factory=dict)
    summary: Callable[[Sequence[float]], float] = statistics.median
    notes: dict[str, str] = field(default_factory=dict)  # why a server has no figure

    def add(self, server: str, value: float) -> None:
        self.values.setdefault(server, []).append(value)


@dataclass
class Context:
    """What every metric needs: where to put run dirs, the fake model port, the sampler.

    `failures` holds the first error of each server; later metric groups skip that server.
    """

    base: Path
    port: int
    sampler: MemorySampler
    timeout: float = 30.0
    failures: dict[str, str] = field(default_factory=dict)
    _count: int = field(default=0, repr=False)

    def new_root(self, server: Server) -> Path:
        self._count += 1
        return self.base / f"{server.name}-{self._count}"

    def alive(self, servers: Sequence[Server], round_index: int) -> list[Server]:
        """Servers still in the running, in an order that alternates from round to round."""
        ordered = list(servers) if round_index % 2 == 0 else list(reversed(servers))
        return [server for server in ordered if server.name not in self.failures]

    def fail(self, server: Server, error: BaseException) -> None:
        self.failures.setdefault(server.name, f"{type(error).__name__}: {error}")


class Process:
    """One server process and a blocking line client on its pipes."""

    def __init__(self, server: Server, ctx: Context) -> None:
        home = make_home(ctx.new_root(server), ctx.port)
        self.server = server
        self.stderr_path = home.root / "stderr.log"
        self._stderr: IO[bytes] = self.stderr_path.open("wb")
        self._timeout = ctx.timeout
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            list(server.argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=home.env,
            cwd=home.cwd,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._stdin = self.proc.stdin
        self._stdout = self.proc.stdout
        ctx.sampler.watch(server.name, self.proc.pid)

    def send(self, message: dict[str, Any]) -> None:
        self.send_line(json.dumps(message, separators=(",", ":")).encode() + b"\n")

    def send_line(self, line: bytes) -> None:
        self._stdin.write(line)
        self._stdin.flush()

    def read_reply(self, request_id: int) -> dict[str, Any]:
        """Read lines until the reply to `request_id`; notifications are skipped."""
        while True:
            line = self._stdout.readline()
            if not line:
                raise BenchError(f"{self.server.name} closed stdout{self._stderr_tail()}")
            message = json.loads(line)
            if message.get("id") == request_id and "method" not in message:
                if "error" in message:
                    raise Refused(str(message["error"].get("message")))
                return dict(message)

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        self.send(message)
        return self.read_reply(int(message["id"]))

    @contextmanager
    def guarded(self, seconds: float | None = None) -> Iterator[None]:
        """Kill the server if the block is still running after `seconds` (a hang)."""
        timer = threading.Timer(seconds or self._timeout, self.proc.kill)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def close(self) -> None:
        """EOF on stdin; the server must exit by itself."""
        with contextlib.suppress(BrokenPipeError):
            self._stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise BenchError(f"{self.server.name} did not exit on stdin EOF") from None
        finally:
            self._stderr.close()

    def kill(self) -> None:
        """For failure paths: the server process only (its helpers die with it)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        with contextlib.suppress(OSError):
            self._stdin.close()
        self._stderr.close()

    def _stderr_tail(self) -> str:
        text = self.stderr_path.read_text(encoding="utf-8", errors="replace")
        return "; stderr: " + " | ".join(text.splitlines()[-5:])


def spawn_initialized(server: Server, ctx: Context) -> tuple[Process, float]:
    """Spawn, send `initialize` at once, and return the process and seconds to its reply."""
    process = Process(server, ctx)
    try:
        with process.guarded():
            process.send(INITIALIZE)
            process.read_reply(0)
            elapsed = time.perf_counter() - process.started
            process.send({"method": "initialized"})
    except BaseException:
        process.kill()
        raise
    return process, elapsed


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; enough for 1000 samples, and easy to check by hand."""
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]
