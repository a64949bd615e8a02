"""The resolved credentials (`CodexAuth`), the settings the auth package runs on, its errors.

Plain values: no I/O. Reprs and error texts never carry a key or token.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pycodex.auth.refresh import DEFAULT_ISSUER, refresh_url
from pycodex.auth.storage import AuthDotJson, CredentialsStoreMode, StoredAuthMode
from pycodex.auth.tokens import TokenData

if TYPE_CHECKING:
    from pycodex.config.model import Config

DEFAULT_CHATGPT_BASE_URL = "https://chatgpt.com/backend-api/"
DEFAULT_EXTERNAL_REFRESH_TIMEOUT = 10.0
KNOWN_PLANS = frozenset(("free", "go", "plus", "pro", "team", "business", "enterprise", "edu"))

ForcedLoginMethod = Literal["chatgpt", "api"]
LoginType = Literal["apiKey", "chatgpt", "chatgptAuthTokens"]

# Error texts of the reference (auth.md §2.8).
EXTERNAL_AUTH_ACTIVE = (
    "External auth is active. Use account/login/start (chatgptAuthTokens) to update it or "
    "account/logout to clear it."
)
API_KEY_LOGIN_DISABLED = "API key login is disabled. Use ChatGPT login instead."
CHATGPT_LOGIN_DISABLED = "ChatGPT login is disabled. Use API key login instead."
EXTERNAL_LOGIN_DISABLED = "External ChatGPT auth is disabled. Use API key login instead."
EMAIL_AND_PLAN_REQUIRED = "email and plan type are required for chatgpt authentication"
NO_AUTH_FOR_RATE_LIMITS = "codex account authentication required to read rate limits"
CHATGPT_REQUIRED_FOR_RATE_LIMITS = "chatgpt authentication required to read rate limits"


class AuthError(Exception):
    """Base of the errors the api layer turns into JSON-RPC errors; str() is the wire message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AuthRequestError(AuthError):
    """A refused or invalid request: -32600 on the wire."""


class AuthInternalError(AuthError):
    """A store or backend failure: -32603 on the wire."""


class ExternalRefreshError(Exception):
    """Raised by the injected `request_external_refresh` when the client answers with a
    JSON-RPC error."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"code={code} message={message}")
        self.code = code
        self.message = message


def rust_quote(value: str) -> str:
    """`"x"`: a string as Rust's `{:?}` prints it (quotes and backslashes escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rust_debug_str(value: str | None) -> str:
    """`Some("x")` / `None`: how the reference prints an optional string in its messages."""
    return "None" if value is None else f"Some({rust_quote(value)})"


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """What the auth package needs from the config; the config loader builds it."""

    codex_home: Path
    credentials_store: CredentialsStoreMode = "file"
    forced_login_method: ForcedLoginMethod | None = None
    forced_chatgpt_workspace_id: str | None = None
    chatgpt_base_url: str = DEFAULT_CHATGPT_BASE_URL
    issuer: str = DEFAULT_ISSUER  # config `pycodex.auth_issuer`
    refresh_token_url_override: str | None = None  # env CODEX_REFRESH_TOKEN_URL_OVERRIDE
    external_refresh_timeout: float = DEFAULT_EXTERNAL_REFRESH_TIMEOUT  # seconds

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> AuthSettings:
        """Defaults plus `CODEX_HOME` (else ~/.codex) and `CODEX_REFRESH_TOKEN_URL_OVERRIDE`."""
        env = os.environ if environ is None else environ
        home = env.get("CODEX_HOME") or str(Path.home() / ".codex")
        values: dict[str, Any] = {
            "codex_home": Path(home),
            "refresh_token_url_override": env.get("CODEX_REFRESH_TOKEN_URL_OVERRIDE") or None,
        }
        values.update(overrides)
        return cls(**values)

    @classmethod
    def from_config(cls, config: Config) -> AuthSettings:
        """The settings config.toml and `-c` give (plus CODEX_REFRESH_TOKEN_URL_OVERRIDE)."""
        timeout_ms = float(config.pycodex("external_refresh_timeout_ms", 10_000))
        return cls(
            codex_home=config.codex_home,
            credentials_store=config.cli_auth_credentials_store,  # type: ignore[arg-type]
            forced_login_method=config.forced_login_method,  # type: ignore[arg-type]
            forced_chatgpt_workspace_id=config.forced_chatgpt_workspace_id,
            chatgpt_base_url=config.chatgpt_base_url,
            issuer=str(config.pycodex("auth_issuer", DEFAULT_ISSUER)),
            refresh_token_url_override=os.environ.get("CODEX_REFRESH_TOKEN_URL_OVERRIDE") or None,
            external_refresh_timeout=timeout_ms / 1000,
        )

    @property
    def refresh_url(self) -> str:
        return refresh_url(self.issuer, self.refresh_token_url_override)


