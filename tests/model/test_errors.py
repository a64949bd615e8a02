"""Every backend-error row of reference-behaviour.md "Extra: model backend errors", with the
reference's retry settings at 0, plus the retry loops (counts, notices, back-off delays)."""

from __future__ import annotations

import json
import socket
import time

from pycodex.model.events import Completed, ModelError, OutputItemDone, Retrying
from tests.kit.fake_responses import (
    DroppedReply,
    FakeResponses,
    SseReply,
    StalledReply,
    StatusReply,
    failed_event,
    message_events,
)

from .conftest import ClientFactory, Sleeps, collect, provider

CUT = message_events("partial")[:-1]  # the item is done, only response.completed is missing
CONTEXT_BODY = json.dumps(
    {
        "error": {
            "message": "Your input exceeds the context window of this model.",
            "type": "invalid_request_error",
            "param": "input",
            "code": "context_length_exceeded",
        }
    }
)


def final(error: ModelError | None) -> dict[str, object]:
    assert error is not None, "the stream should have failed"
    assert error.will_retry is False
    return error.to_wire()


# -- the table, retries 0 --------------------------------------------------------------------


async def test_http_500(fake: FakeResponses, make_client: ClientFactory) -> None:
    fake.enqueue(StatusReply(500, '{"error":{"message":"boom"}}'))
    _, error = await collect(make_client(provider(fake.base_url)))
    assert final(error) == {
        "message": "We're currently experiencing high demand, which may cause temporary errors.",
        "codexErrorInfo": "internalServerError",
        "additionalDetails": None,
    }


async def test_http_429(fake: FakeResponses, make_client: ClientFactory) -> None:
    fake.enqueue(StatusReply(429, '{"error":{"message":"slow down"}}'))
    _, error = await collect(make_client(provider(fake.base_url)))
    assert final(error) == {
        "message": "exceeded retry limit, last status: 429 Too Many Requests",
        "codexErrorInfo": {"responseTooManyFailedAttempts": {"httpStatusCode": 429}},
        "additionalDetails": None,
    }


