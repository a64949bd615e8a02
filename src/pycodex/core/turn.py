"""One turn of the agent loop: the user's input, sampling rounds against the model, the items
and deltas they produce, token usage, and exactly one `turn/completed` whatever happens.

Core code: notifications leave through the injected `emit(method, params)`; the model is a
`ModelClient`; the rollout is the thread's writer. No tools yet (issue 5): a text turn.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

from ..model.client import ModelClient
from ..model.events import (
    Completed,
    ModelError,
    OutputItemAdded,
    OutputItemDone,
    OutputTextDelta,
    RateLimits,
    ReasoningContentDelta,
    ReasoningSummaryDelta,
    ReasoningSummaryPartAdded,
    Retrying,
)
from ..model.request import ModelRequest, reasoning_for
from ..store import records
from .context import initial_context
from .threads import LoadedThread, TokenTotals

log = logging.getLogger(__name__)

Emit = Callable[[str, dict[str, Any]], None]
JsonObject = dict[str, Any]

MODEL_CONTEXT_WINDOW = 258_400  # what 0.94 reports for its default models


def turn_wire(turn_id: str, status: str, error: JsonObject | None = None) -> JsonObject:
    """v2 `Turn` as live notifications carry it (items always empty, S3)."""
    return {"id": turn_id, "items": [], "status": status, "error": error}


def user_content(inputs: list[JsonObject]) -> list[JsonObject]:
    """`userMessage.content` from `turn/start` input items."""
    content: list[JsonObject] = []
    for item in inputs:
        kind = item.get("type")
        if kind == "text":
            content.append(
                {
                    "type": "text",
                    "text": item["text"],
                    "text_elements": item.get("text_elements", []),
                }
            )
        else:
            content.append(dict(item))
    return content


def model_input(inputs: list[JsonObject]) -> JsonObject:
    """The Responses `message` item for the user's input."""
    parts: list[JsonObject] = []
    for item in inputs:
        kind = item.get("type")
        if kind == "text":
            parts.append({"type": "input_text", "text": item["text"]})
        elif kind == "image":
            parts.append({"type": "input_image", "image_url": item["url"]})
        elif kind == "localImage":
            parts.append({"type": "input_image", "image_url": local_image_url(item["path"])})
    return {"type": "message", "role": "user", "content": parts}


def local_image_url(path: str) -> str:
    """A local image as the data URL the Responses API takes (a missing file says so)."""
    import base64
    import mimetypes
    from pathlib import Path

    mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read image {path}: {exc.strerror or exc}") from None
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _text_of(item: JsonObject) -> str:
    return "".join(
        part.get("text", "")
        for part in item.get("content") or []
        if part.get("type") in ("output_text", "input_text")
    )


def token_count_record(thread: LoadedThread) -> records.RolloutItem:
    """The thread's usage so far as a rollout `token_count` (info null until known)."""
    totals = thread.tokens
    if totals is None:
        return records.token_count()
    return records.token_count(
        totals.total_record(), totals.last_record(), model_context_window=MODEL_CONTEXT_WINDOW
    )


def usage_notes(thread: LoadedThread, turn_id: str, emit: Emit) -> None:
    """What 0.94 derives from each token_count: usage (once known), then rate limits."""
    totals = thread.tokens
    if totals is not None:
        emit(
            "thread/tokenUsage/updated",
            {
                "threadId": thread.thread_id,
                "turnId": turn_id,
                "tokenUsage": {
                    "total": totals.total_wire(),
                    "last": totals.last_wire(),
                    "modelContextWindow": MODEL_CONTEXT_WINDOW,
                },
            },
        )
    emit("account/rateLimits/updated", {"rateLimits": thread.rate_limits_wire()})


