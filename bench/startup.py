"""(a) Start-up: process spawn until the `initialize` response has been read."""

from __future__ import annotations

from collections.abc import Sequence

from bench.harness import BenchError, Context, Figure, Server, spawn_initialized


def run(servers: Sequence[Server], ctx: Context, spawns: int) -> list[Figure]:
    """`spawns` fresh processes per server, alternating, each closed right after initialize."""
    figure = Figure(f"spawn → `initialize` response, median of {spawns}", "ms")
    for round_index in range(spawns):
        for server in ctx.alive(servers, round_index):
            try:
                process, seconds = spawn_initialized(server, ctx)
                process.close()
            except (BenchError, OSError, ValueError) as error:
                ctx.fail(server, error)
                continue
            figure.add(server.name, seconds * 1000)
    return [figure]
