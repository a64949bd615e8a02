"""The writer: created at start, one write per line, ordered, torn lines healed."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pycodex.store import RolloutWriter, ThreadStore, records
from pycodex.store.replay import read_records, replay_file
from pycodex.store.rollout import RolloutFile


def _home() -> Path:
    return Path(os.environ["CODEX_HOME"])


async def _start(home: Path, thread_id: str | None = None) -> RolloutWriter:
    return await ThreadStore(home).create(
        thread_id=thread_id or str(records.uuid7()),
        created=datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC),
        cwd="/w",
        originator="tests",
        model_provider="mock",
        base_instructions="base",
    )


async def test_file_exists_with_session_meta_at_start() -> None:
    home = _home()
    ident = str(records.uuid7())
    writer = await _start(home, ident)
    expected = home / "sessions/2026/02/03" / f"rollout-2026-02-03T04-05-06-{ident}.jsonl"
    assert writer.path == expected
    lines = expected.read_bytes().splitlines(keepends=True)
    assert len(lines) == 1 and lines[0].endswith(b"\n")
    first = json.loads(lines[0])
    assert first["type"] == "session_meta"
    assert first["timestamp"] == "2026-02-03T04:05:06.000Z"
    assert first["payload"]["id"] == ident
    await writer.close()
    with pytest.raises(FileExistsError):
        await _start(home, ident)


async def test_each_line_is_one_write_and_order_is_kept() -> None:
    writer = await _start(_home())
    real_write = os.write
    calls: list[bytes] = []

    def spy(fd: int, data: bytes | memoryview) -> int:
        calls.append(bytes(data))
        return real_write(fd, data)

    with mock.patch("pycodex.store.rollout.os.write", spy):
        await asyncio.gather(*(writer.append(records.agent_message(f"m{i}")) for i in range(50)))
    assert all(call.count(b"\n") == 1 and call.endswith(b"\n") for call in calls)
    assert len(calls) == 50
    messages = [r["payload"].get("message") for r in read_records(writer.path)[1:]]
    assert messages == [f"m{i}" for i in range(50)]
    await writer.close()


async def test_cancelled_append_still_lands_before_the_next() -> None:
    writer = await _start(_home())
    task = asyncio.create_task(writer.append(records.agent_message("first")))
    await asyncio.sleep(0)
    task.cancel()
    await writer.append(records.agent_message("second"))
    messages = [r["payload"].get("message") for r in read_records(writer.path)[1:]]
    assert messages[-1] == "second"
    assert messages in (["first", "second"], ["second"])
    await writer.close()


async def test_appending_after_close_fails() -> None:
    writer = await _start(_home())
    await writer.close()
    with pytest.raises(ValueError, match="closed"):
        await writer.append(records.agent_message("late"))


def _full_rollout(path: Path) -> bytes:
    file = RolloutFile(path, create=True)
    created = datetime(2026, 1, 1, tzinfo=UTC)
    items = [
        records.session_meta(
            thread_id="0194e2a0-0000-7000-8000-000000000001",
            created=created,
            cwd="/w",
            originator="t",
            model_provider="mock",
            base_instructions="b",
        ),
        records.message("user", "q"),
        records.user_message("q"),
        records.agent_message("a"),
        records.message("assistant", "a"),
    ]
    file.write_lines(records.encode_line(item, created) for item in items)
    file.close()
    return path.read_bytes()


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=1, max_value=10_000))
def test_torn_at_any_byte_then_append_starts_a_fresh_line(tmp_path: Path, cut: int) -> None:
    path = tmp_path / f"rollout-{cut}.jsonl"
    path.unlink(missing_ok=True)
    data = _full_rollout(path)
    cut = cut % len(data) or 1
    path.write_bytes(data[:cut])
    before = read_records(path)  # never raises
    replay_file(path)
    file = RolloutFile(path)
    file.write_lines([records.encode_line(records.agent_message("after"))])
    file.close()
    after = read_records(path)
    assert after[: len(before)] == before
    assert after[-1]["payload"] == {"type": "agent_message", "message": "after"}
    assert len(after) == len(before) + 1
    assert path.read_bytes().endswith(b"\n")


async def test_reopen_heals_torn_line() -> None:
    writer = await _start(_home())
    await writer.append(records.agent_message("whole"))
    await writer.close()
    with writer.path.open("ab") as handle:
        handle.write(b'{"timestamp":"2026-')
    again = await RolloutWriter.open(writer.path)
    await again.append(records.agent_message("next"))
    await again.close()
    raw = writer.path.read_bytes().splitlines()
    assert raw[-2] == b'{"timestamp":"2026-'
    assert [r["payload"].get("message") for r in read_records(writer.path)][-2:] == [
        "whole",
        "next",
    ]


async def test_writes_do_not_block_the_loop() -> None:
    writer = await _start(_home())
    release = asyncio.Event()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while not release.is_set():
            ticks += 1
            await asyncio.sleep(0)

    real = RolloutFile.write_lines

    def slow(self: RolloutFile, lines: object) -> None:
        import time

        time.sleep(0.2)
        real(self, lines)  # type: ignore[arg-type]

    with mock.patch.object(RolloutFile, "write_lines", slow):
        tick_task = asyncio.create_task(ticker())
        await writer.append(records.agent_message("slow"))
        release.set()
        await tick_task
    assert ticks > 10
    await writer.close()


_WRITER_SCRIPT = """
import sys
from pathlib import Path
from pycodex.store import records
from pycodex.store.rollout import RolloutFile
file = RolloutFile(Path(sys.argv[1]), create=True)
print("ready", flush=True)
n = 0
while True:
    n += 1
    file.write_lines([records.encode_line(records.agent_message("x" * (n % 5000)))])
"""


def test_kill_9_mid_stream_leaves_only_whole_lines(tmp_path: Path) -> None:
    """A writer killed with SIGKILL while appending as fast as it can: every line on disk is
    whole (one `write` per line, no user-space buffer), so nothing is lost but the line in
    flight, and the file reads back cleanly."""
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "rollout-killed.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER_SCRIPT, str(path)], stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    data = path.read_bytes()
    assert data.count(b"\n") > 100
    whole = data[: data.rfind(b"\n") + 1]
    assert len(read_records(path)) == whole.count(b"\n")
    assert all(json.loads(line) for line in whole.splitlines())
