"""Interop with the real 0.94 binary: its rollouts through our store, ours through it."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pycodex.store import RolloutWriter, records, uuid7
from pycodex.store.archive import archive, unarchive
from pycodex.store.listing import list_threads, read_summary
from pycodex.store.names import thread_names
from pycodex.store.replay import read_records, replay_file
from tests.kit.fake_responses import FakeResponses, StalledReply, message_events
from tests.kit.home import RunHome, make_home
from tests.store._reference import Reference, rollout_of

pytestmark = pytest.mark.differential


def _input_of(fake: FakeResponses) -> list[Any]:
    body = fake.requests[-1].json()
    items: list[Any] = body["input"]
    return items


def _strip_ids(items: list[Any]) -> list[Any]:
    return [{k: v for k, v in item.items() if k != "id"} for item in items]


def test_reference_rollouts_are_listed_read_and_resumed(tmp_path: Path) -> None:
    with FakeResponses() as fake:
        home = make_home(tmp_path / "run", fake.port)
        with Reference(home) as ref:
            ids = []
            for n in range(3):
                started = ref.call("thread/start", {"cwd": str(home.cwd)})["thread"]
                ids.append(started["id"])
                assert ref.turn(started["id"], f"first of {n}")["status"] == "completed"
            main = ids[0]
            ref.turn(main, "second")
            ref.call("thread/rollback", {"threadId": main, "numTurns": 1})
            ref.turn(main, "third")
            listed = ref.call("thread/list", {})
            pages = [ref.call("thread/list", {"limit": 2})]
            while pages[-1]["nextCursor"] is not None:
                after = pages[-1]["nextCursor"]
                pages.append(ref.call("thread/list", {"limit": 2, "cursor": after}))
            read = ref.call("thread/read", {"threadId": main, "includeTurns": True})["thread"]

        ours = list_threads(home.codex_home)
        assert [s.to_wire() for s in ours.data] == listed["data"]
        assert ours.next_cursor is None
        cursor: str | None = None
        for page in pages:
            mine = list_threads(home.codex_home, limit=2, cursor=cursor)
            assert [s.to_wire() for s in mine.data] == page["data"]
            assert mine.next_cursor == page["nextCursor"]
            cursor = mine.next_cursor
        assert len(pages) == 2 and pages[0]["nextCursor"] is not None

        path = rollout_of(home, main)
        replayed = replay_file(path)
        summary = read_summary(path)
        assert summary is not None
        assert {**summary.to_wire(), "turns": replayed.turns} == read
        # Item ids run across the whole thread, after the rollback (S2).
        item_ids = [item["id"] for turn in read["turns"] for item in turn["items"]]
        assert item_ids == ["item-1", "item-2", "item-3", "item-4"]
        assert [t["id"] for t in read["turns"]] == ["turn-1", "turn-2"]
        assert [t["items"][0]["content"][0]["text"] for t in replayed.turns] == [
            "first of 0",
            "third",
        ]

        # Resume in a new process: the model input starts with exactly the history we rebuilt.
        with Reference(home, "stderr-2.log") as ref:
            ref.call("thread/resume", {"threadId": main})
            assert ref.turn(main, "fourth")["status"] == "completed"
        sent = _input_of(fake)
        history = replayed.history
        assert _strip_ids(sent[: len(history)]) == _strip_ids(history)
        assert "second" not in str(history)


def _write_our_rollout(home: RunHome, thread_id: str, created: datetime, turns: list[str]) -> Path:
    """A rollout in the reference's shapes, written by our writer (blocking API)."""
    from pycodex.store.rollout import RolloutFile

    cwd = str(home.cwd)
    meta = records.session_meta(
        thread_id=thread_id,
        created=created,
        cwd=cwd,
        originator="store-tests",
        model_provider="mock",
        base_instructions="You are a test model.",
    )
    context = [
        records.message(
            "developer", "<permissions instructions>\nread-only\n</permissions instructions>"
        ),
        records.message(
            "user",
            f"<environment_context>\n  <cwd>{cwd}</cwd>\n  <shell>bash</shell>\n"
            "</environment_context>",
        ),
    ]
    lines = [meta, *context]
    usage = records.token_usage(100, output_tokens=10)
    for text in turns:
        lines += [
            records.message("user", text),
            records.user_message(text),
            records.turn_context(_turn_context(cwd)),
            records.token_count(None),
            records.agent_message(f"answer to {text}"),
            records.message("assistant", f"answer to {text}"),
            records.token_count(usage, usage, model_context_window=258400),
        ]
    path = records.rollout_path(home.codex_home, created, thread_id)
    file = RolloutFile(path, create=True)
    file.write_lines(records.encode_line(item, created) for item in lines)
    file.close()
    return path


