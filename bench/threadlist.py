"""(d) `thread/list` with 10,000 rollouts: the first page (limit 25) and a full paging walk.

Generates synthetic rollouts in the reference's format and sizes (one text turn each, ~20 KB:
session_meta with long base instructions, the initial context, turn_context) spread over 100
days, then times `pycodex.store` in-process and, through `run()`, each server over the wire.
Standalone: `uv run python bench/threadlist.py [--count N] [--repeats R] [--reference]`.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    BenchError,
    Context,
    Figure,
    Process,
    Refused,
    Server,
    spawn_initialized,
)
from pycodex.store import records  # noqa: E402
from pycodex.store.listing import list_threads  # noqa: E402

PAGE = 25
PROVIDER = "mock"  # the provider tests/kit/home.py configures, so 0.94's default filter keeps them
_FIRST_DAY = datetime(2026, 1, 1, tzinfo=UTC)


def _filler(label: str, size: int) -> str:
    return (label + " " + "lorem ipsum dolor sit amet " * (size // 27 + 1))[:size]


def generate(codex_home: Path, count: int = 10_000, *, days: int = 100, seed: int = 94) -> None:
    """`count` one-turn rollouts under `codex_home/sessions`, mtimes a little after creation."""
    rng = random.Random(seed)
    base_text = _filler("You are Codex.", 8000)
    developer = _filler("<permissions instructions>", 3500)
    agents = _filler("# AGENTS.md instructions", 3100)
    instructions = _filler("## Skills", 3000)
    usage = records.token_usage(100, output_tokens=10)
    seconds = days * 86_400
    for n in range(count):
        created = _FIRST_DAY + timedelta(seconds=rng.randrange(seconds))
        thread_id = str(records.uuid7(int(created.timestamp() * 1000) + rng.randrange(1000)))
        cwd = f"/work/project-{n % 37}"
        question = f"question {n}: please look at module {rng.randrange(10_000)}"
        items = [
            records.session_meta(
                thread_id=thread_id,
                created=created,
                cwd=cwd,
                originator="codex_vscode",
                model_provider=PROVIDER,
                base_instructions=base_text,
            ),
            records.message("developer", developer),
            records.message("user", agents),
            records.message(
                "user", f"<environment_context>\n  <cwd>{cwd}</cwd>\n</environment_context>"
            ),
            records.message("user", question),
            records.user_message(question),
            records.turn_context(
                {"cwd": cwd, "model": "gpt-5.2-codex", "user_instructions": instructions}
            ),
            records.token_count(None),
            records.agent_message("done"),
            records.message("assistant", "done"),
            records.token_count(usage, usage, model_context_window=258400),
        ]
        path = records.rollout_path(codex_home, created, thread_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"".join(records.encode_line(item, created) for item in items))
        touched = created.timestamp() + 30
        os.utime(path, (touched, touched))


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def measure_store(codex_home: Path, repeats: int = 5) -> dict[str, list[float]]:
    """Milliseconds: first page by created_at and by updated_at, and a full walk (created_at)."""
    out: dict[str, list[float]] = {"first": [], "first_updated": [], "walk": []}
    for _ in range(repeats):
        start = time.perf_counter()
        list_threads(codex_home, limit=PAGE)
        out["first"].append(_ms(start))
        start = time.perf_counter()
        list_threads(codex_home, limit=PAGE, sort_key="updated_at")
        out["first_updated"].append(_ms(start))
        start = time.perf_counter()
        cursor: str | None = None
        rows = 0
        while True:
            page = list_threads(codex_home, limit=PAGE, cursor=cursor)
            rows += len(page.data)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        out["walk"].append(_ms(start))
    return out


def _wire_walk(process: Process, first_id: int) -> tuple[float, float, int]:
    """(first page ms, full walk ms, rows) over JSON-RPC."""
    request_id = first_id
    start = time.perf_counter()
    reply = process.request({"id": request_id, "method": "thread/list", "params": {"limit": PAGE}})
    first = _ms(start)
    rows = len(reply["result"]["data"])
    cursor = reply["result"]["nextCursor"]
    while cursor is not None:
        request_id += 1
        params: dict[str, Any] = {"limit": PAGE, "cursor": cursor}
        reply = process.request({"id": request_id, "method": "thread/list", "params": params})
        rows += len(reply["result"]["data"])
        cursor = reply["result"]["nextCursor"]
    return first, _ms(start), rows


def run(
    servers: Sequence[Server], ctx: Context, count: int = 10_000, repeats: int = 3
) -> list[Figure]:
    """Metric group for bench/run.py: the store in-process, then each server over the wire."""
    template = ctx.base / "threadlist-template"
    generate(template, count)
    store = measure_store(template, repeats)
    in_process = [
        Figure(f"store thread/list first page, {count} threads, in-process", "ms"),
        Figure(f"store thread/list first page by updated_at, {count} threads", "ms"),
        Figure(f"store thread/list full walk (limit {PAGE}), in-process", "ms"),
    ]
    for figure, key in zip(in_process, ("first", "first_updated", "walk"), strict=True):
        for value in store[key]:
            figure.add("pycodex", value)
    first = Figure(f"thread/list first page, {count} threads, over the wire", "ms")
    walk = Figure(f"thread/list full walk (limit {PAGE}), over the wire", "ms")
    for server in servers:
        if server.name in ctx.failures:
            continue
        try:
            process, _ = spawn_initialized(server, ctx)
        except BenchError as exc:
            ctx.fail(server, exc)
            continue
        try:
            codex_home = process.stderr_path.parent / "codex-home"
            shutil.copytree(template / "sessions", codex_home / "sessions", copy_function=os.link)
            for repeat in range(repeats):
                with process.guarded(600):
                    page_ms, walk_ms, _ = _wire_walk(process, 1000 * (repeat + 1))
                first.add(server.name, page_ms)
                walk.add(server.name, walk_ms)
        except Refused as exc:
            first.notes[server.name] = walk.notes[server.name] = f"refused: {exc}"
        except BenchError as exc:
            ctx.fail(server, exc)
        finally:
            process.kill()
    return [*in_process, first, walk]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the generated CODEX_HOME")
    args = parser.parse_args(argv)
    var_tmp = "/var/tmp" if os.path.isdir("/var/tmp") else None
    base = Path(tempfile.mkdtemp(prefix="pycodex-threadlist-", dir=var_tmp))
    try:
        start = time.perf_counter()
        generate(base, args.count)
        print(f"generated {args.count} rollouts in {time.perf_counter() - start:.1f} s at {base}")
        figures = measure_store(base, args.repeats)
        for key, label in (
            ("first", f"first page (limit {PAGE}), created_at"),
            ("first_updated", f"first page (limit {PAGE}), updated_at"),
            ("walk", f"full walk, {PAGE} per page"),
        ):
            values = figures[key]
            shown = ", ".join(f"{v:.1f}" for v in values)
            print(f"{label}: median {statistics.median(values):.1f} ms  [{shown}]")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
