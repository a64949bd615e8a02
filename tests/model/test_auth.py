"""401 → `UnauthorizedRecovery` → retry, per auth mode (auth.md §5), over real loopback HTTP:
the Responses fake plus the fake OAuth issuer for managed refreshes, and an injected client
refresher for external tokens. Also: no key or token in the logs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pycodex.auth.credentials import AuthSettings, ExternalRefreshError
from pycodex.auth.manager import AuthManager
from pycodex.model.events import Completed, Retrying
from tests.auth.conftest import write_chatgpt_login
from tests.kit.fake_backend import REFRESH, FakeBackend, Reply, make_id_token
from tests.kit.fake_responses import FakeResponses, SseReply, StatusReply, message_events

from .conftest import ClientFactory, Sleeps, collect, provider

UNAUTHORIZED = "unexpected status 401 Unauthorized: "


def deny(body: str = '{"error":{"message":"token expired: secret-ish detail"}}') -> StatusReply:
    return StatusReply(401, body)


@pytest.fixture
def backend() -> Iterator[FakeBackend]:
    with FakeBackend() as issuer:
        yield issuer


@pytest.fixture
def settings(clean_environ: Path, backend: FakeBackend) -> AuthSettings:
    return AuthSettings(
        codex_home=clean_environ, issuer=backend.url, chatgpt_base_url=backend.chatgpt_base_url
    )


@pytest.fixture
def managed(settings: AuthSettings, backend: FakeBackend) -> AuthManager:
    write_chatgpt_login(settings.codex_home, backend.issue_tokens())
    return AuthManager(settings)


class Refresher:
    """The client side of `account/chatgptAuthTokens/refresh`, answering from a script."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, str | None]] = []

    async def __call__(self, reason: str, previous_account_id: str | None) -> dict[str, Any]:
        self.calls.append((reason, previous_account_id))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        assert isinstance(answer, dict)
        return answer


def external(settings: AuthSettings, refresher: Refresher) -> AuthManager:
    manager = AuthManager(settings, request_external_refresh=refresher)
    manager.set_external_tokens(make_id_token(account_id="acct-1"), "access-token-1")
    return manager


def bearers(fake: FakeResponses) -> list[str | None]:
    return [r.headers.get("authorization") for r in fake.requests]


# -- API key: no recovery ---------------------------------------------------------------------


async def test_api_key_401_has_no_recovery(
    fake: FakeResponses, make_client: ClientFactory, settings: AuthSettings
) -> None:
    manager = AuthManager(settings)
    manager.login_api_key("sk-secret-key")
    fake.enqueue(deny())
    _, error = await collect(make_client(provider(fake.base_url), manager))
    assert error is not None and error.to_wire() == {
        "message": UNAUTHORIZED,
        "codexErrorInfo": "other",
        "additionalDetails": None,
    }
    assert bearers(fake) == ["Bearer sk-secret-key"]


async def test_api_key_401_is_a_stream_error_for_retries(
    fake: FakeResponses, make_client: ClientFactory, settings: AuthSettings
) -> None:
    manager = AuthManager(settings)
    manager.login_api_key("sk-secret-key")
    fake.enqueue(deny(), deny(), deny())
    client = make_client(provider(fake.base_url, stream_retries=2), manager)
    events, error = await collect(client)
    notices = [e.error.to_wire() for e in events if isinstance(e, Retrying)]
    assert notices[0] == {
        "message": "Reconnecting... 1/2",
        "codexErrorInfo": {"responseStreamDisconnected": {"httpStatusCode": 401}},
        "additionalDetails": UNAUTHORIZED,
    }
    assert len(notices) == 2 and error is not None and error.message == UNAUTHORIZED
    assert len(fake.requests) == 3


# -- managed ChatGPT login ------------------------------------------------------------------


async def test_managed_reload_then_refresh_then_retry(
    fake: FakeResponses, make_client: ClientFactory, managed: AuthManager, backend: FakeBackend
) -> None:
    fake.enqueue(deny(), deny(), SseReply(message_events("ok")))
    events, error = await collect(make_client(provider(fake.base_url), managed))
    assert error is None and isinstance(events[-1], Completed)
    first, second, third = bearers(fake)
    assert first == second == "Bearer at-1"  # reload: same account, same token
    assert third is not None and third != first  # after the OAuth refresh
    assert len(backend.requests(REFRESH)) == 1
    assert {r.headers.get("chatgpt-account-id") for r in fake.requests} == {"ws-1"}
    assert not any(isinstance(e, Retrying) for e in events)


