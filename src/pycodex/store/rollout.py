"""Append-only rollout files: one JSONL line per record, each written with a single `write`.

Blocking file I/O runs in worker threads (`asyncio.to_thread`), never on the event loop; a
per-file lock keeps lines in submission order. Nothing here knows JSON-RPC.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Coroutine, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from pycodex.store.records import RolloutItem, encode_line, now_utc, rollout_path, session_meta
from pycodex.store.replay import iter_valid_lines


class RolloutFile:
    """A rollout opened for appending (blocking API; `RolloutWriter` is the async face).

    Every line goes out in one `os.write` on an `O_APPEND` descriptor, with no user-space
    buffer, so a killed process loses at most the line in flight. If the file ends in a torn
    line, a newline is written first: 0.94 glues its next record onto the torn bytes and loses
    it (decisions.md, Rollouts).
    """

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = path
        flags = os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
            flags |= os.O_CREAT | os.O_EXCL
        self._fd: int | None = os.open(path, flags, 0o644)
        self._needs_newline = not create and _ends_torn(path)

    def write_lines(self, lines: Iterable[bytes]) -> None:
        for line in lines:
            self._write(line)

    def _write(self, data: bytes) -> None:
        if self._fd is None:
            raise ValueError(f"rollout {self.path} is closed")
        if self._needs_newline:
            data = b"\n" + data
            self._needs_newline = False
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _ends_torn(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() == 0:
            return False
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) != b"\n"


class RolloutWriter:
    """Async appender for one thread's rollout.

    `append` returns once the lines are handed to the kernel, so a caller that awaits it before
    emitting the matching notification never reports something the file lacks. Worker threads
    (not one writer task) keep it simple: no queue to drain on shutdown, and errors surface at
    the `await` that caused them.
    """

    def __init__(self, file: RolloutFile) -> None:
        self._file = file
        self._lock = asyncio.Lock()

    @property
    def path(self) -> Path:
        return self._file.path

    @classmethod
    async def create(
        cls,
        codex_home: Path,
        *,
        thread_id: str,
        created: datetime,
        cwd: Path | str,
        originator: str,
        model_provider: str,
        base_instructions: str,
        git: dict[str, object] | None = None,
        forked_from_id: str | None = None,
    ) -> RolloutWriter:
        """Create `sessions/Y/M/D/rollout-…` with its session_meta line (at thread start)."""
        meta = session_meta(
            thread_id=thread_id,
            created=created,
            cwd=cwd,
            originator=originator,
            model_provider=model_provider,
            base_instructions=base_instructions,
            forked_from_id=forked_from_id,
            git=git,
        )
        path = rollout_path(codex_home, created, thread_id)

        def make() -> RolloutFile:
            file = RolloutFile(path, create=True)
            file.write_lines([encode_line(meta, created)])
            return file

        return cls(await asyncio.to_thread(make))

    @classmethod
    async def open(cls, path: Path) -> RolloutWriter:
        """Reopen an existing rollout (resume); a torn last line gets its newline first."""
        return cls(await asyncio.to_thread(RolloutFile, path))

    @classmethod
    async def fork(
        cls,
        codex_home: Path,
        source: Path,
        *,
        thread_id: str,
        created: datetime,
        cwd: Path | str,
        originator: str,
        model_provider: str,
        base_instructions: str,
        git: dict[str, object] | None = None,
        forked_from_id: str,
    ) -> RolloutWriter:
        """A new rollout: its own session_meta (with `forked_from_id`), then the source's lines
        verbatim (torn or invalid ones dropped), as 0.94 does. The caller adds fresh context."""
        writer = await cls.create(
            codex_home,
            thread_id=thread_id,
            created=created,
            cwd=cwd,
            originator=originator,
            model_provider=model_provider,
            base_instructions=base_instructions,
            git=git,
            forked_from_id=forked_from_id,
        )

        def copy() -> None:
            with source.open("rb") as handle:
                writer._file.write_lines(raw + b"\n" for raw, _ in iter_valid_lines(handle))

        async with writer._lock:
            await _finish(asyncio.to_thread(copy))
        return writer

    async def append(self, *items: RolloutItem) -> None:
        """Append records in order, each stamped now and written as one line."""
        lines = [encode_line(item, now_utc()) for item in items]
        async with self._lock:
            await _finish(asyncio.to_thread(self._file.write_lines, lines))

    async def close(self) -> None:
        async with self._lock:
            await asyncio.to_thread(self._file.close)


async def _finish(work: Coroutine[Any, Any, None]) -> None:
    """Await a worker-thread write even if our caller is cancelled meanwhile, so the lock is not
    released while the thread still writes (the next line could overtake it); then re-raise."""
    future = asyncio.ensure_future(work)
    try:
        await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait({future})
        raise


def move_file(source: Path, target: Path) -> None:
    """Move a rollout, creating the target directory; refuses to overwrite."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise FileExistsError(f"{target} already exists")
    shutil.move(source, target)
