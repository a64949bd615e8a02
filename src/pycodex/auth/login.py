"""ChatGPT browser login: settings, PKCE, the authorize URL, token exchanges, one login at a time.

A core component: results leave through the callbacks it is given, never through the JSON-RPC or
API layers (it must not import them), and it never opens a browser. The callback HTTP server of
one login lives in `pycodex.auth.login_server`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pycodex.auth.tokens import AUTH_CLAIMS, InvalidJwt, TokenData, decode_jwt_claims

if TYPE_CHECKING:
    from pycodex.auth.login_server import LoginServer

log = logging.getLogger(__name__)

DEFAULT_ISSUER = "https://auth.openai.com"
DEFAULT_PORT = 1455
CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
SCOPE = "openid profile email offline_access"
_HTTP_TIMEOUT = 30.0

# Completion errors, as the app-server puts them on the wire ("Login server error: " + reason).
ERROR_PREFIX = "Login server error: "
NOT_COMPLETED = ERROR_PREFIX + "Login was not completed"
CANCELLED_BY_PEER = ERROR_PREFIX + "Login cancelled"

OnSuccess = Callable[[TokenData, str | None], Awaitable[None]]
"""Persists a finished login: the tokens and the exchanged API key (None if that failed)."""
OnComplete = Callable[[str, bool, str | None], Awaitable[None]]
"""Reports the end of a login: (login_id, success, error). Called exactly once per login."""


class LoginServerStartError(OSError):
    """The callback server could not be started; str() is the reason after
    `failed to start login server: `."""


class LoginPortInUseError(LoginServerStartError):
    """The callback port stayed busy through every bind attempt."""


@dataclass(frozen=True)
class LoginSettings:
    """What one browser login needs; `port=0` binds an ephemeral port (tests)."""

    originator: str
    issuer: str = DEFAULT_ISSUER
    port: int = DEFAULT_PORT
    client_id: str = CLIENT_ID
    forced_chatgpt_workspace_id: str | None = None
    bind_attempts: int = 10
    bind_retry_delay: float = 0.2


@dataclass(frozen=True)
class PkceCodes:
    code_verifier: str
    code_challenge: str


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def generate_pkce() -> PkceCodes:
    """S256 PKCE: a verifier from 64 random bytes (86 chars) and its 43-char challenge."""
    verifier = _b64url(secrets.token_bytes(64))
    return PkceCodes(verifier, _b64url(hashlib.sha256(verifier.encode("ascii")).digest()))


def generate_state() -> str:
    return _b64url(secrets.token_bytes(32))


def _enc(value: str) -> str:
    # Everything but RFC 3986 unreserved characters is escaped, as Rust's `urlencoding`.
    return quote(value, safe="")


def _query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{key}={_enc(value)}" for key, value in pairs)


def build_authorize_url(
    settings: LoginSettings, redirect_uri: str, pkce: PkceCodes, state: str
) -> str:
    """The reference's authorize URL: 10 parameters in order, 11 with a forced workspace."""
    pairs = [
        ("response_type", "code"),
        ("client_id", settings.client_id),
        ("redirect_uri", redirect_uri),
        ("scope", SCOPE),
        ("code_challenge", pkce.code_challenge),
        ("code_challenge_method", "S256"),
        ("id_token_add_organizations", "true"),
        ("codex_cli_simplified_flow", "true"),
        ("state", state),
        ("originator", settings.originator),
    ]
    if settings.forced_chatgpt_workspace_id is not None:
        pairs.append(("allowed_workspace_id", settings.forced_chatgpt_workspace_id))
    return f"{_issuer(settings)}/oauth/authorize?{_query(pairs)}"


def _issuer(settings: LoginSettings) -> str:
    return settings.issuer.rstrip("/")


def jwt_auth_claims(jwt: str) -> dict[str, Any]:
    """The `https://api.openai.com/auth` claims of a JWT, or {} when anything is off (lenient)."""
    try:
        auth = decode_jwt_claims(jwt).get(AUTH_CLAIMS)
    except InvalidJwt:
        return {}
    return auth if isinstance(auth, dict) else {}


def workspace_error(forced: str | None, id_token: str) -> str | None:
    """The reference's refusal text when the id_token's workspace is not the forced one."""
    if forced is None:
        return None
    actual = jwt_auth_claims(id_token).get("chatgpt_account_id")
    if not isinstance(actual, str):
        # Wording (and its "an") as in 0.94.
        return (
            "Login is restricted to a specific workspace, but the token did not include an "
            "chatgpt_account_id claim."
        )
    return None if actual == forced else f"Login is restricted to workspace id {forced}."


def compose_success_url(port: int, issuer: str, id_token: str, access_token: str) -> str:
    claims = jwt_auth_claims(id_token)

    def text(key: str, source: dict[str, Any]) -> str:
        value = source.get(key)
        return value if isinstance(value, str) else ""

    onboarded = claims.get("completed_platform_onboarding") is True
    needs_setup = claims.get("is_org_owner") is True and not onboarded
    platform_url = (
        "https://platform.openai.com"
        if issuer == DEFAULT_ISSUER
        else "https://platform.api.openai.org"
    )
    pairs = [
        ("id_token", id_token),
        ("needs_setup", "true" if needs_setup else "false"),
        ("org_id", text("organization_id", claims)),
        ("project_id", text("project_id", claims)),
        # The plan comes from the access token, not the id_token.
        ("plan_type", text("chatgpt_plan_type", jwt_auth_claims(access_token))),
        ("platform_url", platform_url),
    ]
    return f"http://localhost:{port}/success?{_query(pairs)}"


