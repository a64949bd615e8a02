"""Line shapes, ids and names, as 0.94 writes them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pycodex.store import records


def test_uuid7_layout_and_order() -> None:
    first = records.uuid7(1_700_000_000_000)
    assert first.version == 7
    assert first.variant == uuid.RFC_4122
    assert first.int >> 80 == 1_700_000_000_000
    assert str(records.uuid7(1_700_000_000_001)) > str(first)
    assert records.uuid7().version == 7


@given(st.integers(min_value=0, max_value=(1 << 48) - 1))
def test_uuid7_round_trips_its_timestamp(ms: int) -> None:
    value = records.uuid7(ms)
    assert value.int >> 80 == ms
    assert uuid.UUID(str(value)) == value


def test_line_shape_is_compact_and_unescaped() -> None:
    moment = datetime(2026, 1, 29, 10, 0, 0, 123456, tzinfo=UTC)
    line = records.encode_line(records.agent_message("héllo"), moment)
    assert (
        line
        == (
            '{"timestamp":"2026-01-29T10:00:00.123Z","type":"event_msg",'
            '"payload":{"type":"agent_message","message":"héllo"}}\n'
        ).encode()
    )


def test_session_meta_key_order() -> None:
    created = datetime(2026, 1, 29, 10, 0, 0, 5000, tzinfo=UTC)
    meta = records.session_meta(
        thread_id="t",
        created=created,
        cwd="/w",
        originator="vscode_ext",
        model_provider="openai",
        base_instructions="be nice",
        forked_from_id="f",
        git={"commit_hash": "abc"},
    )
    assert meta.type == "session_meta"
    assert list(meta.payload) == [
        "id",
        "forked_from_id",
        "timestamp",
        "cwd",
        "originator",
        "cli_version",
        "source",
        "model_provider",
        "base_instructions",
        "git",
    ]
    assert meta.payload["timestamp"] == "2026-01-29T10:00:00.005Z"
    assert meta.payload["cli_version"] == "0.94.0"
    assert meta.payload["source"] == "vscode"
    assert meta.payload["base_instructions"] == {"text": "be nice"}
    plain = records.session_meta(
        thread_id="t",
        created=created,
        cwd="/w",
        originator="o",
        model_provider="p",
        base_instructions="",
    )
    assert "git" not in plain.payload and "forked_from_id" not in plain.payload


def test_event_shapes() -> None:
    assert records.user_message("hi").payload == {
        "type": "user_message",
        "message": "hi",
        "images": [],
        "local_images": [],
        "text_elements": [],
    }
    assert records.message("assistant", "a").payload == {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "a"}],
    }
    assert records.message("developer", "d").payload["content"][0]["type"] == "input_text"
    null = records.token_count(None).payload
    assert null == {
        "type": "token_count",
        "info": None,
        "rate_limits": {"primary": None, "secondary": None, "credits": None, "plan_type": None},
    }
    usage = records.token_usage(100, output_tokens=10)
    assert usage["total_tokens"] == 110
    info = records.token_count(usage, model_context_window=258400).payload["info"]
    assert info == {
        "total_token_usage": usage,
        "last_token_usage": usage,
        "model_context_window": 258400,
    }
    assert records.thread_rolled_back(2).payload == {"type": "thread_rolled_back", "num_turns": 2}


def test_rollout_path_and_name_parse(tmp_path: Path) -> None:
    created = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    ident = "0194e2a0-0000-7000-8000-000000000001"
    path = records.rollout_path(tmp_path, created, ident)
    assert path == tmp_path / "sessions/2026/03/04" / f"rollout-2026-03-04T05-06-07-{ident}.jsonl"
    assert records.parse_file_name(path.name) == ("2026-03-04T05-06-07", ident)
    assert records.parse_file_name("rollout-x.jsonl") is None
    assert records.file_ts_seconds("2026-03-04T05-06-07") == int(created.timestamp())


def test_iso_nanos() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert records.iso_nanos(moment) == "2026-01-02T03:04:05.678901000Z"


def test_git_info(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    repo = tmp_path / "repo"
    (repo / ".git" / "refs" / "heads").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    assert records.git_info(repo / "sub") == {}
    (repo / ".git" / "refs" / "heads" / "main").write_text("abc123\n")
    (repo / ".git" / "config").write_text('[remote "origin"]\n\turl = https://x/y.git\n')
    assert records.git_info(repo) == {
        "commit_hash": "abc123",
        "branch": "main",
        "repository_url": "https://x/y.git",
    }
    assert records.git_info(tmp_path / "elsewhere") is None
    line = json.loads(records.encode_line(records.agent_message("x")))
    assert set(line) == {"timestamp", "type", "payload"}
