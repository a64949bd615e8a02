"""The request on the wire: body keys and fixed values, URL and headers per provider and auth
mode (reference-behaviour.md (c), auth.md §7.1-7.2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycodex.auth.credentials import AuthSettings
from pycodex.auth.manager import AuthManager
from pycodex.config.model import ProviderInfo
from pycodex.model.events import Completed
from pycodex.model.request import (
    ModelRequest,
    base_url,
    reasoning_for,
    request_body,
)
from tests.kit.fake_backend import make_id_token
from tests.kit.fake_responses import FakeResponses

from .conftest import ORIGINATOR, THREAD_ID, USER_AGENT, ClientFactory, collect, provider, request

FIXED_HEADERS = {
    "originator": ORIGINATOR,
    "user-agent": USER_AGENT,
    "session_id": THREAD_ID,
    "accept": "text/event-stream",
    "content-type": "application/json",
    "x-oai-web-search-eligible": "true",
}


@pytest.fixture
def settings(clean_environ: Path) -> AuthSettings:
    return AuthSettings(codex_home=clean_environ)


def sent_headers(fake: FakeResponses) -> dict[str, str]:
    headers = dict(fake.requests[-1].headers)
    for transport_only in ("host", "content-length", "accept-encoding", "connection"):
        headers.pop(transport_only, None)
    return headers


def test_body_keys_and_fixed_values() -> None:
    body = request_body(request())
    assert list(body) == [
        "model",
        "instructions",
        "input",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "reasoning",
        "store",
        "stream",
        "include",
        "prompt_cache_key",
    ]
    assert body["tool_choice"] == "auto" and body["parallel_tool_calls"] is True
    assert body["reasoning"] == {"effort": "medium", "summary": "auto"}
    assert (body["store"], body["stream"]) == (False, True)
    assert body["include"] == ["reasoning.encrypted_content"]
    assert body["prompt_cache_key"] == THREAD_ID


def test_models_without_reasoning_send_no_reasoning() -> None:
    assert reasoning_for("gpt-4.1", None, None) is None
    assert reasoning_for("gpt-5.2-codex", None, None) is not None
    assert reasoning_for("gpt-5.2-codex", "high", "detailed") is not None
    plain = ModelRequest(
        "gpt-4.1", "i", [], THREAD_ID, reasoning=reasoning_for("gpt-4.1", None, None)
    )
    body = request_body(plain)
    assert "reasoning" not in body and body["include"] == []


async def test_custom_provider_api_key_headers(
    fake: FakeResponses, make_client: ClientFactory, settings: AuthSettings
) -> None:
    manager = AuthManager(settings)
    manager.login_api_key("sk-test")
    env = {"OPENAI_ORGANIZATION": "org-x", "OPENAI_PROJECT": "proj-y"}
    events, error = await collect(make_client(provider(fake.base_url), manager, environ=env))
    assert error is None and isinstance(events[-1], Completed)
    # A custom provider sends neither `version` nor the organization/project headers.
    assert sent_headers(fake) == {**FIXED_HEADERS, "authorization": "Bearer sk-test"}
    assert fake.requests[-1].path == "/v1/responses"


async def test_builtin_openai_provider_headers(
    fake: FakeResponses, make_client: ClientFactory, settings: AuthSettings
) -> None:
    manager = AuthManager(settings)
    manager.login_api_key("sk-test")
    env = {
        "OPENAI_BASE_URL": fake.base_url,
        "OPENAI_ORGANIZATION": "org-x",
        "OPENAI_PROJECT": "proj-y",
    }
    openai = ProviderInfo("openai", {"name": "OpenAI", "requires_openai_auth": True})
    openai.request_max_retries = openai.stream_max_retries = 0
    _, error = await collect(make_client(openai, manager, environ=env))
    assert error is None
    assert sent_headers(fake) == {
        **FIXED_HEADERS,
        "authorization": "Bearer sk-test",
        "version": "0.94.0",
        "openai-organization": "org-x",
        "openai-project": "proj-y",
    }


async def test_chatgpt_mode_headers(
    fake: FakeResponses, make_client: ClientFactory, settings: AuthSettings
) -> None:
    manager = AuthManager(settings)
    manager.set_external_tokens(make_id_token(account_id="acct-9"), "access-9")
    _, error = await collect(make_client(provider(fake.base_url), manager))
    assert error is None
    assert sent_headers(fake) == {
        **FIXED_HEADERS,
        "authorization": "Bearer access-9",
        "chatgpt-account-id": "acct-9",
    }


async def test_env_key_provider_and_http_headers(
    fake: FakeResponses, make_client: ClientFactory, settings: AuthSettings
) -> None:
    manager = AuthManager(settings)
    manager.login_api_key("sk-account")  # the env key wins over the account
    prov = provider(fake.base_url, env_key="MOCK_KEY", http_headers={"X-Extra": "1"})
    _, error = await collect(make_client(prov, manager, environ={"MOCK_KEY": "mock-secret"}))
    assert error is None
    headers = sent_headers(fake)
    assert headers["authorization"] == "Bearer mock-secret"
    assert headers["x-extra"] == "1"


async def test_env_key_missing(fake: FakeResponses, make_client: ClientFactory) -> None:
    prov = provider(fake.base_url, env_key="MOCK_KEY", stream_retries=3)
    _, error = await collect(make_client(prov, None, environ={}))
    assert error is not None and error.message == "Missing environment variable: `MOCK_KEY`."
    assert fake.requests == []


async def test_no_auth_sends_no_authorization(
    fake: FakeResponses, make_client: ClientFactory
) -> None:
    _, error = await collect(make_client(provider(fake.base_url), None))
    assert error is None and "authorization" not in sent_headers(fake)


def test_base_urls_per_provider_and_mode(settings: AuthSettings) -> None:
    openai = ProviderInfo("openai", {"name": "OpenAI"})
    custom = provider("http://127.0.0.1:9/v1")
    manager = AuthManager(settings)
    assert base_url(openai, None, {}) == "https://api.openai.com/v1"
    manager.login_api_key("sk-x")
    assert base_url(openai, manager.auth_cached(), {}) == "https://api.openai.com/v1"
    manager.logout()
    manager.set_external_tokens(make_id_token(), "tok")
    chatgpt = manager.auth_cached()
    assert base_url(openai, chatgpt, {}) == "https://chatgpt.com/backend-api/codex"
    assert base_url(openai, chatgpt, {"OPENAI_BASE_URL": "http://h/v1"}) == "http://h/v1"
    assert base_url(custom, chatgpt, {}) == "http://127.0.0.1:9/v1"
