"""The 401 recovery policy (auth.md §5.2), one test per row, plus single-flight refreshes.

Each "attempt" below is one sampling request of the model client: a new recovery state whose
steps are driven by 401s, as the stream-retry loop would drive them.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pycodex.auth.credentials import AuthSettings, ExternalRefreshError
from pycodex.auth.manager import AuthManager, _format_duration
from pycodex.auth.recovery import RecoveryOutcome, RecoveryStatus, UnauthorizedRecovery
from tests.auth.conftest import write_chatgpt_login
from tests.kit.fake_backend import REFRESH, FakeBackend, Reply, make_id_token

RETRY, EXHAUSTED, FAILED = RecoveryStatus.RETRY, RecoveryStatus.EXHAUSTED, RecoveryStatus.FAILED


def bearer(manager: AuthManager) -> str | None:
    auth = manager.auth_cached()
    return auth.bearer_token if auth is not None else None


class Refresher:
    """A fake client for `account/chatgptAuthTokens/refresh`, answering from a script."""

    def __init__(self, *answers: Any, delay: float = 0.0) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, str | None]] = []
        self.delay = delay

    async def __call__(self, reason: str, previous_account_id: str | None) -> dict[str, Any]:
        self.calls.append((reason, previous_account_id))
        if self.delay:
            await asyncio.sleep(self.delay)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if answer == "hang":
            await asyncio.Event().wait()
        if isinstance(answer, BaseException):
            raise answer
        assert isinstance(answer, dict)
        return answer


def tokens(access: str, account_id: str | None = "ws-1") -> dict[str, str]:
    return {"idToken": make_id_token(account_id=account_id), "accessToken": access}


@pytest.fixture
def managed(settings: AuthSettings, home: Path, backend: FakeBackend) -> AuthManager:
    write_chatgpt_login(home, backend.issue_tokens())
    return AuthManager(settings)


def external(settings: AuthSettings, refresher: Refresher | None) -> AuthManager:
    manager = AuthManager(settings, request_external_refresh=refresher)
    manager.set_external_tokens(make_id_token(), "ext-0")
    return manager


# -- managed `chatgpt` ----------------------------------------------------------------------


async def test_managed_first_token_rejected_refresh_ok(
    managed: AuthManager, backend: FakeBackend
) -> None:
    first = bearer(managed)
    recovery = UnauthorizedRecovery(managed)
    assert recovery.has_next()
    assert (await recovery.recover_unauthorized()).status is RETRY  # reload: same token
    assert bearer(managed) == first and backend.requests(REFRESH) == []
    assert (await recovery.recover_unauthorized()).status is RETRY  # refresh
    assert bearer(managed) not in (None, first)
    assert len(backend.requests(REFRESH)) == 1
    assert (await recovery.recover_unauthorized()).status is EXHAUSTED  # done: 401 bubbles up
    assert not recovery.has_next()


async def test_managed_reload_adopts_tokens_another_process_wrote(
    managed: AuthManager, home: Path, backend: FakeBackend
) -> None:
    write_chatgpt_login(home, {**backend.issue_tokens(), "access_token": "from-disk"})
    outcome = await UnauthorizedRecovery(managed).recover_unauthorized()
    assert outcome.status is RETRY and bearer(managed) == "from-disk"
    assert backend.requests(REFRESH) == []


async def test_managed_other_account_on_disk_skips_to_refresh(
    managed: AuthManager, home: Path, backend: FakeBackend
) -> None:
    old = bearer(managed)
    write_chatgpt_login(home, backend.issue_tokens(account_id="ws-2"), account_id="ws-2")
    recovery = UnauthorizedRecovery(managed)
    outcome = await recovery.recover_unauthorized()
    # the refresh spends our (ws-1) refresh token; the disk one belongs to another account
    assert outcome.status is RETRY and bearer(managed) != old
    assert len(backend.requests(REFRESH)) == 1 and not recovery.has_next()


async def test_managed_refresh_expired_is_permanent(
    managed: AuthManager, backend: FakeBackend
) -> None:
    backend.script(REFRESH, Reply(401, {"error": {"code": "refresh_token_expired"}}))
    recovery = UnauthorizedRecovery(managed)
    await recovery.recover_unauthorized()
    outcome = await recovery.recover_unauthorized()
    assert outcome == RecoveryOutcome(
        FAILED,
        "Your access token could not be refreshed because your refresh token has expired. "
        "Please log out and sign in again.",
        permanent=True,
    )


async def test_managed_refresh_500_is_transient_and_each_attempt_refreshes_again(
    managed: AuthManager, backend: FakeBackend
) -> None:
    backend.script(REFRESH, *[Reply(500, {"error": {"message": "boom"}})] * 6)
    for _ in range(6):  # the first attempt and its 5 retries
        recovery = UnauthorizedRecovery(managed)
        assert (await recovery.recover_unauthorized()).status is RETRY
        outcome = await recovery.recover_unauthorized()
        assert outcome == RecoveryOutcome(
            FAILED, "Failed to refresh token: 500 Internal Server Error: boom"
        )
    assert len(backend.requests(REFRESH)) == 6


# -- external `chatgptAuthTokens` -------------------------------------------------------------


async def test_external_refresh_ok(settings: AuthSettings, backend: FakeBackend) -> None:
    refresher = Refresher(tokens("ext-1"))
    manager = external(settings, refresher)
    recovery = UnauthorizedRecovery(manager)
    assert (await recovery.recover_unauthorized()).status is RETRY
    assert refresher.calls == [("unauthorized", "ws-1")]
    assert bearer(manager) == "ext-1"
    auth = manager.auth_cached()
    assert auth is not None and auth.mode == "chatgptAuthTokens"
    assert (await recovery.recover_unauthorized()).status is EXHAUSTED
    assert backend.requests() == []  # the issuer is never involved


async def test_external_previous_account_id_is_null_without_the_claim(
    settings: AuthSettings,
) -> None:
    refresher = Refresher(tokens("ext-1"))
    manager = AuthManager(settings, request_external_refresh=refresher)
    manager.set_external_tokens(make_id_token(account_id=None), "ext-0")
    await UnauthorizedRecovery(manager).recover_unauthorized()
    assert refresher.calls == [("unauthorized", None)]


async def test_external_backend_always_401_asks_once_per_attempt(settings: AuthSettings) -> None:
    refresher = Refresher(*(tokens(f"ext-{n}") for n in range(1, 7)))
    manager = external(settings, refresher)
    for _ in range(6):  # the first attempt and its 5 retries, each: refresh, then give up
        recovery = UnauthorizedRecovery(manager)
        assert (await recovery.recover_unauthorized()).status is RETRY
        assert (await recovery.recover_unauthorized()).status is EXHAUSTED
    assert len(refresher.calls) == 6 and bearer(manager) == "ext-6"


async def test_external_json_rpc_error(settings: AuthSettings) -> None:
    manager = external(settings, Refresher(ExternalRefreshError(-32000, "host says no")))
    outcome = await UnauthorizedRecovery(manager).recover_unauthorized()
    assert outcome == RecoveryOutcome(
        FAILED, "auth refresh request failed: code=-32000 message=host says no"
    )
    assert bearer(manager) == "ext-0"


async def test_external_dropped_connection(settings: AuthSettings) -> None:
    manager = external(settings, Refresher(ConnectionResetError("gone")))
    outcome = await UnauthorizedRecovery(manager).recover_unauthorized()
    assert outcome.error == "auth refresh request canceled: channel closed"


async def test_external_client_never_answers(settings: AuthSettings) -> None:
    refresher = Refresher("hang")
    manager = external(replace(settings, external_refresh_timeout=0.2), refresher)
    started = asyncio.get_running_loop().time()
    outcome = await UnauthorizedRecovery(manager).recover_unauthorized()
    assert 0.15 < asyncio.get_running_loop().time() - started < 2
    assert outcome == RecoveryOutcome(FAILED, "auth refresh request timed out after 200ms")
    assert bearer(manager) == "ext-0"


def test_timeout_is_printed_like_the_reference() -> None:
    assert _format_duration(10.0) == "10s"
    assert _format_duration(1.5) == "1.5s"
    assert _format_duration(0.25) == "250ms"


async def test_external_reply_missing_id_token(settings: AuthSettings) -> None:
    manager = external(settings, Refresher({"accessToken": "x"}))
    outcome = await UnauthorizedRecovery(manager).recover_unauthorized()
    assert outcome == RecoveryOutcome(FAILED, "missing field `idToken`")


async def test_external_reply_with_a_bad_id_token(settings: AuthSettings) -> None:
    manager = external(settings, Refresher({"idToken": "x.y", "accessToken": "x"}))
    outcome = await UnauthorizedRecovery(manager).recover_unauthorized()
    assert outcome == RecoveryOutcome(FAILED, "invalid ID token format")


async def test_external_refresh_for_another_workspace_is_refused_when_forced(
    settings: AuthSettings,
) -> None:
    forced = replace(settings, forced_chatgpt_workspace_id="ws-1")
    manager = external(forced, Refresher(tokens("ext-other", account_id="ws-9")))
    outcome = await UnauthorizedRecovery(manager).recover_unauthorized()
    assert outcome == RecoveryOutcome(
        FAILED, 'external auth refresh returned workspace Some("ws-9"), expected "ws-1"'
    )
    assert bearer(manager) == "ext-0"  # the old token is still used


async def test_external_refresh_for_another_workspace_is_installed_when_not_forced(
    settings: AuthSettings,
) -> None:
    manager = external(settings, Refresher(tokens("ext-other", account_id="ws-9")))
    assert (await UnauthorizedRecovery(manager).recover_unauthorized()).status is RETRY
    assert bearer(manager) == "ext-other"


async def test_external_without_refresher_has_no_recovery(settings: AuthSettings) -> None:
    recovery = UnauthorizedRecovery(external(settings, None))
    assert not recovery.has_next()
    assert (await recovery.recover_unauthorized()).status is EXHAUSTED


# -- API key and no auth ----------------------------------------------------------------------


async def test_api_key_has_no_recovery(settings: AuthSettings, backend: FakeBackend) -> None:
    manager = AuthManager(settings)
    manager.login_api_key("sk")
    recovery = UnauthorizedRecovery(manager)
    assert not recovery.has_next()
    assert (await recovery.recover_unauthorized()).status is EXHAUSTED
    assert backend.requests() == []


async def test_no_auth_has_no_recovery(settings: AuthSettings) -> None:
    recovery = UnauthorizedRecovery(AuthManager(settings))
    assert (await recovery.recover_unauthorized()).status is EXHAUSTED


# -- single flight ----------------------------------------------------------------------------


async def test_ten_concurrent_managed_401s_refresh_once(
    managed: AuthManager, backend: FakeBackend
) -> None:
    backend.script(REFRESH, lambda req: Reply(body=backend.issue_tokens(), delay=0.3))
    recoveries = [UnauthorizedRecovery(managed) for _ in range(10)]
    first = await asyncio.gather(*(r.recover_unauthorized() for r in recoveries))
    assert {o.status for o in first} == {RETRY}
    second = await asyncio.gather(*(r.recover_unauthorized() for r in recoveries))
    assert {o.status for o in second} == {RETRY}
    assert len(backend.requests(REFRESH)) == 1


async def test_a_401_on_an_already_replaced_token_does_not_refresh_again(
    managed: AuthManager, backend: FakeBackend
) -> None:
    stale = bearer(managed)
    slow, late = UnauthorizedRecovery(managed), UnauthorizedRecovery(managed)
    await slow.recover_unauthorized()
    await late.recover_unauthorized()
    await slow.recover_unauthorized()  # refreshes
    outcome = await late.recover_unauthorized(rejected_token=stale)
    assert outcome.status is RETRY and len(backend.requests(REFRESH)) == 1


async def test_ten_concurrent_external_401s_ask_the_client_once(settings: AuthSettings) -> None:
    refresher = Refresher(tokens("ext-1"), delay=0.2)
    manager = external(settings, refresher)
    outcomes = await asyncio.gather(
        *(UnauthorizedRecovery(manager).recover_unauthorized() for _ in range(10))
    )
    assert {o.status for o in outcomes} == {RETRY}
    assert len(refresher.calls) == 1 and bearer(manager) == "ext-1"


async def test_concurrent_failures_share_the_outcome(settings: AuthSettings) -> None:
    refresher = Refresher(ExternalRefreshError(1, "no"), delay=0.1)
    manager = external(settings, refresher)
    outcomes = await asyncio.gather(
        *(UnauthorizedRecovery(manager).recover_unauthorized() for _ in range(5))
    )
    assert {o.error for o in outcomes} == {"auth refresh request failed: code=1 message=no"}
    assert len(refresher.calls) == 1


async def test_a_cancelled_waiter_does_not_cancel_the_shared_refresh(
    settings: AuthSettings,
) -> None:
    refresher = Refresher(tokens("ext-1"), delay=0.2)
    manager = external(settings, refresher)
    first = asyncio.create_task(UnauthorizedRecovery(manager).recover_unauthorized())
    second = asyncio.create_task(UnauthorizedRecovery(manager).recover_unauthorized())
    await asyncio.sleep(0.05)
    first.cancel()
    assert (await second).status is RETRY and bearer(manager) == "ext-1"
    assert len(refresher.calls) == 1


async def test_401s_on_two_event_loop_threads_refresh_once(
    managed: AuthManager, backend: FakeBackend
) -> None:
    backend.delays[REFRESH] = 0.3

    def attempt() -> list[RecoveryOutcome]:
        async def run() -> list[RecoveryOutcome]:
            recovery = UnauthorizedRecovery(managed)
            return [await recovery.recover_unauthorized() for _ in range(2)]

        return asyncio.run(run())

    results = await asyncio.gather(asyncio.to_thread(attempt), asyncio.to_thread(attempt))
    assert all(o.status is RETRY for outcomes in results for o in outcomes)
    assert len(backend.requests(REFRESH)) == 1


async def test_logout_during_an_external_refresh_is_not_undone(settings: AuthSettings) -> None:
    manager = external(settings, None)

    async def refresher(reason: str, previous: str | None) -> dict[str, Any]:
        manager.logout()
        return tokens("ext-late")

    manager.request_external_refresh = refresher
    outcome = await UnauthorizedRecovery(manager).recover_unauthorized()
    assert outcome == RecoveryOutcome(FAILED, "external auth was cleared during the refresh")
    assert manager.auth_cached() is None
