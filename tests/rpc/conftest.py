"""A toy method table and an in-memory client for exercising the generic engine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from pycodex.rpc.connection import Connection
from pycodex.rpc.errors import invalid_params
from pycodex.rpc.framing import LineSplitter, encode
from pycodex.rpc.router import Router
from pycodex.rpc.transport import MemoryTransport, memory_pair

METHODS = ["initialize", "echo", "slow", "boom", "ask", "unbuilt", "noparams"]


async def toy_validate(method: str, params: Any, present: bool) -> Any:
    if method == "noparams":
        if present and params != {}:
            raise invalid_params("invalid type: map, expected unit")
        return None
    if not present:
        raise invalid_params("missing field `params`")
    if not isinstance(params, dict):
        raise invalid_params("expected a map")
    return params


class Client:
    """The client end: sends lines, reads parsed messages."""

    def __init__(self, transport: MemoryTransport) -> None:
        self._transport = transport
        self._splitter = LineSplitter()
        self._lines: list[bytes] = []

    async def send(self, obj: Any) -> None:
        await self._transport.write(encode(obj))

    async def send_raw(self, data: bytes) -> None:
        await self._transport.write(data)

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while not self._lines:
                data = await self._transport.read()
                if not data:
                    raise EOFError("server closed its output")
                self._lines += self._splitter.feed(data)
        msg: dict[str, Any] = json.loads(self._lines.pop(0))
        return msg

    async def request(self, request_id: Any, method: str, params: Any = None) -> dict[str, Any]:
        msg: dict[str, Any] = {"id": request_id, "method": method}
        if params is not None:
            msg["params"] = params
        await self.send(msg)
        return await self.recv()

    async def close(self) -> None:
        await self._transport.close()

    async def rest(self) -> list[dict[str, Any]]:
        """Everything the server writes until it closes its output."""
        out = []
        while True:
            try:
                out.append(await self.recv())
            except EOFError:
                return out


class Harness:
    def __init__(self) -> None:
        server_end, client_end = memory_pair()
        self.router = Router(METHODS, toy_validate)
        self.connection = Connection(server_end, self.router, shutdown_grace=0.2)
        self.client = Client(client_end)
        self.started = asyncio.Event()
        self.asked: list[Any] = []

        async def initialize(params: Any) -> Any:
            return {"ok": True}

        async def echo(params: Any) -> Any:
            return params

        async def slow(params: Any) -> Any:
            self.started.set()
            await asyncio.sleep(params.get("seconds", 30))
            return {"slept": True}

        async def boom(params: Any) -> Any:
            raise RuntimeError("kaboom")

        async def ask(params: Any) -> Any:
            outgoing = self.connection.outgoing
            try:
                answer = await outgoing.request(
                    "client/question",
                    params,
                    thread_id=params.get("thread"),
                    timeout=params.get("timeout"),
                )
            except Exception as exc:
                self.asked.append(exc)
                return {"failed": type(exc).__name__, "detail": str(exc)}
            self.asked.append(answer)
            return {"answer": answer}

        async def noparams(params: Any) -> Any:
            return {}

        for name, fn in [
            ("initialize", initialize),
            ("echo", echo),
            ("slow", slow),
            ("boom", boom),
            ("ask", ask),
            ("noparams", noparams),
        ]:
            self.router.register(name, fn)

    async def initialize(self) -> None:
        assert await self.client.request(0, "initialize", {}) == {"id": 0, "result": {"ok": True}}


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h = Harness()
    task = asyncio.create_task(h.connection.serve())
    h.serve_task = task  # type: ignore[attr-defined]
    yield h
    if not task.done():
        await h.client.close()
        async with asyncio.timeout(5):
            await task
