"""Rebuilding turns and model input from a rollout."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pycodex.store import records
from pycodex.store.replay import parse_line, replay, replay_file
from tests.store._fixtures import turn_lines, write_thread


def _records(items: list[records.RolloutItem]) -> list[dict[str, Any]]:
    return [{"type": item.type, "payload": item.payload} for item in items]


def _texts(history: list[dict[str, Any]]) -> list[str]:
    return [item["content"][0]["text"] for item in history if item.get("type") == "message"]


def test_turns_are_renumbered_across_the_thread(tmp_path: Path) -> None:
    path = write_thread(tmp_path, datetime(2026, 1, 1, tzinfo=UTC), turns=["a", "b"])
    result = replay_file(path)
    assert result.preview == "a"
    assert result.turns == [
        {
            "id": "turn-1",
            "items": [
                {
                    "type": "userMessage",
                    "id": "item-1",
                    "content": [{"type": "text", "text": "a", "text_elements": []}],
                },
                {"type": "agentMessage", "id": "item-2", "text": "re: a"},
            ],
            "status": "completed",
            "error": None,
        },
        {
            "id": "turn-2",
            "items": [
                {
                    "type": "userMessage",
                    "id": "item-3",
                    "content": [{"type": "text", "text": "b", "text_elements": []}],
                },
                {"type": "agentMessage", "id": "item-4", "text": "re: b"},
            ],
            "status": "completed",
            "error": None,
        },
    ]
    assert _texts(result.history) == [
        "<permissions instructions>",
        "<environment_context>",
        "a",
        "re: a",
        "b",
        "re: b",
    ]


def test_rollback_drops_turns_and_their_model_input() -> None:
    items = [records.message("developer", "ctx"), *turn_lines("a", "ra"), *turn_lines("b", "rb")]
    items += [records.thread_rolled_back(1), *turn_lines("c", "rc")]
    result = replay(_records(items))
    assert [t["items"][0]["content"][0]["text"] for t in result.turns] == ["a", "c"]
    assert [t["id"] for t in result.turns] == ["turn-1", "turn-2"]
    assert _texts(result.history) == ["ctx", "a", "ra", "c", "rc"]
    everything = replay(_records([*items, records.thread_rolled_back(10)]))
    assert everything.turns == []
    assert _texts(everything.history) == ["ctx"]


def test_cut_turn_reads_interrupted_and_keeps_its_input() -> None:
    items = [*turn_lines("a", "ra"), *turn_lines("crash")]
    result = replay(_records(items))
    assert [t["status"] for t in result.turns] == ["completed", "interrupted"]
    assert _texts(result.history) == ["a", "ra", "crash"]


def test_pending_tool_call_means_cut() -> None:
    call = records.response_item(
        {"type": "function_call", "name": "shell", "arguments": "{}", "call_id": "c1"}
    )
    result = replay(_records([*turn_lines("a"), records.agent_message("working"), call]))
    assert result.turns[0]["status"] == "interrupted"
    assert [i["type"] for i in result.turns[0]["items"]] == ["userMessage", "agentMessage"]


def test_aborted_and_failed_turns() -> None:
    aborted = replay(_records([*turn_lines("a", "partial"), records.turn_aborted()]))
    assert aborted.turns[0]["status"] == "interrupted"
    failed = replay(
        _records(
            [
                *turn_lines("a"),
                records.RolloutItem("event_msg", {"type": "error", "message": "boom"}),
            ]
        )
    )
    assert failed.turns[0]["status"] == "failed"
    assert failed.turns[0]["error"] == {"message": "boom"}


def test_images_in_user_message() -> None:
    item = records.user_message("look", images=["data:x"], local_images=["/tmp/a.png"])
    result = replay(_records([item]))
    assert result.turns[0]["items"][0]["content"] == [
        {"type": "text", "text": "look", "text_elements": []},
        {"type": "image", "url": "data:x"},
        {"type": "localImage", "path": "/tmp/a.png"},
    ]


def test_compacted_replacement_history() -> None:
    summary = records.message("user", "summary")
    compacted = records.RolloutItem(
        "compacted", {"message": "s", "replacement_history": [summary.payload]}
    )
    result = replay(_records([*turn_lines("a", "ra"), compacted, *turn_lines("b", "rb")]))
    assert _texts(result.history) == ["summary", "b", "rb"]
    assert len(result.turns) == 2


def test_invalid_lines_are_skipped(tmp_path: Path) -> None:
    path = write_thread(tmp_path, datetime(2026, 1, 1, tzinfo=UTC), turns=["a"])
    data = path.read_bytes().splitlines(keepends=True)
    garbage = [b"not json\n", b"[1,2]\n", b'{"type":1}\n', b"\n", b'{"type":"x","payload":3}\n']
    path.write_bytes(data[0] + b"".join(garbage) + b"".join(data[1:]) + b'{"timest')
    result = replay_file(path)
    assert result.meta is not None
    assert [t["status"] for t in result.turns] == ["completed"]
    assert parse_line(b'{"timestamp":"x","type":"event_msg","payload":{}}') is not None
    assert parse_line(b"\xff\xfe") is None


def test_fork_file_uses_first_session_meta() -> None:
    first = records.session_meta(
        thread_id="new",
        created=datetime(2026, 1, 1, tzinfo=UTC),
        cwd="/",
        originator="o",
        model_provider="p",
        base_instructions="",
        forked_from_id="old",
    )
    second = records.session_meta(
        thread_id="old",
        created=datetime(2025, 1, 1, tzinfo=UTC),
        cwd="/",
        originator="o",
        model_provider="p",
        base_instructions="",
    )
    result = replay(_records([first, second, *turn_lines("a", "ra")]))
    assert result.meta is not None and result.meta["id"] == "new"
    assert len(result.turns) == 1


_ops = st.lists(
    st.one_of(
        st.tuples(st.just("turn"), st.booleans()),
        st.tuples(st.just("rollback"), st.integers(min_value=1, max_value=4)),
    ),
    max_size=12,
)


@given(ops=_ops)
def test_replay_matches_a_simple_model(ops: list[tuple[str, Any]]) -> None:
    """Any mix of answered/cut turns and rollbacks: turns, numbering, status and model input
    agree with a list-of-turns model."""
    items: list[records.RolloutItem] = [records.message("developer", "ctx")]
    model: list[tuple[str, bool]] = []
    for n, (op, arg) in enumerate(ops):
        if op == "turn":
            text = f"t{n}"
            items += turn_lines(text, f"r{n}" if arg else None)
            model.append((text, arg))
        else:
            items.append(records.thread_rolled_back(arg))
            del model[max(0, len(model) - arg) :]
    result = replay(_records(items))
    assert [t["id"] for t in result.turns] == [f"turn-{i}" for i in range(1, len(model) + 1)]
    assert [t["items"][0]["content"][0]["text"] for t in result.turns] == [m[0] for m in model]
    assert [t["status"] for t in result.turns] == [
        "completed" if answered else "interrupted" for _, answered in model
    ]
    ids = [item["id"] for turn in result.turns for item in turn["items"]]
    assert ids == [f"item-{i}" for i in range(1, len(ids) + 1)]
    expected_history = ["ctx"]
    for text, answered in model:
        expected_history.append(text)
        if answered:
            expected_history.append("r" + text[1:])
    assert _texts(result.history) == expected_history
