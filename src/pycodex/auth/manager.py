"""`AuthManager`: the current credentials, logins, logout, account info and token refresh.

A core module: it never imports `pycodex.rpc` or `pycodex.api`. The client is reached only
through the injected `request_external_refresh`. External tokens live in memory only and
never appear in logs or error messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx2

from pycodex.auth.credentials import (
    API_KEY_LOGIN_DISABLED,
    CHATGPT_LOGIN_DISABLED,
    CHATGPT_REQUIRED_FOR_RATE_LIMITS,
    EXTERNAL_AUTH_ACTIVE,
    EXTERNAL_LOGIN_DISABLED,
    NO_AUTH_FOR_RATE_LIMITS,
    AuthInternalError,
    AuthRequestError,
    AuthSettings,
    CodexAuth,
    ExternalRefreshError,
    resolve_auth,
    rust_debug_str,
    rust_quote,
)
from pycodex.auth.headers import default_originator, refresh_headers, usage_headers
from pycodex.auth.ratelimits import RateLimitSnapshot, UsageFetchError, fetch_usage, usage_url
from pycodex.auth.refresh import RefreshTokenError, apply_refresh, is_stale, request_refresh
from pycodex.auth.storage import (
    AuthDotJson,
    AuthStorageError,
    EphemeralAuthStore,
    auth_file_lock,
    create_store,
)
from pycodex.auth.tokens import InvalidJwt, TokenData, parse_id_token

log = logging.getLogger(__name__)

RequestExternalRefresh = Callable[[str, "str | None"], Awaitable[dict[str, Any]]]
"""(reason, previous_account_id) → the client's `{"idToken", "accessToken"}` reply; raises
ExternalRefreshError for a JSON-RPC error reply."""
ClientIdentity = Callable[[], "tuple[str, str]"]
"""() → (originator, user_agent) for the requests the auth package makes."""


class ExternalRefreshFailed(Exception):
    """An external refresh attempt failed (transient); str() is the turn's error text."""


@dataclass(frozen=True, slots=True)
class AuthStatus:
    """`getAuthStatus` inputs: the wire `authMethod` and, if asked for, the token."""

    auth_method: str | None
    auth_token: str | None

    def __repr__(self) -> str:
        return f"AuthStatus(auth_method={self.auth_method!r})"


def _default_identity() -> tuple[str, str]:
    from pycodex.useragent import codex_user_agent

    originator = default_originator()
    return originator, codex_user_agent(originator)


def _format_duration(seconds: float) -> str:
    """Rust `Duration` debug style: `10s`, `1.5s`, `200ms`."""
    if seconds >= 1:
        return f"{int(seconds)}s" if seconds == int(seconds) else f"{seconds:g}s"
    return f"{round(seconds * 1000)}ms"


