"""ChatGPT browser login end to end on loopback: an httpx2 client plays the browser against the
real callback server, and a fake OAuth backend answers the code and API-key exchanges."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx2
import pytest

from pycodex.auth.login import (
    CLIENT_ID,
    LoginManager,
    LoginNotFoundError,
    LoginPortInUseError,
    LoginSettings,
    generate_pkce,
)
from pycodex.auth.login_server import LoginServer
from pycodex.auth.tokens import TokenData
from tests.kit.fake_backend import (
    AUTH_CLAIMS,
    AUTHORIZATION_CODE,
    TOKEN_EXCHANGE,
    FakeBackend,
    RecordedRequest,
    Reply,
    make_id_token,
    make_jwt,
)

ORIGINATOR = "lab_client"
NOT_COMPLETED = "Login server error: Login was not completed"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


ACCESS_TOKEN = make_jwt({AUTH_CLAIMS: {"chatgpt_plan_type": "plus"}})


def tokens_reply(token: str | None = None) -> Reply:
    return Reply(
        body={
            "id_token": token or make_id_token(),
            "access_token": ACCESS_TOKEN,
            "refresh_token": "rt-1",
        }
    )


def grants(backend: FakeBackend) -> list[str]:
    return [r.form()["grant_type"] for r in backend.requests()]


# --- the app side: recording callbacks ---------------------------------------------------------


@dataclass
class Recorder:
    saved: list[tuple[TokenData, str | None]] = field(default_factory=list)
    completions: list[tuple[str, bool, str | None]] = field(default_factory=list)
    fail_persist: str | None = None

    async def on_success(self, tokens: TokenData, api_key: str | None) -> None:
        if self.fail_persist is not None:
            raise OSError(self.fail_persist)
        self.saved.append((tokens, api_key))

    async def on_complete(self, login_id: str, success: bool, error: str | None) -> None:
        self.completions.append((login_id, success, error))


@pytest.fixture
async def manager() -> AsyncIterator[LoginManager]:
    mgr = LoginManager()
    yield mgr
    await mgr.aclose()


@pytest.fixture
async def browser() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(follow_redirects=False, timeout=10) as client:
        yield client


def login_settings(backend: FakeBackend, **kw: Any) -> LoginSettings:
    return LoginSettings(**{"originator": ORIGINATOR, "issuer": backend.url, "port": 0, **kw})


async def start(
    manager: LoginManager, backend: FakeBackend, rec: Recorder, **kw: Any
) -> tuple[LoginServer, dict[str, str]]:
    """Start a login; the pending server and its authorize-URL parameters."""
    await manager.start_login(login_settings(backend, **kw), rec.on_success, rec.on_complete)
    server = manager.active
    assert server is not None
    return server, dict(parse_qsl(urlsplit(server.auth_url).query))


def local(server: LoginServer, path_and_query: str) -> str:
    # The redirect URI says `localhost`; tests talk to the bound 127.0.0.1 only.
    return f"http://127.0.0.1:{server.port}{path_and_query}"


def port_is_free(port: int) -> bool:
    """Bindable by a listener as every server sets it up (SO_REUSEADDR, so TIME_WAIT is fine)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


# --- tests -------------------------------------------------------------------------------------


