"""Threads on disk in the 0.94 rollout format: writer, replay, listing, archive, names.

A core package: it never imports `pycodex.rpc` or `pycodex.api`. Blocking file work runs in
worker threads, so every `ThreadStore` method is safe to await on the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from pycodex.store import records
from pycodex.store.archive import RolloutNotFound, archive, find_rollout, unarchive
from pycodex.store.listing import (
    Cursor,
    InvalidCursor,
    SortKey,
    StoreError,
    ThreadPage,
    ThreadSummary,
    list_threads,
    read_summary,
)
from pycodex.store.names import set_thread_name, thread_names
from pycodex.store.records import RolloutItem, uuid7
from pycodex.store.replay import Replay, replay_file
from pycodex.store.rollout import RolloutFile, RolloutWriter

__all__ = [
    "Cursor",
    "InvalidCursor",
    "Replay",
    "RolloutFile",
    "RolloutItem",
    "RolloutNotFound",
    "RolloutWriter",
    "StoreError",
    "ThreadPage",
    "ThreadStore",
    "ThreadSummary",
    "records",
    "uuid7",
]


class ThreadStore:
    """Async facade over one CODEX_HOME's threads, for the `thread/*` handlers."""

    def __init__(self, codex_home: Path, *, default_provider: str = "openai") -> None:
        self.codex_home = codex_home
        self.default_provider = default_provider

    async def create(
        self,
        *,
        thread_id: str,
        created: datetime,
        cwd: Path | str,
        originator: str,
        model_provider: str,
        base_instructions: str,
        git: dict[str, object] | None = None,
    ) -> RolloutWriter:
        """A new rollout holding session_meta (call at thread/start, before any turn)."""
        return await RolloutWriter.create(
            self.codex_home,
            thread_id=thread_id,
            created=created,
            cwd=cwd,
            originator=originator,
            model_provider=model_provider,
            base_instructions=base_instructions,
            git=git,
        )

    async def reopen(self, path: Path) -> RolloutWriter:
        """Append to an existing rollout (resume); heals a torn last line first."""
        return await RolloutWriter.open(path)

    async def fork(
        self,
        source: Path,
        *,
        thread_id: str,
        forked_from_id: str,
        created: datetime,
        cwd: Path | str,
        originator: str,
        model_provider: str,
        base_instructions: str,
        git: dict[str, object] | None = None,
    ) -> RolloutWriter:
        return await RolloutWriter.fork(
            self.codex_home,
            source,
            thread_id=thread_id,
            forked_from_id=forked_from_id,
            created=created,
            cwd=cwd,
            originator=originator,
            model_provider=model_provider,
            base_instructions=base_instructions,
            git=git,
        )

    async def list(
        self,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        sort_key: SortKey = "created_at",
        model_providers: Sequence[str] | None = None,
        source_kinds: Sequence[str] | None = None,
        archived: bool = False,
    ) -> ThreadPage:
        """`thread/list`; raises InvalidCursor (`invalid cursor: <c>`).

        `model_providers` None (omitted on the wire) lists only `default_provider`, the configured
        one, as 0.94 does; `[]` lists every provider.
        """
        providers = [self.default_provider] if model_providers is None else model_providers
        return await asyncio.to_thread(
            list_threads,
            self.codex_home,
            cursor=cursor,
            limit=limit,
            sort_key=sort_key,
            model_providers=providers,
            source_kinds=source_kinds,
            archived=archived,
            default_provider=self.default_provider,
        )

    async def find(self, thread_id: str, *, archived: bool = False) -> Path | None:
        return await asyncio.to_thread(find_rollout, self.codex_home, thread_id, archived=archived)

    async def summary(self, path: Path) -> ThreadSummary | None:
        return await asyncio.to_thread(read_summary, path, default_provider=self.default_provider)

    async def read(self, path: Path) -> tuple[ThreadSummary | None, Replay]:
        """Summary plus turns and model input (thread/read includeTurns, resume, fork).

        Raises StoreError `failed to load rollout `<path>`: <reason>` when it cannot be read.
        """

        def work() -> tuple[ThreadSummary | None, Replay]:
            try:
                summary = read_summary(path, default_provider=self.default_provider)
                return summary, replay_file(path)
            except OSError as exc:
                # Worded as 0.94 (Rust io::Error): "No such file or directory (os error 2)".
                reason = f"{exc.strerror} (os error {exc.errno})" if exc.errno else str(exc)
                raise StoreError(f"failed to load rollout `{path}`: {reason}") from exc

        return await asyncio.to_thread(work)

    async def archive(self, thread_id: str) -> Path:
        """Raises RolloutNotFound (`no rollout found for thread id <id>`)."""
        return await asyncio.to_thread(archive, self.codex_home, thread_id)

    async def unarchive(self, thread_id: str) -> ThreadSummary:
        """Raises RolloutNotFound (`no archived rollout found for thread id <id>`)."""
        return await asyncio.to_thread(
            unarchive, self.codex_home, thread_id, default_provider=self.default_provider
        )

    async def set_name(self, thread_id: str, name: str) -> None:
        await asyncio.to_thread(set_thread_name, self.codex_home, thread_id, name)

    async def names(self) -> dict[str, str]:
        return await asyncio.to_thread(thread_names, self.codex_home)