def _turn_context(cwd: str) -> dict[str, Any]:
    return records.turn_context_payload(
        cwd=cwd,
        approval_policy="on-request",
        sandbox_policy={"type": "read-only"},
        model="gpt-5.2-codex",
        personality="friendly",
        truncation_policy={"mode": "tokens", "limit": 10000},
    )


async def test_reference_accepts_our_rollouts(tmp_path: Path) -> None:
    with FakeResponses() as fake:
        home = make_home(tmp_path / "run", fake.port)
        created = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        older = str(uuid7())
        _write_our_rollout(home, older, created - timedelta(days=40), ["old question"])
        main = str(uuid7())
        path = _write_our_rollout(home, main, created, ["question one", "question two"])
        # The async writer appends a rollback and a third turn to the same file.
        writer = await RolloutWriter.open(path)
        await writer.append(records.thread_rolled_back(1))
        await writer.append(
            records.message("user", "question three"),
            records.user_message("question three"),
            records.agent_message("answer three"),
            records.message("assistant", "answer three"),
        )
        await writer.close()

        ours = list_threads(home.codex_home)
        replayed = replay_file(path)
        with Reference(home) as ref:
            listed = ref.call("thread/list", {})
            read = ref.call("thread/read", {"threadId": main, "includeTurns": True})["thread"]
            resumed = ref.call("thread/resume", {"threadId": main})["thread"]
            assert ref.turn(main, "question four")["status"] == "completed"
        assert listed["data"] == [s.to_wire() for s in ours.data]
        assert [row["id"] for row in listed["data"]] == [main, older]
        assert read["turns"] == replayed.turns
        assert resumed["turns"] == replayed.turns
        assert [t["status"] for t in read["turns"]] == ["completed", "completed"]
        sent = _input_of(fake)
        assert _strip_ids(sent[: len(replayed.history)]) == _strip_ids(replayed.history)
        assert "question two" not in str(sent)
        # The reference appended to our file; we still read it whole, the new turn included.
        again = replay_file(path)
        assert len(again.turns) == 3
        assert again.turns[-1]["items"][0]["content"][0]["text"] == "question four"


def test_torn_last_line_is_healed_for_both(tmp_path: Path) -> None:
    """kill -9 mid-line: both readers skip the torn bytes; our next append starts a fresh line,
    so nothing is glued onto it (unlike 0.94, S17) and the reference reads every turn."""
    with FakeResponses() as fake:
        home = make_home(tmp_path / "run", fake.port)
        with Reference(home) as ref:
            thread_id = ref.call("thread/start", {"cwd": str(home.cwd)})["thread"]["id"]
            ref.turn(thread_id, "before the crash")
        path = rollout_of(home, thread_id)
        lines = path.read_bytes().splitlines(keepends=True)
        torn = b"".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2]
        path.write_bytes(torn)
        count_before = len(read_records(path))

        assert [s.id for s in list_threads(home.codex_home).data] == [thread_id]
        assert [t["status"] for t in replay_file(path).turns] == ["completed"]

        from pycodex.store.rollout import RolloutFile

        file = RolloutFile(path)
        file.write_lines(
            records.encode_line(item)
            for item in (
                records.message("user", "after the crash"),
                records.user_message("after the crash"),
                records.agent_message("still here"),
                records.message("assistant", "still here"),
            )
        )
        file.close()
        assert len(read_records(path)) == count_before + 4
        with Reference(home, "stderr-2.log") as ref:
            read = ref.call("thread/read", {"threadId": thread_id, "includeTurns": True})
        turns = read["thread"]["turns"]
        assert [t["items"][-1].get("text") for t in turns] == ["ok", "still here"]
        assert turns == replay_file(path).turns
        assert os.path.getsize(path) > len(torn)
        assert uuid.UUID(thread_id).version == 7


