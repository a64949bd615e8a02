"""AuthManager against real files and the fake issuer: logins, external tokens, logout,
account info, managed refresh and the usage endpoint."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pycodex.auth.credentials import (
    API_KEY_LOGIN_DISABLED,
    CHATGPT_LOGIN_DISABLED,
    EMAIL_AND_PLAN_REQUIRED,
    EXTERNAL_AUTH_ACTIVE,
    EXTERNAL_LOGIN_DISABLED,
    AuthInternalError,
    AuthRequestError,
    AuthSettings,
)
from pycodex.auth.manager import AuthManager
from pycodex.auth.refresh import RefreshTokenError
from pycodex.auth.storage import parse_timestamp
from tests.auth.conftest import write_chatgpt_login
from tests.kit.fake_backend import REFRESH, USAGE, FakeBackend, Reply, make_id_token


def test_no_auth(settings: AuthSettings) -> None:
    manager = AuthManager(settings)
    assert manager.auth_cached() is None and manager.account() is None


def test_api_key_login_writes_the_file_and_reads_back(settings: AuthSettings, home: Path) -> None:
    manager = AuthManager(settings)
    manager.login_api_key("sk-any")
    assert json.loads((home / "auth.json").read_text()) == {
        "auth_mode": "apikey",
        "OPENAI_API_KEY": "sk-any",
    }
    assert manager.account() == {"type": "apiKey"}
    auth = manager.auth_cached()
    assert auth is not None and auth.mode == "apikey" and auth.login_type == "apiKey"


async def test_auth_status_spells_apikey_and_hides_the_token(settings: AuthSettings) -> None:
    manager = AuthManager(settings)
    manager.login_api_key("sk-st")
    status = await manager.auth_status(include_token=False, refresh_token=False)
    assert (status.auth_method, status.auth_token) == ("apikey", None)
    status = await manager.auth_status(include_token=True, refresh_token=False)
    assert status.auth_token == "sk-st"


def test_forced_login_methods(settings: AuthSettings) -> None:
    chatgpt_only = AuthManager(replace(settings, forced_login_method="chatgpt"))
    with pytest.raises(AuthRequestError, match=API_KEY_LOGIN_DISABLED):
        chatgpt_only.login_api_key("sk")
    chatgpt_only.check_chatgpt_login_allowed()
    chatgpt_only.set_external_tokens(make_id_token(), "at")
    chatgpt_only.logout()

    api_only = AuthManager(replace(settings, forced_login_method="api"))
    with pytest.raises(AuthRequestError) as err:
        api_only.check_chatgpt_login_allowed()
    assert str(err.value) == CHATGPT_LOGIN_DISABLED
    with pytest.raises(AuthRequestError) as err:
        api_only.set_external_tokens(make_id_token(), "at")
    assert str(err.value) == EXTERNAL_LOGIN_DISABLED
    api_only.login_api_key("sk")


def test_external_tokens_are_memory_only_and_shadow_the_file(
    settings: AuthSettings, home: Path
) -> None:
    manager = AuthManager(settings)
    manager.login_api_key("sk-persisted")
    before = (home / "auth.json").read_bytes()
    manager.set_external_tokens(make_id_token(email="e@x", plan="team"), "ext-access")
    assert (home / "auth.json").read_bytes() == before
    assert sorted(p.name for p in home.iterdir()) == ["auth.json"]
    auth = manager.auth_cached()
    assert auth is not None and auth.mode == "chatgptAuthTokens"
    assert auth.bearer_token == "ext-access" and auth.account_id == "ws-1"
    assert manager.account() == {"type": "chatgpt", "email": "e@x", "planType": "team"}
    # another manager in the same process sees it too (process-global memory store)
    assert AuthManager(settings).external_active


def test_external_auth_refuses_other_logins(settings: AuthSettings) -> None:
    manager = AuthManager(settings)
    manager.set_external_tokens(make_id_token(), "at")
    with pytest.raises(AuthRequestError) as err:
        manager.login_api_key("sk")
    assert str(err.value) == EXTERNAL_AUTH_ACTIVE
    with pytest.raises(AuthRequestError, match="External auth is active"):
        manager.check_chatgpt_login_allowed()
    manager.set_external_tokens(make_id_token(email="second@x"), "at2")  # replacing is allowed
    assert manager.user_email() == "second@x"


def test_logout_clears_external_and_persisted_auth(settings: AuthSettings, home: Path) -> None:
    manager = AuthManager(settings)
    manager.login_api_key("sk")
    manager.set_external_tokens(make_id_token(), "at")
    assert manager.logout() is True
    assert manager.auth_cached() is None and not (home / "auth.json").exists()
    assert AuthManager(settings).auth_cached() is None
    assert manager.logout() is False  # already logged out still succeeds


def test_logout_failure_is_reported(settings: AuthSettings, home: Path) -> None:
    manager = AuthManager(settings)
    (home / "auth.json").mkdir()  # unlink fails with EISDIR/EPERM
    with pytest.raises(AuthInternalError, match=r"^logout failed: "):
        manager.logout()


def test_save_failure_is_reported(settings: AuthSettings, home: Path) -> None:
    (home / "auth.json").mkdir()  # the final rename onto a directory fails
    with pytest.raises(AuthInternalError, match=r"^failed to save api key: "):
        AuthManager(settings).login_api_key("sk")


@pytest.mark.parametrize(
    ("id_token", "message"),
    [
        ("not-a-jwt", "invalid id token: invalid ID token format"),
        (make_id_token(account_id="other"), 'but received Some("other").'),
        (make_id_token(account_id=None), "but received None."),
    ],
)
def test_external_token_checks(settings: AuthSettings, id_token: str, message: str) -> None:
    manager = AuthManager(replace(settings, forced_chatgpt_workspace_id="ws-1"))
    with pytest.raises(AuthRequestError) as err:
        manager.set_external_tokens(id_token, "at")
    assert message in str(err.value)
    if "workspace" in message or "received" in message:
        assert str(err.value).startswith("External auth must use workspace ws-1, but received ")
    assert manager.auth_cached() is None


def test_other_workspace_is_fine_without_a_forced_workspace(settings: AuthSettings) -> None:
    manager = AuthManager(settings)
    manager.set_external_tokens(make_id_token(account_id="anything"), "at")
    assert manager.auth_cached() is not None


def test_account_plan_mapping_and_missing_claims(settings: AuthSettings) -> None:
    manager = AuthManager(settings)
    manager.set_external_tokens(make_id_token(plan="mystery"), "at")
    assert manager.account() == {
        "type": "chatgpt",
        "email": "user@example.com",
        "planType": "unknown",
    }
    manager.set_external_tokens(make_id_token(email=None), "at")
    with pytest.raises(AuthRequestError) as err:
        manager.account()
    assert str(err.value) == EMAIL_AND_PLAN_REQUIRED


async def test_stale_login_is_refreshed_before_use(
    settings: AuthSettings, home: Path, backend: FakeBackend
) -> None:
    old = backend.issue_tokens()
    write_chatgpt_login(home, old, age=timedelta(days=9))
    manager = AuthManager(settings, identity=lambda: ("my_client", "my_client/0.94.0 (test)"))
    auth = await manager.auth()
    assert auth is not None and auth.bearer_token != old["access_token"]
    [request] = backend.requests(REFRESH)
    assert request.headers["content-type"] == "application/json"
    assert request.headers["originator"] == "my_client"
    assert request.headers["user-agent"] == "my_client/0.94.0 (test)"
    assert request.json() == {
        "client_id": "app_EMoamEEZ73f0CkXaXp7hrann",
        "grant_type": "refresh_token",
        "refresh_token": old["refresh_token"],
        "scope": "openid profile email",
    }
    stored = json.loads((home / "auth.json").read_text())
    assert stored["tokens"]["access_token"] == auth.bearer_token
    assert stored["tokens"]["refresh_token"] != old["refresh_token"]
    assert stored["tokens"]["id_token"] != old["id_token"]
    assert stored["tokens"]["account_id"] == "ws-1"
    refreshed_at = parse_timestamp(stored["last_refresh"])
    assert datetime.now(UTC) - refreshed_at < timedelta(minutes=1)


async def test_fresh_login_is_not_refreshed(
    settings: AuthSettings, home: Path, backend: FakeBackend
) -> None:
    write_chatgpt_login(home, backend.issue_tokens(), age=timedelta(days=7))
    await AuthManager(settings).auth()
    assert backend.requests(REFRESH) == []


async def test_tokens_without_last_refresh_are_not_refreshed(
    settings: AuthSettings, home: Path, backend: FakeBackend
) -> None:
    doc = write_chatgpt_login(home, backend.issue_tokens())
    del doc["last_refresh"]
    (home / "auth.json").write_text(json.dumps(doc))
    await AuthManager(settings).auth()
    assert backend.requests(REFRESH) == []


async def test_refresh_override_url_replaces_the_endpoint(
    home: Path, backend: FakeBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEX_REFRESH_TOKEN_URL_OVERRIDE", backend.token_url)
    settings = AuthSettings.from_env(issuer="http://127.0.0.1:9/unused")
    assert settings.codex_home == home and settings.refresh_url == backend.token_url
    write_chatgpt_login(home, backend.issue_tokens())
    await AuthManager(settings).refresh_token()
    assert len(backend.requests(REFRESH)) == 1


async def test_partial_refresh_reply_keeps_other_fields(
    settings: AuthSettings, home: Path, backend: FakeBackend
) -> None:
    old = backend.issue_tokens()
    write_chatgpt_login(home, old, api_key="sk-exchanged")
    backend.script(REFRESH, Reply(body={"access_token": "only-access"}))
    manager = AuthManager(settings)
    await manager.refresh_token()
    stored = json.loads((home / "auth.json").read_text())
    assert stored["tokens"]["access_token"] == "only-access"
    assert stored["tokens"]["refresh_token"] == old["refresh_token"]
    assert stored["tokens"]["id_token"] == old["id_token"]
    assert stored["OPENAI_API_KEY"] == "sk-exchanged" and stored["auth_mode"] == "chatgpt"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"error": {"code": "refresh_token_expired"}},
            "Your access token could not be refreshed because your refresh token has expired. "
            "Please log out and sign in again.",
        ),
        (
            {"error": "REFRESH_TOKEN_REUSED"},
            "Your access token could not be refreshed because your refresh token was already "
            "used. Please log out and sign in again.",
        ),
        (
            {"code": "refresh_token_invalidated"},
            "Your access token could not be refreshed because your refresh token was revoked. "
            "Please log out and sign in again.",
        ),
        (
            {"error": {"code": "something_else"}},
            "Your access token could not be refreshed. Please log out and sign in again.",
        ),
    ],
)
async def test_refresh_401_is_permanent(
    settings: AuthSettings, home: Path, backend: FakeBackend, body: object, message: str
) -> None:
    write_chatgpt_login(home, backend.issue_tokens())
    backend.script(REFRESH, Reply(401, body))
    manager = AuthManager(settings)
    with pytest.raises(RefreshTokenError) as err:
        await manager.refresh_token()
    assert err.value.permanent and err.value.message == message
    assert manager.account() is not None  # credentials stay in place


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            Reply(500, {"error": {"message": "boom"}}),
            "Failed to refresh token: 500 Internal Server Error: boom",
        ),
        (Reply(503, "down"), "Failed to refresh token: 503 Service Unavailable: down"),
        (Reply(502, ""), "Failed to refresh token: 502 Bad Gateway: Unknown error"),
    ],
)
async def test_other_refresh_failures_are_transient(
    settings: AuthSettings, home: Path, backend: FakeBackend, reply: Reply, message: str
) -> None:
    write_chatgpt_login(home, backend.issue_tokens())
    backend.script(REFRESH, reply)
    with pytest.raises(RefreshTokenError) as err:
        await AuthManager(settings).refresh_token()
    assert not err.value.permanent and err.value.message == message


async def test_unreachable_issuer_is_transient(home: Path, backend: FakeBackend) -> None:
    write_chatgpt_login(home, backend.issue_tokens())
    manager = AuthManager(AuthSettings(codex_home=home, issuer="http://127.0.0.1:9"))
    with pytest.raises(RefreshTokenError) as err:
        await manager.refresh_token()
    assert not err.value.permanent


async def test_read_account_refresh_flag(
    settings: AuthSettings, home: Path, backend: FakeBackend
) -> None:
    write_chatgpt_login(home, backend.issue_tokens())
    manager = AuthManager(settings)
    backend.script(REFRESH, Reply(500, "x"))
    account = await manager.read_account(refresh_token=True)  # failure only logged
    assert account == {"type": "chatgpt", "email": "user@example.com", "planType": "pro"}
    await manager.read_account(refresh_token=True)
    assert len(backend.requests(REFRESH)) == 2


async def test_read_account_refresh_flag_is_ignored_for_external_tokens(
    settings: AuthSettings, backend: FakeBackend
) -> None:
    calls: list[object] = []

    async def refresher(reason: str, previous: str | None) -> dict[str, object]:
        calls.append(reason)
        return {}

    manager = AuthManager(settings, request_external_refresh=refresher)
    manager.set_external_tokens(make_id_token(), "at")
    await manager.read_account(refresh_token=True)
    assert calls == [] and backend.requests() == []


async def test_rate_limits_require_chatgpt_auth(settings: AuthSettings) -> None:
    manager = AuthManager(settings)
    with pytest.raises(AuthRequestError) as err:
        await manager.read_rate_limits()
    assert str(err.value) == "codex account authentication required to read rate limits"
    manager.login_api_key("sk")
    with pytest.raises(AuthRequestError) as err:
        await manager.read_rate_limits()
    assert str(err.value) == "chatgpt authentication required to read rate limits"


async def test_rate_limits_read_the_usage_endpoint(
    settings: AuthSettings, backend: FakeBackend
) -> None:
    backend.usage_body = {
        "plan_type": "education",
        "rate_limit": {
            "allowed": True,
            "limit_reached": False,
            "primary_window": {
                "used_percent": 12,
                "limit_window_seconds": 90,
                "reset_after_seconds": 100,
                "reset_at": 1800000000,
            },
            "secondary_window": None,
        },
        "credits": {"has_credits": True, "unlimited": False, "balance": "5.0"},
    }
    manager = AuthManager(settings, identity=lambda: ("orig", "ua/1"))
    manager.set_external_tokens(make_id_token(account_id="ws-7"), "usage-at")
    snapshot = await manager.read_rate_limits()
    assert snapshot.to_wire() == {
        "primary": {"usedPercent": 12, "windowDurationMins": 2, "resetsAt": 1800000000},
        "secondary": None,
        "credits": {"hasCredits": True, "unlimited": False, "balance": "5.0"},
        "planType": "edu",
    }
    [request] = backend.requests(USAGE)
    assert request.path == "/backend-api/wham/usage"
    assert request.headers["authorization"] == "Bearer usage-at"
    assert request.headers["chatgpt-account-id"] == "ws-7"
    assert request.headers["user-agent"] == "ua/1" and request.headers["accept"] == "*/*"
    assert "originator" not in request.headers and "version" not in request.headers


async def test_rate_limits_401_is_an_error_without_refresh(
    settings: AuthSettings, home: Path, backend: FakeBackend
) -> None:
    write_chatgpt_login(home, backend.issue_tokens())
    backend.script(USAGE, Reply(401, {"detail": "nope"}))
    with pytest.raises(AuthInternalError) as err:
        await AuthManager(settings).read_rate_limits()
    assert str(err.value).startswith("failed to fetch codex rate limits: GET ")
    assert "401 Unauthorized" in str(err.value) and "application/json" in str(err.value)
    assert backend.requests(REFRESH) == []


async def test_rate_limits_decode_error(settings: AuthSettings, backend: FakeBackend) -> None:
    backend.usage_body = {
        "plan_type": "plus",
        "rate_limit": {
            "allowed": True,
            "limit_reached": False,
            "primary_window": {"used_percent": 12.7},
        },
    }
    manager = AuthManager(settings)
    manager.set_external_tokens(make_id_token(), "at")
    with pytest.raises(AuthInternalError, match="failed to fetch codex rate limits: Decode"):
        await manager.read_rate_limits()
