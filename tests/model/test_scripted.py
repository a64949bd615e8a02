"""`ScriptedModel`, the strict double later code tests against."""

from __future__ import annotations

import asyncio

import pytest

from pycodex.model.client import ModelClient
from pycodex.model.events import Completed, Created, ModelError, OutputTextDelta, ResponseEvent
from pycodex.model.request import ModelRequest
from pycodex.model.scripted import (
    ScriptedModel,
    Step,
    UnconsumedModelSteps,
    UnexpectedModelCall,
    text_reply,
)
from tests.kit.fake_responses import FakeResponses, SseReply, message_events

from .conftest import ClientFactory, collect, provider, request


async def drain(model: ModelClient, req: ModelRequest) -> list[ResponseEvent]:
    return [event async for event in model.stream(req)]


async def test_plays_steps_in_order_and_records_calls() -> None:
    model = ScriptedModel.of(
        [Created("r1"), OutputTextDelta("a"), Completed("r1")],
        [Created("r2"), Completed("r2")],
    )
    first, second = request("one"), request("two")
    assert await drain(model, first) == [Created("r1"), OutputTextDelta("a"), Completed("r1")]
    assert await drain(model, second) == [Created("r2"), Completed("r2")]
    assert model.calls == [first, second]
    model.assert_consumed()


async def test_unexpected_call_fails() -> None:
    model = ScriptedModel.of([Completed("r1")])
    await drain(model, request())
    with pytest.raises(UnexpectedModelCall):
        model.stream(request())


async def test_unconsumed_steps_fail() -> None:
    model = ScriptedModel.of([Completed("r1")], [Completed("r2")])
    await drain(model, request())
    with pytest.raises(UnconsumedModelSteps):
        model.assert_consumed()


async def test_error_step_and_request_check() -> None:
    seen: list[str] = []
    error = ModelError("stream disconnected before completion: x")
    model = ScriptedModel.of(
        Step([Created("r1")], error=error, check=lambda r: seen.append(r.model)),
    )
    events: list[ResponseEvent] = []
    with pytest.raises(ModelError) as raised:
        async for event in model.stream(request()):
            events.append(event)
    assert raised.value is error and events == [Created("r1")]
    assert seen == ["gpt-5.2-codex"]


async def test_hang_step_stalls_until_cancelled() -> None:
    model = ScriptedModel.of(Step([Created("r1")], hang=True))
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await drain(model, request())


async def test_text_reply_has_the_http_clients_shape(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    """`text_reply` is what the real client yields for `message_events` (same text, chunks)."""
    fake.enqueue(SseReply(message_events("Hello there", chunks=3)))
    real, error = await collect(make_client(provider(fake.base_url)))
    assert error is None
    assert text_reply("Hello there", chunks=3) == real
