"""The engine over an in-memory transport: gate, errors, concurrency, shutdown, correlation."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pycodex.rpc.errors import ClientError, RequestCancelled

from .conftest import METHODS, Harness


async def test_gate_before_and_after_initialize(harness: Harness) -> None:
    c = harness.client
    assert await c.request(1, "echo", {"a": 1}) == {
        "error": {"code": -32600, "message": "Not initialized"},
        "id": 1,
    }
    await harness.initialize()
    assert await c.request(2, "echo", {"a": 1}) == {"id": 2, "result": {"a": 1}}
    assert await c.request(3, "initialize", {}) == {
        "error": {"code": -32600, "message": "Already initialized"},
        "id": 3,
    }


async def test_unknown_method_and_bad_params_are_reported_before_the_gate(harness: Harness) -> None:
    c = harness.client
    reply = await c.request(1, "no/such", {})
    assert reply["error"]["code"] == -32600
    expected = ", ".join(f"`{m}`" for m in METHODS)
    assert reply["error"]["message"] == (
        f"Invalid request: unknown variant `no/such`, expected one of {expected}"
    )
    reply = await c.request(2, "echo")
    assert reply["error"] == {"code": -32600, "message": "Invalid request: missing field `params`"}


async def test_handler_failure_is_internal_error_and_serving_continues(harness: Harness) -> None:
    await harness.initialize()
    reply = await harness.client.request(1, "boom", {})
    assert reply["error"]["code"] == -32603
    assert "kaboom" in reply["error"]["message"]
    assert await harness.client.request(2, "echo", {"x": 2}) == {"id": 2, "result": {"x": 2}}


async def test_method_without_handler_says_not_implemented(harness: Harness) -> None:
    await harness.initialize()
    reply = await harness.client.request("u", "unbuilt", {})
    assert reply == {
        "error": {"code": -32601, "message": "not implemented yet: unbuilt"},
        "id": "u",
    }


async def test_string_ids_and_duplicate_ids_are_each_answered(harness: Harness) -> None:
    await harness.initialize()
    c = harness.client
    await c.send({"id": "dup", "method": "echo", "params": {"n": 1}})
    await c.send({"id": "dup", "method": "echo", "params": {"n": 2}})
    replies = [await c.recv(), await c.recv()]
    assert sorted(r["result"]["n"] for r in replies) == [1, 2]
    assert all(r["id"] == "dup" for r in replies)


async def test_garbage_and_stray_answers_are_dropped(harness: Harness) -> None:
    await harness.initialize()
    c = harness.client
    for junk in [b"not json\n", b"\n", b"42\n", b'[{"id":1,"method":"echo"}]\n', b'{"id":9}\n']:
        await c.send_raw(junk)
    await c.send({"id": 99, "result": {}})
    await c.send({"id": 98, "error": {"code": 1, "message": "x"}})
    await c.send({"method": "unknown/notification"})
    assert await c.request(5, "echo", {"ok": 1}) == {"id": 5, "result": {"ok": 1}}


async def test_params_less_method_accepts_absent_null_and_empty(harness: Harness) -> None:
    await harness.initialize()
    c = harness.client
    assert (await c.request(1, "noparams"))["result"] == {}
    await c.send({"id": 2, "method": "noparams", "params": None})
    assert (await c.recv())["result"] == {}
    assert (await c.request(3, "noparams", {}))["result"] == {}
    assert (await c.request(4, "noparams", {"x": 1}))["error"]["code"] == -32600


async def test_requests_run_concurrently(harness: Harness) -> None:
    await harness.initialize()
    c = harness.client
    await c.send({"id": 1, "method": "slow", "params": {"seconds": 0.5}})
    await harness.started.wait()
    assert await c.request(2, "echo", {"fast": True}) == {"id": 2, "result": {"fast": True}}
    assert await c.recv() == {"id": 1, "result": {"slept": True}}


async def test_server_request_resolved_by_client_result(harness: Harness) -> None:
    await harness.initialize()
    c = harness.client
    await c.send({"id": 1, "method": "ask", "params": {"q": "?"}})
    question = await c.recv()
    assert question == {"id": 0, "method": "client/question", "params": {"q": "?"}}
    await c.send({"id": 0, "result": {"yes": 1}})
    assert await c.recv() == {"id": 1, "result": {"answer": {"yes": 1}}}
    # Ids keep counting per connection.
    await c.send({"id": 2, "method": "ask", "params": {}})
    assert (await c.recv())["id"] == 1


async def test_server_request_error_keeps_the_clients_code_and_message(harness: Harness) -> None:
    await harness.initialize()
    c = harness.client
    await c.send({"id": 1, "method": "ask", "params": {}})
    await c.recv()
    await c.send({"id": 0, "error": {"code": -32000, "message": "host app could not refresh"}})
    reply = await c.recv()
    assert reply["result"]["failed"] == "ClientError"
    err = harness.asked[0]
    assert isinstance(err, ClientError)
    assert (err.code, err.message) == (-32000, "host app could not refresh")


async def test_server_request_timeout_and_late_answer_ignored(harness: Harness) -> None:
    await harness.initialize()
    c = harness.client
    await c.send({"id": 1, "method": "ask", "params": {"timeout": 0.05}})
    await c.recv()
    assert (await c.recv())["result"]["failed"] == "TimeoutError"
    assert harness.connection.outgoing.pending_count == 0
    await c.send({"id": 0, "result": {"late": True}})
    assert await c.request(2, "echo", {}) == {"id": 2, "result": {}}


async def test_cancel_for_thread_only_touches_that_thread(harness: Harness) -> None:
    await harness.initialize()
    c = harness.client
    await c.send({"id": 1, "method": "ask", "params": {"thread": "A"}})
    await c.send({"id": 2, "method": "ask", "params": {"thread": "B"}})
    await c.recv()
    await c.recv()
    assert harness.connection.outgoing.cancel_for_thread("A") == 1
    reply = await c.recv()
    assert reply == {
        "id": 1,
        "result": {"failed": "RequestCancelled", "detail": "client/question: cancelled"},
    }
    await c.send({"id": 1, "result": "for B"})
    assert await c.recv() == {"id": 2, "result": {"answer": "for B"}}


async def test_eof_fails_pending_server_requests_and_cancels_slow_work(harness: Harness) -> None:
    await harness.initialize()
    c = harness.client
    await c.send({"id": 1, "method": "ask", "params": {}})
    await c.recv()
    await c.send({"id": 2, "method": "slow", "params": {}})
    await harness.started.wait()
    started = time.monotonic()
    await c.close()
    rest = await c.rest()
    assert time.monotonic() - started < 1.0
    by_id = {m["id"]: m for m in rest}
    assert by_id[1]["result"]["failed"] == "RequestCancelled"
    assert by_id[2]["error"]["code"] == -32603
    assert isinstance(harness.asked[0], RequestCancelled)
    await asyncio.wait_for(harness.serve_task, 1)  # type: ignore[attr-defined]


async def test_eof_lets_quick_work_finish(harness: Harness) -> None:
    await harness.initialize()
    c = harness.client
    await c.send({"id": 1, "method": "slow", "params": {"seconds": 0.05}})
    await c.close()
    assert await c.rest() == [{"id": 1, "result": {"slept": True}}]


request_strategy = st.fixed_dictionaries(
    {
        "id": st.integers(0, 10**6) | st.text(max_size=5),
        "method": st.sampled_from([*METHODS, "nope", "Echo"]),
    },
    optional={
        "params": st.none() | st.integers() | st.dictionaries(st.text(max_size=3), st.integers())
    },
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.booleans(), st.lists(request_strategy, max_size=15))
async def test_every_request_gets_exactly_one_answer(
    init: bool, requests: list[dict[str, Any]]
) -> None:
    h = Harness()
    task = asyncio.create_task(h.connection.serve())
    c = h.client
    if init:
        await h.initialize()
    for i, req in enumerate(requests):
        if req["method"] in ("slow", "ask"):
            req = {**req, "method": "echo"}
        await c.send({**req, "id": f"{i}"})
    await c.close()
    answers = [m for m in await c.rest() if "id" in m]
    assert sorted(int(a["id"]) for a in answers) == list(range(len(requests)))
    await asyncio.wait_for(task, 2)


async def test_an_unencodable_result_is_still_answered() -> None:
    h = Harness()

    async def weird(params: Any) -> Any:
        return {"value": object()}

    h.router.register("unbuilt", weird)
    task = asyncio.create_task(h.connection.serve())
    await h.initialize()
    reply = await h.client.request(1, "unbuilt", {})
    assert reply["error"]["code"] == -32603
    assert "cannot encode the result of unbuilt" in reply["error"]["message"]
    assert await h.client.request(2, "noparams") == {"id": 2, "result": {}}
    await h.client.close()
    await asyncio.wait_for(task, 2)
