"""(d) Streaming: one turn whose fake model streams N one-character deltas.

Per server: deltas/s between the first and the last `item/agentMessage/delta`, `turn/start` to
`turn/completed`, and the server's CPU time (user + system, its whole process tree) per delta
over the turn. The reference also writes two legacy `codex/event/*` lines per delta (S1); they
are read and ignored, as a v2 client would.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence

from bench.harness import Context, Figure, Server, spawn_initialized
from tests.kit.fake_responses import FakeResponses, SseReply, message_events

_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` and its reaped children (/proc/<pid>/stat fields 14-17)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / _TICKS


def _one_turn(server: Server, ctx: Context, fake: FakeResponses, deltas: int) -> dict[str, float]:
    fake.enqueue(SseReply(message_events("x" * deltas, chunks=deltas)))
    process, _ = spawn_initialized(server, ctx)
    try:
        with process.guarded(ctx.timeout * 4):
            thread = process.request({"id": 1, "method": "thread/start", "params": {}})
            thread_id = thread["result"]["thread"]["id"]
            pid = process.proc.pid
            cpu_before = _cpu_seconds(pid)
            started = time.perf_counter()
            process.send(
                {
                    "id": 2,
                    "method": "turn/start",
                    "params": {"threadId": thread_id, "input": [{"type": "text", "text": "go"}]},
                }
            )
            first = last = 0.0
            seen = 0
            stdout = process.proc.stdout
            assert stdout is not None
            while True:
                line = stdout.readline()
                if not line:
                    raise RuntimeError(f"{server.name} closed stdout mid-turn")
                method = json.loads(line).get("method")
                if method == "item/agentMessage/delta":
                    last = time.perf_counter()
                    if not seen:
                        first = last
                    seen += 1
                elif method == "turn/completed":
                    ended = time.perf_counter()
                    break
            cpu = _cpu_seconds(pid) - cpu_before
        process.close()
    except BaseException:
        process.kill()
        raise
    if seen != deltas:
        raise RuntimeError(f"{server.name} forwarded {seen} of {deltas} deltas")
    return {
        "rate": (seen - 1) / (last - first) if last > first else float("nan"),
        "span": last - first,
        "turn": ended - started,
        "cpu_per_delta": cpu / seen * 1e6,
    }


def run(
    servers: Sequence[Server], ctx: Context, deltas: int = 20_000, repeats: int = 3
) -> list[Figure]:
    rate = Figure(f"streaming: deltas/s, first → last of {deltas} (higher is better)", "deltas/s")
    span = Figure(f"streaming: first → last delta of {deltas}", "s")
    turn = Figure("streaming: turn/start → turn/completed", "s")
    cpu = Figure("streaming: server CPU per delta (process tree)", "us")
    with FakeResponses() as fake:
        # This group's own fake model; run directories keep coming from the shared counter.
        saved_port, ctx.port = ctx.port, fake.port
        try:
            for round_index in range(repeats):
                for server in ctx.alive(servers, round_index):
                    try:
                        figures = _one_turn(server, ctx, fake, deltas)
                    except Exception as exc:  # a failing server is reported, not fatal
                        ctx.fail(server, exc)
                        continue
                    rate.add(server.name, figures["rate"])
                    span.add(server.name, figures["span"])
                    turn.add(server.name, figures["turn"])
                    cpu.add(server.name, figures["cpu_per_delta"])
        finally:
            ctx.port = saved_port
    return [rate, span, turn, cpu]
