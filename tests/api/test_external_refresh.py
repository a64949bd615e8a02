"""The 401 recovery policy's client leg over a real connection: `account/chatgptAuthTokens/
refresh` goes out through Outgoing and the answer (tokens, error, another workspace, nothing)
decides, as auth.md §5.4 and decisions.md say. Turns wire it to 401s (threads-and-turns)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from pycodex.api.app import App, ServerOptions
from pycodex.api.server import build_router
from pycodex.auth.manager import ExternalRefreshFailed
from pycodex.rpc.connection import Connection
from pycodex.rpc.transport import memory_pair
from tests.kit.fake_backend import make_id_token
from tests.rpc.conftest import Client
from tests.support.schema import validate_server_message

REFRESH = "account/chatgptAuthTokens/refresh"


class Wire:
    def __init__(self, app: App, client: Client, connection: Connection) -> None:
        self.app = app
        self.client = client
        self.connection = connection

    async def recv(self) -> dict[str, Any]:
        message = await self.client.recv()
        validate_server_message(message)
        return message


async def connect(*overrides: tuple[str, str]) -> AsyncIterator[Wire]:
    app = App(ServerOptions([("pycodex.external_refresh_timeout_ms", "300"), *overrides]))
    router = build_router(app)
    server_end, client_end = memory_pair()
    connection = Connection(server_end, router)
    app.outgoing = connection.outgoing
    router.mark_initialized()
    serving = asyncio.create_task(connection.serve())
    wire = Wire(app, Client(client_end), connection)
    await wire.client.send(
        {
            "id": "login",
            "method": "account/login/start",
            "params": {
                "type": "chatgptAuthTokens",
                "idToken": make_id_token(account_id="ws-1"),
                "accessToken": "access-1",
            },
        }
    )
    assert (await wire.recv())["result"] == {"type": "chatgptAuthTokens"}
    assert (await wire.recv())["method"] == "account/login/completed"
    assert (await wire.recv())["method"] == "account/updated"
    yield wire
    await wire.client.close()
    await asyncio.wait_for(serving, 5)


@pytest.fixture
async def wire() -> AsyncIterator[Wire]:
    async for w in connect():
        yield w


async def test_new_tokens_are_installed_without_account_updated(wire: Wire) -> None:
    refresh = asyncio.create_task(wire.app.auth.refresh_for_unauthorized("access-1"))
    request = await wire.recv()
    assert request == {
        "id": 0,
        "method": REFRESH,
        "params": {"reason": "unauthorized", "previousAccountId": "ws-1"},
    }
    await wire.client.send(
        {
            "id": 0,
            "result": {"idToken": make_id_token(account_id="ws-1"), "accessToken": "access-2"},
        }
    )
    await refresh
    auth = wire.app.auth.auth_cached()
    assert auth is not None and auth.bearer_token == "access-2"
    # No notification follows a refresh (auth.md §2.7): the next message is this answer.
    assert await wire.client.request(9, "getAuthStatus", {"includeToken": True}) == {
        "id": 9,
        "result": {
            "authMethod": "chatgptAuthTokens",
            "authToken": "access-2",
            "requiresOpenaiAuth": True,
        },
    }


async def test_error_answer_keeps_the_clients_code_and_message(wire: Wire) -> None:
    refresh = asyncio.create_task(wire.app.auth.refresh_for_unauthorized("access-1"))
    await wire.recv()
    await wire.client.send(
        {"id": 0, "error": {"code": -32000, "message": "host app could not refresh"}}
    )
    with pytest.raises(ExternalRefreshFailed) as failed:
        await refresh
    assert str(failed.value) == (
        "auth refresh request failed: code=-32000 message=host app could not refresh"
    )
    auth = wire.app.auth.auth_cached()
    assert auth is not None and auth.bearer_token == "access-1"


async def test_no_answer_times_out_and_leaves_nothing_pending(wire: Wire) -> None:
    refresh = asyncio.create_task(wire.app.auth.refresh_for_unauthorized("access-1"))
    await wire.recv()
    with pytest.raises(ExternalRefreshFailed) as failed:
        await asyncio.wait_for(refresh, 5)
    assert str(failed.value) == "auth refresh request timed out after 300ms"
    assert wire.connection.outgoing.pending_count == 0
    # A late answer is ignored and the connection keeps serving.
    await wire.client.send({"id": 0, "result": {"idToken": "x", "accessToken": "late"}})
    assert (await wire.client.request(1, "userInfo"))["result"] == {
        "allegedUserEmail": "user@example.com"
    }


async def test_concurrent_401s_ask_the_client_once(wire: Wire) -> None:
    refreshes = [
        asyncio.create_task(wire.app.auth.refresh_for_unauthorized("access-1")) for _ in range(10)
    ]
    request = await wire.recv()
    await wire.client.send(
        {
            "id": request["id"],
            "result": {"idToken": make_id_token(account_id="ws-1"), "accessToken": "access-2"},
        }
    )
    await asyncio.gather(*refreshes)
    assert wire.connection.outgoing.pending_count == 0
    assert (await wire.client.request(1, "userInfo"))["id"] == 1  # no second refresh request


async def test_another_workspace_is_accepted_unless_forced() -> None:
    async for wire in connect():
        refresh = asyncio.create_task(wire.app.auth.refresh_for_unauthorized("access-1"))
        await wire.recv()
        other = make_id_token(account_id="ws-OTHER")
        await wire.client.send({"id": 0, "result": {"idToken": other, "accessToken": "a2"}})
        await refresh
        auth = wire.app.auth.auth_cached()
        assert auth is not None and auth.account_id == "ws-OTHER"
    async for wire in connect(("forced_chatgpt_workspace_id", '"ws-1"')):
        refresh = asyncio.create_task(wire.app.auth.refresh_for_unauthorized("access-1"))
        await wire.recv()
        other = make_id_token(account_id="ws-OTHER")
        await wire.client.send({"id": 0, "result": {"idToken": other, "accessToken": "a2"}})
        with pytest.raises(ExternalRefreshFailed, match="workspace"):
            await refresh
        auth = wire.app.auth.auth_cached()
        assert auth is not None and auth.bearer_token == "access-1"