def _cut_turn(home: RunHome, path: Path, text: str) -> None:
    from pycodex.store.rollout import RolloutFile

    file = RolloutFile(path)
    file.write_lines(
        records.encode_line(item)
        for item in (
            records.message("user", text),
            records.user_message(text),
            records.turn_context(_turn_context(str(home.cwd))),
            records.token_count(None),
        )
    )
    file.close()


async def test_crashed_turn_and_fork_interop(tmp_path: Path) -> None:
    """A turn cut by a crash: interrupted for us (decisions.md), completed for 0.94, and both
    resume it. A fork written by us is read and resumed by the reference with the source's turns."""
    with FakeResponses() as fake:
        home = make_home(tmp_path / "run", fake.port)
        created = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
        source_id = str(uuid7())
        source = _write_our_rollout(home, source_id, created, ["kept question"])
        _cut_turn(home, source, "crashed question")
        ours = replay_file(source)
        assert [t["status"] for t in ours.turns] == ["completed", "interrupted"]

        fork_id = str(uuid7())
        writer = await RolloutWriter.fork(
            home.codex_home,
            source,
            thread_id=fork_id,
            forked_from_id=source_id,
            created=datetime.now(UTC),
            cwd=home.cwd,
            originator="store-tests",
            model_provider="mock",
            base_instructions="You are a test model.",
        )
        await writer.append(
            records.message("user", "<environment_context>fresh</environment_context>")
        )
        await writer.close()
        fork_records = read_records(writer.path)
        assert fork_records[0]["payload"]["forked_from_id"] == source_id
        assert fork_records[1]["payload"]["id"] == source_id
        fork_replay = replay_file(writer.path)
        assert fork_replay.turns == ours.turns
        assert fork_replay.meta is not None and fork_replay.meta["id"] == fork_id

        with Reference(home) as ref:
            read = ref.call("thread/read", {"threadId": source_id, "includeTurns": True})
            fork_read = ref.call("thread/read", {"threadId": fork_id, "includeTurns": True})
            listed = ref.call("thread/list", {})
            ref.call("thread/resume", {"threadId": fork_id})
            assert ref.turn(fork_id, "after the fork")["status"] == "completed"
        # 0.94 calls the crashed turn completed; everything else matches.
        theirs = read["thread"]["turns"]
        assert [t["status"] for t in theirs] == ["completed", "completed"]
        assert [{**t, "status": "?"} for t in theirs] == [{**t, "status": "?"} for t in ours.turns]
        assert [{**t, "status": "?"} for t in fork_read["thread"]["turns"]] == [
            {**t, "status": "?"} for t in ours.turns
        ]
        assert [row["id"] for row in listed["data"]] == [fork_id, source_id]
        sent = str(_input_of(fake))
        assert "kept question" in sent and "crashed question" in sent


