"""Base URLs and headers per mode (auth.md §7.1-7.2); rate-limit headers and usage (§7.3-7.4)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest

from pycodex.auth.credentials import CodexAuth
from pycodex.auth.headers import (
    auth_headers,
    default_originator,
    model_base_url,
    responses_headers,
    uses_zstd,
)
from pycodex.auth.ratelimits import (
    RateLimitSnapshot,
    UsageDecodeError,
    parse_rate_limit_headers,
    parse_usage,
    round_half_away,
    usage_url,
)
from pycodex.auth.tokens import TokenData, parse_id_token
from tests.kit.fake_backend import make_id_token

NOW = datetime.now(UTC)
API_KEY = CodexAuth("apikey", "sk-k", None, None)


def chatgpt(mode: Any = "chatgpt", account: str | None = "ws-1") -> CodexAuth:
    tokens = TokenData(parse_id_token(make_id_token(account_id=account)), "at", "rt", account)
    return CodexAuth(mode, None, tokens, NOW)


def test_base_urls_per_mode() -> None:
    env: dict[str, str] = {}
    assert model_base_url(API_KEY, env) == "https://api.openai.com/v1"
    assert model_base_url(None, env) == "https://api.openai.com/v1"
    for mode in ("chatgpt", "chatgptAuthTokens"):
        assert model_base_url(chatgpt(mode), env) == "https://chatgpt.com/backend-api/codex"
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}
    assert model_base_url(chatgpt(), env) == model_base_url(API_KEY, env) == env["OPENAI_BASE_URL"]


def test_auth_headers_per_mode() -> None:
    assert auth_headers(None) == {}
    assert auth_headers(API_KEY) == {"authorization": "Bearer sk-k"}
    assert auth_headers(chatgpt("chatgptAuthTokens")) == {
        "authorization": "Bearer at",
        "chatgpt-account-id": "ws-1",
    }
    assert auth_headers(chatgpt(account=None)) == {"authorization": "Bearer at"}
    assert uses_zstd(chatgpt()) and not uses_zstd(API_KEY) and not uses_zstd(None)


def test_responses_headers() -> None:
    env = {"OPENAI_ORGANIZATION": "org-1", "OPENAI_PROJECT": "proj-1"}
    headers = responses_headers(
        chatgpt(), originator="lab", user_agent="lab/0.94.0", session_id="t-1", environ=env
    )
    assert headers == {
        "authorization": "Bearer at",
        "chatgpt-account-id": "ws-1",
        "originator": "lab",
        "user-agent": "lab/0.94.0",
        "version": "0.94.0",
        "accept": "text/event-stream",
        "content-type": "application/json",
        "x-oai-web-search-eligible": "true",
        "session_id": "t-1",
        "openai-organization": "org-1",
        "openai-project": "proj-1",
    }
    plain = responses_headers(API_KEY, originator="o", user_agent="u", environ={})
    assert "chatgpt-account-id" not in plain and "openai-organization" not in plain


def test_originator_precedence() -> None:
    assert default_originator(None, {}) == "codex_cli_rs"
    assert default_originator("lab", {}) == "lab"
    env = {"CODEX_INTERNAL_ORIGINATOR_OVERRIDE": "forced"}
    assert default_originator("lab", env) == "forced"


def test_rate_limit_headers_full() -> None:
    headers = httpx2.Headers(
        {
            "X-Codex-Primary-Used-Percent": "42.5",
            "x-codex-primary-window-minutes": "300",
            "x-codex-primary-reset-at": "1800000000",
            "x-codex-secondary-used-percent": "99.6",
            "x-codex-secondary-window-minutes": "10080",
            "x-codex-credits-has-credits": "TRUE",
            "x-codex-credits-unlimited": "0",
            "x-codex-credits-balance": "  12.5 ",
        }
    )
    assert parse_rate_limit_headers(headers).to_wire() == {
        "primary": {"usedPercent": 43, "windowDurationMins": 300, "resetsAt": 1800000000},
        "secondary": {"usedPercent": 100, "windowDurationMins": 10080, "resetsAt": None},
        "credits": {"hasCredits": True, "unlimited": False, "balance": "12.5"},
        "planType": None,
    }


def test_no_headers_give_all_nulls() -> None:
    assert parse_rate_limit_headers({}).to_wire() == {
        "primary": None,
        "secondary": None,
        "credits": None,
        "planType": None,
    }


@pytest.mark.parametrize(
    ("headers", "present"),
    [
        ({"x-codex-primary-used-percent": "0", "x-codex-primary-window-minutes": "0"}, False),
        ({"x-codex-primary-used-percent": "0", "x-codex-primary-window-minutes": "60"}, True),
        ({"x-codex-primary-used-percent": "0", "x-codex-primary-reset-at": "5"}, True),
        ({"x-codex-primary-used-percent": "0.4"}, True),
        ({"x-codex-primary-used-percent": "nan", "x-codex-primary-window-minutes": "60"}, False),
        ({"x-codex-primary-used-percent": "inf"}, False),
        ({"x-codex-primary-used-percent": "abc"}, False),
        ({"x-codex-primary-window-minutes": "60"}, False),
    ],
)
def test_when_a_window_is_present(headers: dict[str, str], present: bool) -> None:
    assert (parse_rate_limit_headers(headers).primary is not None) is present


@pytest.mark.parametrize(
    ("headers", "credits"),
    [
        ({"x-codex-credits-has-credits": "true"}, None),
        ({"x-codex-credits-has-credits": "yes", "x-codex-credits-unlimited": "1"}, None),
        (
            {"x-codex-credits-has-credits": "1", "x-codex-credits-unlimited": "True"},
            {"hasCredits": True, "unlimited": True, "balance": None},
        ),
        (
            {
                "x-codex-credits-has-credits": "false",
                "x-codex-credits-unlimited": "false",
                "x-codex-credits-balance": "   ",
            },
            {"hasCredits": False, "unlimited": False, "balance": None},
        ),
    ],
)
def test_credits_headers(headers: dict[str, str], credits: Any) -> None:
    assert parse_rate_limit_headers(headers).to_wire()["credits"] == credits


def test_credits_carry_forward() -> None:
    first = parse_rate_limit_headers(
        {"x-codex-credits-has-credits": "true", "x-codex-credits-unlimited": "false"}
    )
    second = parse_rate_limit_headers({"x-codex-primary-used-percent": "5"}).carry_credits(first)
    assert second.credits == first.credits and second.primary is not None
    assert RateLimitSnapshot().carry_credits(None).credits is None


def test_rounding_is_half_away_from_zero() -> None:
    assert [round_half_away(x) for x in (42.5, 43.5, 99.6, 0.4, -2.5)] == [43, 44, 100, 0, -3]


def test_usage_url() -> None:
    assert usage_url("https://chatgpt.com/backend-api/") == (
        "https://chatgpt.com/backend-api/wham/usage"
    )
    assert usage_url("https://chatgpt.com/backend-api") == (
        "https://chatgpt.com/backend-api/wham/usage"
    )
    assert usage_url("http://127.0.0.1:9/") == "http://127.0.0.1:9/api/codex/usage"


@pytest.mark.parametrize(
    ("plan", "wire"),
    [
        ("guest", "unknown"),
        ("free_workspace", "unknown"),
        ("quorum", "unknown"),
        ("k12", "unknown"),
        ("education", "edu"),
        ("edu", "edu"),
        ("team", "team"),
        ("go", "go"),
    ],
)
def test_usage_plan_mapping(plan: str, wire: str) -> None:
    assert parse_usage({"plan_type": plan}).to_wire() == {
        "primary": None,
        "secondary": None,
        "credits": None,
        "planType": wire,
    }


def test_usage_windows() -> None:
    snapshot = parse_usage(
        {
            "plan_type": "pro",
            "rate_limit": {
                "allowed": True,
                "limit_reached": True,
                "primary_window": {"used_percent": 100, "limit_window_seconds": 18000},
                "secondary_window": {"used_percent": 3, "limit_window_seconds": 61, "reset_at": 9},
            },
        }
    )
    wire = snapshot.to_wire()
    assert wire["primary"] == {"usedPercent": 100, "windowDurationMins": 300, "resetsAt": None}
    assert wire["secondary"] == {"usedPercent": 3, "windowDurationMins": 2, "resetsAt": 9}


@pytest.mark.parametrize(
    "doc",
    [
        {"plan_type": "platinum"},
        {},
        [],
        {"plan_type": "plus", "rate_limit": {"allowed": True}},
        {
            "plan_type": "plus",
            "rate_limit": {
                "allowed": True,
                "limit_reached": False,
                "primary_window": {"used_percent": 12.7},
            },
        },
        {
            "plan_type": "plus",
            "rate_limit": {
                "allowed": True,
                "limit_reached": False,
                "primary_window": {"used_percent": True},
            },
        },
        {"plan_type": "plus", "credits": {"has_credits": True}},
    ],
)
def test_usage_decoding_is_strict(doc: Any) -> None:
    with pytest.raises(UsageDecodeError):
        parse_usage(doc)
