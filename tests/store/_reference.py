"""Drive the reference 0.94 binary through text turns, for the rollout interop tests."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.kit.home import RunHome
from tests.kit.servers import reference_argv
from tests.kit.session import Session


class Reference:
    """One reference app-server process on `home`, initialized and logged in with an API key."""

    def __init__(self, home: RunHome, log_name: str = "stderr.log") -> None:
        self.home = home
        self.session = Session(
            reference_argv(), env=home.env, cwd=home.cwd, stderr_path=home.root / log_name
        )
        self._next_id = 100
        self.call("initialize", {"clientInfo": {"name": "store-tests", "version": "1"}})
        self.call("account/login/start", {"type": "apiKey", "apiKey": "sk-store"})

    def call(self, method: str, params: Any, timeout: float = 30.0) -> Any:
        """Send a request and return its `result`; a JSON-RPC error fails the test."""
        self._next_id += 1
        request_id = self._next_id
        self.session.send({"id": request_id, "method": method, "params": params})
        reply = self.session.wait_for_response(request_id, timeout=timeout)
        assert "result" in reply, f"{method} failed: {reply}"
        return reply["result"]

    def call_error(self, method: str, params: Any) -> Any:
        self._next_id += 1
        request_id = self._next_id
        self.session.send({"id": request_id, "method": method, "params": params})
        reply = self.session.wait_for_response(request_id)
        assert "error" in reply, f"{method} unexpectedly succeeded: {reply}"
        return reply["error"]

    def turn(self, thread_id: str, text: str, timeout: float = 30.0) -> dict[str, Any]:
        """Run one text turn to `turn/completed` and return that notification's turn."""
        self.call("turn/start", {"threadId": thread_id, "input": [{"type": "text", "text": text}]})
        return self.completed(timeout)

    def completed(self, timeout: float = 30.0) -> dict[str, Any]:
        """The turn of the next `turn/completed` notification."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.session.drain(0.1, limit=timeout):
                if message.get("method") == "turn/completed":
                    turn: dict[str, Any] = message["params"]["turn"]
                    return turn
        raise AssertionError(f"no turn completed{self.session.failure_context()}")

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Reference:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def rollout_of(home: RunHome, thread_id: str) -> Path:
    matches = list((home.codex_home / "sessions").rglob(f"rollout-*-{thread_id}.jsonl"))
    assert len(matches) == 1, matches
    return matches[0]
