"""Rollout line shapes, as codex 0.94 writes them, plus names, ids and timestamps.

Pure data: no I/O here. Every builder returns a `RolloutItem` whose payload is exactly the JSON
the reference writes (key order included), confirmed against rollouts the 0.94 binary produced
(tests/store/test_interop.py rebuilds a reference text turn byte for byte). Record order:

* thread start: `session_meta`, then the initial context as `message`s: developer
  (permissions), user (AGENTS.md / skills), user (`<environment_context>`);
* each text turn: `message` user, `user_message`, `turn_context`, `token_count` (info null on the
  first turn, the previous totals after), then per reply `agent_message` + `message` assistant,
  then `token_count` with the usage;
* interrupt: `message("user", INTERRUPTED_MARKER)`, `turn_aborted`; rollback: `token_count`,
  `thread_rolled_back`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CLI_VERSION = "0.94.0"
SESSIONS_DIR = "sessions"
ARCHIVED_DIR = "archived_sessions"
SESSION_INDEX = "session_index.jsonl"

FILE_TS_FORMAT = "%Y-%m-%dT%H-%M-%S"
_FILE_RE = re.compile(
    r"^rollout-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2})-"
    r"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\.jsonl$"
)

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class RolloutItem:
    """One line's `type` and `payload`; the timestamp is stamped when it is written."""

    type: str
    payload: JsonObject


