"""Responses SSE payloads → typed `ResponseEvent`s, one event in, at most one event out.

Pure: the HTTP client feeds it decoded `data:` objects. Nothing is buffered or coalesced, so
deltas reach the engine one-for-one. `response.failed` raises a `Failure`.
"""

from __future__ import annotations

from typing import Any

from pycodex.model.errors import response_failed
from pycodex.model.events import (
    Completed,
    Created,
    OutputItemAdded,
    OutputItemDone,
    OutputTextDelta,
    RawEvent,
    ReasoningContentDelta,
    ReasoningSummaryDelta,
    ReasoningSummaryPartAdded,
    ResponseEvent,
    TokenUsage,
)


def _str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _completed(response: dict[str, Any]) -> Completed:
    usage = response.get("usage")
    token_usage = TokenUsage.from_wire(usage) if isinstance(usage, dict) else None
    return Completed(str(response.get("id") or ""), token_usage)


def parse_event(data: dict[str, Any]) -> ResponseEvent | None:
    """The typed event for one payload; None for a known event missing its fields (upstream
    skips those too); `RawEvent` for any other type."""
    kind = _str(data, "type") or ""
    item_id = _str(data, "item_id")
    if kind == "response.output_text.delta":
        delta = _str(data, "delta")
        return None if delta is None else OutputTextDelta(delta, item_id)
    if kind in ("response.output_item.added", "response.output_item.done"):
        item = data.get("item")
        if not isinstance(item, dict):
            return None
        return OutputItemAdded(item) if kind.endswith("added") else OutputItemDone(item)
    if kind == "response.reasoning_summary_text.delta":
        delta, index = _str(data, "delta"), _int(data, "summary_index")
        if delta is None or index is None:
            return None
        return ReasoningSummaryDelta(delta, index, item_id)
    if kind == "response.reasoning_text.delta":
        delta, index = _str(data, "delta"), _int(data, "content_index")
        if delta is None or index is None:
            return None
        return ReasoningContentDelta(delta, index, item_id)
    if kind == "response.reasoning_summary_part.added":
        index = _int(data, "summary_index")
        return None if index is None else ReasoningSummaryPartAdded(index, item_id)
    response = data.get("response")
    if kind == "response.created":
        if not isinstance(response, dict):
            return None
        return Created(_str(response, "id"))
    if kind == "response.completed":
        return _completed(response) if isinstance(response, dict) else None
    if kind == "response.failed":
        raise response_failed(response if isinstance(response, dict) else {})
    return RawEvent(kind, data)
