"""`account/*` and the v1 auth methods: thin wiring of the auth package onto the wire.

Every answer comes before the notifications it causes (`after_response`). v2 methods emit only
v2 notifications, v1 methods only v1 ones, as in the reference.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..rpc.connection import after_response
from ..rpc.errors import ClientError, RpcError, internal_error, invalid_params, invalid_request
from ..rpc.router import NOT_NOW
from ..useragent import codex_user_agent
from .app import App
from .ids import uuid_error

if TYPE_CHECKING:
    from ..auth.credentials import AuthError
    from ..auth.manager import AuthManager
    from ..auth.tokens import TokenData
    from ..rpc.router import Router

# The auth package pulls in httpx2 (~0.2 s); it is imported on first use, or by the
# background preload after start-up, never on the path to the first answers.

REFRESH_METHOD = "account/chatgptAuthTokens/refresh"
OnComplete = Callable[[str, bool, "str | None"], Awaitable[None]]


def build_auth_manager(app: App) -> AuthManager:
    """The AuthManager for this connection, configured from config.toml and `-c`."""
    from ..auth.credentials import AuthSettings, ExternalRefreshError
    from ..auth.manager import AuthManager

    settings = AuthSettings.from_config(app.config)

    async def request_external_refresh(reason: str, previous: str | None) -> dict[str, Any]:
        if app.outgoing is None:
            raise RuntimeError("no client connection")
        try:
            reply = await app.outgoing.request(
                REFRESH_METHOD, {"reason": reason, "previousAccountId": previous}
            )
        except ClientError as exc:
            raise ExternalRefreshError(exc.code, exc.message) from None
        return reply if isinstance(reply, dict) else {}

    def identity() -> tuple[str, str]:
        return app.originator, app.user_agent or codex_user_agent(app.originator)

    return AuthManager(
        settings, request_external_refresh=request_external_refresh, identity=identity
    )


def _wire_error(exc: AuthError) -> RpcError:
    from ..auth.credentials import AuthRequestError

    if isinstance(exc, AuthRequestError):
        return invalid_request(exc.message)
    return internal_error(exc.message)


Handler = Callable[[Any], Awaitable[dict[str, Any]]]


def _guarded(handler: Handler) -> Handler:
    """The one place where the auth package's errors become JSON-RPC errors."""

    @functools.wraps(handler)
    async def run(params: Any) -> dict[str, Any]:
        from ..auth.credentials import AuthError

        try:
            return await handler(params)
        except AuthError as exc:
            raise _wire_error(exc) from None

    return run


