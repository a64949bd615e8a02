"""Turns end to end: pycodex against the loopback fake Responses API (real HTTP), the paths
the differential scenarios cannot script: an interrupt mid-stream, model errors, input sent
while a turn runs, and the rollout left on disk."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.kit.fake_responses import (
    FakeResponses,
    SseReply,
    StalledReply,
    StatusReply,
    message_events,
)
from tests.kit.home import RunHome, make_home
from tests.kit.servers import pycodex_argv

from .conftest import INIT, Checked


@pytest.fixture
def fake() -> Iterator[FakeResponses]:
    with FakeResponses() as server:
        yield server


@pytest.fixture
def home(tmp_path: Path, fake: FakeResponses) -> RunHome:
    return make_home(tmp_path / "turns", fake.port)


@pytest.fixture
def server(home: RunHome, tmp_path: Path) -> Iterator[Checked]:
    s = Checked(pycodex_argv(), env=home.env, cwd=home.cwd, stderr_path=tmp_path / "err.txt")
    s.send(INIT)
    s.wait_for_response(0)
    yield s
    s.kill()
    s.validate_all()


def start_thread(s: Checked) -> str:
    s.send({"id": 1, "method": "thread/start", "params": {}})
    thread_id: str = s.wait_for_response(1)["result"]["thread"]["id"]
    return thread_id


def start_turn(s: Checked, request_id: int, thread_id: str, text: str) -> Any:
    s.send(
        {
            "id": request_id,
            "method": "turn/start",
            "params": {"threadId": thread_id, "input": [{"type": "text", "text": text}]},
        }
    )
    return s.wait_for_response(request_id)


def test_interrupt_mid_stream_completes_the_open_message(
    server: Checked, fake: FakeResponses
) -> None:
    events = message_events("slow slow slow", chunks=3)
    stalled = StalledReply(events[:5], stall=30)  # created, added, three deltas; then silence
    fake.enqueue(stalled)
    thread_id = start_thread(server)
    turn = start_turn(server, 2, thread_id, "slow please")["result"]["turn"]
    seen = server.wait_for_method("item/agentMessage/delta")
    while sum(1 for m in seen if m.get("method") == "item/agentMessage/delta") < 3:
        seen += server.wait_for_method("item/agentMessage/delta")
    server.send(
        {
            "id": 3,
            "method": "turn/interrupt",
            "params": {"threadId": thread_id, "turnId": turn["id"]},
        }
    )
    assert server.wait_for_response(3) == {"id": 3, "result": {}}
    tail = server.wait_for_method("turn/completed")
    stalled.release.set()
    completed = [m for m in tail if m.get("method") == "item/completed"]
    assert completed and completed[-1]["params"]["item"] == {
        "type": "agentMessage",
        "id": "msg_1",
        "text": "slow slow slow",
    }
    assert tail[-1]["params"]["turn"]["status"] == "interrupted"
    # The next turn works, and its request carries the partial text and the interrupt marker.
    start_turn(server, 4, thread_id, "go on")
    server.wait_for_method("turn/completed")
    body = fake.requests[-1].json()
    texts = json.dumps(body["input"])
    assert "slow slow slow" in texts and "turn_aborted" in texts


def test_model_error_fails_the_turn_and_the_thread_stays_usable(
    server: Checked, fake: FakeResponses
) -> None:
    fake.enqueue(StatusReply(500, "boom"))
    thread_id = start_thread(server)
    start_turn(server, 2, thread_id, "hi")
    messages = server.wait_for_method("turn/completed")
    error = next(m for m in messages if m.get("method") == "error")["params"]
    assert error["willRetry"] is False
    assert error["error"]["codexErrorInfo"] == "internalServerError"
    assert messages[-1]["params"]["turn"]["status"] == "failed"
    assert messages[-1]["params"]["turn"]["error"] == error["error"]
    start_turn(server, 3, thread_id, "again")
    assert server.wait_for_method("turn/completed")[-1]["params"]["turn"]["status"] == "completed"


def test_input_while_running_joins_the_running_turn(server: Checked, fake: FakeResponses) -> None:
    first_events = message_events("first")
    stalled = StalledReply(first_events[:3], stall=30, after=first_events[3:])
    fake.enqueue(stalled, SseReply(message_events("second")))
    thread_id = start_thread(server)
    first = start_turn(server, 2, thread_id, "first of two")["result"]["turn"]
    server.wait_for_method("item/agentMessage/delta")
    second = start_turn(server, 3, thread_id, "sent while running")["result"]["turn"]
    assert second == first  # the running turn, not a new id that never completes
    stalled.release.set()
    tail = server.wait_for_method("turn/completed")
    assert tail[-1]["params"]["turn"]["id"] == first["id"]
    assert "sent while running" in json.dumps(fake.requests[-1].json()["input"])


def test_rollout_records_the_turn(server: Checked, home: RunHome) -> None:
    thread_id = start_thread(server)
    start_turn(server, 2, thread_id, "persist me")
    server.wait_for_method("turn/completed")
    [rollout] = list((home.codex_home / "sessions").rglob(f"*{thread_id}.jsonl"))
    kinds = [
        (line["type"], line["payload"].get("type"))
        for line in map(json.loads, rollout.read_text().splitlines())
    ]
    assert kinds[0] == ("session_meta", None)
    assert ("event_msg", "user_message") in kinds
    assert ("turn_context", None) in kinds
    assert ("event_msg", "agent_message") in kinds
    assert kinds[-1] == ("event_msg", "token_count")


def test_history_survives_a_restart(home: RunHome, fake: FakeResponses, tmp_path: Path) -> None:
    """A new process resumes the thread from its rollout; the next model request carries the
    earlier turn, then the initial context again (S15), then the new message."""
    first = Checked(pycodex_argv(), env=home.env, cwd=home.cwd, stderr_path=tmp_path / "a.txt")
    first.send(INIT)
    first.wait_for_response(0)
    thread_id = start_thread(first)
    fake.enqueue(SseReply(message_events("remembered answer")))
    start_turn(first, 2, thread_id, "remember this")
    first.wait_for_method("turn/completed")
    first.close()
    first.validate_all()

    second = Checked(pycodex_argv(), env=home.env, cwd=home.cwd, stderr_path=tmp_path / "b.txt")
    second.send(INIT)
    second.wait_for_response(0)
    second.send({"id": 1, "method": "thread/resume", "params": {"threadId": thread_id}})
    resumed = second.wait_for_response(1)["result"]["thread"]
    assert [t["status"] for t in resumed["turns"]] == ["completed"]
    start_turn(second, 2, thread_id, "what did I say?")
    assert second.wait_for_method("turn/completed")[-1]["params"]["turn"]["id"] == "0"
    second.close()
    second.validate_all()
    texts = [
        part.get("text", "")
        for item in fake.requests[-1].json()["input"]
        for part in item.get("content") or []
    ]
    joined = "\n".join(texts)
    assert joined.index("remember this") < joined.index("remembered answer")
    assert joined.index("remembered answer") < joined.rindex("<environment_context>")
    assert texts[-1] == "what did I say?"


def test_rollback_drops_turns_from_history_and_disk(
    server: Checked, fake: FakeResponses, home: RunHome
) -> None:
    thread_id = start_thread(server)
    fake.enqueue(
        SseReply(message_events("kept answer")), SseReply(message_events("dropped answer"))
    )
    start_turn(server, 2, thread_id, "kept question")
    server.wait_for_method("turn/completed")
    start_turn(server, 3, thread_id, "dropped question")
    server.wait_for_method("turn/completed")
    server.send(
        {"id": 4, "method": "thread/rollback", "params": {"threadId": thread_id, "numTurns": 1}}
    )
    reply = server.wait_for_response(4)["result"]["thread"]
    assert [t["items"][0]["content"][0]["text"] for t in reply["turns"]] == ["kept question"]
    usage = next(
        m
        for m in server.messages
        if m.get("method") == "thread/tokenUsage/updated" and m["params"]["turnId"] == "2"
    )
    assert usage["params"]["tokenUsage"]["total"]["totalTokens"] == 220
    start_turn(server, 5, thread_id, "after the rollback")
    server.wait_for_method("turn/completed")
    sent = json.dumps(fake.requests[-1].json()["input"])
    assert "kept answer" in sent and "dropped question" not in sent and "dropped answer" not in sent
    server.send(
        {"id": 6, "method": "thread/read", "params": {"threadId": thread_id, "includeTurns": True}}
    )
    turns = server.wait_for_response(6)["result"]["thread"]["turns"]
    assert len(turns) == 2  # the kept turn and the one after the rollback, read from disk


def test_turn_overrides_reach_the_model_request(
    server: Checked, fake: FakeResponses, tmp_path: Path
) -> None:
    image = tmp_path / "dot.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n fake png bytes")
    schema = {"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]}
    thread_id = start_thread(server)
    server.send(
        {
            "id": 2,
            "method": "turn/start",
            "params": {
                "threadId": thread_id,
                "input": [
                    {"type": "text", "text": "look"},
                    {"type": "localImage", "path": str(image)},
                ],
                "model": "gpt-5.1-codex-max",
                "effort": "high",
                "summary": "detailed",
                "outputSchema": schema,
                "sandboxPolicy": {"type": "dangerFullAccess"},
            },
        }
    )
    server.wait_for_response(2)
    server.wait_for_method("turn/completed")
    body = fake.requests[-1].json()
    assert body["model"] == "gpt-5.1-codex-max"
    assert body["reasoning"] == {"effort": "high", "summary": "detailed"}
    assert body["text"]["format"]["schema"] == schema
    user = body["input"][-1]["content"]
    assert user[1]["image_url"].startswith("data:image/png;base64,")
    assert "danger-full-access" in json.dumps(body["input"])