async def test_authorize_url_has_exactly_the_reference_parameters(
    manager: LoginManager, backend: FakeBackend
) -> None:
    rec = Recorder()
    server, params = await start(manager, backend, rec)
    url = urlsplit(server.auth_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{backend.url}/oauth/authorize"
    keys = [key for key, _ in parse_qsl(url.query)]
    assert keys == [
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "code_challenge",
        "code_challenge_method",
        "id_token_add_organizations",
        "codex_cli_simplified_flow",
        "state",
        "originator",
    ]
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID == "app_EMoamEEZ73f0CkXaXp7hrann"
    assert params["redirect_uri"] == f"http://localhost:{server.port}/auth/callback"
    assert params["scope"] == "openid profile email offline_access"
    assert len(params["code_challenge"]) == 43
    assert params["code_challenge_method"] == "S256"
    assert params["id_token_add_organizations"] == "true"
    assert params["codex_cli_simplified_flow"] == "true"
    assert len(params["state"]) == 43
    assert params["originator"] == ORIGINATOR
    # Percent-encoded like the reference: every reserved character, spaces as %20.
    assert f"redirect_uri=http%3A%2F%2Flocalhost%3A{server.port}%2Fauth%2Fcallback" in url.query
    assert "scope=openid%20profile%20email%20offline_access" in url.query
    assert server.port != 0 and not port_is_free(server.port)


async def test_forced_workspace_adds_allowed_workspace_id_last(
    manager: LoginManager, backend: FakeBackend
) -> None:
    _, params = await start(manager, backend, Recorder(), forced_chatgpt_workspace_id="ws-1")
    assert list(params)[-2:] == ["originator", "allowed_workspace_id"]
    assert params["allowed_workspace_id"] == "ws-1"
    assert len(params) == 11


def test_pkce_codes_are_s256_and_fresh() -> None:
    first, second = generate_pkce(), generate_pkce()
    assert len(first.code_verifier) == 86 and first.code_verifier != second.code_verifier
    digest = hashlib.sha256(first.code_verifier.encode()).digest()
    assert first.code_challenge == b64url(digest)


async def test_good_login_end_to_end(
    manager: LoginManager, backend: FakeBackend, browser: httpx2.AsyncClient
) -> None:
    rec = Recorder()
    token = make_id_token(organization_id="org-9", is_org_owner=True)
    backend.script(AUTHORIZATION_CODE, tokens_reply(token))
    server, params = await start(manager, backend, rec)
    port = server.port

    callback = await browser.get(
        local(server, "/auth/callback"), params={"code": "the-code", "state": params["state"]}
    )
    assert callback.status_code == 302
    location = urlsplit(callback.headers["location"])
    assert (location.scheme, location.netloc, location.path) == (
        "http",
        f"localhost:{port}",
        "/success",
    )
    success_params = parse_qsl(location.query, keep_blank_values=True)
    assert success_params == [
        ("id_token", token),
        ("needs_setup", "true"),
        ("org_id", "org-9"),
        ("project_id", ""),
        ("plan_type", "plus"),  # from the access token, not the id_token ("pro")
        ("platform_url", "https://platform.api.openai.org"),
    ]

    code_post, key_post = backend.requests()
    assert code_post.path == "/oauth/token"
    assert code_post.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "user-agent" not in code_post.headers and "originator" not in code_post.headers
    assert list(code_post.form()) == [
        "grant_type",
        "code",
        "redirect_uri",
        "client_id",
        "code_verifier",
    ]
    assert code_post.form()["grant_type"] == "authorization_code"
    assert code_post.form()["code"] == "the-code"
    assert code_post.form()["redirect_uri"] == params["redirect_uri"]
    assert code_post.form()["client_id"] == CLIENT_ID
    verifier = code_post.form()["code_verifier"]
    assert b64url(hashlib.sha256(verifier.encode()).digest()) == params["code_challenge"]
    assert key_post.form() == {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "client_id": CLIENT_ID,
        "requested_token": "openai-api-key",
        "subject_token": token,
        "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
    }

    [(tokens, api_key)] = rec.saved
    assert api_key == "sk-exchanged"
    assert tokens.id_token.raw_jwt == token
    assert tokens.id_token.email == "user@example.com"
    assert tokens.access_token == ACCESS_TOKEN and tokens.refresh_token == "rt-1"
    assert tokens.account_id == "ws-1"
    assert rec.completions == []  # only the success page ends the login

    page = await browser.get(local(server, f"/success?{location.query}"))
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["connection"] == "close"
    assert "<title>Signed in to Codex</title>" in page.text

    await server.wait()
    assert rec.completions == [(server.login_id, True, None)]
    assert manager.active is None
    assert port_is_free(port)
    with pytest.raises(httpx2.ConnectError):
        await browser.get(local(server, "/success"))


async def test_failed_api_key_exchange_still_logs_in(
    manager: LoginManager, backend: FakeBackend, browser: httpx2.AsyncClient
) -> None:
    backend.script(TOKEN_EXCHANGE, Reply(403, {"error": "forbidden"}))
    rec = Recorder()
    server, params = await start(manager, backend, rec)
    callback = await browser.get(
        local(server, "/auth/callback"), params={"code": "c", "state": params["state"]}
    )
    assert callback.status_code == 302
    [(_, api_key)] = rec.saved
    assert api_key is None
    await browser.get(local(server, "/success"))
    await server.wait()
    assert rec.completions == [(server.login_id, True, None)]


async def test_wrong_state_and_missing_code_keep_the_login_waiting(
    manager: LoginManager, backend: FakeBackend, browser: httpx2.AsyncClient
) -> None:
    rec = Recorder()
    server, params = await start(manager, backend, rec)
    cb = local(server, "/auth/callback")

    wrong = await browser.get(cb, params={"code": "c", "state": "not-the-state"})
    assert (wrong.status_code, wrong.text) == (400, "State mismatch")
    no_state = await browser.get(cb, params={"code": "c"})
    assert (no_state.status_code, no_state.text) == (400, "State mismatch")
    no_code = await browser.get(cb, params={"state": params["state"], "code": ""})
    assert (no_code.status_code, no_code.text) == (400, "Missing authorization code")
    unknown = await browser.get(local(server, "/favicon.ico"))
    assert (unknown.status_code, unknown.text) == (404, "Not Found")
    assert backend.requests() == [] and rec.saved == [] and rec.completions == []
    assert manager.active is server

    # Still pending: the right callback completes it.
    good = await browser.get(cb, params={"code": "c", "state": params["state"]})
    assert good.status_code == 302


async def test_oauth_error_callback_is_a_missing_code(
    manager: LoginManager, backend: FakeBackend, browser: httpx2.AsyncClient
) -> None:
    # 0.94 does not special-case `error=`: no code, so 400 and the login keeps waiting.
    rec = Recorder()
    server, params = await start(manager, backend, rec)
    reply = await browser.get(
        local(server, "/auth/callback"),
        params={"error": "access_denied", "error_description": "nope", "state": params["state"]},
    )
    assert (reply.status_code, reply.text) == (400, "Missing authorization code")
    assert backend.requests() == [] and rec.completions == []
    assert manager.active is server


async def test_issuer_error_response_answers_500_and_keeps_waiting(
    manager: LoginManager, backend: FakeBackend, browser: httpx2.AsyncClient
) -> None:
    backend.script(
        AUTHORIZATION_CODE,
        Reply(400, {"error": "invalid_grant"}),
        Reply(body={"id_token": make_id_token()}),  # then a reply missing two tokens
    )
    rec = Recorder()
    server, params = await start(manager, backend, rec)
    cb = local(server, "/auth/callback")
    reply = await browser.get(cb, params={"code": "bad", "state": params["state"]})
    assert reply.status_code == 500
    assert reply.text == "Token exchange failed: token endpoint returned status 400 Bad Request"
    assert grants(backend) == ["authorization_code"]
    assert rec.saved == [] and rec.completions == []
    assert manager.active is server

    reply = await browser.get(cb, params={"code": "c", "state": params["state"]})
    assert reply.status_code == 500 and reply.text.startswith("Token exchange failed: ")

    reply = await browser.get(cb, params={"code": "c", "state": params["state"]})
    assert reply.status_code == 302 and len(rec.saved) == 1


async def test_persist_failure_answers_500_and_keeps_waiting(
    manager: LoginManager, backend: FakeBackend, browser: httpx2.AsyncClient
) -> None:
    rec = Recorder(fail_persist="disk full")
    server, params = await start(manager, backend, rec)
    reply = await browser.get(
        local(server, "/auth/callback"), params={"code": "c", "state": params["state"]}
    )
    assert (reply.status_code, reply.text) == (500, "Unable to persist auth file: disk full")
    assert rec.completions == [] and manager.active is server


@pytest.mark.parametrize(
    ("account", "message"),
    [
        ("ws-other", "Login is restricted to workspace id ws-1."),
        (
            None,
            "Login is restricted to a specific workspace, but the token did not include an "
            "chatgpt_account_id claim.",
        ),
    ],
)
async def test_forced_workspace_mismatch_ends_the_login(
    manager: LoginManager,
    backend: FakeBackend,
    browser: httpx2.AsyncClient,
    account: str | None,
    message: str,
) -> None:
    backend.script(AUTHORIZATION_CODE, tokens_reply(make_id_token(account_id=account)))
    rec = Recorder()
    server, params = await start(manager, backend, rec, forced_chatgpt_workspace_id="ws-1")
    reply = await browser.get(
        local(server, "/auth/callback"), params={"code": "c", "state": params["state"]}
    )
    assert (reply.status_code, reply.text) == (200, message)
    assert reply.headers["content-type"].startswith("text/plain")
    await server.wait()
    assert rec.completions == [(server.login_id, False, f"Login server error: {message}")]
    assert rec.saved == []
    assert grants(backend) == ["authorization_code"]
    assert manager.active is None and port_is_free(server.port)


async def test_forced_workspace_match_logs_in(
    manager: LoginManager, backend: FakeBackend, browser: httpx2.AsyncClient
) -> None:
    rec = Recorder()
    server, params = await start(manager, backend, rec, forced_chatgpt_workspace_id="ws-1")
    reply = await browser.get(
        local(server, "/auth/callback"), params={"code": "c", "state": params["state"]}
    )
    assert reply.status_code == 302 and rec.saved[0][0].account_id == "ws-1"


async def test_cancel_login(manager: LoginManager, backend: FakeBackend) -> None:
    rec = Recorder()
    server, _ = await start(manager, backend, rec)
    with pytest.raises(LoginNotFoundError) as unknown:
        await manager.cancel_login("00000000-0000-4000-8000-000000000000")
    assert str(unknown.value) == "login id not found: 00000000-0000-4000-8000-000000000000"
    assert manager.active is server

    await manager.cancel_login(server.login_id)
    assert port_is_free(server.port)  # released by the time cancel returns
    await server.wait()
    assert rec.completions == [(server.login_id, False, NOT_COMPLETED)]
    assert manager.active is None
    with pytest.raises(LoginNotFoundError):
        await manager.cancel_login(server.login_id)
    assert manager.cancel_pending() is None
    server.cancel()  # idempotent: still exactly one completion
    await asyncio.sleep(0)
    assert len(rec.completions) == 1


async def test_cancel_path_ends_the_login(
    manager: LoginManager, backend: FakeBackend, browser: httpx2.AsyncClient
) -> None:
    rec = Recorder()
    server, _ = await start(manager, backend, rec)
    reply = await browser.get(local(server, "/cancel"))
    assert (reply.status_code, reply.text) == (200, "Login cancelled")
    await server.wait()
    assert rec.completions == [(server.login_id, False, "Login server error: Login cancelled")]
    assert port_is_free(server.port)


async def test_cancel_pending_for_other_logins(manager: LoginManager, backend: FakeBackend) -> None:
    rec = Recorder()
    server, _ = await start(manager, backend, rec)
    assert manager.cancel_pending() == server.login_id
    await server.wait()
    assert rec.completions == [(server.login_id, False, NOT_COMPLETED)]


async def test_success_page_alone_does_not_complete_a_login(
    manager: LoginManager, backend: FakeBackend, browser: httpx2.AsyncClient
) -> None:
    # Deliberate difference from 0.94: a stray /success (an old tab reloaded) is served but
    # does not end a login whose callback has not persisted tokens.
    rec = Recorder()
    server, _ = await start(manager, backend, rec)
    page = await browser.get(local(server, "/success"))
    assert page.status_code == 200 and "Signed in to Codex" in page.text
    await asyncio.sleep(0.05)
    assert rec.completions == [] and manager.active is server


async def test_second_login_replaces_the_first(
    manager: LoginManager, backend: FakeBackend, browser: httpx2.AsyncClient
) -> None:
    first_rec, second_rec = Recorder(), Recorder()
    first, first_params = await start(manager, backend, first_rec)
    second, second_params = await start(manager, backend, second_rec)

    # The first one was reported before the second start returned.
    assert first_rec.completions == [(first.login_id, False, NOT_COMPLETED)]
    assert manager.active is second and second.login_id != first.login_id
    assert first_params["state"] != second_params["state"]
    assert first_params["code_challenge"] != second_params["code_challenge"]
    with pytest.raises(httpx2.ConnectError):
        await browser.get(local(first, "/auth/callback"))

    reply = await browser.get(
        local(second, "/auth/callback"), params={"code": "c", "state": second_params["state"]}
    )
    assert reply.status_code == 302
    await browser.get(local(second, "/success"))
    await second.wait()
    assert second_rec.completions == [(second.login_id, True, None)]
    assert len(first_rec.completions) == 1


async def test_concurrent_starts_leave_one_login(
    manager: LoginManager, backend: FakeBackend
) -> None:
    recs = [Recorder() for _ in range(3)]
    results = await asyncio.gather(
        *(manager.start_login(login_settings(backend), r.on_success, r.on_complete) for r in recs)
    )
    active = manager.active
    assert active is not None and active.login_id == results[-1][0]
    await asyncio.sleep(0.05)
    done = [c for r in recs for c in r.completions]
    assert sorted(c[0] for c in done) == sorted(lid for lid, _ in results[:-1])
    assert all(c[1:] == (False, NOT_COMPLETED) for c in done)


async def test_port_taken_by_a_foreign_listener(
    manager: LoginManager, backend: FakeBackend
) -> None:
    seen: list[bytes] = []

    async def foreign(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    squatter = await asyncio.start_server(foreign, "127.0.0.1", 0)
    port = squatter.sockets[0].getsockname()[1]
    rec = Recorder()
    try:
        with pytest.raises(LoginPortInUseError) as err:
            await manager.start_login(
                login_settings(backend, port=port, bind_attempts=3, bind_retry_delay=0.05),
                rec.on_success,
                rec.on_complete,
            )
    finally:
        squatter.close()
    assert str(err.value) == f"Port 127.0.0.1:{port} is already in use"
    assert len(seen) == 1 and seen[0].startswith(b"GET /cancel HTTP/1.1\r\n")
    assert manager.active is None and rec.completions == []


async def test_port_held_by_a_previous_login_server_is_taken_over(backend: FakeBackend) -> None:
    # Another process's login on the same port (here: another manager) is told GET /cancel.
    other, mine = LoginManager(), LoginManager()
    old_rec, new_rec = Recorder(), Recorder()
    await other.start_login(login_settings(backend), old_rec.on_success, old_rec.on_complete)
    old = other.active
    assert old is not None
    try:
        await mine.start_login(
            login_settings(backend, port=old.port, bind_retry_delay=0.05),
            new_rec.on_success,
            new_rec.on_complete,
        )
        new = mine.active
        assert new is not None and new.port == old.port
        await old.wait()
        assert old_rec.completions == [(old.login_id, False, "Login server error: Login cancelled")]
    finally:
        await mine.aclose()
        await other.aclose()


async def test_cancel_during_the_code_exchange(
    manager: LoginManager, backend: FakeBackend, browser: httpx2.AsyncClient
) -> None:
    arrived = asyncio.Event()
    loop = asyncio.get_running_loop()

    def slow_issuer(request: RecordedRequest) -> Reply:
        loop.call_soon_threadsafe(arrived.set)
        return Reply(body=tokens_reply().body, delay=1.0)

    backend.script(AUTHORIZATION_CODE, slow_issuer)
    rec = Recorder()
    server, params = await start(manager, backend, rec)
    callback = asyncio.create_task(
        browser.get(local(server, "/auth/callback"), params={"code": "c", "state": params["state"]})
    )
    await asyncio.wait_for(arrived.wait(), 5)
    await manager.cancel_login(server.login_id)
    assert port_is_free(server.port)
    await server.wait()
    assert rec.completions == [(server.login_id, False, NOT_COMPLETED)]
    with pytest.raises(httpx2.HTTPError):  # the browser's connection is dropped unanswered
        await callback
    await asyncio.sleep(1.2)  # the late issuer reply changes nothing
    assert rec.saved == [] and len(rec.completions) == 1


async def test_cancel_while_persisting_reports_after_the_persist(
    manager: LoginManager, backend: FakeBackend, browser: httpx2.AsyncClient
) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    events: list[str] = []

    async def slow_persist(tokens: TokenData, api_key: str | None) -> None:
        events.append("persist started")
        started.set()
        await release.wait()
        events.append("persisted")

    async def on_complete(login_id: str, success: bool, error: str | None) -> None:
        events.append(f"completed {success} {error}")

    await manager.start_login(login_settings(backend), slow_persist, on_complete)
    server = manager.active
    assert server is not None
    state = dict(parse_qsl(urlsplit(server.auth_url).query))["state"]
    callback = asyncio.create_task(
        browser.get(local(server, "/auth/callback"), params={"code": "c", "state": state})
    )
    await asyncio.wait_for(started.wait(), 5)
    await manager.cancel_login(server.login_id)
    await asyncio.sleep(0.05)
    assert events == ["persist started"]  # a persist is never cut in half
    release.set()
    await server.wait()
    assert events == ["persist started", "persisted", f"completed False {NOT_COMPLETED}"]
    with pytest.raises(httpx2.HTTPError):
        await callback


async def test_unreachable_issuer_answers_500(
    manager: LoginManager, browser: httpx2.AsyncClient
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
    rec = Recorder()
    await manager.start_login(
        LoginSettings(originator=ORIGINATOR, issuer=dead, port=0), rec.on_success, rec.on_complete
    )
    server = manager.active
    assert server is not None
    state = dict(parse_qsl(urlsplit(server.auth_url).query))["state"]
    reply = await browser.get(local(server, "/auth/callback"), params={"code": "c", "state": state})
    assert reply.status_code == 500
    assert reply.text.startswith(
        f"Token exchange failed: error sending request for url ({dead}/oauth/token)"
    )
    assert rec.completions == [] and manager.active is server


async def test_malformed_request_line_is_a_bad_request(
    manager: LoginManager, backend: FakeBackend
) -> None:
    server, _ = await start(manager, backend, Recorder())
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"NONSENSE\r\n\r\n")
    await writer.drain()
    reply = await reader.read()
    writer.close()
    assert reply.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert reply.endswith(b"\r\n\r\nBad Request")
    assert manager.active is server
