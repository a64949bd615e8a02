"""Happy streams over real loopback HTTP: typed events in order, deltas one-for-one,
reasoning, unknown events passed through, rate-limit headers."""

from __future__ import annotations

import asyncio

from pycodex.model.events import (
    Completed,
    Created,
    OutputItemAdded,
    OutputItemDone,
    OutputTextDelta,
    RateLimits,
    RawEvent,
    ReasoningContentDelta,
    ReasoningSummaryDelta,
    ReasoningSummaryPartAdded,
    TokenUsage,
)
from tests.kit.fake_responses import (
    FakeResponses,
    SseReply,
    StalledReply,
    message_events,
    rate_limit_headers,
    reasoning_events,
)

from .conftest import ClientFactory, collect, provider, request


async def test_text_stream_yields_typed_events_in_order(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    fake.enqueue(SseReply(message_events("Hello from the model!", chunks=5)))
    events, error = await collect(make_client(provider(fake.base_url)))
    assert error is None
    assert [type(e) for e in events] == [
        RateLimits,
        Created,
        OutputItemAdded,
        *[OutputTextDelta] * 5,
        OutputItemDone,
        Completed,
    ]
    assert events[1] == Created("resp_1")
    added = events[2]
    assert isinstance(added, OutputItemAdded) and added.item["id"] == "msg_1"
    deltas = [e.delta for e in events if isinstance(e, OutputTextDelta)]
    assert "".join(deltas) == "Hello from the model!"
    assert all(e.item_id == "msg_1" for e in events if isinstance(e, OutputTextDelta))
    done = events[-2]
    assert isinstance(done, OutputItemDone)
    assert done.item["content"] == [{"type": "output_text", "text": "Hello from the model!"}]
    assert events[-1] == Completed("resp_1", TokenUsage(100, 0, 10, 0, 110))
    [sent] = fake.requests
    assert (sent.method, sent.path) == ("POST", "/v1/responses")


async def test_deltas_are_forwarded_one_for_one(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    text = "".join(f"{i % 10}" for i in range(3000))
    fake.enqueue(SseReply(message_events(text, chunks=3000)))
    events, error = await collect(make_client(provider(fake.base_url)))
    assert error is None
    deltas = [e.delta for e in events if isinstance(e, OutputTextDelta)]
    assert len(deltas) == 3000 and "".join(deltas) == text


async def test_reasoning_summary_and_raw_content(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    reasoning = reasoning_events(("Thinking ", "hard."), raw_content=("raw",))
    message = message_events("ok", item_id="msg_2")
    fake.enqueue(SseReply([message[0], *reasoning, *message[1:]]))
    events, error = await collect(make_client(provider(fake.base_url)))
    assert error is None
    kinds = [type(e) for e in events]
    assert kinds[:9] == [
        RateLimits,
        Created,
        OutputItemAdded,
        ReasoningSummaryPartAdded,
        ReasoningSummaryDelta,
        ReasoningSummaryDelta,
        ReasoningContentDelta,
        OutputItemDone,
        OutputItemAdded,
    ]
    assert events[3] == ReasoningSummaryPartAdded(0, "rs_1")
    assert events[4] == ReasoningSummaryDelta("Thinking ", 0, "rs_1")
    assert events[6] == ReasoningContentDelta("raw", 0, "rs_1")
    done = events[7]
    assert isinstance(done, OutputItemDone)
    assert done.item["encrypted_content"] == "gAAAA-opaque"


async def test_unknown_events_pass_through_raw(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    extra = {"type": "response.in_progress", "response": {"id": "resp_1"}, "x": 1}
    events_in = message_events("ok")
    fake.enqueue(SseReply([events_in[0], extra, *events_in[1:]]))
    events, error = await collect(make_client(provider(fake.base_url)))
    assert error is None
    assert events[2] == RawEvent("response.in_progress", extra)


async def test_events_after_completed_are_not_read(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    trailing = {"type": "response.output_text.delta", "delta": "late", "item_id": "msg_1"}
    fake.enqueue(SseReply([*message_events("ok"), trailing]))
    events, error = await collect(make_client(provider(fake.base_url)))
    assert error is None
    assert isinstance(events[-1], Completed)
    assert "late" not in [e.delta for e in events if isinstance(e, OutputTextDelta)]


async def test_rate_limit_headers_become_the_first_event(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    fake.enqueue(SseReply(message_events("ok"), headers=rate_limit_headers(42.5)))
    fake.enqueue(SseReply(message_events("ok")))
    client = make_client(provider(fake.base_url))
    first, _ = await collect(client)
    second, _ = await collect(client)
    assert isinstance(first[0], RateLimits)
    assert first[0].snapshot.to_wire() == {
        "primary": {"usedPercent": 43, "windowDurationMins": 300, "resetsAt": 1_900_000_000},
        "secondary": None,
        "credits": {"hasCredits": True, "unlimited": False, "balance": "12.5"},
        "planType": None,
    }
    # Without headers the snapshot is still sent, all null (the engine notifies regardless).
    assert isinstance(second[0], RateLimits)
    assert second[0].snapshot.to_wire() == {
        "primary": None,
        "secondary": None,
        "credits": None,
        "planType": None,
    }


async def test_closing_the_stream_early_releases_the_connection(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    """An interrupt stops iterating mid-stream: closing the generator must not wait for the
    (stalled) server, and the client stays usable."""
    stalled = StalledReply(message_events("abc", chunks=3)[:3], stall=30)
    fake.enqueue(stalled)
    client = make_client(provider(fake.base_url))
    stream = client.stream(request())
    try:
        async with asyncio.timeout(5):
            async for event in stream:
                if isinstance(event, OutputTextDelta):
                    break
            await stream.aclose()
    finally:
        stalled.release.set()
    events, error = await collect(client)
    assert error is None and isinstance(events[-1], Completed)


async def test_concurrent_streams_share_one_client(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    fake.enqueue(*(SseReply(message_events(f"reply {i}", chunks=4)) for i in range(4)))
    client = make_client(provider(fake.base_url))
    results = await asyncio.gather(*(collect(client) for _ in range(4)))
    texts = sorted(
        "".join(e.delta for e in events if isinstance(e, OutputTextDelta))
        for events, error in results
        if error is None
    )
    assert texts == [f"reply {i}" for i in range(4)]
