"""Peak memory of each server's process tree, sampled from /proc by a separate process.

The sampler runs as its own process so that its 20 ms polling never takes the GIL from the
client that times round trips. The benchmark tells it which pids to watch over stdin
(`watch <server> <pid>`); on `done` it prints one JSON object with the peaks and exits.
Linux only (it reads /proc).
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

INTERVAL = 0.020


@dataclass
class Peak:
    tree_rss_kb: int = 0  # max over samples of the summed VmRSS of a process and descendants
    hwm_kb: int = 0  # max VmHWM of a watched (main) process


def _status_kb(pid: int, field: str) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def tree_rss_kb(pid: int) -> int:
    """Summed VmRSS of `pid` and all its descendants (short-lived helpers included)."""
    total, stack, seen = 0, [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _status_kb(current, "VmRSS")
        stack.extend(_children(current))
    return total


def sample_forever() -> None:
    """The sampler process: poll watched trees every INTERVAL until `done` on stdin."""
    watched: dict[int, str] = {}
    peaks: dict[str, Peak] = {}
    next_tick = time.monotonic()
    while True:
        timeout = max(0.0, next_tick - time.monotonic())
        ready, _, _ = select.select([sys.stdin], [], [], timeout)
        if ready:
            chunk = sys.stdin.readline()
            if not chunk or chunk.strip() == "done":
                break
            words = chunk.split()
            if len(words) == 3 and words[0] == "watch":
                watched[int(words[2])] = words[1]
                peaks.setdefault(words[1], Peak())
            continue
        next_tick = time.monotonic() + INTERVAL
        for pid, name in list(watched.items()):
            if not Path(f"/proc/{pid}").exists():
                del watched[pid]
                continue
            peak = peaks[name]
            peak.tree_rss_kb = max(peak.tree_rss_kb, tree_rss_kb(pid))
            peak.hwm_kb = max(peak.hwm_kb, _status_kb(pid, "VmHWM"))
    out = {name: {"tree_rss_kb": p.tree_rss_kb, "hwm_kb": p.hwm_kb} for name, p in peaks.items()}
    sys.stdout.write(json.dumps(out) + "\n")


class MemorySampler:
    """Client side: start the sampler, register each server process, collect the peaks."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def watch(self, name: str, pid: int) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(f"watch {name} {pid}\n")
        self._proc.stdin.flush()

    def finish(self) -> dict[str, Peak]:
        out, _ = self._proc.communicate("done\n", timeout=30)
        data: dict[str, dict[str, int]] = json.loads(out)
        return {name: Peak(d["tree_rss_kb"], d["hwm_kb"]) for name, d in data.items()}


if __name__ == "__main__":
    sample_forever()
