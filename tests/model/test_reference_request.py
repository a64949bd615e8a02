"""Differential: the reference 0.94.0 server's own first `POST /responses` (captured from a text
turn against the loopback fake) against ours, in API-key and external-token mode.

Compared: header names, body keys in order, and every value that is not ours to choose
(instructions, tools and input are our own text; ids and the user agent are per run).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from pycodex.auth.credentials import AuthSettings
from pycodex.auth.manager import AuthManager
from pycodex.model.request import ModelRequest, reasoning_for
from tests.kit.fake_backend import make_id_token
from tests.kit.fake_responses import FakeResponses, RecordedRequest
from tests.kit.home import make_home
from tests.kit.servers import reference_argv
from tests.kit.session import Session

from .conftest import ClientFactory, collect, provider

TRANSPORT_HEADERS = {"host", "content-length", "accept-encoding", "connection"}
FIXED_HEADERS = ("accept", "content-type", "x-oai-web-search-eligible", "authorization")
FIXED_BODY = ("tool_choice", "parallel_tool_calls", "reasoning", "store", "stream", "include")
LOGINS: dict[str, dict[str, Any]] = {
    "apiKey": {"type": "apiKey", "apiKey": "sk-ref"},
    "chatgptAuthTokens": {
        "type": "chatgptAuthTokens",
        "idToken": make_id_token(account_id="acct-ref"),
        "accessToken": "at-ref",
    },
}


def reference_request(root: Path, login: dict[str, Any]) -> RecordedRequest:
    """Run one text turn on the reference and return its first model request."""
    with FakeResponses() as fake:
        home = make_home(root, fake.port)
        with Session(
            reference_argv(), env=home.env, cwd=home.cwd, stderr_path=root / "stderr.log"
        ) as s:
            info = {"name": "refclient", "title": None, "version": "1.2.3"}
            s.send({"id": 0, "method": "initialize", "params": {"clientInfo": info}})
            s.wait_for_response(0)
            s.send({"id": 1, "method": "account/login/start", "params": login})
            s.wait_for_response(1)
            s.send({"id": 2, "method": "thread/start", "params": {"cwd": str(home.cwd)}})
            thread_id = s.wait_for_response(2)["result"]["thread"]["id"]
            text = [{"type": "text", "text": "Say hello."}]
            s.send(
                {"id": 3, "method": "turn/start", "params": {"threadId": thread_id, "input": text}}
            )
            s.wait_for_response(3)
            deadline = time.monotonic() + 30
            while not any(m.get("method") == "turn/completed" for m in s.messages):
                assert time.monotonic() < deadline, "the reference turn did not complete"
                time.sleep(0.05)
        posts = [r for r in fake.requests if r.method == "POST"]
        assert posts, "the reference sent no model request"
        return posts[0]


@pytest.mark.parametrize("mode", list(LOGINS))
async def test_request_matches_the_reference(
    mode: str, tmp_path: Path, make_client: ClientFactory, clean_environ: Path
) -> None:
    ref = reference_request(tmp_path / "reference", LOGINS[mode])
    ref_body = ref.json()
    manager = AuthManager(AuthSettings(codex_home=clean_environ))
    if mode == "apiKey":
        manager.login_api_key("sk-ref")
    else:
        manager.set_external_tokens(make_id_token(account_id="acct-ref"), "at-ref")
    thread_id = ref.headers["session_id"]
    ours_request = ModelRequest(
        model=ref_body["model"],
        instructions="ours",
        input=[{"type": "message", "role": "user", "content": []}],
        thread_id=thread_id,
        tools=[],
        reasoning=reasoning_for(ref_body["model"], None, None),
    )
    with FakeResponses() as fake:
        identity = (ref.headers["originator"], ref.headers["user-agent"])
        client = make_client(provider(fake.base_url), manager, identity=identity)
        _, error = await collect(client, ours_request)
        assert error is None
        [ours] = fake.requests
    assert (ours.method, ours.path) == (ref.method, ref.path) == ("POST", "/v1/responses")
    ref_headers = {k: v for k, v in ref.headers.items() if k not in TRANSPORT_HEADERS}
    our_headers = {k: v for k, v in ours.headers.items() if k not in TRANSPORT_HEADERS}
    assert sorted(our_headers) == sorted(ref_headers)
    for name in (*FIXED_HEADERS, "chatgpt-account-id"):
        assert our_headers.get(name) == ref_headers.get(name), name
    body = ours.json()
    assert list(body) == list(ref_body)
    for key in FIXED_BODY:
        assert body[key] == ref_body[key], key
    assert body["model"] == ref_body["model"]
    assert ref_body["prompt_cache_key"] == ref.headers["session_id"]
    assert body["prompt_cache_key"] == ours.headers["session_id"] == thread_id
