"""Synthetic rollouts in the reference's shapes, written with the store's blocking writer."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pycodex.store import records
from pycodex.store.rollout import RolloutFile


def turn_lines(text: str, answer: str | None = None) -> list[records.RolloutItem]:
    """One text turn as 0.94 writes it; `answer=None` leaves it cut (no reply)."""
    lines = [
        records.message("user", text),
        records.user_message(text),
        records.turn_context({"cwd": "/w", "approval_policy": "on-request", "model": "m"}),
        records.token_count(None),
    ]
    if answer is not None:
        usage = records.token_usage(100, output_tokens=10)
        lines += [
            records.agent_message(answer),
            records.message("assistant", answer),
            records.token_count(usage, usage, model_context_window=258400),
        ]
    return lines


def write_thread(
    codex_home: Path,
    created: datetime,
    *,
    thread_id: str | None = None,
    turns: list[str] | None = None,
    provider: str = "mock",
    source: Any = "vscode",
    cwd: str = "/w",
    git: dict[str, Any] | None = None,
) -> Path:
    """A thread with the initial context and one answered turn per text (default: one)."""
    ident = thread_id or str(records.uuid7(int(created.timestamp() * 1000)))
    lines = [
        records.session_meta(
            thread_id=ident,
            created=created,
            cwd=cwd,
            originator="tests",
            model_provider=provider,
            base_instructions="base",
            source=source,
            git=git,
        ),
        records.message("developer", "<permissions instructions>"),
        records.message("user", "<environment_context>"),
    ]
    for text in ["hello"] if turns is None else turns:
        lines += turn_lines(text, f"re: {text}")
    path = records.rollout_path(codex_home, created, ident)
    file = RolloutFile(path, create=True)
    file.write_lines(records.encode_line(item, created) for item in lines)
    file.close()
    return path
