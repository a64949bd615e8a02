"""The effective configuration as typed values, with the reference's defaults.

Only keys pycodex uses are typed here; everything else stays available in `raw` (and is what
`config/read` will report). An invalid value of a typed key makes the whole file fall back to
defaults, with a warning naming the key, as the reference does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .loader import INVALID_SUMMARY, ConfigWarning, codex_home, layered, read_file, value_position

DEFAULT_MODEL = "gpt-5.2-codex"
DEFAULT_CHATGPT_BASE_URL = "https://chatgpt.com/backend-api/"
DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1"
DEFAULT_AUTH_ISSUER = "https://auth.openai.com"

ENUMS: dict[str, tuple[str, ...]] = {
    "approval_policy": ("untrusted", "on-failure", "on-request", "never"),
    "sandbox_mode": ("read-only", "workspace-write", "danger-full-access"),
    "model_reasoning_effort": ("none", "minimal", "low", "medium", "high", "xhigh"),
    "model_reasoning_summary": ("auto", "concise", "detailed", "none"),
    "forced_login_method": ("chatgpt", "api"),
    "cli_auth_credentials_store": ("file", "keyring", "auto", "ephemeral"),
}


class ProviderInfo:
    """One `[model_providers.ID]` entry (or a built-in)."""

    __slots__ = (
        "base_url",
        "env_key",
        "http_headers",
        "id",
        "name",
        "request_max_retries",
        "requires_openai_auth",
        "stream_idle_timeout_ms",
        "stream_max_retries",
        "wire_api",
    )

    def __init__(self, provider_id: str, table: dict[str, Any]) -> None:
        self.id = provider_id
        self.name = str(table.get("name", provider_id))
        self.base_url: str | None = table.get("base_url")
        self.env_key: str | None = table.get("env_key")
        self.wire_api = str(table.get("wire_api", "responses"))
        self.requires_openai_auth = bool(table.get("requires_openai_auth", False))
        self.request_max_retries = int(table.get("request_max_retries", 4))
        self.stream_max_retries = int(table.get("stream_max_retries", 5))
        self.stream_idle_timeout_ms = int(table.get("stream_idle_timeout_ms", 300_000))
        headers = table.get("http_headers")
        self.http_headers: dict[str, str] = dict(headers) if isinstance(headers, dict) else {}


def builtin_providers() -> dict[str, ProviderInfo]:
    """Built-in ids cannot be redefined by config (the reference ignores such tables)."""
    return {
        "openai": ProviderInfo(
            "openai",
            {
                "name": "OpenAI",
                "base_url": os.environ.get("OPENAI_BASE_URL") or DEFAULT_OPENAI_BASE_URL,
                "requires_openai_auth": True,
            },
        )
    }


class Config:
    __slots__ = ("_providers", "codex_home", "raw", "warnings")

    def __init__(self, home: Path, raw: dict[str, Any], warnings: list[ConfigWarning]) -> None:
        self.codex_home = home
        self.raw = raw
        self.warnings = warnings
        self._providers: dict[str, ProviderInfo] | None = None

    def _str(self, key: str, default: str | None = None) -> str | None:
        value = self.raw.get(key, default)
        return value if isinstance(value, str) else default

    @property
    def model(self) -> str:
        return self._str("model") or DEFAULT_MODEL

    @property
    def approval_policy(self) -> str:
        return self._str("approval_policy") or "on-request"

    @property
    def sandbox_mode(self) -> str:
        return self._str("sandbox_mode") or "read-only"

    @property
    def model_reasoning_effort(self) -> str | None:
        return self._str("model_reasoning_effort")

    @property
    def model_reasoning_summary(self) -> str | None:
        return self._str("model_reasoning_summary")

    @property
    def forced_login_method(self) -> str | None:
        return self._str("forced_login_method")

    @property
    def forced_chatgpt_workspace_id(self) -> str | None:
        return self._str("forced_chatgpt_workspace_id")

    @property
    def cli_auth_credentials_store(self) -> str:
        return self._str("cli_auth_credentials_store") or "file"

    @property
    def chatgpt_base_url(self) -> str:
        return self._str("chatgpt_base_url") or DEFAULT_CHATGPT_BASE_URL

    @property
    def model_provider_id(self) -> str:
        return self._str("model_provider") or "openai"

    def providers(self) -> dict[str, ProviderInfo]:
        if self._providers is None:
            self._providers = self._load_providers()
        return self._providers

    def _load_providers(self) -> dict[str, ProviderInfo]:
        found = builtin_providers()
        tables = self.raw.get("model_providers")
        if isinstance(tables, dict):
            for pid, table in tables.items():
                if pid not in found and isinstance(table, dict):
                    found[pid] = ProviderInfo(pid, table)
        return found

    @property
    def provider(self) -> ProviderInfo:
        providers = self.providers()
        return providers.get(self.model_provider_id) or providers["openai"]

    def pycodex(self, key: str, default: Any) -> Any:
        """Knobs the reference lacks live in a `[pycodex]` table (decisions.md)."""
        table = self.raw.get("pycodex")
        if isinstance(table, dict) and key in table:
            return table[key]
        return default


def _check(values: dict[str, Any]) -> tuple[str, str] | None:
    """(key, serde-style message) for the first typed key with an invalid value."""
    for key, allowed in ENUMS.items():
        if key not in values:
            continue
        value = values[key]
        if not isinstance(value, str):
            return key, f"invalid type: {type(value).__name__}, expected a string"
        if value not in allowed:
            choices = ", ".join(f"`{a}`" for a in allowed)
            return key, f"unknown variant `{value}`, expected one of {choices}"
    return None


def load(
    cli_overrides: list[tuple[str, str]] | None = None,
    request_overrides: dict[str, Any] | None = None,
    home: Path | None = None,
) -> Config:
    """The effective config; never raises for a bad file (see the module docstring)."""
    home = home or codex_home()
    path = home / "config.toml"
    file_values, warning = read_file(path)
    warnings = [warning] if warning else []
    problem = _check(file_values)
    if problem is not None:
        key, message = problem
        text = path.read_text(encoding="utf-8", errors="replace")
        pos = value_position(text, key)
        line, col, end = pos if pos else (None, None, None)
        where = f"{path}:{line}:{col}" if line is not None else str(path)
        warnings.append(
            ConfigWarning(INVALID_SUMMARY, f"{where}: {message}", str(path), line, col, end)
        )
        file_values = {}
    merged = layered(file_values, cli_overrides or [], request_overrides)
    return Config(home, merged, warnings)