def _guarded_now(handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`_guarded` for the fast (non-awaiting) handlers."""

    @functools.wraps(handler)
    def run(params: Any) -> Any:
        from ..auth.credentials import AuthError

        try:
            return handler(params)
        except AuthError as exc:
            raise _wire_error(exc) from None

    return run


def _requires_openai_auth(app: App) -> bool:
    return app.config.provider.requires_openai_auth


def _parse_login_id(login_id: str) -> str:
    """The login id as a canonical UUID string; raises ValueError like the uuid parser."""
    return str(uuid.UUID(login_id))


class _Account:
    """The handlers, closing over the connection state; registered through `_guarded`."""

    def __init__(self, app: App) -> None:
        self.app = app

    # -- v2 -----------------------------------------------------------------------------
    async def read(self, params: Any) -> dict[str, Any]:
        if not _requires_openai_auth(self.app):
            return {"account": None, "requiresOpenaiAuth": False}
        account = await self.app.auth.read_account(refresh_token=params.refresh_token)
        return {"account": account, "requiresOpenaiAuth": True}

    def read_now(self, params: Any) -> Any:
        """account/read without awaiting, unless a token refresh has to come first."""
        if not _requires_openai_auth(self.app):
            return {"account": None, "requiresOpenaiAuth": False}
        auth = self.app.auth
        if params.refresh_token or auth.refresh_due():
            return NOT_NOW
        return {"account": auth.account(), "requiresOpenaiAuth": True}

    async def login_start(self, params: Any) -> dict[str, Any]:
        kind = params.type
        if kind == "apiKey":
            self._login_api_key(params.api_key)
            after_response(lambda: self._announce_login(None, True, None, "apikey"))
            return {"type": "apiKey"}
        if kind == "chatgptAuthTokens":
            # A refused login raises before anything changes; only a login that succeeded
            # cancels a pending browser login.
            self.app.auth.set_external_tokens(params.id_token, params.access_token)
            self.app.logins.cancel_pending()
            after_response(lambda: self._announce_login(None, True, None, "chatgptAuthTokens"))
            return {"type": "chatgptAuthTokens"}
        login_id, auth_url = await self._start_browser_login(self._v2_complete)
        return {"type": "chatgpt", "loginId": login_id, "authUrl": auth_url}

    async def login_cancel(self, params: Any) -> dict[str, Any]:
        from ..auth.login import LoginNotFoundError

        try:
            login_id = _parse_login_id(params.login_id)
        except ValueError:
            raise invalid_request(f"invalid login id: {params.login_id}") from None
        try:
            await self.app.logins.cancel_login(login_id)
        except LoginNotFoundError:
            return {"status": "notFound"}
        return {"status": "canceled"}

    async def logout(self, _params: None) -> dict[str, Any]:
        self._logout()
        after_response(lambda: self.app.notify("account/updated", {"authMode": None}))
        return {}

    async def rate_limits_read(self, _params: None) -> dict[str, Any]:
        snapshot = await self.app.auth.read_rate_limits()
        return {"rateLimits": snapshot.to_wire()}

    # -- v1 -----------------------------------------------------------------------------
    async def login_api_key_v1(self, params: Any) -> dict[str, Any]:
        self._login_api_key(params.api_key)
        after_response(lambda: self.app.notify("authStatusChange", {"authMethod": "apikey"}))
        return {}

    async def login_chatgpt_v1(self, _params: None) -> dict[str, Any]:
        login_id, auth_url = await self._start_browser_login(self._v1_complete)
        return {"loginId": login_id, "authUrl": auth_url}

    async def cancel_login_chatgpt_v1(self, params: Any) -> dict[str, Any]:
        from ..auth.login import LoginNotFoundError

        try:
            login_id = _parse_login_id(params.login_id)
        except ValueError as exc:
            detail = uuid_error(params.login_id, exc)
            raise invalid_params(f"UUID parsing failed: {detail}") from None
        try:
            await self.app.logins.cancel_login(login_id)
        except LoginNotFoundError as exc:
            raise invalid_request(str(exc)) from None
        return {}

    async def logout_chatgpt_v1(self, _params: None) -> dict[str, Any]:
        self._logout()
        after_response(lambda: self.app.notify("authStatusChange", {"authMethod": None}))
        return {}

    async def get_auth_status_v1(self, params: Any) -> dict[str, Any]:
        if not _requires_openai_auth(self.app):
            return {"authMethod": None, "authToken": None, "requiresOpenaiAuth": False}
        status = await self.app.auth.auth_status(
            include_token=bool(params.include_token), refresh_token=bool(params.refresh_token)
        )
        return {
            "authMethod": status.auth_method,
            "authToken": status.auth_token,
            "requiresOpenaiAuth": True,
        }

    def user_info_now(self, _params: None) -> dict[str, Any]:
        return {"allegedUserEmail": self.app.auth.user_email()}

    async def user_info_v1(self, params: None) -> dict[str, Any]:
        return self.user_info_now(params)

    # -- shared -------------------------------------------------------------------------
    def _login_api_key(self, api_key: str) -> None:
        self.app.auth.login_api_key(api_key)
        self.app.logins.cancel_pending()

    def _logout(self) -> None:
        self.app.logins.cancel_pending()
        self.app.auth.logout()

    def _announce_login(
        self, login_id: str | None, success: bool, error: str | None, mode: str | None
    ) -> None:
        self.app.notify(
            "account/login/completed", {"loginId": login_id, "success": success, "error": error}
        )
        if success:
            self.app.notify("account/updated", {"authMode": mode})

    async def _v2_complete(self, login_id: str, success: bool, error: str | None) -> None:
        self._announce_login(login_id, success, error, "chatgpt")

    async def _v1_complete(self, login_id: str, success: bool, error: str | None) -> None:
        self.app.notify(
            "loginChatGptComplete", {"loginId": login_id, "success": success, "error": error}
        )
        if success:
            self.app.notify("authStatusChange", {"authMethod": "chatgpt"})

    async def _start_browser_login(self, on_complete: OnComplete) -> tuple[str, str]:
        from ..auth.login import DEFAULT_PORT, LoginServerStartError, LoginSettings

        auth = self.app.auth
        auth.check_chatgpt_login_allowed()
        settings = LoginSettings(
            originator=self.app.originator,
            issuer=auth.settings.issuer,
            port=int(self.app.config.pycodex("login_port", DEFAULT_PORT)),
            forced_chatgpt_workspace_id=auth.settings.forced_chatgpt_workspace_id,
        )

        async def on_success(tokens: TokenData, api_key: str | None) -> None:
            auth.save_chatgpt_login(tokens, api_key)

        try:
            return await self.app.logins.start_login(settings, on_success, on_complete)
        except LoginServerStartError as exc:
            raise internal_error(f"failed to start login server: {exc}") from None


def register(router: Router, app: App) -> None:
    h = _Account(app)
    fast: dict[str, Callable[[Any], Any]] = {
        "account/read": h.read_now,
        "userInfo": h.user_info_now,
    }
    for method, handler in (
        ("account/read", h.read),
        ("account/login/start", h.login_start),
        ("account/login/cancel", h.login_cancel),
        ("account/logout", h.logout),
        ("account/rateLimits/read", h.rate_limits_read),
        ("loginApiKey", h.login_api_key_v1),
        ("loginChatGpt", h.login_chatgpt_v1),
        ("cancelLoginChatGpt", h.cancel_login_chatgpt_v1),
        ("logoutChatGpt", h.logout_chatgpt_v1),
        ("getAuthStatus", h.get_auth_status_v1),
        ("userInfo", h.user_info_v1),
    ):
        quick = fast.get(method)
        router.register(
            method, _guarded(handler), fast=_guarded_now(quick) if quick is not None else None
        )
