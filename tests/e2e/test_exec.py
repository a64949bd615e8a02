"""`pycodex exec`: one turn from the command line, against the loopback fake model; `--json`
compared with the reference's `codex exec --json` on the same reply."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from scripts.reference import ensure_reference
from tests.kit.fake_responses import FakeResponses, SseReply, StatusReply, message_events
from tests.kit.home import make_home
from tests.kit.servers import pycodex_argv

PYCODEX = pycodex_argv()[:-1]  # [python, -m, pycodex]


def run_exec(
    argv: list[str], tmp_path: Path, *replies: Any, name: str = "run"
) -> tuple[subprocess.CompletedProcess[str], list[Any]]:
    with FakeResponses() as fake:
        fake.enqueue(*replies)
        home = make_home(tmp_path / name, fake.port)
        env = {**home.env, "CODEX_API_KEY": "sk-exec"}
        done = subprocess.run(
            [*argv, "exec", "--json", "--skip-git-repo-check", "say hi"],
            capture_output=True,
            text=True,
            env=env,
            cwd=home.cwd,
            timeout=60,
        )
        return done, list(fake.requests)


def events(stdout: str) -> list[Any]:
    out = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    for event in out:
        if "thread_id" in event:
            event["thread_id"] = "<thread>"
    return out


@pytest.mark.differential
@pytest.mark.parametrize(
    "reply",
    [SseReply(message_events("Hello from exec", chunks=3)), StatusReply(500, "boom")],
    ids=["answer", "http-500"],
)
def test_json_events_match_codex_exec(tmp_path: Path, reply: Any) -> None:
    ours, our_requests = run_exec(PYCODEX, tmp_path, reply, name="pycodex")
    theirs, _ = run_exec([str(ensure_reference())], tmp_path, reply, name="reference")
    assert ours.returncode == theirs.returncode, ours.stderr
    assert events(ours.stdout) == events(theirs.stdout)
    assert our_requests[-1].headers["authorization"] == "Bearer sk-exec"  # CODEX_API_KEY


def test_human_output_keeps_only_the_answer_on_stdout(tmp_path: Path) -> None:
    with FakeResponses() as fake:
        fake.enqueue(SseReply(message_events("The answer.", chunks=2)))
        home = make_home(tmp_path / "human", fake.port)
        done = subprocess.run(
            [*PYCODEX, "exec", "what is it?"],
            capture_output=True,
            text=True,
            env={**home.env, "CODEX_API_KEY": "sk"},
            cwd=home.cwd,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "The answer.\n"
    assert re.search(r"user\nwhat is it\?\ncodex\nThe answer\.\ntokens used\n110\n", done.stderr)


def test_a_failed_turn_exits_1_with_turn_failed(tmp_path: Path) -> None:
    done, _ = run_exec(PYCODEX, tmp_path, StatusReply(500, "boom"))
    assert done.returncode == 1
    kinds = [e["type"] for e in events(done.stdout)]
    assert kinds == ["thread.started", "turn.started", "error", "turn.failed"]
