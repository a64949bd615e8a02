"""What goes over the wire for one sampling request: the JSON body, the URL and the headers.

Pure functions of the request, the provider and the credentials (reference-behaviour.md (c),
auth.md §7); no HTTP here. Body keys and fixed values match the reference's own request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pycodex.auth.credentials import CodexAuth
from pycodex.auth.headers import OPENAI_API_BASE_URL, model_base_url, responses_headers
from pycodex.config.model import ProviderInfo

OPENAI_PROVIDER_ID = "openai"
DEFAULT_REASONING_EFFORT = "medium"
DEFAULT_REASONING_SUMMARY = "auto"
# Model families the Responses API accepts a `reasoning` object for (upstream model_family.rs).
_REASONING_PREFIXES = ("gpt-5", "o1", "o3", "o4", "codex-", "gpt-oss")


@dataclass(frozen=True, slots=True)
class Reasoning:
    effort: str | None = DEFAULT_REASONING_EFFORT
    summary: str | None = DEFAULT_REASONING_SUMMARY

    def to_wire(self) -> dict[str, Any]:
        return {"effort": self.effort, "summary": self.summary}


def reasoning_for(model: str, effort: str | None, summary: str | None) -> Reasoning | None:
    """The `reasoning` object for `model`: the configured effort/summary or the defaults the
    reference sends (`medium`/`auto`); None for models without reasoning."""
    if not model.startswith(_REASONING_PREFIXES):
        return None
    return Reasoning(effort or DEFAULT_REASONING_EFFORT, summary or DEFAULT_REASONING_SUMMARY)


@dataclass(frozen=True, slots=True)
class ModelRequest:
    """One sampling request. `thread_id` becomes `session_id` and `prompt_cache_key`."""

    model: str
    instructions: str
    input: list[dict[str, Any]]
    thread_id: str
    tools: list[dict[str, Any]] = field(default_factory=list)
    parallel_tool_calls: bool = True
    reasoning: Reasoning | None = None
    # turn/start `outputSchema`: the final answer must be JSON matching it.
    output_schema: dict[str, Any] | None = None


def request_body(request: ModelRequest) -> dict[str, Any]:
    """The JSON body; `reasoning` and `include` only when the model reasons (as upstream)."""
    body: dict[str, Any] = {
        "model": request.model,
        "instructions": request.instructions,
        "input": request.input,
        "tools": request.tools,
        "tool_choice": "auto",
        "parallel_tool_calls": request.parallel_tool_calls,
    }
    if request.reasoning is not None:
        body["reasoning"] = request.reasoning.to_wire()
    body["store"] = False
    body["stream"] = True
    body["include"] = ["reasoning.encrypted_content"] if request.reasoning is not None else []
    body["prompt_cache_key"] = request.thread_id
    if request.output_schema is not None:
        body["text"] = {
            "format": {
                "type": "json_schema",
                "strict": True,
                "schema": request.output_schema,
                "name": "codex_output_schema",
            }
        }
    return body


def is_openai(provider: ProviderInfo) -> bool:
    return provider.id == OPENAI_PROVIDER_ID


def base_url(
    provider: ProviderInfo, auth: CodexAuth | None, environ: Mapping[str, str] | None = None
) -> str:
    """The built-in provider follows the auth mode (ChatGPT backend vs API, `OPENAI_BASE_URL`
    over both); a custom provider uses its own `base_url`."""
    if is_openai(provider):
        return model_base_url(auth, environ)
    return provider.base_url or OPENAI_API_BASE_URL


def responses_url(base: str) -> str:
    return f"{base.rstrip('/')}/responses"


class MissingEnvKey(Exception):
    """The provider's `env_key` variable is unset or empty."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Missing environment variable: `{name}`.")
        self.name = name


def env_key_token(provider: ProviderInfo, environ: Mapping[str, str] | None = None) -> str | None:
    """The bearer from the provider's `env_key`; None when the provider has none."""
    if not provider.env_key:
        return None
    env = os.environ if environ is None else environ
    value = env.get(provider.env_key, "").strip()
    if not value:
        raise MissingEnvKey(provider.env_key)
    return value


def request_headers(
    provider: ProviderInfo,
    auth: CodexAuth | None,
    *,
    session_id: str,
    originator: str,
    user_agent: str,
    env_token: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Headers of `POST …/responses`. `env_token` (from `env_key`) replaces the account's
    credentials. `version` and `OpenAI-Organization`/`-Project` belong to the built-in
    provider only (a custom provider sends neither, as observed); `http_headers` come last."""
    env = os.environ if environ is None else environ
    openai = is_openai(provider)
    headers = responses_headers(
        None if env_token is not None else auth,
        originator=originator,
        user_agent=user_agent,
        session_id=session_id,
        environ=env if openai else {},
    )
    if env_token is not None:
        headers["authorization"] = f"Bearer {env_token}"
    if not openai:
        headers.pop("version", None)
    for name, value in provider.http_headers.items():
        headers[name.lower()] = str(value)
    return headers