class TurnRun:
    """State of one running turn; `run()` is the task the thread keeps for interrupts."""

    def __init__(
        self,
        thread: LoadedThread,
        turn_id: str,
        inputs: list[JsonObject],
        client: ModelClient,
        emit: Emit,
        output_schema: JsonObject | None = None,
    ) -> None:
        self.thread = thread
        self.turn_id = turn_id
        self.inputs = inputs
        self.client = client
        self._emit = emit
        self.output_schema = output_schema
        self.pending: list[list[JsonObject]] = []  # input injected while running (decisions)
        self._open: JsonObject | None = None  # the agent message being streamed
        self._open_text: list[str] = []

    def note(self, method: str, params: JsonObject) -> None:
        self._emit(method, params)

    def _error(self, error: JsonObject, *, will_retry: bool) -> None:
        self.note(
            "error",
            {
                "error": error,
                "willRetry": will_retry,
                "threadId": self.thread.thread_id,
                "turnId": self.turn_id,
            },
        )

    def _item(self, method: str, item: JsonObject) -> None:
        self.note(method, {"item": item, "threadId": self.thread.thread_id, "turnId": self.turn_id})

    async def run(self) -> None:
        """The whole turn; always ends with one turn/completed."""
        status, error = "completed", None
        try:
            await self._user_message(self.inputs)
            await self._sample()
            while self.pending:
                inputs = self.pending.pop(0)
                self.thread.history.append(model_input(inputs))
                await self._append(records.response_item(model_input(inputs)))
                await self._sample()
        except ModelError as exc:
            status, error = "failed", exc.to_wire()
            self._error(error, will_retry=False)
        except asyncio.CancelledError:
            status = "interrupted"
            await asyncio.shield(self._interrupted())
        except Exception as exc:
            log.exception("turn %s of %s failed", self.turn_id, self.thread.thread_id)
            status = "failed"
            error = {
                "message": str(exc) or type(exc).__name__,
                "codexErrorInfo": "other",
                "additionalDetails": None,
            }
            self._error(error, will_retry=False)
        finally:
            self.thread.running = None
            self.note(
                "turn/completed",
                {"threadId": self.thread.thread_id, "turn": turn_wire(self.turn_id, status, error)},
            )

    async def _append(self, *items: records.RolloutItem) -> None:
        if self.thread.writer is not None:
            await self.thread.writer.append(*items)

    async def _user_message(self, inputs: list[JsonObject]) -> None:
        thread = self.thread
        item = {"type": "userMessage", "id": str(uuid.uuid4()), "content": user_content(inputs)}
        self._item("item/started", item)
        self._item("item/completed", item)
        rollout: list[records.RolloutItem] = []
        if not thread.context_sent:
            for message in initial_context(thread.settings):
                thread.history.append(message)
                rollout.append(records.response_item(message))
            thread.context_sent = True
        user = model_input(inputs)
        thread.history.append(user)
        text = "".join(i.get("text", "") for i in inputs if i.get("type") == "text")
        if not thread.preview:
            thread.preview = text
        s = thread.settings
        rollout += [
            records.response_item(user),
            records.user_message(text),
            records.turn_context(
                records.turn_context_payload(
                    cwd=s.cwd,
                    approval_policy=s.approval_policy,
                    sandbox_policy={"type": s.sandbox_mode},
                    model=s.model,
                    effort=s.reasoning_effort,
                )
            ),
        ]
        await self._append(*rollout)

    def _token_count(self) -> records.RolloutItem:
        return token_count_record(self.thread)

    def _usage_notes(self) -> None:
        usage_notes(self.thread, self.turn_id, self._emit)

    async def _sample(self) -> None:
        thread = self.thread
        s = thread.settings
        request = ModelRequest(
            model=s.model,
            instructions=s.base_instructions,
            input=list(thread.history),
            thread_id=thread.thread_id,
            reasoning=reasoning_for(s.model, s.reasoning_effort, s.reasoning_summary),
            output_schema=self.output_schema,
        )
        stream = self.client.stream(request)
        try:
            async for event in stream:
                await self._on_event(event)
        finally:
            await stream.aclose()

    async def _on_event(self, event: Any) -> None:
        thread = self.thread
        if isinstance(event, OutputItemAdded):
            kind = event.item.get("type")
            if kind == "message" and event.item.get("role") == "assistant":
                self._open = {"type": "agentMessage", "id": event.item.get("id"), "text": ""}
                self._open_text = []
                self._item("item/started", self._open)
            elif kind == "reasoning":
                self._item(
                    "item/started",
                    {"type": "reasoning", "id": event.item.get("id"), "summary": [], "content": []},
                )
        elif isinstance(event, OutputTextDelta):
            self._open_text.append(event.delta)
            item_id = self._open["id"] if self._open is not None else event.item_id
            self.note(
                "item/agentMessage/delta",
                {
                    "threadId": thread.thread_id,
                    "turnId": self.turn_id,
                    "itemId": item_id,
                    "delta": event.delta,
                },
            )
        elif isinstance(event, ReasoningSummaryPartAdded):
            self.note(
                "item/reasoning/summaryPartAdded",
                {
                    "threadId": thread.thread_id,
                    "turnId": self.turn_id,
                    "itemId": event.item_id,
                    "summaryIndex": event.summary_index,
                },
            )
        elif isinstance(event, ReasoningSummaryDelta):
            self.note(
                "item/reasoning/summaryTextDelta",
                {
                    "threadId": thread.thread_id,
                    "turnId": self.turn_id,
                    "itemId": event.item_id,
                    "delta": event.delta,
                    "summaryIndex": event.summary_index,
                },
            )
        elif isinstance(event, ReasoningContentDelta):
            self.note(
                "item/reasoning/textDelta",
                {
                    "threadId": thread.thread_id,
                    "turnId": self.turn_id,
                    "itemId": event.item_id,
                    "delta": event.delta,
                    "contentIndex": event.content_index,
                },
            )
        elif isinstance(event, OutputItemDone):
            await self._item_done(event.item)
        elif isinstance(event, Completed):
            if event.usage is not None:
                thread.tokens = (thread.tokens or TokenTotals()).add(event.usage)
            await self._append(self._token_count())
            self._usage_notes()
        elif isinstance(event, RateLimits):
            # 0.94 records a token_count as each response's headers arrive (so not at all when
            # the request fails): usage so far, once known, then the rate limits.
            thread.rate_limits = event.snapshot.carry_credits(thread.rate_limits)
            await self._append(self._token_count())
            self._usage_notes()
        elif isinstance(event, Retrying):
            self._error(event.error.to_wire(), will_retry=True)

    async def _item_done(self, item: JsonObject) -> None:
        kind = item.get("type")
        if kind == "message" and item.get("role") == "assistant":
            text = _text_of(item) or "".join(self._open_text)
            self._item(
                "item/completed", {"type": "agentMessage", "id": item.get("id"), "text": text}
            )
            self._open = None
            self.thread.history.append(item)
            await self._append(records.agent_message(text), records.response_item(item))
        elif kind == "reasoning":
            summary = [p.get("text", "") for p in item.get("summary") or []]
            content = [p.get("text", "") for p in item.get("content") or []]
            self._item(
                "item/completed",
                {"type": "reasoning", "id": item.get("id"), "summary": summary, "content": content},
            )
            self.thread.history.append(item)
            await self._append(
                *(records.agent_reasoning(t) for t in summary), records.response_item(item)
            )
        else:
            self.thread.history.append(item)
            await self._append(records.response_item(item))

    async def _interrupted(self) -> None:
        """decisions.md: the open agent message completes with its text so far and stays in
        history; the rollout records the interruption as 0.94 does."""
        if self._open is not None:
            text = "".join(self._open_text)
            done = {**self._open, "text": text}
            self._item("item/completed", done)
            partial = {
                "type": "message",
                "role": "assistant",
                "id": self._open["id"],
                "content": [{"type": "output_text", "text": text}],
            }
            self.thread.history.append(partial)
            await self._append(records.agent_message(text), records.response_item(partial))
            self._open = None
        marker = records.INTERRUPTED_MARKER
        self.thread.history.append(
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": marker}]}
        )
        await self._append(records.message("user", marker), records.turn_aborted())