def test_archive_names_and_reference_forks(tmp_path: Path) -> None:
    """Archive/unarchive by either program is seen by the other; 0.94's names and forks read."""
    with FakeResponses() as fake:
        home = make_home(tmp_path / "run", fake.port)
        with Reference(home) as ref:
            first = ref.call("thread/start", {"cwd": str(home.cwd)})["thread"]["id"]
            ref.turn(first, "to be archived")
            second = ref.call("thread/start", {"cwd": str(home.cwd)})["thread"]["id"]
            ref.turn(second, "to be forked")
            ref.call("thread/name/set", {"threadId": second, "name": "Named by 0.94"})
            forked = ref.call("thread/fork", {"threadId": second})["thread"]
            ref.turn(forked["id"], "on the fork")
            ref.call("thread/archive", {"threadId": first})
            archived_theirs = ref.call("thread/list", {"archived": True})["data"]
            fork_read = ref.call("thread/read", {"threadId": forked["id"], "includeTurns": True})
        assert thread_names(home.codex_home) == {second: "Named by 0.94"}
        ours = list_threads(home.codex_home, archived=True)
        assert [s.to_wire() for s in ours.data] == archived_theirs
        fork_path = rollout_of(home, forked["id"])
        fork_replay = replay_file(fork_path)
        assert fork_replay.turns == fork_read["thread"]["turns"]
        assert fork_replay.meta is not None
        assert fork_replay.meta["forked_from_id"] == second
        assert list(fork_replay.meta)[:2] == ["id", "forked_from_id"]

        # Our unarchive and archive, then 0.94 lists what we moved.
        summary = unarchive(home.codex_home, first)
        archive(home.codex_home, second)
        with Reference(home, "stderr-2.log") as ref:
            active = ref.call("thread/list", {})["data"]
            archived = ref.call("thread/list", {"archived": True})["data"]
        assert [row["id"] for row in active] == [forked["id"], first]
        assert active[1] == summary.to_wire()
        assert [row["id"] for row in archived] == [second]
        assert archived == [s.to_wire() for s in list_threads(home.codex_home, archived=True).data]


def test_listing_pages_match_the_reference(tmp_path: Path) -> None:
    """Both sort keys, several page sizes, provider filters and bad cursors, on our files."""
    from tests.store._fixtures import write_thread

    with FakeResponses() as fake:
        home = make_home(tmp_path / "run", fake.port)
        base = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)
        paths = [
            write_thread(home.codex_home, base + timedelta(hours=5 * n), turns=[f"q{n}"])
            for n in range(5)
        ]
        # Two threads in the same second, and one for another provider.
        paths.append(write_thread(home.codex_home, base, turns=["same second"]))
        write_thread(home.codex_home, base + timedelta(days=1), provider="other")
        now = int(datetime.now(UTC).timestamp())
        for offset, path in zip([3, 0, 4, 1, 2, 2], paths, strict=True):
            os.utime(path, (now - 100 * offset, now - 100 * offset))
        extras: list[dict[str, Any]] = [{}, {"modelProviders": []}, {"modelProviders": ["other"]}]
        queries: list[dict[str, Any]] = [
            {"limit": size, "sortKey": key, **extra}
            for size in (0, 1, 3, 50)
            for key in ("created_at", "updated_at")
            for extra in extras
        ]
        with Reference(home) as ref:
            theirs = []
            for query in queries:
                pages = [ref.call("thread/list", query)]
                while pages[-1]["nextCursor"] is not None and len(pages) < 20:
                    cursor = pages[-1]["nextCursor"]
                    pages.append(ref.call("thread/list", {**query, "cursor": cursor}))
                theirs.append(pages)
            bad = ref.call_error("thread/list", {"cursor": "2026-03-01T08-00-00|zzz"})
        for query, pages in zip(queries, theirs, strict=True):
            cursor_ours: str | None = None
            providers = query.get("modelProviders", ["mock"])
            for page in pages:
                mine = list_threads(
                    home.codex_home,
                    limit=query["limit"],
                    sort_key=query["sortKey"],
                    model_providers=providers,
                    cursor=cursor_ours,
                )
                assert [s.to_wire() for s in mine.data] == page["data"], query
                assert mine.next_cursor == page["nextCursor"], query
                cursor_ours = mine.next_cursor
        assert bad["message"] == "invalid cursor: 2026-03-01T08-00-00|zzz"


