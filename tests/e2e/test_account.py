"""Accounts over the wire, end to end: `pycodex app-server` as a subprocess, a fake OAuth
issuer and ChatGPT backend on loopback, and an HTTP client playing the browser."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from tests.kit.fake_backend import FakeBackend, make_id_token
from tests.kit.home import RunHome

from .conftest import INIT, Checked

Spawn = Callable[..., Checked]


@pytest.fixture
def backend() -> Iterator[FakeBackend]:
    with FakeBackend() as fake:
        yield fake


def started(spawn: Spawn, *extra: str) -> Checked:
    s = spawn(*extra)
    s.send(INIT)
    s.wait_for_response(0)
    return s


def notifications(s: Checked) -> list[Any]:
    """Notifications received since the last drain, once the server has gone quiet."""
    return [m for m in s.drain(quiet=0.3) if "method" in m and "id" not in m]


def call(s: Checked, request_id: int, method: str, params: Any = None) -> Any:
    message: dict[str, Any] = {"id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    s.send(message)
    return s.wait_for_response(request_id)


def test_api_key_login_writes_auth_json_0600_and_logout_removes_it(
    spawn: Spawn, run_home: RunHome
) -> None:
    s = started(spawn)
    s.drain(quiet=0.1)
    reply = call(s, 1, "account/login/start", {"type": "apiKey", "apiKey": "sk-e2e"})
    assert reply == {"id": 1, "result": {"type": "apiKey"}}
    notes = notifications(s)
    assert [m["method"] for m in notes] == ["account/login/completed", "account/updated"]
    auth_json = run_home.codex_home / "auth.json"
    assert stat.S_IMODE(auth_json.stat().st_mode) == 0o600
    assert json.loads(auth_json.read_text()) == {"auth_mode": "apikey", "OPENAI_API_KEY": "sk-e2e"}
    call(s, 2, "account/logout")
    assert not auth_json.exists()
    s.close(timeout=2)
    # A new process on the same home needs no login, as with the reference.
    auth_json.write_text(json.dumps({"OPENAI_API_KEY": "sk-again"}))
    s2 = started(spawn)
    assert call(s2, 1, "account/read", {})["result"]["account"] == {"type": "apiKey"}
    s2.close(timeout=2)


def test_external_tokens_stay_in_memory(spawn: Spawn, run_home: RunHome, tmp_path: Path) -> None:
    secret_access = "access-SECRET-e2e-token"
    id_token = make_id_token(email="dev@example.com", plan="pro", account_id="acct-1")
    s = spawn()
    s.send(INIT)
    s.wait_for_response(0)
    reply = call(
        s,
        1,
        "account/login/start",
        {"type": "chatgptAuthTokens", "idToken": id_token, "accessToken": secret_access},
    )
    assert reply["result"] == {"type": "chatgptAuthTokens"}
    assert call(s, 2, "account/read", {})["result"] == {
        "account": {"type": "chatgpt", "email": "dev@example.com", "planType": "pro"},
        "requiresOpenaiAuth": True,
    }
    call(s, 3, "account/rateLimits/read")  # a failing backend call must not leak the token
    s.close(timeout=2)
    for path in run_home.codex_home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert secret_access.encode() not in data, path
            assert id_token.encode() not in data, path
    stderr = s.stderr_path.read_bytes()
    assert secret_access.encode() not in stderr
    assert id_token.encode() not in stderr


def test_browser_login_over_the_wire(spawn: Spawn, run_home: RunHome, backend: FakeBackend) -> None:
    s = started(
        spawn,
        "-c",
        f'pycodex.auth_issuer="{backend.url}"',
        "-c",
        "pycodex.login_port=0",
        "-c",
        f'chatgpt_base_url="{backend.chatgpt_base_url}"',
    )
    reply = call(s, 1, "account/login/start", {"type": "chatgpt"})["result"]
    assert reply["type"] == "chatgpt"
    auth_url = urlsplit(reply["authUrl"])
    query = parse_qs(auth_url.query)
    assert auth_url.geturl().startswith(f"{backend.url}/oauth/authorize?")
    assert query["originator"] == ["e2e"]
    callback = query["redirect_uri"][0]
    with httpx2.Client(follow_redirects=True) as browser:
        answer = browser.get(callback, params={"code": "c0de", "state": query["state"][0]})
    assert answer.status_code == 200
    notes = notifications(s)
    assert [(m["method"], m["params"]) for m in notes] == [
        ("account/login/completed", {"loginId": reply["loginId"], "success": True, "error": None}),
        ("account/updated", {"authMode": "chatgpt"}),
    ]
    account = call(s, 2, "account/read", {})["result"]["account"]
    assert account == {"type": "chatgpt", "email": "user@example.com", "planType": "pro"}
    stored = json.loads((run_home.codex_home / "auth.json").read_text())
    assert stored["tokens"]["account_id"] == "ws-1"
    limits = call(s, 3, "account/rateLimits/read")
    assert "rateLimits" in limits["result"], limits
    s.close(timeout=2)


def test_cancel_a_pending_browser_login(spawn: Spawn, backend: FakeBackend) -> None:
    s = started(spawn, "-c", f'pycodex.auth_issuer="{backend.url}"', "-c", "pycodex.login_port=0")
    s.drain(quiet=0.1)
    login_id = call(s, 1, "account/login/start", {"type": "chatgpt"})["result"]["loginId"]
    assert call(s, 2, "account/login/cancel", {"loginId": login_id})["result"] == {
        "status": "canceled"
    }
    notes = notifications(s)
    assert [(m["method"], m["params"]) for m in notes] == [
        (
            "account/login/completed",
            {
                "loginId": login_id,
                "success": False,
                "error": "Login server error: Login was not completed",
            },
        )
    ]
    assert call(s, 3, "account/login/cancel", {"loginId": login_id})["result"] == {
        "status": "notFound"
    }
    s.close(timeout=2)


def test_forced_login_method_refuses(spawn: Spawn) -> None:
    s = started(spawn, "-c", 'forced_login_method="api"')
    reply = call(s, 1, "account/login/start", {"type": "chatgpt"})
    assert reply["error"] == {
        "code": -32600,
        "message": "ChatGPT login is disabled. Use API key login instead.",
    }
    s.close(timeout=2)
    s = started(spawn, "-c", 'forced_login_method="chatgpt"')
    reply = call(s, 1, "loginApiKey", {"apiKey": "sk"})
    assert reply["error"]["message"] == "API key login is disabled. Use ChatGPT login instead."
    s.close(timeout=2)


def test_provider_without_openai_auth_reports_no_account(spawn: Spawn) -> None:
    s = started(spawn, "-c", "model_providers.mock.requires_openai_auth=false")
    call(s, 1, "account/login/start", {"type": "apiKey", "apiKey": "sk-ignored"})
    assert call(s, 2, "account/read", {})["result"] == {
        "account": None,
        "requiresOpenaiAuth": False,
    }
    assert call(s, 3, "getAuthStatus", {"includeToken": True})["result"] == {
        "authMethod": None,
        "authToken": None,
        "requiresOpenaiAuth": False,
    }
    s.close(timeout=2)
