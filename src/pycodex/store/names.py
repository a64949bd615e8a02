"""Thread names: `$CODEX_HOME/session_index.jsonl`, one `{"id","thread_name","updated_at"}` per
line, appended on every rename; the last line for an id wins."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pycodex.store.records import SESSION_INDEX, iso_nanos, now_utc


def set_thread_name(codex_home: Path, thread_id: str, name: str) -> None:
    """Append `{"id","thread_name","updated_at"}` to session_index.jsonl (last line wins)."""
    line = {"id": thread_id, "thread_name": name, "updated_at": iso_nanos(now_utc())}
    data = (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    path = codex_home / SESSION_INDEX
    codex_home.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        if os.fstat(fd).st_size > 0:
            with path.open("rb") as handle:
                handle.seek(-1, os.SEEK_END)
                if handle.read(1) != b"\n":
                    data = b"\n" + data
        os.write(fd, data)
    finally:
        os.close(fd)


def thread_names(codex_home: Path) -> dict[str, str]:
    """Every thread's current name; invalid lines are skipped."""
    names: dict[str, str] = {}
    try:
        handle = (codex_home / SESSION_INDEX).open("rb")
    except FileNotFoundError:
        return names
    with handle:
        for raw in handle:
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if isinstance(entry, dict):
                ident, name = entry.get("id"), entry.get("thread_name")
                if isinstance(ident, str) and isinstance(name, str):
                    names[ident] = name
    return names
