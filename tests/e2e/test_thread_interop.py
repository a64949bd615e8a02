"""Threads written by the reference binary, read by pycodex over the wire: `thread/list` and
`thread/read {includeTurns}` answer what the reference itself answers for the same home."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.kit.fake_responses import FakeResponses
from tests.kit.home import RunHome, make_home
from tests.kit.normalise import normalise
from tests.kit.servers import pycodex_argv, reference_argv
from tests.kit.session import Session

pytestmark = pytest.mark.differential

INIT = {
    "id": 0,
    "method": "initialize",
    "params": {"clientInfo": {"name": "interop", "version": "1"}},
}
NEWER_FIELDS = ("status", "ephemeral", "sessionId")


def session(argv: list[str], home: RunHome, name: str) -> Session:
    s = Session(argv, env=home.env, cwd=home.cwd, stderr_path=home.root / f"{name}.stderr")
    s.send(INIT)
    s.wait_for_response(0)
    return s


def ask(s: Session, request_id: int, method: str, params: dict[str, Any]) -> Any:
    s.send({"id": request_id, "method": method, "params": params})
    return s.wait_for_response(request_id)


def strip_newer(value: Any) -> Any:
    """Drop the newer-client fields of `Thread` objects (the README's listed difference)."""
    if isinstance(value, dict):
        thread = "cliVersion" in value
        return {k: strip_newer(v) for k, v in value.items() if not (thread and k in NEWER_FIELDS)}
    if isinstance(value, list):
        return [strip_newer(v) for v in value]
    return value


def test_reference_threads_read_back_identically(tmp_path: Path) -> None:
    with FakeResponses() as fake:
        home = make_home(tmp_path / "run", fake.port)
        ref = session(reference_argv(), home, "reference")
        thread_id = ask(ref, 1, "thread/start", {"cwd": str(home.cwd)})["result"]["thread"]["id"]
        ask(
            ref,
            2,
            "turn/start",
            {"threadId": thread_id, "input": [{"type": "text", "text": "hello interop"}]},
        )
        ref.wait_for_method("turn/completed", timeout=20)
        queries = [
            ("thread/list", {}),
            ("thread/read", {"threadId": thread_id, "includeTurns": True}),
            ("thread/read", {"threadId": thread_id}),
        ]
        expected = [ask(ref, 10 + i, m, p) for i, (m, p) in enumerate(queries)]
        ref.close()
        ours = session(pycodex_argv(), home, "pycodex")
        actual = [ask(ours, 10 + i, m, p) for i, (m, p) in enumerate(queries)]
        ours.close()
    assert expected[1]["result"]["thread"]["turns"], "the reference wrote no turn"
    as_transcript = [("recv", strip_newer(m)) for m in actual]
    assert normalise(as_transcript, home.paths) == normalise(
        [("recv", m) for m in expected], home.paths
    )
