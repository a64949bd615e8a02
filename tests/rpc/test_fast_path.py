"""Fast handlers: answered in the loop turn that read the request, with the same semantics as
the async path (gate, validation errors, fallbacks)."""

from __future__ import annotations

import asyncio
from typing import Any

from pycodex.rpc.connection import Connection
from pycodex.rpc.errors import invalid_params
from pycodex.rpc.framing import Request
from pycodex.rpc.router import NOT_NOW, NotReady, Router
from pycodex.rpc.transport import memory_pair

from .conftest import Client, toy_validate

ready = {"value": True}


def toy_validate_now(method: str, params: Any, present: bool) -> Any:
    if not ready["value"]:
        raise NotReady(method)
    if method == "echo" and not isinstance(params, dict):
        raise invalid_params("expected a map")
    return params


def make_router(calls: list[str]) -> Router:
    router = Router(
        ["initialize", "echo", "sometimes"], toy_validate, validate_now=toy_validate_now
    )

    async def initialize(params: Any) -> Any:
        return {}

    async def echo(params: Any) -> Any:
        calls.append("async echo")
        return params

    def echo_now(params: Any) -> Any:
        calls.append("fast echo")
        return params

    async def sometimes(params: Any) -> Any:
        calls.append("async sometimes")
        return "slow"

    def sometimes_now(params: Any) -> Any:
        return NOT_NOW if params.get("slow") else "fast"

    router.register("initialize", initialize)
    router.register("echo", echo, fast=echo_now)
    router.register("sometimes", sometimes, fast=sometimes_now)
    return router


def test_answer_now_semantics() -> None:
    calls: list[str] = []
    router = make_router(calls)
    request = Request(1, "echo", {"a": 1}, True)
    assert router.answer_now(request) is None  # not initialized: the async path says so
    router.mark_initialized()
    assert router.answer_now(request) == ({"a": 1}, None)
    assert calls == ["fast echo"]
    result, error = router.answer_now(Request(2, "echo", "x", True)) or (None, None)
    assert result is None and error == {
        "code": -32600,
        "message": "Invalid request: expected a map",
    }
    assert router.answer_now(Request(3, "sometimes", {"slow": True}, True)) is None
    assert router.answer_now(Request(4, "sometimes", {}, True)) == ("fast", None)
    ready["value"] = False
    try:
        assert router.answer_now(request) is None
    finally:
        ready["value"] = True


async def test_connection_uses_fast_and_falls_back() -> None:
    calls: list[str] = []
    router = make_router(calls)
    server_end, client_end = memory_pair()
    connection = Connection(server_end, router)
    serving = asyncio.create_task(connection.serve())
    client = Client(client_end)
    assert (await client.request(0, "echo", {}))["error"]["message"] == "Not initialized"
    assert (await client.request(1, "initialize", {}))["result"] == {}
    assert await client.request(2, "echo", {"b": 2}) == {"id": 2, "result": {"b": 2}}
    assert await client.request(3, "sometimes", {"slow": True}) == {"id": 3, "result": "slow"}
    assert calls == ["fast echo", "async sometimes"]
    await client.close()
    await asyncio.wait_for(serving, 2)