async def test_http_400_context_length_is_the_raw_body(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    fake.enqueue(StatusReply(400, CONTEXT_BODY))
    _, error = await collect(make_client(provider(fake.base_url)))
    assert final(error) == {
        "message": CONTEXT_BODY,
        "codexErrorInfo": "other",
        "additionalDetails": None,
    }


async def test_other_status_names_body_and_url(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    fake.enqueue(StatusReply(404, '{"error":{"message":"nope"}}'))
    _, error = await collect(make_client(provider(fake.base_url)))
    assert final(error) == {
        "message": 'unexpected status 404 Not Found: {"error":{"message":"nope"}}, '
        f"url: {fake.base_url}/responses",
        "codexErrorInfo": "other",
        "additionalDetails": None,
    }


async def test_a_json_200_is_a_stream_that_closed_early(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    fake.enqueue(StatusReply(200, '{"x":1}'))
    _, error = await collect(make_client(provider(fake.base_url)))
    assert final(error)["message"] == (
        "stream disconnected before completion: stream closed before response.completed"
    )


async def test_stream_ended_before_completed(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    fake.enqueue(SseReply(CUT))
    events, error = await collect(make_client(provider(fake.base_url)))
    # The finished item still reaches the engine before the error.
    assert any(isinstance(e, OutputItemDone) for e in events)
    assert final(error) == {
        "message": "stream disconnected before completion: stream closed before response.completed",
        "codexErrorInfo": "other",
        "additionalDetails": None,
    }


async def test_connection_dropped_mid_stream(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    fake.enqueue(DroppedReply(CUT))
    events, error = await collect(make_client(provider(fake.base_url)))
    assert any(isinstance(e, OutputItemDone) for e in events)
    assert final(error) == {
        "message": "stream disconnected before completion: "
        "Transport error: network error: error decoding response body",
        "codexErrorInfo": "other",
        "additionalDetails": None,
    }


async def test_response_failed(fake: FakeResponses, make_client: ClientFactory) -> None:
    fake.enqueue(SseReply([*CUT[:1], failed_event("the model broke")]))
    _, error = await collect(make_client(provider(fake.base_url)))
    assert final(error) == {
        "message": "stream disconnected before completion: the model broke",
        "codexErrorInfo": "other",
        "additionalDetails": None,
    }


async def test_response_failed_context_window_is_final(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    fake.enqueue(SseReply([failed_event("too long", code="context_length_exceeded")]))
    _, error = await collect(make_client(provider(fake.base_url, stream_retries=3)))
    assert final(error) == {
        "message": "Codex ran out of room in the model's context window. Start a new thread "
        "or clear earlier history before retrying.",
        "codexErrorInfo": "contextWindowExceeded",
        "additionalDetails": None,
    }
    assert len(fake.requests) == 1


async def test_response_failed_quota_and_no_error_object(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    fake.enqueue(
        SseReply([failed_event("quota", code="insufficient_quota")]),
        SseReply([{"type": "response.failed", "response": {"id": "r"}}]),
    )
    client = make_client(provider(fake.base_url))
    _, quota = await collect(client)
    _, bare = await collect(client)
    assert final(quota) == {
        "message": "Quota exceeded. Check your plan and billing details.",
        "codexErrorInfo": "usageLimitExceeded",
        "additionalDetails": None,
    }
    assert final(bare)["message"] == (
        "stream disconnected before completion: response.failed event received"
    )


async def test_idle_timeout(fake: FakeResponses, make_client: ClientFactory) -> None:
    stalled = StalledReply(CUT[:2], stall=30)
    fake.enqueue(stalled)
    client = make_client(provider(fake.base_url, stream_idle_timeout_ms=300))
    started = time.monotonic()
    try:
        _, error = await collect(client)
    finally:
        stalled.release.set()
    elapsed = time.monotonic() - started
    assert final(error) == {
        "message": "stream disconnected before completion: idle timeout waiting for SSE",
        "codexErrorInfo": "other",
        "additionalDetails": None,
    }
    assert 0.25 < elapsed < 10


async def test_unreachable_server_is_a_stream_error(make_client: ClientFactory) -> None:
    with socket.socket() as probe:  # a free loopback port, then nothing listens on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()
    url = f"http://127.0.0.1:{port}/v1"
    _, error = await collect(make_client(provider(url, retries=2), sleep=sleeps))
    assert final(error)["message"] == (
        f"stream disconnected before completion: error sending request for url ({url}/responses)"
    )
    assert len(sleeps.delays) == 2  # request-level retries for transport errors


# -- retries -----------------------------------------------------------------------------------


async def test_500_is_retried_silently_at_request_level(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    fake.enqueue(StatusReply(500, "{}"), StatusReply(502, "{}"), SseReply(message_events("ok")))
    sleeps = Sleeps()
    events, error = await collect(make_client(provider(fake.base_url, retries=2), sleep=sleeps))
    assert error is None and isinstance(events[-1], Completed)
    assert not any(isinstance(e, Retrying) for e in events)
    assert len(fake.requests) == 3
    assert 0.18 <= sleeps.delays[0] <= 0.22 and 0.36 <= sleeps.delays[1] <= 0.44


async def test_retry_after_header_is_not_waited_for(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    """Observed on 0.94: a 503 with `retry-after: 1` is retried after the ~200 ms back-off."""
    fake.enqueue(StatusReply(503, "{}", headers={"retry-after": "1.5"}))
    sleeps = Sleeps()
    _, error = await collect(make_client(provider(fake.base_url, retries=1), sleep=sleeps))
    assert error is None and len(sleeps.delays) == 1 and 0.18 <= sleeps.delays[0] <= 0.22


async def test_persistent_500_then_stream_retries(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    fake.enqueue(*[StatusReply(500, "{}") for _ in range(4)])
    sleeps = Sleeps()
    client = make_client(provider(fake.base_url, retries=1, stream_retries=1), sleep=sleeps)
    events, error = await collect(client)
    notices = [e.error for e in events if isinstance(e, Retrying)]
    assert [n.to_wire() for n in notices] == [
        {
            "message": "Reconnecting... 1/1",
            "codexErrorInfo": {"responseStreamDisconnected": {"httpStatusCode": None}},
            "additionalDetails": "We're currently experiencing high demand, which may cause "
            "temporary errors.",
        }
    ]
    assert notices[0].will_retry
    assert final(error)["codexErrorInfo"] == "internalServerError"
    assert len(fake.requests) == 4  # (1 + 1 request retries) x (1 + 1 stream attempts)


async def test_429_is_never_retried(fake: FakeResponses, make_client: ClientFactory) -> None:
    fake.enqueue(*[StatusReply(429, "{}") for _ in range(5)])
    client = make_client(provider(fake.base_url, retries=3, stream_retries=3))
    events, error = await collect(client)
    assert final(error)["codexErrorInfo"] == {
        "responseTooManyFailedAttempts": {"httpStatusCode": 429}
    }
    assert len(fake.requests) == 1 and not any(isinstance(e, Retrying) for e in events)


async def test_stream_cut_is_retried_with_notices(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    fake.enqueue(
        SseReply(CUT),
        DroppedReply(CUT),
        SseReply(message_events("second", item_id="msg_2", response_id="resp_2")),
    )
    sleeps = Sleeps()
    client = make_client(provider(fake.base_url, stream_retries=2), sleep=sleeps)
    events, error = await collect(client)
    assert error is None
    notices = [e.error.to_wire() for e in events if isinstance(e, Retrying)]
    disconnected = {"responseStreamDisconnected": {"httpStatusCode": None}}
    assert notices == [
        {
            "message": "Reconnecting... 1/2",
            "codexErrorInfo": disconnected,
            "additionalDetails": "stream disconnected before completion: "
            "stream closed before response.completed",
        },
        {
            "message": "Reconnecting... 2/2",
            "codexErrorInfo": disconnected,
            "additionalDetails": "stream disconnected before completion: "
            "Transport error: network error: error decoding response body",
        },
    ]
    done = [e.item["id"] for e in events if isinstance(e, OutputItemDone)]
    assert done == ["msg_1", "msg_1", "msg_2"]  # each attempt's finished items, then the retry's
    assert events[-1] == Completed("resp_2", events[-1].usage)  # type: ignore[union-attr]
    assert len(fake.requests) == 3
    assert 0.18 <= sleeps.delays[0] <= 0.22 and 0.36 <= sleeps.delays[1] <= 0.44


async def test_stream_retries_exhausted(fake: FakeResponses, make_client: ClientFactory) -> None:
    fake.enqueue(*[SseReply(CUT) for _ in range(3)])
    client = make_client(provider(fake.base_url, stream_retries=2))
    events, error = await collect(client)
    assert [e.error.message for e in events if isinstance(e, Retrying)] == [
        "Reconnecting... 1/2",
        "Reconnecting... 2/2",
    ]
    assert final(error)["message"] == (
        "stream disconnected before completion: stream closed before response.completed"
    )
    assert len(fake.requests) == 3


async def test_rate_limit_message_sets_the_retry_delay(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    limited = failed_event("Rate limit reached. Please try again in 20ms.", "rate_limit_exceeded")
    fake.enqueue(SseReply([limited]))
    sleeps = Sleeps()
    client = make_client(provider(fake.base_url, stream_retries=1), sleep=sleeps)
    _, error = await collect(client)
    assert error is None and sleeps.delays == [0.02]


async def test_real_backoff_gaps(fake: FakeResponses, make_client: ClientFactory) -> None:
    """With real sleeping, two stream retries take at least 0.9 x (200 + 400) ms."""
    fake.enqueue(SseReply(CUT), SseReply(CUT))
    client = make_client(provider(fake.base_url, stream_retries=2), sleep=Sleeps(real=True))
    started = time.monotonic()
    _, error = await collect(client)
    elapsed = time.monotonic() - started
    assert error is None and len(fake.requests) == 3
    assert 0.54 <= elapsed < 10
