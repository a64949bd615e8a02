"""`ScriptedModel`: a strict `ModelClient` double for unit tests of the turn engine.

Each call to `stream` consumes one scripted step (a list of events, optionally ending in a
`ModelError`) and records the request. A call beyond the script raises `UnexpectedModelCall`;
`assert_consumed()` raises `UnconsumedModelSteps` if steps are left (style.md §5.11).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
from dataclasses import dataclass, field

from pycodex.auth.ratelimits import RateLimitSnapshot
from pycodex.model.events import (
    Completed,
    Created,
    ModelError,
    OutputItemAdded,
    OutputItemDone,
    OutputTextDelta,
    RateLimits,
    ResponseEvent,
    TokenUsage,
)
from pycodex.model.request import ModelRequest


class UnexpectedModelCall(AssertionError):
    """`stream` was called with no scripted step left."""


class UnconsumedModelSteps(AssertionError):
    """The test ended with scripted steps nobody asked for."""


@dataclass
class Step:
    """One sampling request's answer: `events` in order, then `error` if set.

    `check` may assert on the request (it runs when the call is made); `hang` stalls after the
    events instead of ending, as a model that stops talking (for interrupt tests)."""

    events: Sequence[ResponseEvent] = ()
    error: ModelError | None = None
    check: Callable[[ModelRequest], None] | None = None
    hang: bool = False


@dataclass
class ScriptedModel:
    steps: list[Step] = field(default_factory=list)
    calls: list[ModelRequest] = field(default_factory=list)

    @classmethod
    def of(cls, *steps: Step | Iterable[ResponseEvent]) -> ScriptedModel:
        """Steps given as `Step`s or plain event lists."""
        return cls([s if isinstance(s, Step) else Step(list(s)) for s in steps])

    def add(self, step: Step | Iterable[ResponseEvent]) -> None:
        self.steps.append(step if isinstance(step, Step) else Step(list(step)))

    def stream(self, request: ModelRequest) -> AsyncGenerator[ResponseEvent, None]:
        self.calls.append(request)
        if not self.steps:
            raise UnexpectedModelCall(
                f"unexpected model call #{len(self.calls)} (model {request.model!r})"
            )
        step = self.steps.pop(0)
        if step.check is not None:
            step.check(request)
        return self._play(step)

    @staticmethod
    async def _play(step: Step) -> AsyncGenerator[ResponseEvent, None]:
        for event in step.events:
            yield event
        if step.error is not None:
            raise step.error
        if step.hang:
            await asyncio.Event().wait()

    def assert_consumed(self) -> None:
        if self.steps:
            raise UnconsumedModelSteps(f"{len(self.steps)} scripted model step(s) not consumed")


def text_reply(
    text: str = "ok",
    *,
    chunks: int = 1,
    item_id: str = "msg_1",
    response_id: str = "resp_1",
    usage: TokenUsage | None = None,
) -> list[ResponseEvent]:
    """The events `HttpModelClient` yields for one assistant message streamed as `chunks`
    deltas (the shape of `tests/kit/fake_responses.message_events`)."""
    size = max(1, -(-len(text) // max(1, chunks)))
    deltas = [text[i : i + size] for i in range(0, len(text), size)] or [""]
    item = {"type": "message", "role": "assistant", "id": item_id}
    return [
        RateLimits(RateLimitSnapshot()),
        Created(response_id),
        OutputItemAdded({**item, "status": "in_progress", "content": []}),
        *(OutputTextDelta(delta, item_id) for delta in deltas),
        OutputItemDone(
            {**item, "status": "completed", "content": [{"type": "output_text", "text": text}]}
        ),
        Completed(response_id, usage or TokenUsage(100, 0, 10, 0, 110)),
    ]
