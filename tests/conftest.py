"""Shared test setup: the repo root on sys.path (for `tests.*` and `scripts.*`) and a clean env.

Every test runs with a fresh CODEX_HOME and without the caller's OpenAI/Codex variables, so
nothing a developer has configured leaks in, and nothing can reach a real backend.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "differential: runs the reference codex binary beside pycodex; needs the reference "
        "installed (scripts/setup --dev does it)",
    )


_STRIPPED_PREFIXES = ("OPENAI_", "CODEX_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def clean_environ(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """A fresh CODEX_HOME per test, no inherited credentials or proxies."""
    import os

    for key in list(os.environ):
        if key.upper().startswith(_STRIPPED_PREFIXES):
            monkeypatch.delenv(key, raising=False)
    home = tmp_path_factory.mktemp("codex-home")
    monkeypatch.setenv("CODEX_HOME", str(home))
    yield home