@dataclass(frozen=True, slots=True)
class CodexAuth:
    """The current credentials. `mode` is the wire `AuthMode` (`"apikey"`, `"chatgpt"`,
    `"chatgptAuthTokens"`); `tokens` is None unless ChatGPT token data is available."""

    mode: StoredAuthMode
    api_key: str | None
    tokens: TokenData | None
    last_refresh: datetime | None

    def __repr__(self) -> str:
        return (
            f"CodexAuth(mode={self.mode!r}, tokens={self.tokens!r}, "
            f"last_refresh={self.last_refresh!r})"
        )

    @property
    def is_chatgpt(self) -> bool:
        """Both ChatGPT variants: same base URL, headers and rate-limit gating."""
        return self.mode in ("chatgpt", "chatgptAuthTokens")

    @property
    def is_external(self) -> bool:
        return self.mode == "chatgptAuthTokens"

    @property
    def login_type(self) -> LoginType:
        """The spelling of login params/results and `Account.type` (`"apiKey"`)."""
        return "apiKey" if self.mode == "apikey" else self.mode

    @property
    def bearer_token(self) -> str | None:
        """The `Authorization: Bearer` value: the key, or the ChatGPT access token."""
        if self.mode == "apikey":
            return self.api_key
        return self.tokens.access_token if self.tokens else None

    @property
    def account_id(self) -> str | None:
        return self.tokens.account_id if self.tokens else None

    @property
    def email(self) -> str | None:
        return self.tokens.id_token.email if self.tokens else None

    @property
    def plan_type(self) -> str | None:
        """The wire `PlanType`: a known plan, `"unknown"` for others, None when absent."""
        raw = self.tokens.id_token.chatgpt_plan_type if self.tokens else None
        if raw is None:
            return None
        return raw if raw in KNOWN_PLANS else "unknown"

    def account(self) -> dict[str, Any]:
        """The `account/read` `Account` object; raises AuthRequestError without email/plan."""
        if self.mode == "apikey":
            return {"type": "apiKey"}
        email, plan = self.email, self.plan_type
        if email is None or plan is None:
            raise AuthRequestError(EMAIL_AND_PLAN_REQUIRED)
        return {"type": "chatgpt", "email": email, "planType": plan}


def resolve_auth(doc: AuthDotJson) -> CodexAuth | None:
    """0.94 mode resolution: `auth_mode`, else `apikey` when a key is present (even with
    tokens), else `chatgpt`. Token data counts only with a `last_refresh`."""
    mode: StoredAuthMode
    if doc.auth_mode is not None:
        mode = doc.auth_mode
    elif doc.openai_api_key is not None:
        mode = "apikey"
    else:
        mode = "chatgpt"
    if mode == "apikey" and doc.openai_api_key is None:
        return None
    if mode != "apikey" and doc.tokens is None:
        return None
    tokens = doc.tokens if doc.last_refresh is not None else None
    return CodexAuth(mode, doc.openai_api_key, tokens, doc.last_refresh)
