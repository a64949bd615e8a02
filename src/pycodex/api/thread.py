"""`thread/*` without turns: start, read, list, loaded/list, name/set, archive, unarchive.

Threads live in the store (rollouts in CODEX_HOME) and, once started in this process, in the
registry, where `api/turn.py` runs their turns.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..rpc.connection import after_response
from ..rpc.errors import invalid_request
from .app import App
from .ids import parse_thread_id

if TYPE_CHECKING:
    from ..core.threads import LoadedThread, ThreadRegistry, ThreadSettings
    from ..rpc.router import Router
    from ..store import ThreadStore


class _Threads:
    def __init__(self, app: App) -> None:
        self.app = app
        self._store: ThreadStore | None = None
        self._registry: ThreadRegistry | None = None

    @property
    def store(self) -> ThreadStore:
        if self._store is None:
            from ..store import ThreadStore

            self._store = ThreadStore(
                self.app.config.codex_home, default_provider=self.app.config.model_provider_id
            )
        return self._store

    @property
    def registry(self) -> ThreadRegistry:
        if self._registry is None:
            from ..core.threads import ThreadRegistry

            self._registry = ThreadRegistry()
        return self._registry

    def _wire(self, summary: Any) -> dict[str, Any]:
        """A stored thread as `Thread`, with the newer clients' fields (status and so on)."""
        wire: dict[str, Any] = summary.to_wire()
        loaded = self.registry.get(wire["id"]) is not None
        wire["status"] = {"type": "idle" if loaded else "notLoaded"}
        wire["ephemeral"] = False
        wire["sessionId"] = wire["id"]
        return wire

    # -- handlers -------------------------------------------------------------------------
    async def start(self, params: Any) -> dict[str, Any]:
        from datetime import UTC, datetime

        from ..core.threads import LoadedThread
        from ..store import records

        settings = self._settings(params)
        thread_id = str(records.uuid7())
        created = datetime.now(UTC)
        git = records.git_info(Path(settings.cwd))
        thread = LoadedThread(
            thread_id=thread_id,
            settings=settings,
            created=created,
            path=None,
            git_info=_wire_git(git),
        )
        if not params.ephemeral:
            writer = await self.store.create(
                thread_id=thread_id,
                created=created,
                cwd=settings.cwd,
                originator=self.app.originator,
                model_provider=settings.model_provider,
                base_instructions=settings.base_instructions,
                git=git,
            )
            thread.writer = writer
            thread.path = writer.path
        self.registry.add(thread)
        result = thread.start_result()
        after_response(lambda: self.app.notify("thread/started", {"thread": result["thread"]}))
        return result

    async def _load(
        self, thread_id: str, path: Path, settings: ThreadSettings, writer: Any
    ) -> LoadedThread:
        """A LoadedThread over a stored rollout: its turns, model input and token usage."""
        import asyncio
        from datetime import UTC, datetime

        from ..core.threads import LoadedThread, totals_from_records
        from ..store.replay import read_records

        summary, replay = await self.store.read(path)
        records = await asyncio.to_thread(read_records, path)
        created = datetime.fromtimestamp(summary.created_at if summary else 0, UTC)
        thread = LoadedThread(
            thread_id=thread_id,
            settings=settings,
            created=created,
            path=path,
            git_info=summary.git_info if summary else None,
            writer=writer,
            preview=replay.preview,
        )
        thread.turns = list(replay.turns)
        thread.history = list(replay.history)
        thread.tokens = totals_from_records(records)
        # context_sent stays False: 0.94 sends the initial context again after a resume or a
        # fork (S15), so the first turn re-injects it after the stored history.
        return thread

    async def resume(self, params: Any) -> dict[str, Any]:
        thread_id = parse_thread_id(params.thread_id)
        current = self.registry.get(thread_id)
        if current is not None and current.running is not None:
            return {**current.start_result(), "thread": current.to_wire(include_turns=True)}
        path = Path(params.path) if params.path else await self.store.find(thread_id)
        if path is None:
            raise invalid_request(f"no rollout found for thread id {thread_id}")
        if current is not None and current.writer is not None:
            await current.writer.close()
        writer = await self.store.reopen(path)
        thread = await self._load(thread_id, path, self._settings(params), writer)
        self.registry.add(thread)
        result = thread.start_result()
        result["thread"] = thread.to_wire(include_turns=True)
        return result

    async def fork(self, params: Any) -> dict[str, Any]:
        from datetime import UTC, datetime

        from ..store import records

        source_id = parse_thread_id(params.thread_id)
        source = Path(params.path) if params.path else await self.store.find(source_id)
        if source is None:
            raise invalid_request(f"no rollout found for thread id {source_id}")
        settings = self._settings(params)
        thread_id = str(records.uuid7())
        writer = await self.store.fork(
            source,
            thread_id=thread_id,
            forked_from_id=source_id,
            created=datetime.now(UTC),
            cwd=settings.cwd,
            originator=self.app.originator,
            model_provider=settings.model_provider,
            base_instructions=settings.base_instructions,
            git=records.git_info(Path(settings.cwd)),
        )
        thread = await self._load(thread_id, writer.path, settings, writer)
        self.registry.add(thread)
        result = thread.start_result()
        result["thread"] = thread.to_wire(include_turns=True)
        started = {"thread": result["thread"]}
        after_response(lambda: self.app.notify("thread/started", started))
        return result

    async def read(self, params: Any) -> dict[str, Any]:
        thread_id = parse_thread_id(params.thread_id)
        loaded = self.registry.get(thread_id)
        path = loaded.path if loaded is not None else await self.store.find(thread_id)
        if path is None:
            if loaded is not None:  # ephemeral: nothing on disk
                return {"thread": loaded.to_wire(include_turns=bool(params.include_turns))}
            raise invalid_request(f"thread not loaded: {thread_id}")
        if params.include_turns:
            summary, replay = await self.store.read(path)
        else:
            summary, replay = await self.store.summary(path), None
        if summary is None:
            raise invalid_request(f"thread not loaded: {thread_id}")
        wire = self._wire(summary)
        if replay is not None:
            wire["turns"] = replay.turns
        return {"thread": wire}

    async def list(self, params: Any) -> dict[str, Any]:
        from ..store import InvalidCursor

        try:
            page = await self.store.list(
                cursor=params.cursor,
                limit=params.limit,
                sort_key=params.sort_key or "created_at",
                model_providers=params.model_providers,
                archived=bool(params.archived),
            )
        except InvalidCursor as exc:
            raise invalid_request(str(exc)) from None
        return {"data": [self._wire(s) for s in page.data], "nextCursor": page.next_cursor}

    async def loaded_list(self, _params: Any) -> dict[str, Any]:
        return {"data": self.registry.ids(), "nextCursor": None}

    async def name_set(self, params: Any) -> dict[str, Any]:
        name = params.name.strip()
        if not name:
            raise invalid_request("thread name must not be empty")
        thread_id = parse_thread_id(params.thread_id)
        loaded = self.registry.get(thread_id)
        if loaded is None:
            raise invalid_request(f"thread not found: {thread_id}")
        loaded.take_id()  # 0.94 spends a turn id on every thread operation (S13)
        await self.store.set_name(thread_id, name)
        after_response(
            lambda: self.app.notify(
                "thread/name/updated", {"threadId": thread_id, "threadName": name}
            )
        )
        return {}

    async def archive(self, params: Any) -> dict[str, Any]:
        from ..store import RolloutNotFound

        thread_id = parse_thread_id(params.thread_id)
        loaded = self.registry.remove(thread_id)
        if loaded is not None:
            if loaded.task is not None:
                loaded.task.cancel()
            if loaded.writer is not None:
                await loaded.writer.close()
        try:
            await self.store.archive(thread_id)
        except RolloutNotFound as exc:
            raise invalid_request(str(exc)) from None
        return {}

    async def unarchive(self, params: Any) -> dict[str, Any]:
        from ..store import RolloutNotFound

        thread_id = parse_thread_id(params.thread_id)
        try:
            summary = await self.store.unarchive(thread_id)
        except RolloutNotFound as exc:
            raise invalid_request(str(exc)) from None
        return {"thread": self._wire(summary)}

    async def rollback(self, params: Any) -> dict[str, Any]:
        import json

        from ..core.threads import TokenTotals
        from ..core.turn import token_count_record, usage_notes
        from ..model.events import TokenUsage
        from ..store import records

        if params.num_turns < 1:
            raise invalid_request("numTurns must be >= 1")
        thread_id = parse_thread_id(params.thread_id)
        thread = self.registry.get(thread_id)
        if thread is None:
            raise invalid_request(f"thread not found: {thread_id}")
        if thread.running is not None:
            raise invalid_request("rollback already in progress for this thread")
        if thread.writer is None or thread.path is None:
            raise invalid_request("thread has no persisted rollout")
        op_id = thread.take_id()  # a rollback spends a turn id too (S13)
        await thread.writer.append(records.thread_rolled_back(params.num_turns))
        _, replay = await self.store.read(thread.path)
        thread.turns = list(replay.turns)
        thread.history = list(replay.history)
        # Like 0.94, report an estimate of what the next prompt (instructions and remaining
        # history) costs as `last`, at about 4 bytes a token; the totals stay what was spent.
        prompt = len(thread.settings.base_instructions)
        size = (prompt + sum(len(json.dumps(item)) for item in thread.history)) // 4
        estimate = TokenUsage(total_tokens=size)
        totals = thread.tokens or TokenTotals(TokenUsage(), estimate)
        thread.tokens = TokenTotals(totals.total, estimate)
        await thread.writer.append(token_count_record(thread))
        usage_notes(thread, op_id, self.app.notify)
        return {"thread": thread.to_wire(include_turns=True)}

    # -- settings -------------------------------------------------------------------------
    def _settings(self, params: Any) -> ThreadSettings:
        """Config (file, profile, `-c`, the request's `config`), then the explicit params."""
        from ..config.model import load
        from ..core.instructions import BASE_INSTRUCTIONS
        from ..core.threads import ThreadSettings

        config = load(self.app.options.config_overrides, params.config or None)
        cwd = os.path.join(os.getcwd(), params.cwd) if params.cwd else os.getcwd()
        return ThreadSettings(
            model=params.model or config.model,
            model_provider=params.model_provider or config.model_provider_id,
            cwd=os.path.normpath(cwd),
            approval_policy=params.approval_policy or config.approval_policy,
            sandbox_mode=params.sandbox or config.sandbox_mode,
            reasoning_effort=config.model_reasoning_effort,
            reasoning_summary=config.model_reasoning_summary,
            base_instructions=params.base_instructions or BASE_INSTRUCTIONS,
            developer_instructions=params.developer_instructions,
        )


def _wire_git(git: dict[str, Any] | None) -> dict[str, Any] | None:
    from ..store.listing import wire_git_info

    return wire_git_info(git)


def register(router: Router, app: App) -> _Threads:
    h = _Threads(app)
    for method, handler in (
        ("thread/start", h.start),
        ("thread/read", h.read),
        ("thread/list", h.list),
        ("thread/loaded/list", h.loaded_list),
        ("thread/name/set", h.name_set),
        ("thread/archive", h.archive),
        ("thread/unarchive", h.unarchive),
        ("thread/rollback", h.rollback),
        ("thread/resume", h.resume),
        ("thread/fork", h.fork),
    ):
        router.register(method, handler)
    return h
