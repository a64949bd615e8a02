"""The 401 recovery policy the model client follows (auth.md §5), one state per sampling request.

Managed `chatgpt`: reload from the store if it holds the same account, then refresh, then give
up. External `chatgptAuthTokens`: ask the client once, then give up. API key or no auth: give
up at once. The stream-retry loop around it belongs to the model client, not here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pycodex.auth.manager import AuthManager, ExternalRefreshFailed
from pycodex.auth.refresh import RefreshTokenError


class RecoveryStatus(enum.Enum):
    RETRY = "retry"
    """Retry the request with `manager.auth_cached()` (fresh headers)."""
    EXHAUSTED = "exhausted"
    """No recovery step left: the 401 bubbles up as a stream error."""
    FAILED = "failed"
    """The refresh failed: `RecoveryOutcome.error` says why."""


@dataclass(frozen=True, slots=True)
class RecoveryOutcome:
    """What to do after a 401. `permanent` (only with FAILED) means: fail the turn at once with
    `codexErrorInfo: "unauthorized"` and `error` as the message, no stream retries; a
    non-permanent failure is a stream error carrying `error` (`httpStatusCode: null`)."""

    status: RecoveryStatus
    error: str | None = None
    permanent: bool = False


RETRY = RecoveryOutcome(RecoveryStatus.RETRY)
EXHAUSTED = RecoveryOutcome(RecoveryStatus.EXHAUSTED)


class UnauthorizedRecovery:
    """Recovery state for one sampling request; create a new one for every retry attempt."""

    def __init__(self, manager: AuthManager) -> None:
        self.manager = manager
        auth = manager.auth_cached()
        self._expected_account_id = auth.account_id if auth is not None else None
        self._token = auth.bearer_token if auth is not None else None
        if auth is not None and auth.mode == "chatgpt":
            self._step = "reload"
        elif auth is not None and auth.mode == "chatgptAuthTokens":
            attached = manager.request_external_refresh is not None
            self._step = "external" if attached else "done"
        else:
            self._step = "done"

    def has_next(self) -> bool:
        return self._step != "done"

    async def recover_unauthorized(self, rejected_token: str | None = None) -> RecoveryOutcome:
        """Advance one step after a 401 on `rejected_token` (default: the token this state
        last handed out). Concurrent refreshes share one flight."""
        rejected = rejected_token if rejected_token is not None else self._token
        step = self._step
        if step == "done":
            return EXHAUSTED
        if step == "reload":
            if self.manager.reload_if_account_matches(self._expected_account_id):
                self._step = "refresh"
                return self._retry()
            step = "refresh"  # another account (or none) on disk: refresh is the last step
        self._step = "done"
        try:
            await self.manager.refresh_for_unauthorized(rejected)
        except RefreshTokenError as exc:
            return RecoveryOutcome(RecoveryStatus.FAILED, exc.message, exc.permanent)
        except ExternalRefreshFailed as exc:
            return RecoveryOutcome(RecoveryStatus.FAILED, str(exc))
        return self._retry()

    def _retry(self) -> RecoveryOutcome:
        auth = self.manager.auth_cached()
        self._token = auth.bearer_token if auth is not None else None
        return RETRY


def new_unauthorized_recovery(manager: AuthManager) -> UnauthorizedRecovery:
    """The recovery state for one sampling request."""
    return UnauthorizedRecovery(manager)
