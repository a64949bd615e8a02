"""Shared fixtures of the auth tests: a fake issuer on loopback and settings pointing at it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pycodex.auth import storage
from pycodex.auth.credentials import AuthSettings
from tests.kit.fake_backend import FakeBackend


@pytest.fixture(autouse=True)
def fresh_memory_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process-global memory store starts empty in every test."""
    monkeypatch.setattr(storage, "_EPHEMERAL", {})


@pytest.fixture
def backend() -> Iterator[FakeBackend]:
    with FakeBackend() as fake:
        yield fake


@pytest.fixture
def home(clean_environ: Path) -> Path:
    return clean_environ


@pytest.fixture
def settings(home: Path, backend: FakeBackend) -> AuthSettings:
    return AuthSettings(
        codex_home=home, issuer=backend.url, chatgpt_base_url=backend.chatgpt_base_url
    )


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"


def write_chatgpt_login(
    home: Path,
    tokens: dict[str, str],
    *,
    account_id: str | None = "ws-1",
    age: timedelta = timedelta(hours=1),
    api_key: str | None = None,
    auth_mode: str | None = "chatgpt",
) -> dict[str, Any]:
    """auth.json as the reference writes it after a browser login."""
    doc: dict[str, Any] = {}
    if auth_mode is not None:
        doc["auth_mode"] = auth_mode
    doc["OPENAI_API_KEY"] = api_key
    doc["tokens"] = {**tokens, "account_id": account_id}
    doc["last_refresh"] = iso(datetime.now(UTC) - age)
    (home / "auth.json").write_text(json.dumps(doc, indent=2))
    (home / "auth.json").chmod(0o600)
    return doc
