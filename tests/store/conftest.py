"""Store tests: real files in a fresh CODEX_HOME; `differential` ones drive the 0.94 binary."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "differential: runs the reference codex binary (and pycodex) on a scenario; "
        "needs the reference installed (scripts/reference.py)",
    )
