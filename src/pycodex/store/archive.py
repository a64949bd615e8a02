"""Find a rollout by thread id; archive (flat `archived_sessions/`) and unarchive it.

Blocking functions; `ThreadStore` runs them in worker threads.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pycodex.store.listing import StoreError, ThreadSummary, all_files, read_summary
from pycodex.store.records import ARCHIVED_DIR, SESSIONS_DIR, parse_file_name
from pycodex.store.rollout import move_file


class RolloutNotFound(StoreError):
    def __init__(self, thread_id: str, *, archived: bool = False) -> None:
        where = "archived rollout" if archived else "rollout"
        super().__init__(f"no {where} found for thread id {thread_id}")


def _likely_days(thread_id: str) -> list[str]:
    """`YYYY/MM/DD` directories a UUIDv7 thread was probably created in: its embedded ms time,
    give or take a day (file names use the writer's clock and, upstream, local time)."""
    try:
        parsed = uuid.UUID(thread_id)
    except ValueError:
        return []
    if parsed.version != 7:
        return []
    moment = datetime.fromtimestamp((parsed.int >> 80) / 1000, UTC)
    return [f"{moment + timedelta(days=d):%Y/%m/%d}" for d in (0, -1, 1)]


def find_rollout(codex_home: Path, thread_id: str, *, archived: bool = False) -> Path | None:
    """The rollout of `thread_id` under sessions/ (or archived_sessions/), by file name.

    Tries the day directories a UUIDv7 points at before walking the whole tree.
    """
    wanted = thread_id.lower()
    root = codex_home / (ARCHIVED_DIR if archived else SESSIONS_DIR)
    if not archived:
        suffix = f"-{wanted}.jsonl"
        for day in _likely_days(wanted):
            try:
                names = os.listdir(root / day)
            except OSError:
                continue
            for name in names:
                if name.endswith(suffix) and parse_file_name(name) is not None:
                    return root / day / name
    for path in all_files(root, archived):
        parsed = parse_file_name(path.name)
        if parsed is not None and parsed[1] == wanted:
            return path
    return None


def archive(codex_home: Path, thread_id: str) -> Path:
    """Move the rollout to `archived_sessions/<same name>` (flat); returns the new path."""
    source = find_rollout(codex_home, thread_id)
    if source is None:
        raise RolloutNotFound(thread_id)
    target = codex_home / ARCHIVED_DIR / source.name
    move_file(source, target)
    return target


def unarchive(
    codex_home: Path, thread_id: str, *, default_provider: str = "openai"
) -> ThreadSummary:
    """Move an archived rollout back under sessions/Y/M/D (from its name) and bump its mtime."""
    source = find_rollout(codex_home, thread_id, archived=True)
    if source is None:
        raise RolloutNotFound(thread_id, archived=True)
    parsed = parse_file_name(source.name)
    assert parsed is not None
    ts = parsed[0]
    target = codex_home / SESSIONS_DIR / ts[0:4] / ts[5:7] / ts[8:10] / source.name
    move_file(source, target)
    os.utime(target)
    summary = read_summary(target, default_provider=default_provider)
    if summary is None:
        raise StoreError(f"failed to read rollout `{target}`")
    return summary
