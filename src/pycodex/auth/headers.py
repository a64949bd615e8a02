"""Base URLs and request headers per auth mode, as the reference sends them (auth.md §7.1-7.2).

Pure functions of the credentials and the client identity; no HTTP here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pycodex import PROTOCOL_VERSION
from pycodex.auth.credentials import CodexAuth

CHATGPT_CODEX_BASE_URL = "https://chatgpt.com/backend-api/codex"
OPENAI_API_BASE_URL = "https://api.openai.com/v1"
DEFAULT_ORIGINATOR = "codex_cli_rs"
ORIGINATOR_OVERRIDE_ENV = "CODEX_INTERNAL_ORIGINATOR_OVERRIDE"


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def model_base_url(auth: CodexAuth | None, environ: Mapping[str, str] | None = None) -> str:
    """`OPENAI_BASE_URL` if set; else the ChatGPT backend for both ChatGPT modes; else the API."""
    override = _env(environ).get("OPENAI_BASE_URL")
    if override:
        return override
    if auth is not None and auth.is_chatgpt:
        return CHATGPT_CODEX_BASE_URL
    return OPENAI_API_BASE_URL


def default_originator(
    client_name: str | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The env override, else the client's `clientInfo.name`, else `codex_cli_rs`."""
    return _env(environ).get(ORIGINATOR_OVERRIDE_ENV) or client_name or DEFAULT_ORIGINATOR


def auth_headers(auth: CodexAuth | None) -> dict[str, str]:
    """`authorization` (absent without credentials) and, in ChatGPT modes, `chatgpt-account-id`
    (absent when the id_token has no account)."""
    headers: dict[str, str] = {}
    if auth is None:
        return headers
    token = auth.bearer_token
    if token:
        headers["authorization"] = f"Bearer {token}"
    if auth.is_chatgpt and auth.account_id:
        headers["chatgpt-account-id"] = auth.account_id
    return headers


def uses_zstd(auth: CodexAuth | None) -> bool:
    """ChatGPT modes send the Responses body zstd-compressed (`content-encoding: zstd`)."""
    return auth is not None and auth.is_chatgpt


def responses_headers(
    auth: CodexAuth | None,
    *,
    originator: str,
    user_agent: str,
    session_id: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Headers of `POST {base}/responses` except `content-encoding` (see `uses_zstd`)."""
    env = _env(environ)
    headers = auth_headers(auth)
    headers.update(
        {
            "originator": originator,
            "user-agent": user_agent,
            "version": PROTOCOL_VERSION,
            "accept": "text/event-stream",
            "content-type": "application/json",
            "x-oai-web-search-eligible": "true",
        }
    )
    if session_id is not None:
        headers["session_id"] = session_id
    if env.get("OPENAI_ORGANIZATION"):
        headers["openai-organization"] = env["OPENAI_ORGANIZATION"]
    if env.get("OPENAI_PROJECT"):
        headers["openai-project"] = env["OPENAI_PROJECT"]
    return headers


def usage_headers(auth: CodexAuth, user_agent: str) -> dict[str, str]:
    """The usage endpoint: auth, user agent, `accept: */*`; no originator or version."""
    return {**auth_headers(auth), "user-agent": user_agent, "accept": "*/*"}


def refresh_headers(originator: str, user_agent: str) -> dict[str, str]:
    """The OAuth refresh POST carries the default client headers."""
    return {"originator": originator, "user-agent": user_agent}