class TokenExchangeError(Exception):
    """The authorization-code exchange failed; str() follows `Token exchange failed: `."""


def _status_text(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} <unknown status code>"


async def _post_form(url: str, pairs: list[tuple[str, str]]) -> tuple[int, Any]:
    """POST a form with none of Codex's headers (no originator, no User-Agent): status, JSON."""
    import httpx2

    async with httpx2.AsyncClient(timeout=_HTTP_TIMEOUT) as client:
        del client.headers["user-agent"]
        try:
            response = await client.post(
                url,
                content=_query(pairs).encode("ascii"),
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
        except httpx2.HTTPError as err:
            raise TokenExchangeError(f"error sending request for url ({url}): {err}") from err
        if not response.is_success:
            return response.status_code, None
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None


def _strings(body: Any, *keys: str) -> list[str] | None:
    if not isinstance(body, dict):
        return None
    values = [body.get(key) for key in keys]
    strings = [v for v in values if isinstance(v, str)]
    return strings if len(strings) == len(values) else None


async def exchange_code_for_tokens(
    settings: LoginSettings, redirect_uri: str, pkce: PkceCodes, code: str
) -> tuple[str, str, str]:
    """(id_token, access_token, refresh_token) for an authorization code."""
    status, body = await _post_form(
        f"{_issuer(settings)}/oauth/token",
        [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", settings.client_id),
            ("code_verifier", pkce.code_verifier),
        ],
    )
    if not 200 <= status < 300:
        raise TokenExchangeError(f"token endpoint returned status {_status_text(status)}")
    tokens = _strings(body, "id_token", "access_token", "refresh_token")
    if tokens is None:
        raise TokenExchangeError("error decoding response body")
    return tokens[0], tokens[1], tokens[2]


async def obtain_api_key(settings: LoginSettings, id_token: str) -> str | None:
    """The `openai-api-key` token exchange; None on any failure (the login still succeeds)."""
    try:
        status, body = await _post_form(
            f"{_issuer(settings)}/oauth/token",
            [
                ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"),
                ("client_id", settings.client_id),
                ("requested_token", "openai-api-key"),
                ("subject_token", id_token),
                ("subject_token_type", "urn:ietf:params:oauth:token-type:id_token"),
            ],
        )
    except TokenExchangeError as err:
        log.warning("api key exchange failed: %s", err)
        return None
    key = _strings(body, "access_token")
    if not 200 <= status < 300 or key is None:
        log.warning("api key exchange failed with status %s", _status_text(status))
        return None
    return key[0]


class LoginNotFoundError(LookupError):
    """No pending browser login has this id; str() is `login id not found: <id>`."""


class LoginManager:
    """Keeps at most one browser login pending, as the app-server does.

    Starting a login first cancels the pending one (its completion is reported before the new
    login starts). Completion is reported through the per-login `on_complete`, exactly once.
    """

    def __init__(self) -> None:
        self._active: LoginServer | None = None
        self._start_lock = asyncio.Lock()

    @property
    def active(self) -> LoginServer | None:
        """The pending login (its `login_id`, `auth_url`, bound `port`), if any."""
        return self._active

    async def start_login(
        self, settings: LoginSettings, on_success: OnSuccess, on_complete: OnComplete
    ) -> tuple[str, str]:
        """Start a login: (login_id, auth_url). Raises LoginServerStartError (port busy, …).

        on_success(tokens, api_key) persists and runs before the browser is sent to the
        success page; a failure there answers 500 and the login keeps waiting.
        """
        from pycodex.auth.login_server import LoginServer

        async with self._start_lock:
            previous = self._active
            if previous is not None:
                previous.cancel()
                await previous.wait()
            server = LoginServer(settings, on_success, on_complete, self._finished)
            await server.start()
            self._active = server
            return server.login_id, server.auth_url

    async def cancel_login(self, login_id: str) -> None:
        """Cancel the pending login with this id; the port is free when this returns.

        Its completion (`Login server error: Login was not completed`) is reported from its own
        task right after; await `LoginServer.wait()` to see it done.
        """
        server = self._active
        if server is None or server.login_id != login_id:
            raise LoginNotFoundError(f"login id not found: {login_id}")
        server.cancel()

    def cancel_pending(self) -> str | None:
        """Cancel whatever login is pending (API-key or external login, logout): its id."""
        server = self._active
        if server is None:
            return None
        server.cancel()
        return server.login_id

    async def aclose(self) -> None:
        """Cancel the pending login and wait until its completion has been reported."""
        server = self._active
        if server is not None:
            server.cancel()
            await server.wait()

    def _finished(self, server: LoginServer) -> None:
        if self._active is server:
            self._active = None