def uuid7(now_ms: int | None = None) -> uuid.UUID:
    """RFC 9562 UUIDv7: 48-bit Unix ms, version 7, 74 random bits with the variant."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= secrets.randbits(12) << 64
    value |= 0b10 << 62
    value |= secrets.randbits(62)
    return uuid.UUID(int=value)


def iso_ms(moment: datetime) -> str:
    """`2026-01-29T10:00:00.123Z`, the line and session_meta timestamp format."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_nanos(moment: datetime) -> str:
    """RFC 3339 with nanoseconds, as session_index.jsonl's `updated_at` (microseconds padded)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}000Z"


def now_utc() -> datetime:
    return datetime.now(UTC)


def encode_line(item: RolloutItem, moment: datetime | None = None) -> bytes:
    """One complete JSONL line: compact, UTF-8 unescaped (as serde_json), newline-terminated."""
    line = {"timestamp": iso_ms(moment or now_utc()), "type": item.type, "payload": item.payload}
    return (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


# -- file names ------------------------------------------------------------------------------


def rollout_file_name(created: datetime, thread_id: uuid.UUID | str) -> str:
    return f"rollout-{created.astimezone(UTC).strftime(FILE_TS_FORMAT)}-{thread_id}.jsonl"


def rollout_path(codex_home: Path, created: datetime, thread_id: uuid.UUID | str) -> Path:
    """`sessions/YYYY/MM/DD/rollout-<ts>-<id>.jsonl` (UTC, as observed on the reference host)."""
    created = created.astimezone(UTC)
    day = codex_home / SESSIONS_DIR / f"{created:%Y}" / f"{created:%m}" / f"{created:%d}"
    return day / rollout_file_name(created, thread_id)


def parse_file_name(name: str) -> tuple[str, str] | None:
    """`(timestamp text, thread id)` of a rollout file name, or None if it is not one."""
    match = _FILE_RE.match(name)
    if match is None:
        return None
    return match.group(1), match.group(2).lower()


def file_ts_seconds(ts: str) -> int:
    """Unix seconds of a file-name timestamp, read as UTC."""
    return int(datetime.strptime(ts, FILE_TS_FORMAT).replace(tzinfo=UTC).timestamp())


def seconds_to_file_ts(seconds: float) -> str:
    return datetime.fromtimestamp(int(seconds), UTC).strftime(FILE_TS_FORMAT)


# -- builders --------------------------------------------------------------------------------


def git_info(cwd: Path) -> JsonObject | None:
    """The `git` object of session_meta for a checkout, `None` outside one.

    Reads `.git` directly (HEAD, the branch ref, `config` origin) instead of running git, so it
    is cheap enough for thread start. A repository without commits gives `{}` (as observed).
    """
    ceiling = os.environ.get("GIT_CEILING_DIRECTORIES")
    ceilings = {Path(p) for p in ceiling.split(os.pathsep) if p} if ceiling else set()
    for directory in (cwd, *cwd.parents):
        if directory in ceilings:
            return None
        dot_git = directory / ".git"
        if dot_git.is_dir():
            return _read_git_dir(dot_git)
    return None


def _read_git_dir(git_dir: Path) -> JsonObject:
    info: JsonObject = {}
    try:
        head = (git_dir / "HEAD").read_text().strip()
    except OSError:
        return info
    sha: str | None = None
    if head.startswith("ref: "):
        ref = head[5:]
        ref_file = git_dir / ref
        if ref_file.is_file():
            sha = ref_file.read_text().strip() or None
        else:
            sha = _packed_ref(git_dir, ref)
        branch = ref.removeprefix("refs/heads/")
    else:
        sha, branch = head or None, ""
    if sha is not None:
        info["commit_hash"] = sha
        if branch:
            info["branch"] = branch
    url = _origin_url(git_dir)
    if url is not None:
        info["repository_url"] = url
    return info


def _packed_ref(git_dir: Path, ref: str) -> str | None:
    try:
        lines = (git_dir / "packed-refs").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split(" ", 1)
        if len(parts) == 2 and parts[1] == ref:
            return parts[0]
    return None


def _origin_url(git_dir: Path) -> str | None:
    try:
        lines = (git_dir / "config").read_text().splitlines()
    except OSError:
        return None
    in_origin = False
    for raw in lines:
        line = raw.strip()
        if line.startswith("["):
            in_origin = line.replace(" ", "") in ('[remote"origin"]',)
        elif in_origin and line.startswith("url") and "=" in line:
            return line.split("=", 1)[1].strip()
    return None


def session_meta(
    *,
    thread_id: uuid.UUID | str,
    created: datetime,
    cwd: Path | str,
    originator: str,
    model_provider: str,
    base_instructions: str,
    source: str | JsonObject = "vscode",
    forked_from_id: str | None = None,
    git: JsonObject | None = None,
) -> RolloutItem:
    """Line 1. Key order as 0.94: id, forked_from_id?, timestamp, …, base_instructions, git?."""
    payload: JsonObject = {"id": str(thread_id)}
    if forked_from_id is not None:
        payload["forked_from_id"] = forked_from_id
    payload.update(
        timestamp=iso_ms(created),
        cwd=str(cwd),
        originator=originator,
        cli_version=CLI_VERSION,
        source=source,
        model_provider=model_provider,
        base_instructions={"text": base_instructions},
    )
    if git is not None:
        payload["git"] = git
    return RolloutItem("session_meta", payload)


def message(role: str, text: str) -> RolloutItem:
    """`response_item` message; user/developer text is `input_text`, assistant `output_text`."""
    kind = "output_text" if role == "assistant" else "input_text"
    return response_item(
        {"type": "message", "role": role, "content": [{"type": kind, "text": text}]}
    )


def response_item(item: Mapping[str, Any]) -> RolloutItem:
    """Any Responses API item, stored as sent to or received from the model."""
    return RolloutItem("response_item", dict(item))


def user_message(
    text: str,
    *,
    images: Sequence[str] = (),
    local_images: Sequence[str] = (),
    text_elements: Sequence[Any] = (),
) -> RolloutItem:
    return RolloutItem(
        "event_msg",
        {
            "type": "user_message",
            "message": text,
            "images": list(images),
            "local_images": list(local_images),
            "text_elements": list(text_elements),
        },
    )


def agent_message(text: str) -> RolloutItem:
    return RolloutItem("event_msg", {"type": "agent_message", "message": text})


def agent_reasoning(text: str) -> RolloutItem:
    return RolloutItem("event_msg", {"type": "agent_reasoning", "text": text})


_NO_RATE_LIMITS: JsonObject = {
    "primary": None,
    "secondary": None,
    "credits": None,
    "plan_type": None,
}


def token_usage(
    input_tokens: int = 0,
    cached_input_tokens: int = 0,
    output_tokens: int = 0,
    reasoning_output_tokens: int = 0,
    total_tokens: int | None = None,
) -> JsonObject:
    total = input_tokens + output_tokens if total_tokens is None else total_tokens
    return {
        "input_tokens": input_tokens,
        "cached_input_tokens": cached_input_tokens,
        "output_tokens": output_tokens,
        "reasoning_output_tokens": reasoning_output_tokens,
        "total_tokens": total,
    }


def token_count(
    total: JsonObject | None = None,
    last: JsonObject | None = None,
    *,
    model_context_window: int | None = None,
    rate_limits: JsonObject | None = None,
) -> RolloutItem:
    """`token_count`; `info` is null until the model has reported usage (start of turn 1)."""
    info: JsonObject | None = None
    if total is not None:
        info = {
            "total_token_usage": total,
            "last_token_usage": last if last is not None else total,
            "model_context_window": model_context_window,
        }
    limits = dict(_NO_RATE_LIMITS) if rate_limits is None else rate_limits
    return RolloutItem("event_msg", {"type": "token_count", "info": info, "rate_limits": limits})


def turn_context(payload: Mapping[str, Any]) -> RolloutItem:
    """`turn_context`, written after the user message; `turn_context_payload` builds it."""
    return RolloutItem("turn_context", dict(payload))


def turn_context_payload(
    *,
    cwd: Path | str,
    approval_policy: str,
    sandbox_policy: JsonObject,
    model: str,
    personality: str | None = None,
    mode: str = "custom",
    effort: str | None = None,
    summary: str = "auto",
    user_instructions: str | None = None,
    developer_instructions: str | None = None,
    truncation_policy: JsonObject | None = None,
) -> JsonObject:
    """The payload 0.94 writes, in its key order. `sandbox_policy` is the legacy kebab-tagged
    shape (`{"type":"read-only"}`); optional keys are left out when None, as serde skips them."""
    payload: JsonObject = {
        "cwd": str(cwd),
        "approval_policy": approval_policy,
        "sandbox_policy": sandbox_policy,
        "model": model,
    }
    if personality is not None:
        payload["personality"] = personality
    payload["collaboration_mode"] = {
        "mode": mode,
        "settings": {
            "model": model,
            "reasoning_effort": effort,
            "developer_instructions": developer_instructions,
        },
    }
    if effort is not None:
        payload["effort"] = effort
    payload["summary"] = summary
    if user_instructions is not None:
        payload["user_instructions"] = user_instructions
    if developer_instructions is not None:
        payload["developer_instructions"] = developer_instructions
    if truncation_policy is not None:
        payload["truncation_policy"] = truncation_policy
    return payload


def thread_rolled_back(num_turns: int) -> RolloutItem:
    return RolloutItem("event_msg", {"type": "thread_rolled_back", "num_turns": num_turns})


# What 0.94 puts into the model input (and the rollout) when the user interrupts a turn.
INTERRUPTED_MARKER = (
    "<turn_aborted>\nThe user interrupted the previous turn on purpose. If any tools/commands "
    "were aborted, they may have partially executed; verify current state before retrying.\n"
    "</turn_aborted>"
)


def turn_aborted(reason: str = "interrupted") -> RolloutItem:
    """The abort event; on an interrupt 0.94 writes `message("user", INTERRUPTED_MARKER)` first."""
    return RolloutItem("event_msg", {"type": "turn_aborted", "reason": reason})
