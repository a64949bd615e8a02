"""`thread/list` over the rollout tree: cursors, filters, thread summaries from file heads.

Built to stay fast with tens of thousands of rollouts: date directories are walked newest first
and the walk stops at the first file after a full page; each candidate costs one
`stat` and a read of its head (session_meta and the first user message), never a full parse.
Blocking functions; `ThreadStore` runs them in worker threads.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pycodex.store.records import (
    ARCHIVED_DIR,
    FILE_TS_FORMAT,
    SESSIONS_DIR,
    file_ts_seconds,
    parse_file_name,
    seconds_to_file_ts,
)
from pycodex.store.replay import parse_line

JsonObject = dict[str, Any]
SortKey = Literal["created_at", "updated_at"]

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
# The head of a rollout: session_meta, the initial context, the first user message. 0.94 puts the
# first `user_message` on line 6; allow for a long AGENTS.md or many context records.
HEAD_MAX_LINES = 64
HEAD_MAX_BYTES = 4 << 20
INTERACTIVE_KINDS = frozenset({"cli", "vscode"})
_DIGITS = re.compile(r"^\d+$")
_CURSOR_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}$")


class StoreError(Exception):
    """A store failure whose text is what the reference answers (the API maps it to -32600)."""


class InvalidCursor(StoreError):
    def __init__(self, cursor: str) -> None:
        super().__init__(f"invalid cursor: {cursor}")


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in newest-first order: `"<YYYY-MM-DDTHH-MM-SS>|<uuid>"`."""

    ts: str
    thread_id: str

    def encode(self) -> str:
        return f"{self.ts}|{self.thread_id}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        ts, sep, ident = text.partition("|")
        if not sep or not _CURSOR_TS.match(ts):
            raise InvalidCursor(text)
        try:
            file_ts_seconds(ts)
            parsed = uuid.UUID(ident)
        except ValueError:
            raise InvalidCursor(text) from None
        return cls(ts, str(parsed))

    def key(self) -> tuple[str, str]:
        return (self.ts, self.thread_id)


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    """The `Thread` fields a listing or read needs (`turns` is added by the caller)."""

    id: str
    path: Path
    preview: str
    model_provider: str
    created_at: int
    updated_at: int
    cwd: str
    cli_version: str
    source: Any
    git_info: JsonObject | None

    def to_wire(self) -> JsonObject:
        return {
            "id": self.id,
            "preview": self.preview,
            "modelProvider": self.model_provider,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "path": str(self.path),
            "cwd": self.cwd,
            "cliVersion": self.cli_version,
            "source": self.source,
            "gitInfo": self.git_info,
            "turns": [],
        }


@dataclass(frozen=True, slots=True)
class ThreadPage:
    data: list[ThreadSummary]
    next_cursor: str | None


# -- source kinds ----------------------------------------------------------------------------

_SOURCE_WIRE = {"mcp": "appServer"}
_SUBAGENT_KINDS = {"review": "subAgentReview", "compact": "subAgentCompact"}


def wire_source(source: Any) -> Any:
    """session_meta `source` (snake_case) → v2 `SessionSource`."""
    if isinstance(source, str):
        return _SOURCE_WIRE.get(source, source)
    if isinstance(source, dict) and "subagent" in source:
        return {"subAgent": source["subagent"]}
    return "unknown"


def source_kind(source: Any) -> str:
    """session_meta `source` → `ThreadSourceKind` for the `sourceKinds` filter."""
    if isinstance(source, str):
        return _SOURCE_WIRE.get(source, source)
    if isinstance(source, dict) and "subagent" in source:
        sub = source["subagent"]
        if isinstance(sub, str):
            return _SUBAGENT_KINDS.get(sub, "subAgentOther")
        if isinstance(sub, dict) and "thread_spawn" in sub:
            return "subAgentThreadSpawn"
        return "subAgentOther"
    return "unknown"


