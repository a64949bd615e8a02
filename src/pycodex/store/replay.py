"""Read a rollout back: tolerant line parsing, turns for `thread/read`, model input for resume.

A torn or invalid line is skipped, never fatal. Only `userMessage` and `agentMessage` items are
rebuilt (0.94 keeps no file changes, commands or tool calls in the stored turns).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

JsonObject = dict[str, Any]

# Items that leave a turn waiting for more model output: a turn whose last such record is one of
# these, with no assistant message after it, was cut short.
_PENDING_TYPES = frozenset(
    {
        "function_call",
        "function_call_output",
        "custom_tool_call",
        "custom_tool_call_output",
        "local_shell_call",
        "web_search_call",
    }
)


def parse_line(raw: bytes) -> JsonObject | None:
    """A rollout record, or None for a torn, invalid or non-record line."""
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        return None
    if not isinstance(value.get("payload"), dict):
        return None
    return value


def iter_valid_lines(handle: BinaryIO) -> Iterator[tuple[bytes, JsonObject]]:
    """`(raw line without newline, record)` for every parsable line, in file order."""
    for raw in handle:
        stripped = raw.rstrip(b"\r\n")
        if not stripped.strip():
            continue
        record = parse_line(stripped)
        if record is not None:
            yield stripped, record


def read_records(path: Path) -> list[JsonObject]:
    with path.open("rb") as handle:
        return [record for _, record in iter_valid_lines(handle)]


@dataclass
class _Turn:
    history_start: int
    items: list[JsonObject] = field(default_factory=list)
    answered: bool = False
    aborted: bool = False
    error: str | None = None


@dataclass
class Replay:
    """What a rollout holds: its session_meta, the turns (wire shape) and the model input."""

    meta: JsonObject | None
    turns: list[JsonObject]
    history: list[JsonObject]
    preview: str


def _user_item(payload: JsonObject) -> JsonObject:
    content: list[JsonObject] = []
    text = payload.get("message")
    elements = payload.get("text_elements")
    content.append(
        {
            "type": "text",
            "text": text if isinstance(text, str) else "",
            "text_elements": elements if isinstance(elements, list) else [],
        }
    )
    for url in payload.get("images") or []:
        content.append({"type": "image", "url": url})
    for local in payload.get("local_images") or []:
        content.append({"type": "localImage", "path": local})
    return {"type": "userMessage", "content": content}


def _is_user_message(item: JsonObject) -> bool:
    return item.get("type") == "message" and item.get("role") == "user"


def replay(records: list[JsonObject]) -> Replay:
    """Rebuild turns and history the way 0.94 does, except that a turn cut by a crash (no final
    assistant message, no abort record) reads back `interrupted` (decisions.md; 0.94 says
    `completed`). Rollbacks (`thread_rolled_back`) drop turns and their model input."""
    meta: JsonObject | None = None
    turns: list[_Turn] = []
    history: list[JsonObject] = []
    preview: str | None = None
    for record in records:
        kind, payload = record["type"], record["payload"]
        if kind == "session_meta":
            if meta is None:
                meta = payload
        elif kind == "response_item":
            history.append(payload)
            if turns:
                item_type = payload.get("type")
                if item_type == "message" and payload.get("role") == "assistant":
                    turns[-1].answered = True
                elif item_type in _PENDING_TYPES:
                    turns[-1].answered = False
        elif kind == "compacted":
            replacement = payload.get("replacement_history")
            if isinstance(replacement, list):
                history = [item for item in replacement if isinstance(item, dict)]
            else:
                kept = [item for item in history if _is_user_message(item)]
                summary = payload.get("message")
                if isinstance(summary, str):
                    kept.append(
                        {
                            "type": "message",
                            "role": "user",
                            "content": [{"type": "input_text", "text": summary}],
                        }
                    )
                history = kept
            for turn in turns:
                turn.history_start = min(turn.history_start, len(history))
        elif kind == "event_msg":
            _apply_event(payload, turns, history)
            if preview is None and payload.get("type") == "user_message":
                message = payload.get("message")
                preview = message if isinstance(message, str) else ""
            if payload.get("type") == "thread_rolled_back":
                history = _rolled_back(payload, turns, history)
    return Replay(meta=meta, turns=_wire_turns(turns), history=history, preview=preview or "")


def _apply_event(payload: JsonObject, turns: list[_Turn], history: list[JsonObject]) -> None:
    event = payload.get("type")
    if event == "user_message":
        floor = turns[-1].history_start if turns else 0
        start = len(history)
        # The turn's model input starts at its own user message, written just before the event.
        if history and _is_user_message(history[-1]) and len(history) - 1 >= floor:
            start = len(history) - 1
        turns.append(_Turn(history_start=start, items=[_user_item(payload)]))
    elif event == "agent_message":
        if not turns:
            turns.append(_Turn(history_start=len(history)))
        text = payload.get("message")
        turns[-1].items.append(
            {"type": "agentMessage", "text": text if isinstance(text, str) else ""}
        )
    elif event == "turn_aborted" and turns:
        turns[-1].aborted = True
    elif event == "error" and turns:
        message = payload.get("message")
        turns[-1].error = message if isinstance(message, str) else "error"


def _rolled_back(
    payload: JsonObject, turns: list[_Turn], history: list[JsonObject]
) -> list[JsonObject]:
    count = payload.get("num_turns")
    if not isinstance(count, int) or count <= 0 or not turns:
        return history
    count = min(count, len(turns))
    cut = turns[-count].history_start
    del turns[-count:]
    return history[:cut]


def _wire_turns(turns: list[_Turn]) -> list[JsonObject]:
    """Thread-wide renumbering: `turn-1`…, and `item-1`… across all turns (S2)."""
    out: list[JsonObject] = []
    item_number = 0
    for index, turn in enumerate(turns, start=1):
        items = []
        for item in turn.items:
            item_number += 1
            items.append({"type": item["type"], "id": f"item-{item_number}", **_body(item)})
        if turn.error is not None:
            status, error = "failed", {"message": turn.error}
        elif turn.aborted or not turn.answered:
            status, error = "interrupted", None
        else:
            status, error = "completed", None
        out.append({"id": f"turn-{index}", "items": items, "status": status, "error": error})
    return out


def _body(item: JsonObject) -> JsonObject:
    return {key: value for key, value in item.items() if key != "type"}


def replay_file(path: Path) -> Replay:
    """Read and rebuild one rollout file (blocking; call it from a worker thread)."""
    return replay(read_records(path))
