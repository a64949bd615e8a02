"""Differential: backend failures as the reference 0.94.0 reports them (its `error`
notifications during a text turn) against our `Retrying` notices and final `ModelError`,
for the same scripted replies and retry settings."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pycodex.auth.credentials import AuthSettings
from pycodex.auth.manager import AuthManager
from pycodex.model.events import Retrying
from tests.kit.fake_responses import (
    DroppedReply,
    FakeResponses,
    Reply,
    SilentReply,
    SseReply,
    StalledReply,
    StatusReply,
    failed_event,
    message_events,
)
from tests.kit.home import make_home
from tests.kit.servers import reference_argv
from tests.kit.session import Session

from .conftest import ClientFactory, collect, provider


def cut() -> list[dict[str, Any]]:
    return message_events("partial")[:-1]


CTX = json.dumps({"error": {"message": "too long", "code": "context_length_exceeded"}})
# name → (replies, request_max_retries, stream_max_retries, extra provider keys)
CASES: dict[str, tuple[Callable[[], list[Reply]], int, int, dict[str, Any]]] = {
    "500": (lambda: [StatusReply(500, '{"error":{"message":"boom"}}')], 0, 0, {}),
    "500_stream_retry": (lambda: [StatusReply(500, "{}")] * 2, 0, 1, {}),
    "429": (lambda: [StatusReply(429, '{"error":{"message":"slow"}}')], 2, 2, {}),
    "400_context": (lambda: [StatusReply(400, CTX)], 0, 0, {}),
    "401_api_key": (lambda: [StatusReply(401, '{"error":{"message":"bad"}}')], 0, 0, {}),
    "404": (lambda: [StatusReply(404, '{"error":{"message":"nope"}}')], 0, 0, {}),
    "closed_early": (lambda: [SseReply(cut())], 0, 0, {}),
    "dropped": (lambda: [DroppedReply(cut())], 0, 0, {}),
    "failed": (lambda: [SseReply([*cut()[:1], failed_event("it broke")])], 0, 0, {}),
    "failed_context": (
        lambda: [SseReply([failed_event("long", code="context_length_exceeded")])],
        0,
        0,
        {},
    ),
    "cut_then_401": (
        lambda: [SseReply(cut()), StatusReply(401, "{}"), StatusReply(401, "{}")],
        0,
        2,
        {},
    ),
    "idle": (lambda: [StalledReply(cut()[:2], stall=3)], 0, 0, {"stream_idle_timeout_ms": 300}),
    # The idle timeout does not cover the wait for the response head.
    "no_response": (lambda: [SilentReply(1.0)], 0, 0, {"stream_idle_timeout_ms": 300}),
}


def toml_value(value: Any) -> str:
    return json.dumps(value)


def reference_errors(root: Path, case: str) -> list[tuple[dict[str, Any], bool]]:
    replies, request_retries, stream_retries, extra = CASES[case]
    with FakeResponses(replies()) as fake:
        home = make_home(root, fake.port)
        config = home.codex_home / "config.toml"
        text = config.read_text()
        text = text.replace("request_max_retries = 0", f"request_max_retries = {request_retries}")
        text = text.replace("stream_max_retries = 0", f"stream_max_retries = {stream_retries}")
        text += "".join(f"{key} = {toml_value(value)}\n" for key, value in extra.items())
        config.write_text(text)
        with Session(
            reference_argv(), env=home.env, cwd=home.cwd, stderr_path=root / "stderr.log"
        ) as s:
            info = {"name": "refclient", "title": None, "version": "1.2.3"}
            s.send({"id": 0, "method": "initialize", "params": {"clientInfo": info}})
            s.wait_for_response(0)
            login = {"type": "apiKey", "apiKey": "sk-ref"}
            s.send({"id": 1, "method": "account/login/start", "params": login})
            s.wait_for_response(1)
            s.send({"id": 2, "method": "thread/start", "params": {"cwd": str(home.cwd)}})
            thread_id = s.wait_for_response(2)["result"]["thread"]["id"]
            text_input = [{"type": "text", "text": "Say hello."}]
            params = {"threadId": thread_id, "input": text_input}
            s.send({"id": 3, "method": "turn/start", "params": params})
            s.wait_for_response(3)
            deadline = time.monotonic() + 30
            while not any(m.get("method") == "turn/completed" for m in s.messages):
                assert time.monotonic() < deadline, "the reference turn did not complete"
                time.sleep(0.05)
            errors = [m["params"] for m in s.messages if m.get("method") == "error"]
        port = str(fake.port)
    return [
        (json.loads(json.dumps(e["error"]).replace(port, "PORT")), e["willRetry"]) for e in errors
    ]


@pytest.mark.parametrize("case", list(CASES))
async def test_errors_match_the_reference(
    case: str, tmp_path: Path, make_client: ClientFactory, clean_environ: Path
) -> None:
    expected = reference_errors(tmp_path / "reference", case)
    replies, request_retries, stream_retries, extra = CASES[case]
    manager = AuthManager(AuthSettings(codex_home=clean_environ))
    manager.login_api_key("sk-ref")
    with FakeResponses(replies()) as fake:
        prov = provider(
            fake.base_url, retries=request_retries, stream_retries=stream_retries, **extra
        )
        events, error = await collect(make_client(prov, manager))
        port = str(fake.port)
    assert error is not None
    ours = [(e.error.to_wire(), True) for e in events if isinstance(e, Retrying)]
    ours.append((error.to_wire(), False))
    ours = [(json.loads(json.dumps(wire).replace(port, "PORT")), retry) for wire, retry in ours]
    assert ours == expected
