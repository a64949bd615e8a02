"""The managed OAuth refresh: endpoint, JSON body, error classification, merging the reply.

One HTTP exchange and pure helpers; locking, single-flight and persistence live in the manager.
Token values never appear in exceptions or logs.
"""

from __future__ import annotations

import enum
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

import httpx2

from pycodex.auth.storage import AuthDotJson, with_tokens
from pycodex.auth.tokens import InvalidJwt, TokenData, parse_id_token

log = logging.getLogger(__name__)

CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
DEFAULT_ISSUER = "https://auth.openai.com"
REFRESH_SCOPE = "openid profile email"
REFRESH_INTERVAL = timedelta(days=8)
"""`last_refresh` older than this triggers a proactive refresh (the JWT `exp` is ignored)."""
REFRESH_TIMEOUT = 30.0


class RefreshFailedReason(enum.Enum):
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"
    REVOKED = "revoked"
    OTHER = "other"


_PERMANENT_MESSAGES = {
    RefreshFailedReason.EXPIRED: "Your access token could not be refreshed because your refresh "
    "token has expired. Please log out and sign in again.",
    RefreshFailedReason.EXHAUSTED: "Your access token could not be refreshed because your "
    "refresh token was already used. Please log out and sign in again.",
    RefreshFailedReason.REVOKED: "Your access token could not be refreshed because your refresh "
    "token was revoked. Please log out and sign in again.",
    RefreshFailedReason.OTHER: "Your access token could not be refreshed. Please log out and "
    "sign in again.",
}
_CODES = {
    "refresh_token_expired": RefreshFailedReason.EXPIRED,
    "refresh_token_reused": RefreshFailedReason.EXHAUSTED,
    "refresh_token_invalidated": RefreshFailedReason.REVOKED,
}


class RefreshTokenError(Exception):
    """A failed refresh. `permanent` (HTTP 401 from the issuer) means: report `unauthorized`
    and do not retry; otherwise the failure is transient."""

    def __init__(self, message: str, *, permanent: bool, reason: RefreshFailedReason | None):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.reason = reason

    @classmethod
    def transient(cls, message: str) -> RefreshTokenError:
        return cls(message, permanent=False, reason=None)

    @classmethod
    def permanent_for(cls, reason: RefreshFailedReason) -> RefreshTokenError:
        return cls(_PERMANENT_MESSAGES[reason], permanent=True, reason=reason)


@dataclass(frozen=True, slots=True)
class RefreshResponse:
    """The issuer's reply; every field is optional and replaces its stored counterpart."""

    id_token: str | None
    access_token: str | None
    refresh_token: str | None

    def __repr__(self) -> str:
        return "RefreshResponse(<redacted>)"


def refresh_url(issuer: str, override: str | None) -> str:
    """`CODEX_REFRESH_TOKEN_URL_OVERRIDE` replaces the whole URL; else `{issuer}/oauth/token`."""
    return override or f"{issuer.rstrip('/')}/oauth/token"


def is_stale(last_refresh: datetime | None, now: datetime) -> bool:
    """True when `last_refresh` is older than 8 days (a missing time counts as stale)."""
    return last_refresh is None or last_refresh < now - REFRESH_INTERVAL


def status_text(status: int) -> str:
    """`500 Internal Server Error`, as the reference prints an HTTP status."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} <unknown status code>"


def error_code(body: str) -> str | None:
    """`error.code` if `error` is an object, `error` if a string, else top-level `code`."""
    try:
        doc = json.loads(body) if body.strip() else None
    except json.JSONDecodeError:
        return None
    if not isinstance(doc, dict):
        return None
    err = doc.get("error")
    if isinstance(err, dict) and isinstance(err.get("code"), str):
        return str(err["code"])
    if isinstance(err, str):
        return err
    code = doc.get("code")
    return code if isinstance(code, str) else None


def error_message(body: str) -> str:
    """`error.message` from a JSON body, else the body, else `Unknown error`."""
    try:
        doc: Any = json.loads(body)
    except json.JSONDecodeError:
        doc = None
    if isinstance(doc, dict):
        err = doc.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return str(err["message"])
    return body or "Unknown error"


def classify_failure(status: int, body: str) -> RefreshTokenError:
    """HTTP 401 is permanent (reason from the error code); any other status is transient."""
    if status == 401:
        code = (error_code(body) or "").lower()
        reason = _CODES.get(code, RefreshFailedReason.OTHER)
        if reason is RefreshFailedReason.OTHER:
            log.warning("unknown 401 while refreshing token (code %r)", code or None)
        return RefreshTokenError.permanent_for(reason)
    return RefreshTokenError.transient(
        f"Failed to refresh token: {status_text(status)}: {error_message(body)}"
    )


async def request_refresh(
    client: httpx2.AsyncClient, url: str, refresh_token: str, headers: dict[str, str]
) -> RefreshResponse:
    """POST the reference's JSON body; raises RefreshTokenError."""
    body = {
        "client_id": CLIENT_ID,
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "scope": REFRESH_SCOPE,
    }
    try:
        response = await client.post(
            url,
            content=json.dumps(body, separators=(",", ":")).encode(),
            headers={**headers, "content-type": "application/json"},
            timeout=REFRESH_TIMEOUT,
        )
        text = response.text
    except httpx2.HTTPError as exc:
        raise RefreshTokenError.transient(f"error sending request for url ({url}): {exc}") from None
    if not 200 <= response.status_code < 300:
        log.error("failed to refresh token: %s", status_text(response.status_code))
        raise classify_failure(response.status_code, text)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RefreshTokenError.transient(f"error decoding response body: {exc}") from None
    if not isinstance(doc, dict):
        raise RefreshTokenError.transient("error decoding response body: not a JSON object")

    def field(name: str) -> str | None:
        value = doc.get(name)
        if value is not None and not isinstance(value, str):
            raise RefreshTokenError.transient(
                f"error decoding response body: `{name}` is not a string"
            )
        return value

    return RefreshResponse(field("id_token"), field("access_token"), field("refresh_token"))


def apply_refresh(auth: AuthDotJson, reply: RefreshResponse, now: datetime) -> AuthDotJson:
    """Each field present replaces its counterpart; `account_id` is kept; `last_refresh` = now."""
    old = auth.tokens
    if old is None:
        raise RefreshTokenError.transient("Token data is not available.")
    id_token = old.id_token
    if reply.id_token is not None:
        try:
            id_token = parse_id_token(reply.id_token)
        except InvalidJwt as exc:
            raise RefreshTokenError.transient(str(exc)) from None
    tokens = TokenData(
        id_token=id_token,
        access_token=reply.access_token if reply.access_token is not None else old.access_token,
        refresh_token=reply.refresh_token if reply.refresh_token is not None else old.refresh_token,
        account_id=old.account_id,
    )
    return with_tokens(auth, tokens, now)
