"""End-to-end: `pycodex app-server` as a real subprocess over pipes, every message checked
against the reference schema."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.kit.home import RunHome, make_home
from tests.kit.servers import pycodex_argv
from tests.kit.session import Session
from tests.support.schema import validate_server_message

INIT = {
    "id": 0,
    "method": "initialize",
    "params": {"clientInfo": {"name": "e2e", "title": "E2E", "version": "1.2.3"}},
}


class Checked(Session):
    """A session whose every received message must be valid against the 0.94 schema."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.methods: dict[Any, str] = {}

    def send(self, message: Any) -> None:
        if isinstance(message, dict) and "method" in message and "id" in message:
            self.methods[message["id"]] = message["method"]
        super().send(message)

    def validate_all(self) -> None:
        for message in self.messages:
            validate_server_message(message, self.methods)


@pytest.fixture
def run_home(tmp_path: Path) -> RunHome:
    # Port 9 (discard) on loopback: nothing listens, nothing leaves the machine.
    return make_home(tmp_path / "run", 9)


@pytest.fixture
def spawn(run_home: RunHome, tmp_path: Path) -> Iterator[Callable[..., Checked]]:
    sessions: list[Checked] = []

    def _spawn(*extra: str) -> Checked:
        s = Checked(
            [*pycodex_argv(), *extra],
            env=run_home.env,
            cwd=run_home.cwd,
            stderr_path=tmp_path / f"stderr-{len(sessions)}.txt",
        )
        sessions.append(s)
        return s

    yield _spawn
    for s in sessions:
        s.kill()
        s.validate_all()