class AuthManager:
    """Single source of truth for the current credentials (cached; reloaded after every login,
    logout and refresh). Refreshes are single-flight within the process and serialised across
    processes by the lock file beside `auth.json`."""

    def __init__(
        self,
        settings: AuthSettings,
        *,
        request_external_refresh: RequestExternalRefresh | None = None,
        identity: ClientIdentity | None = None,
        http_client: Callable[[], httpx2.AsyncClient] | None = None,
    ) -> None:
        self.settings = settings
        self.request_external_refresh = request_external_refresh
        self._identity = identity or _default_identity
        self._http_client = http_client or httpx2.AsyncClient
        self._store = create_store(settings.codex_home, settings.credentials_store)
        self._ephemeral = EphemeralAuthStore(settings.codex_home)
        self._flight: asyncio.Task[None] | None = None
        self._cached: CodexAuth | None = None
        self.reload()

    # -- reading ---------------------------------------------------------------------------
    def auth_cached(self) -> CodexAuth | None:
        """The cached credentials, without any refresh."""
        return self._cached

    async def auth(self) -> CodexAuth | None:
        """The credentials, refreshed first when a managed login is older than 8 days (a failed
        refresh is logged and the old tokens are used)."""
        if self.refresh_due():
            try:
                await self.refresh_token()
            except RefreshTokenError as exc:
                log.error("Failed to refresh token: %s", exc.message)
        return self._cached

    def refresh_due(self) -> bool:
        """Whether the next use should refresh first (a managed login older than 8 days)."""
        auth = self._cached
        return (
            auth is not None
            and auth.mode == "chatgpt"
            and auth.tokens is not None
            and is_stale(auth.last_refresh, _now())
        )

    def _load(self) -> CodexAuth | None:
        doc = self._ephemeral.load()  # external auth shadows the persistent store
        if doc is None:
            doc = self._store.load()
        return resolve_auth(doc) if doc is not None else None

    def reload(self) -> CodexAuth | None:
        """Re-read the stores; a load failure counts as logged out (logged, as the reference)."""
        try:
            self._cached = self._load()
        except AuthStorageError as exc:
            log.warning("failed to load auth: %s", exc)
            self._cached = None
        return self._cached

    def reload_if_account_matches(self, expected_account_id: str | None) -> bool:
        """Adopt the stored credentials only if they hold the same (non-null) account."""
        if expected_account_id is None:
            return False
        try:
            fresh = self._load()
        except AuthStorageError:
            return False
        if fresh is None or fresh.account_id != expected_account_id:
            return False
        self._cached = fresh
        return True

    def account(self) -> dict[str, Any] | None:
        """The `account/read` `account` value; raises AuthRequestError without email/plan."""
        return self._cached.account() if self._cached is not None else None

    async def read_account(self, *, refresh_token: bool = False) -> dict[str, Any] | None:
        """`account/read`: with `refresh_token`, a managed login is refreshed first (errors
        are only logged); ignored for external tokens and API keys."""
        if refresh_token and self._cached is not None and self._cached.mode == "chatgpt":
            try:
                await self.refresh_token()
            except RefreshTokenError as exc:
                log.warning("failed to refresh token for account/read: %s", exc.message)
        else:
            await self.auth()
        return self.account()

    async def auth_status(self, *, include_token: bool, refresh_token: bool) -> AuthStatus:
        """`getAuthStatus`: `authMethod` as the wire spells it (`"apikey"`)."""
        if refresh_token and self._cached is not None and self._cached.mode == "chatgpt":
            try:
                await self.refresh_token()
            except RefreshTokenError as exc:
                log.warning("failed to refresh token for getAuthStatus: %s", exc.message)
        auth = await self.auth()
        if auth is None:
            return AuthStatus(None, None)
        return AuthStatus(auth.mode, auth.bearer_token if include_token else None)

    def user_email(self) -> str | None:
        """`userInfo.allegedUserEmail` (from the id_token, unverified)."""
        return self._cached.email if self._cached is not None else None

    @property
    def external_active(self) -> bool:
        return self._cached is not None and self._cached.is_external

    # -- logins and logout -----------------------------------------------------------------
    def check_chatgpt_login_allowed(self) -> None:
        """Raise AuthRequestError if a ChatGPT browser login is refused right now."""
        if self.external_active:
            raise AuthRequestError(EXTERNAL_AUTH_ACTIVE)
        if self.settings.forced_login_method == "api":
            raise AuthRequestError(CHATGPT_LOGIN_DISABLED)

    def login_api_key(self, api_key: str) -> None:
        """Store `{"auth_mode":"apikey","OPENAI_API_KEY":key}`; the key is not validated."""
        if self.external_active:
            raise AuthRequestError(EXTERNAL_AUTH_ACTIVE)
        if self.settings.forced_login_method == "chatgpt":
            raise AuthRequestError(API_KEY_LOGIN_DISABLED)
        try:
            self._store.save(AuthDotJson(auth_mode="apikey", openai_api_key=api_key))
        except AuthStorageError as exc:
            raise AuthInternalError(f"failed to save api key: {exc}") from None
        self.reload()

    def save_chatgpt_login(self, tokens: TokenData, api_key: str | None) -> None:
        """Persist a finished browser login (raises AuthStorageError) and reload."""
        doc = AuthDotJson(
            auth_mode="chatgpt", openai_api_key=api_key, tokens=tokens, last_refresh=_now()
        )
        self._store.save(doc)
        self.reload()

    def set_external_tokens(self, id_token: str, access_token: str) -> None:
        """`chatgptAuthTokens` login: checks, then memory only (never the configured store)."""
        if self.settings.forced_login_method == "api":
            raise AuthRequestError(EXTERNAL_LOGIN_DISABLED)
        try:
            info = parse_id_token(id_token)
        except InvalidJwt as exc:
            raise AuthRequestError(f"invalid id token: {exc}") from None
        forced = self.settings.forced_chatgpt_workspace_id
        if forced is not None and info.chatgpt_account_id != forced:
            raise AuthRequestError(
                f"External auth must use workspace {forced}, but received "
                f"{rust_debug_str(info.chatgpt_account_id)}."
            )
        self._install_external(TokenData(info, access_token, "", info.chatgpt_account_id))

    def _install_external(self, tokens: TokenData) -> None:
        try:
            self._ephemeral.save(
                AuthDotJson(auth_mode="chatgptAuthTokens", tokens=tokens, last_refresh=_now())
            )
        except AuthStorageError as exc:
            raise AuthInternalError(f"failed to set external auth: {exc}") from None
        self.reload()

    def logout(self) -> bool:
        """Clear external auth and delete the persisted credentials; True if anything went."""
        try:
            removed = self._ephemeral.delete()
            removed = self._store.delete() or removed
        except AuthStorageError as exc:
            raise AuthInternalError(f"logout failed: {exc}") from None
        finally:
            self.reload()
        return removed

    # -- refresh ---------------------------------------------------------------------------
    async def refresh_token(self) -> None:
        """Managed OAuth refresh now (single-flight); a no-op for other modes. Raises
        RefreshTokenError; `permanent` means report `unauthorized` and do not retry."""
        auth = self._cached
        if auth is None or auth.mode != "chatgpt":
            return
        await self._single_flight(self._refresh_managed)

    async def refresh_for_unauthorized(self, rejected_token: str | None) -> None:
        """Refresh after a 401 on `rejected_token`: nothing to do if the credentials changed
        meanwhile; else join the refresh in flight or start one (managed: OAuth; external:
        ask the client). Raises RefreshTokenError or ExternalRefreshFailed."""
        auth = self._cached
        if auth is None:
            return
        if rejected_token is not None and auth.bearer_token != rejected_token:
            return
        if auth.mode == "chatgpt":
            await self._single_flight(self._refresh_managed)
        elif auth.mode == "chatgptAuthTokens":
            await self._single_flight(self._refresh_external)

    async def _single_flight(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` unless a refresh is already in flight; then await that one instead."""
        loop = asyncio.get_running_loop()
        if self._flight is None or self._flight.done() or self._flight.get_loop() is not loop:
            # (another event loop's flight cannot be awaited here; the file lock and the
            # fresher-token check still keep a refresh token from being spent twice)

            async def run() -> None:
                await work()

            self._flight = asyncio.ensure_future(run())
        await asyncio.shield(self._flight)

    def _cross_process_lock(self) -> contextlib.AbstractAsyncContextManager[None]:
        if self.settings.credentials_store == "ephemeral":  # memory only: nothing to share
            return contextlib.nullcontext()
        return auth_file_lock(self.settings.codex_home)

    async def _refresh_managed(self) -> None:
        cached = self._cached
        if cached is None or cached.mode != "chatgpt" or cached.tokens is None:
            raise RefreshTokenError.transient("Token data is not available.")
        spent = cached.tokens.refresh_token
        async with self._cross_process_lock():
            try:
                stored = self._store.load()  # re-read under the lock
            except AuthStorageError as exc:
                raise RefreshTokenError.transient(str(exc)) from None
            if (
                stored is not None
                and stored.tokens is not None
                and stored.tokens.refresh_token != spent
                and stored.tokens.account_id == cached.account_id
            ):
                log.info("another process refreshed the tokens; using them")
                self.reload()
                return
            originator, user_agent = self._identity()
            async with self._http_client() as client:
                reply = await request_refresh(
                    client,
                    self.settings.refresh_url,
                    spent,
                    refresh_headers(originator, user_agent),
                )
            same_account = (
                stored is not None
                and stored.tokens is not None
                and stored.tokens.account_id == cached.account_id
            )
            base = stored if same_account else None
            if base is None:  # nothing stored, or another account: write ours back
                base = AuthDotJson(
                    auth_mode="chatgpt",
                    openai_api_key=cached.api_key,
                    tokens=cached.tokens,
                    last_refresh=cached.last_refresh,
                )
            updated = apply_refresh(base, reply, _now())
            try:
                self._store.save(updated)
            except AuthStorageError as exc:
                raise RefreshTokenError.transient(str(exc)) from None
        self.reload()

    async def _refresh_external(self) -> None:
        refresher = self.request_external_refresh
        if refresher is None:
            raise ExternalRefreshFailed("no external auth refresher is attached")
        previous = self._cached.account_id if self._cached is not None else None
        timeout = self.settings.external_refresh_timeout
        try:
            async with asyncio.timeout(timeout):
                reply = await refresher("unauthorized", previous)
        except TimeoutError:
            raise ExternalRefreshFailed(
                f"auth refresh request timed out after {_format_duration(timeout)}"
            ) from None
        except ExternalRefreshError as exc:
            raise ExternalRefreshFailed(
                f"auth refresh request failed: code={exc.code} message={exc.message}"
            ) from None
        except Exception as exc:  # the client went away: as the reference's dropped channel
            log.debug("external refresh request failed: %s", type(exc).__name__)
            raise ExternalRefreshFailed("auth refresh request canceled: channel closed") from None
        if self._cached is None or not self._cached.is_external:
            raise ExternalRefreshFailed("external auth was cleared during the refresh")
        for field in ("idToken", "accessToken"):
            if not isinstance(reply, dict) or not isinstance(reply.get(field), str):
                raise ExternalRefreshFailed(f"missing field `{field}`")
        try:
            info = parse_id_token(reply["idToken"])
        except InvalidJwt as exc:
            raise ExternalRefreshFailed(str(exc)) from None
        forced = self.settings.forced_chatgpt_workspace_id
        if forced is not None and info.chatgpt_account_id != forced:
            raise ExternalRefreshFailed(
                f"external auth refresh returned workspace "
                f"{rust_debug_str(info.chatgpt_account_id)}, expected {rust_quote(forced)}"
            )
        try:
            self._install_external(
                TokenData(info, reply["accessToken"], "", info.chatgpt_account_id)
            )
        except AuthInternalError as exc:
            raise ExternalRefreshFailed(exc.message) from None

    # -- rate limits -----------------------------------------------------------------------
    async def read_rate_limits(self) -> RateLimitSnapshot:
        """`account/rateLimits/read`: ChatGPT auth only; a backend 401 is not refreshed."""
        auth = await self.auth()
        if auth is None:
            raise AuthRequestError(NO_AUTH_FOR_RATE_LIMITS)
        if not auth.is_chatgpt:
            raise AuthRequestError(CHATGPT_REQUIRED_FOR_RATE_LIMITS)
        _, user_agent = self._identity()
        try:
            async with self._http_client() as client:
                return await fetch_usage(
                    client,
                    usage_url(self.settings.chatgpt_base_url),
                    usage_headers(auth, user_agent),
                )
        except UsageFetchError as exc:
            raise AuthInternalError(f"failed to fetch codex rate limits: {exc}") from None


def _now() -> datetime:
    return datetime.now(UTC)
