"""(b) Round trip of cheap requests: sequential `getUserAgent` and `account/read`.

The warm-up is paced (one request every 10 ms) rather than a flood, so that work a server does
in the background right after `initialize` (pycodex loads its models then) can finish.
Note: the reference runs `lsb_release -a`, `uname` and `getconf` on every `getUserAgent`
(~16 ms); `account/read` is its cheap path, the one reference-behaviour.md measured.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Sequence

from bench.harness import (
    BenchError,
    Context,
    Figure,
    Process,
    Refused,
    Server,
    percentile,
    spawn_initialized,
)

METHODS: dict[str, dict[str, object] | None] = {"getUserAgent": None, "account/read": {}}


def _warm_up(process: Process, ids: itertools.count[int], seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        process.request({"id": next(ids), "method": "getUserAgent"})
        time.sleep(0.010)


def _latencies(
    process: Process, ids: itertools.count[int], method: str, requests: int
) -> list[float]:
    """Milliseconds per request, write to reply read, one request in flight at a time."""
    params = METHODS[method]
    template = {"id": 0, "method": method} | ({} if params is None else {"params": params})
    out: list[float] = []
    for _ in range(requests):
        request_id = next(ids)
        line = json.dumps(template | {"id": request_id}, separators=(",", ":")).encode() + b"\n"
        start = time.perf_counter_ns()
        process.send_line(line)
        process.read_reply(request_id)
        out.append((time.perf_counter_ns() - start) / 1e6)
    return out


def _session(
    server: Server,
    ctx: Context,
    rows: dict[str, tuple[Figure, Figure]],
    requests: int,
    warmup: float,
) -> None:
    process, _ = spawn_initialized(server, ctx)
    try:
        with process.guarded(warmup + ctx.timeout * len(rows)):
            ids = itertools.count(1)
            _warm_up(process, ids, warmup)
            for method, (p50, p99) in rows.items():
                try:
                    latencies = _latencies(process, ids, method, requests)
                except Refused as refusal:
                    p50.notes[server.name] = p99.notes[server.name] = f"error: {refusal}"
                    continue
                p50.add(server.name, percentile(latencies, 0.50))
                p99.add(server.name, percentile(latencies, 0.99))
        process.close()
    except BaseException:
        process.kill()
        raise


def run(
    servers: Sequence[Server], ctx: Context, repeats: int, requests: int, warmup: float
) -> list[Figure]:
    """`repeats` sessions per server, alternating; each warms up, then times every method."""
    rows: dict[str, tuple[Figure, Figure]] = {}
    for method in METHODS:
        label = f"`{method}` round trip {{}}, {requests} sequential, median of {repeats}"
        rows[method] = (Figure(label.format("p50"), "ms"), Figure(label.format("p99"), "ms"))
    for round_index in range(repeats):
        for server in ctx.alive(servers, round_index):
            try:
                _session(server, ctx, rows, requests, warmup)
            except (BenchError, OSError, ValueError) as error:
                ctx.fail(server, error)
    return [figure for pair in rows.values() for figure in pair]