def wire_git_info(git: Any) -> JsonObject | None:
    if not isinstance(git, dict):
        return None
    return {
        "sha": git.get("commit_hash"),
        "branch": git.get("branch"),
        "originUrl": git.get("repository_url"),
    }


# -- heads -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Head:
    meta: JsonObject | None
    preview: str | None


def read_head(path: Path) -> Head:
    """session_meta and the first user message text, from the first lines only."""
    meta: JsonObject | None = None
    preview: str | None = None
    consumed = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle):
            consumed += len(raw)
            if number >= HEAD_MAX_LINES or consumed > HEAD_MAX_BYTES:
                break
            # Skip the bulky context items without parsing them (0.94 writes `type` second).
            if b'"type":"response_item"' in raw[:64] or b'"type":"turn_context"' in raw[:64]:
                continue
            record = parse_line(raw)
            if record is None:
                continue
            kind, payload = record["type"], record["payload"]
            if kind == "session_meta" and meta is None:
                meta = payload
            elif kind == "event_msg" and payload.get("type") == "user_message":
                message = payload.get("message")
                preview = message if isinstance(message, str) else ""
                break
    return Head(meta, preview)


def summarize(
    path: Path, head: Head, *, default_provider: str = "openai", mtime: float | None = None
) -> ThreadSummary | None:
    """A ThreadSummary from a file's name, head and mtime; None without a session_meta."""
    parsed = parse_file_name(path.name)
    meta = head.meta
    if parsed is None or meta is None:
        return None
    ts, name_id = parsed
    if mtime is None:
        mtime = path.stat().st_mtime
    provider = meta.get("model_provider")
    return ThreadSummary(
        id=str(meta.get("id") or name_id),
        path=path,
        preview=head.preview or "",
        model_provider=provider if isinstance(provider, str) else default_provider,
        created_at=file_ts_seconds(ts),
        updated_at=int(mtime),
        cwd=str(meta.get("cwd", "")),
        cli_version=str(meta.get("cli_version", "")),
        source=wire_source(meta.get("source")),
        git_info=wire_git_info(meta.get("git")),
    )


def read_summary(path: Path, *, default_provider: str = "openai") -> ThreadSummary | None:
    """Summary of one rollout (thread/read, thread/start answers), user message or not."""
    return summarize(path, read_head(path), default_provider=default_provider)


# -- walking ---------------------------------------------------------------------------------


def _sorted_dirs(directory: Path) -> list[str]:
    try:
        names = [e.name for e in os.scandir(directory) if e.is_dir() and _DIGITS.match(e.name)]
    except OSError:  # missing, not a directory, or unreadable: nothing to list there
        return []
    return sorted(names, reverse=True)


def _day_files(directory: Path) -> list[tuple[tuple[str, str], Path]]:
    """Rollouts in one directory as `((ts, id), path)`, newest first."""
    out = []
    try:
        entries = list(os.scandir(directory))
    except OSError:  # missing, not a directory, or unreadable: nothing to list there
        return []
    for entry in entries:
        parsed = parse_file_name(entry.name)
        if parsed is not None and entry.is_file():
            out.append((parsed, Path(entry.path)))
    out.sort(key=lambda pair: pair[0], reverse=True)
    return out


def iter_created(root: Path, archived: bool, before: tuple[str, str] | None) -> Iterator[Path]:
    """Rollouts newest first by file-name timestamp, strictly before `before` when given."""
    if archived:
        for key, path in _day_files(root):
            if before is None or key < before:
                yield path
        return
    bound_day = before[0][:10] if before is not None else None
    for year in _sorted_dirs(root):
        if bound_day is not None and year > bound_day[:4]:
            continue
        for month in _sorted_dirs(root / year):
            if bound_day is not None and f"{year}-{month}" > bound_day[:7]:
                continue
            for day in _sorted_dirs(root / year / month):
                if bound_day is not None and f"{year}-{month}-{day}" > bound_day:
                    continue
                for key, path in _day_files(root / year / month / day):
                    if before is None or key < before:
                        yield path


