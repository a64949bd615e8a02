"""Threads loaded in this process: their settings and rollout writer.

The wire shapes (`Thread`, the thread/start result) are built here from plain values so the
api layer stays thin; turns (the agent loop) attach to a LoadedThread later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import PROTOCOL_VERSION

JsonObject = dict[str, Any]

SANDBOX_POLICIES: dict[str, JsonObject] = {
    "read-only": {"type": "readOnly"},
    "workspace-write": {
        "type": "workspaceWrite",
        "writableRoots": [],
        "networkAccess": False,
        "excludeTmpdirEnvVar": False,
        "excludeSlashTmp": False,
    },
    "danger-full-access": {"type": "dangerFullAccess"},
}


@dataclass(slots=True)
class ThreadSettings:
    """What a thread runs with, resolved from config and the request's overrides."""

    model: str
    model_provider: str
    cwd: str
    approval_policy: str
    sandbox_mode: str
    reasoning_effort: str | None
    base_instructions: str
    developer_instructions: str | None = None
    reasoning_summary: str | None = None

    @property
    def sandbox_policy(self) -> JsonObject:
        return dict(SANDBOX_POLICIES.get(self.sandbox_mode, SANDBOX_POLICIES["read-only"]))


@dataclass(frozen=True, slots=True)
class TokenTotals:
    """Running token usage of a thread: the total and the last response's."""

    total: Any = None  # model.events.TokenUsage
    last: Any = None

    def add(self, usage: Any) -> TokenTotals:
        from ..model.events import TokenUsage

        base = self.total or TokenUsage()
        summed = TokenUsage(
            input_tokens=base.input_tokens + usage.input_tokens,
            cached_input_tokens=base.cached_input_tokens + usage.cached_input_tokens,
            output_tokens=base.output_tokens + usage.output_tokens,
            reasoning_output_tokens=base.reasoning_output_tokens + usage.reasoning_output_tokens,
            total_tokens=base.total_tokens + usage.total_tokens,
        )
        return TokenTotals(summed, usage)

    @staticmethod
    def _wire(usage: Any) -> JsonObject:
        return {
            "totalTokens": usage.total_tokens,
            "inputTokens": usage.input_tokens,
            "cachedInputTokens": usage.cached_input_tokens,
            "outputTokens": usage.output_tokens,
            "reasoningOutputTokens": usage.reasoning_output_tokens,
        }

    @staticmethod
    def _record(usage: Any) -> JsonObject:
        from ..store.records import token_usage

        return token_usage(
            usage.input_tokens,
            usage.cached_input_tokens,
            usage.output_tokens,
            usage.reasoning_output_tokens,
            usage.total_tokens,
        )

    def total_wire(self) -> JsonObject:
        return self._wire(self.total)

    def last_wire(self) -> JsonObject:
        return self._wire(self.last)

    def total_record(self) -> JsonObject:
        return self._record(self.total)

    def last_record(self) -> JsonObject:
        return self._record(self.last)


def totals_from_records(records: list[JsonObject]) -> TokenTotals | None:
    """The token usage a rollout last recorded (resume and fork carry it on, as 0.94)."""
    from ..model.events import TokenUsage

    for record in reversed(records):
        payload = record.get("payload") or {}
        if record.get("type") == "event_msg" and payload.get("type") == "token_count":
            info = payload.get("info")
            if not isinstance(info, dict):
                return None
            total, last = info.get("total_token_usage"), info.get("last_token_usage")
            if not isinstance(total, dict):
                return None
            return TokenTotals(
                TokenUsage.from_record(total),
                TokenUsage.from_record(last if isinstance(last, dict) else total),
            )
    return None


_NO_RATE_LIMITS: JsonObject = {
    "primary": None,
    "secondary": None,
    "credits": None,
    "planType": None,
}


@dataclass(slots=True)
class LoadedThread:
    thread_id: str
    settings: ThreadSettings
    created: datetime
    path: Path | None  # None for an ephemeral thread
    git_info: JsonObject | None
    writer: Any = None  # store.RolloutWriter; None when ephemeral
    preview: str = ""
    updated: datetime | None = None
    turns: list[JsonObject] = field(default_factory=list)
    history: list[JsonObject] = field(default_factory=list)  # the model input so far
    context_sent: bool = False
    tokens: TokenTotals | None = None
    rate_limits: Any = None  # auth.ratelimits.RateLimitSnapshot
    running: Any = None  # core.turn.TurnRun of the turn in progress
    task: Any = None  # its asyncio task
    next_id: int = 0

    def take_id(self) -> str:
        """Turn ids count every operation on the thread (turns, name sets; S13)."""
        value = str(self.next_id)
        self.next_id += 1
        return value

    def rate_limits_wire(self) -> JsonObject:
        return self.rate_limits.to_wire() if self.rate_limits is not None else dict(_NO_RATE_LIMITS)

    def to_wire(self, *, include_turns: bool = False) -> JsonObject:
        """v2 `Thread`, plus the fields newer clients require (status, ephemeral,
        sessionId), which stay valid against the 0.94 schema."""
        status: JsonObject = (
            {"type": "active", "activeFlags": []} if self.running is not None else {"type": "idle"}
        )
        created = int(self.created.timestamp())
        updated = int(self.updated.timestamp()) if self.updated else created
        return {
            "id": self.thread_id,
            "preview": self.preview,
            "modelProvider": self.settings.model_provider,
            "createdAt": created,
            "updatedAt": updated,
            "path": str(self.path) if self.path is not None else None,
            "cwd": self.settings.cwd,
            "cliVersion": PROTOCOL_VERSION,
            "source": "vscode",
            "gitInfo": self.git_info,
            "turns": list(self.turns) if include_turns else [],
            "status": status,
            "ephemeral": self.path is None,
            "sessionId": self.thread_id,
        }

    def start_result(self) -> JsonObject:
        """The thread/start (and resume/fork) result around this thread."""
        s = self.settings
        return {
            "thread": self.to_wire(),
            "model": s.model,
            "modelProvider": s.model_provider,
            "cwd": s.cwd,
            "approvalPolicy": s.approval_policy,
            "sandbox": s.sandbox_policy,
            "reasoningEffort": s.reasoning_effort,
            "approvalsReviewer": "user",
        }


class ThreadRegistry:
    """The loaded threads, in load order (thread/loaded/list)."""

    def __init__(self) -> None:
        self._threads: dict[str, LoadedThread] = {}

    def add(self, thread: LoadedThread) -> None:
        self._threads[thread.thread_id] = thread

    def get(self, thread_id: str) -> LoadedThread | None:
        return self._threads.get(thread_id)

    def remove(self, thread_id: str) -> LoadedThread | None:
        return self._threads.pop(thread_id, None)

    def ids(self) -> list[str]:
        return list(self._threads)
