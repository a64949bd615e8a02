"""Benchmark pycodex against the reference codex app-server, side by side in one run.

Usage: `uv run python bench/run.py [--quick]`; see bench/README.md. Prints a table and writes it
as markdown to bench/out/latest.md. Nothing here asserts on timings: it measures and reports.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import roundtrip, startup, streaming, threadlist  # noqa: E402
from bench.harness import Context, Figure, Server  # noqa: E402
from bench.memory import MemorySampler  # noqa: E402
from tests.kit.fake_responses import FakeResponses  # noqa: E402
from tests.kit.servers import pycodex_argv, reference_argv  # noqa: E402

REFERENCE, PYCODEX = "reference", "pycodex"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (few repeats)")
    parser.add_argument("--spawns", type=int, help="start-ups per server (default 15; quick 3)")
    parser.add_argument("--repeats", type=int, help="round-trip sessions per server (5; quick 1)")
    parser.add_argument("--requests", type=int, help="requests per session (1000; quick 200)")
    parser.add_argument("--warmup", type=float, help="warm-up seconds per session (2; quick 0.5)")
    parser.add_argument("--only", choices=[REFERENCE, PYCODEX], help="benchmark one server")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "latest.md")
    parser.add_argument("--keep", action="store_true", help="keep the run directories")
    parser.add_argument(
        "--deltas", type=int, metavar="N", help="deltas in the streaming turn (20000; 0 skips)"
    )
    parser.add_argument("--turns", type=int, help="streaming turns per server (3; quick 1)")
    parser.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="rollouts for the thread/list group (default 10000; 0 skips it; quick 1000)",
    )
    parser.add_argument(
        "--pin-cpu",
        type=int,
        metavar="N",
        help="run the client and both servers on CPU N: on small VMs a wake-up across CPUs "
        "costs ~70 us and hides the servers' own cost in the round trip",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    for name, full, fast in (
        ("spawns", 15, 3),
        ("repeats", 5, 1),
        ("requests", 1000, 200),
        ("warmup", 2.0, 0.5),
        ("threads", 10_000, 1_000),
        ("deltas", 20_000, 2_000),
        ("turns", 3, 1),
    ):
        if getattr(args, name) is None:
            setattr(args, name, fast if quick else full)
    return args


def memory_figures(ctx: Context) -> list[Figure]:
    tree = Figure(
        "peak RSS of the process tree (summed VmRSS, 20 ms samples), max", "MB", summary=max
    )
    hwm = Figure("VmHWM of the server process, max", "MB", summary=max)
    for name, peak in ctx.sampler.finish().items():
        if name not in ctx.failures:
            tree.add(name, peak.tree_rss_kb / 1024)
            hwm.add(name, peak.hwm_kb / 1024)
    return [tree, hwm]


def _cell(figure: Figure, name: str, failures: dict[str, str]) -> str:
    values = figure.values.get(name)
    if not values:
        return "failed" if name in failures else figure.notes.get(name, "n/a")
    return _number(figure.summary(values))


def _number(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def table(figures: list[Figure], names: list[str], failures: dict[str, str]) -> list[str]:
    """Markdown rows; the ratio is pycodex / reference (lower is better for every metric)."""
    rows = [
        "| metric | unit | " + " | ".join(names) + " | pycodex / reference |",
        "|---|---|" + "---|" * len(names) + "---|",
    ]
    for figure in figures:
        cells = [_cell(figure, name, failures) for name in names]
        ref, py = figure.values.get(REFERENCE), figure.values.get(PYCODEX)
        ratio = f"{figure.summary(py) / figure.summary(ref):.2f}" if ref and py else "-"
        rows.append(f"| {figure.metric} | {figure.unit} | " + " | ".join(cells) + f" | {ratio} |")
    return rows


def details(figures: list[Figure]) -> list[str]:
    """Every repeat's figure, so a reader can see the spread behind each median."""
    lines = []
    for figure in figures:
        for name, values in figure.values.items():
            shown = ", ".join(_number(v) for v in values)
            lines.append(f"- {figure.metric} [{name}]: {shown}")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.pin_cpu is not None:
        os.sched_setaffinity(0, {args.pin_cpu})  # children (servers, sampler) inherit it
    servers = [Server(REFERENCE, reference_argv()), Server(PYCODEX, pycodex_argv())]
    if args.only:
        servers = [s for s in servers if s.name == args.only]
    names = [s.name for s in servers]
    # Not under /tmp: codex then skips its helper links, which would flatter its start-up.
    var_tmp = "/var/tmp" if os.path.isdir("/var/tmp") else None
    base = Path(tempfile.mkdtemp(prefix="pycodex-bench-", dir=var_tmp))
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    try:
        with FakeResponses() as fake:
            ctx = Context(base=base, port=fake.port, sampler=MemorySampler())
            figures = startup.run(servers, ctx, args.spawns)
            figures += roundtrip.run(servers, ctx, args.repeats, args.requests, args.warmup)
            if args.deltas:
                figures += streaming.run(servers, ctx, deltas=args.deltas, repeats=args.turns)
            if args.threads:
                figures += threadlist.run(servers, ctx, count=args.threads, repeats=3)
            figures += memory_figures(ctx)
            model_calls = len(fake.requests)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    header = [
        f"# pycodex benchmark, {started}",
        "",
        f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"reference = native codex 0.94.0 binary; spawns={args.spawns}, "
        f"round-trip sessions={args.repeats} x {args.requests} requests, warm-up {args.warmup}s"
        f"{', quick' if args.quick else ''}"
        f"{f', all on CPU {args.pin_cpu}' if args.pin_cpu is not None else ''}. "
        f"Fake model server calls: {model_calls}.",
        "",
    ]
    lines = [*header, *table(figures, names, ctx.failures), ""]
    lines += [f"**{name} failed:** {error}" for name, error in ctx.failures.items()]
    lines += ["", "Per-repeat figures:", "", *details(figures)]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"written to {args.out}")
    return 1 if ctx.failures else 0


if __name__ == "__main__":
    sys.exit(main())