def all_files(root: Path, archived: bool) -> Iterator[Path]:
    if archived:
        for _, path in _day_files(root):
            yield path
        return
    for year in _sorted_dirs(root):
        for month in _sorted_dirs(root / year):
            for day in _sorted_dirs(root / year / month):
                for _, path in _day_files(root / year / month / day):
                    yield path


def _stat_dir(directory: str, out: list[tuple[tuple[int, str], float, str]]) -> None:
    try:
        entries = os.scandir(directory)
    except OSError:
        return
    with entries:
        for entry in entries:
            parsed = parse_file_name(entry.name)
            if parsed is None:
                continue
            try:
                mtime = entry.stat().st_mtime
            except FileNotFoundError:
                continue
            out.append(((int(mtime), parsed[1]), mtime, entry.path))


def iter_updated(
    root: Path, archived: bool, before: tuple[str, str] | None
) -> Iterator[tuple[Path, float]]:
    """Rollouts newest first by mtime (whole seconds, then id): one stat per file, no reads."""
    keyed: list[tuple[tuple[int, str], float, str]] = []
    if archived:
        _stat_dir(str(root), keyed)
    else:
        for year in _sorted_dirs(root):
            for month in _sorted_dirs(root / year):
                for day in _sorted_dirs(root / year / month):
                    _stat_dir(os.path.join(root, year, month, day), keyed)
    keyed.sort(key=lambda row: row[0], reverse=True)
    bound = (file_ts_seconds(before[0]), before[1]) if before is not None else None
    for key, mtime, path in keyed:
        if bound is None or key < bound:
            yield Path(path), mtime


def list_threads(
    codex_home: Path,
    *,
    cursor: str | None = None,
    limit: int | None = None,
    sort_key: SortKey = "created_at",
    model_providers: Sequence[str] | None = None,
    source_kinds: Sequence[str] | None = None,
    archived: bool = False,
    default_provider: str = "openai",
) -> ThreadPage:
    """One page of `thread/list`, newest first.

    `model_providers`: None or empty = every provider (the API layer turns an omitted param into
    `[configured provider]`, as 0.94 does). `source_kinds`: None or empty = `cli` and `vscode`.
    Threads with no user message yet are left out. `limit` is clamped to 1..100 (0 gives 1 row).
    """
    page_size = DEFAULT_LIMIT if limit is None else max(1, min(MAX_LIMIT, limit))
    before = Cursor.parse(cursor).key() if cursor is not None else None
    providers = set(model_providers) if model_providers else None
    kinds = set(source_kinds) if source_kinds else INTERACTIVE_KINDS
    root = codex_home / (ARCHIVED_DIR if archived else SESSIONS_DIR)

    candidates: Iterator[tuple[Path, float | None]]
    if sort_key == "updated_at":
        candidates = iter_updated(root, archived, before)
    else:
        candidates = ((path, None) for path in iter_created(root, archived, before))

    rows: list[ThreadSummary] = []
    more = False
    for path, mtime in candidates:
        # 0.94 hands out a cursor as soon as another file follows a full page, before reading
        # or filtering it (so a last full page may lead to an empty one).
        if len(rows) == page_size:
            more = True
            break
        try:
            head = read_head(path)
            if head.preview is None or head.meta is None:
                continue
            summary = summarize(path, head, default_provider=default_provider, mtime=mtime)
        except OSError:
            continue  # moved or deleted while we walked
        if summary is None:
            continue
        if providers is not None and summary.model_provider not in providers:
            continue
        if source_kind(head.meta.get("source")) not in kinds:
            continue
        rows.append(summary)
    next_cursor = None
    if more:
        last = rows[-1]
        ts = (
            seconds_to_file_ts(last.updated_at)
            if sort_key == "updated_at"
            else time.strftime(FILE_TS_FORMAT, time.gmtime(last.created_at))
        )
        next_cursor = Cursor(ts, last.id).encode()
    return ThreadPage(rows, next_cursor)