def test_our_builders_reproduce_a_reference_text_turn(tmp_path: Path) -> None:
    """Every line of a 0.94 text turn, rebuilt with our builders from its values, is the same
    bytes apart from the line timestamps: shapes and key order are the reference's."""
    with FakeResponses() as fake:
        home = make_home(tmp_path / "run", fake.port)
        with Reference(home) as ref:
            thread_id = ref.call("thread/start", {"cwd": str(home.cwd)})["thread"]["id"]
            ref.turn(thread_id, "hello, ünïcode")
        path = rollout_of(home, thread_id)
    raw_lines = path.read_bytes().splitlines(keepends=True)
    lines = read_records(path)
    assert [(r["type"], r["payload"].get("type")) for r in lines] == [
        ("session_meta", None),
        ("response_item", "message"),
        ("response_item", "message"),
        ("response_item", "message"),
        ("response_item", "message"),
        ("event_msg", "user_message"),
        ("turn_context", None),
        ("event_msg", "token_count"),
        ("event_msg", "agent_message"),
        ("response_item", "message"),
        ("event_msg", "token_count"),
    ]
    meta = lines[0]["payload"]
    context = lines[6]["payload"]
    usage = lines[10]["payload"]["info"]
    rebuilt = [
        records.session_meta(
            thread_id=meta["id"],
            created=datetime.strptime(meta["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=UTC
            ),
            cwd=meta["cwd"],
            originator=meta["originator"],
            model_provider=meta["model_provider"],
            base_instructions=meta["base_instructions"]["text"],
        ),
        *(
            records.message(r["payload"]["role"], r["payload"]["content"][0]["text"])
            for r in lines[1:5]
        ),
        records.user_message("hello, ünïcode"),
        records.turn_context(
            records.turn_context_payload(
                cwd=context["cwd"],
                approval_policy=context["approval_policy"],
                sandbox_policy=context["sandbox_policy"],
                model=context["model"],
                personality=context["personality"],
                user_instructions=context["user_instructions"],
                truncation_policy=context["truncation_policy"],
            )
        ),
        records.token_count(None),
        records.agent_message("ok"),
        records.message("assistant", "ok"),
        records.token_count(
            records.token_usage(**usage["total_token_usage"]),
            records.token_usage(**usage["last_token_usage"]),
            model_context_window=usage["model_context_window"],
        ),
    ]
    for raw, record, item in zip(raw_lines, lines, rebuilt, strict=True):
        moment = datetime.strptime(record["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
        assert records.encode_line(item, moment.replace(tzinfo=UTC)) == raw


def test_interrupted_reference_turn(tmp_path: Path) -> None:
    """An interrupt mid-stream: 0.94 writes the `<turn_aborted>` marker and `turn_aborted`; the
    turn reads back `interrupted` from both, and the marker matches our builder."""
    stall = StalledReply(message_events("partial text here", chunks=3)[:3], stall=20)
    with FakeResponses([stall]) as fake:
        home = make_home(tmp_path / "run", fake.port)
        with Reference(home) as ref:
            thread_id = ref.call("thread/start", {"cwd": str(home.cwd)})["thread"]["id"]
            text = [{"type": "text", "text": "stop me"}]
            turn = ref.call("turn/start", {"threadId": thread_id, "input": text})["turn"]
            deadline = time.monotonic() + 20
            while not fake.requests and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
            ref.call("turn/interrupt", {"threadId": thread_id, "turnId": turn["id"]})
            assert ref.completed()["status"] == "interrupted"
            stall.release.set()
            assert ref.turn(thread_id, "next")["status"] == "completed"
            read = ref.call("thread/read", {"threadId": thread_id, "includeTurns": True})
        path = rollout_of(home, thread_id)
    replayed = replay_file(path)
    assert replayed.turns == read["thread"]["turns"]
    assert [t["status"] for t in replayed.turns] == ["interrupted", "completed"]
    kinds = [(r["type"], r["payload"].get("type")) for r in read_records(path)]
    assert ("event_msg", "turn_aborted") in kinds
    marker = records.message("user", records.INTERRUPTED_MARKER).payload
    assert marker in replayed.history
    assert records.turn_aborted().payload in [r["payload"] for r in read_records(path)]