async def test_managed_permanent_refresh_failure_is_unauthorized_at_once(
    fake: FakeResponses, make_client: ClientFactory, managed: AuthManager, backend: FakeBackend
) -> None:
    backend.script(REFRESH, Reply(401, {"error": {"code": "refresh_token_expired"}}))
    fake.enqueue(deny(), deny())
    client = make_client(provider(fake.base_url, stream_retries=5), managed)
    events, error = await collect(client)
    assert error is not None and error.to_wire() == {
        "message": "Your access token could not be refreshed because your refresh token has "
        "expired. Please log out and sign in again.",
        "codexErrorInfo": "unauthorized",
        "additionalDetails": None,
    }
    assert not any(isinstance(e, Retrying) for e in events)
    assert len(fake.requests) == 2


async def test_managed_transient_refresh_failure_retries_with_null_status(
    fake: FakeResponses, make_client: ClientFactory, managed: AuthManager, backend: FakeBackend
) -> None:
    backend.script(REFRESH, *[Reply(500, {"error": {"message": "boom"}})] * 2)
    fake.enqueue(*[deny() for _ in range(4)])
    client = make_client(provider(fake.base_url, stream_retries=1), managed)
    events, error = await collect(client)
    refresh_error = "Failed to refresh token: 500 Internal Server Error: boom"
    assert [e.error.to_wire() for e in events if isinstance(e, Retrying)] == [
        {
            "message": "Reconnecting... 1/1",
            "codexErrorInfo": {"responseStreamDisconnected": {"httpStatusCode": None}},
            "additionalDetails": refresh_error,
        }
    ]
    assert error is not None and error.to_wire()["message"] == refresh_error
    assert len(backend.requests(REFRESH)) == 2  # a fresh recovery per attempt


# -- external tokens (chatgptAuthTokens) ----------------------------------------------------


async def test_external_refresh_then_retry_with_new_token(
    fake: FakeResponses, make_client: ClientFactory, settings: AuthSettings
) -> None:
    refresher = Refresher(
        {"idToken": make_id_token(account_id="acct-OTHER"), "accessToken": "access-token-2"}
    )
    manager = external(settings, refresher)
    fake.enqueue(deny(), SseReply(message_events("ok")))
    events, error = await collect(make_client(provider(fake.base_url), manager))
    assert error is None and isinstance(events[-1], Completed)
    assert refresher.calls == [("unauthorized", "acct-1")]
    assert bearers(fake) == ["Bearer access-token-1", "Bearer access-token-2"]
    accounts = [r.headers.get("chatgpt-account-id") for r in fake.requests]
    assert accounts == ["acct-1", "acct-OTHER"]


async def test_external_always_401(
    fake: FakeResponses, make_client: ClientFactory, settings: AuthSettings
) -> None:
    refresher = Refresher({"idToken": make_id_token(account_id="acct-1"), "accessToken": "t2"})
    manager = external(settings, refresher)
    fake.enqueue(*[deny() for _ in range(4)])
    client = make_client(provider(fake.base_url, stream_retries=1), manager)
    events, error = await collect(client)
    assert error is not None and error.to_wire() == {
        "message": UNAUTHORIZED,
        "codexErrorInfo": "other",
        "additionalDetails": None,
    }
    assert len(refresher.calls) == 2 and len(fake.requests) == 4
    notices = [e.error for e in events if isinstance(e, Retrying)]
    assert len(notices) == 1
    assert notices[0].codex_error_info == {"responseStreamDisconnected": {"httpStatusCode": 401}}


async def test_external_refresh_error_reply(
    fake: FakeResponses, make_client: ClientFactory, settings: AuthSettings
) -> None:
    manager = external(settings, Refresher(ExternalRefreshError(-32000, "host app says no")))
    fake.enqueue(deny())
    _, error = await collect(make_client(provider(fake.base_url), manager))
    assert error is not None and error.codex_error_info == "other"
    assert error.message.startswith("auth refresh request")
    assert len(fake.requests) == 1


# -- secrets ----------------------------------------------------------------------------------


async def test_no_key_or_token_in_logs(
    fake: FakeResponses,
    make_client: ClientFactory,
    settings: AuthSettings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    refresher = Refresher({"idToken": make_id_token(account_id="acct-1"), "accessToken": "tok-2"})
    manager = external(settings, refresher)
    fake.enqueue(deny(), StatusReply(500, "{}"), SseReply(message_events("ok")))
    sleeps = Sleeps()
    client = make_client(provider(fake.base_url, retries=1), manager, sleep=sleeps)
    _, error = await collect(client)
    assert error is None
    manager.logout()
    key_manager = AuthManager(settings)
    key_manager.login_api_key("sk-very-secret")
    fake.enqueue(deny())
    await collect(make_client(provider(fake.base_url, stream_retries=1), key_manager))
    await asyncio.sleep(0)
    text = caplog.text + "".join(repr(r.args) for r in caplog.records)
    assert caplog.records, "the client should log something at DEBUG for this test to mean much"
    for secret in ("access-token-1", "tok-2", "sk-very-secret", "Bearer"):
        assert secret not in text
