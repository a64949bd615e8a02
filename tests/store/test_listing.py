"""thread/list, cursors, archive/unarchive, lookup and names on real files."""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pycodex.store import Cursor, InvalidCursor, RolloutNotFound, StoreError, ThreadStore, records
from pycodex.store.archive import find_rollout
from pycodex.store.listing import list_threads, read_head
from pycodex.store.names import set_thread_name, thread_names
from tests.store._fixtures import write_thread

BASE = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


def _home() -> Path:
    return Path(os.environ["CODEX_HOME"])


def _make(count: int, *, step: timedelta = timedelta(hours=7)) -> list[str]:
    """`count` threads spread over several days; returns ids oldest first."""
    home = _home()
    ids = []
    for n in range(count):
        created = BASE + n * step
        path = write_thread(home, created, turns=[f"question {n}"])
        ids.append(path.name[-42:-6])
    return ids


def _walk(limit: int, **kwargs: object) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = list_threads(_home(), limit=limit, cursor=cursor, **kwargs)  # type: ignore[arg-type]
        seen += [row.id for row in page.data]
        assert len(page.data) <= limit
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def test_newest_first_with_summary_fields() -> None:
    ids = _make(3)
    page = list_threads(_home())
    assert [row.id for row in page.data] == ids[::-1]
    assert page.next_cursor is None
    wire = page.data[0].to_wire()
    assert wire == {
        "id": ids[2],
        "preview": "question 2",
        "modelProvider": "mock",
        "createdAt": int((BASE + timedelta(hours=14)).timestamp()),
        "updatedAt": wire["updatedAt"],
        "path": wire["path"],
        "cwd": "/w",
        "cliVersion": "0.94.0",
        "source": "vscode",
        "gitInfo": None,
        "turns": [],
    }
    assert abs(wire["updatedAt"] - time.time()) < 60
    assert wire["path"].endswith(f"{ids[2]}.jsonl") and "/sessions/2026/05/02/" in wire["path"]


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 100])
def test_paging_walk_sees_everything_once(limit: int) -> None:
    ids = _make(9)
    assert _walk(limit) == ids[::-1]


def test_limit_zero_gives_one_row_and_cap_is_100() -> None:
    _make(3)
    page = list_threads(_home(), limit=0)
    assert len(page.data) == 1 and page.next_cursor is not None
    assert len(list_threads(_home(), limit=-5).data) == 1


def test_cursor_format_and_bad_cursors() -> None:
    ids = _make(3)
    page = list_threads(_home(), limit=2)
    assert page.next_cursor == f"{(BASE + timedelta(hours=7)):%Y-%m-%dT%H-%M-%S}|{ids[1]}"
    for bad in [
        "not-a-cursor",
        "",
        "2026-01-01T00-00-00",
        "2026-13-01T00-00-00|" + ids[0],
        "2026-01-01T00-00-00|nope",
        "2026-01-01 00:00:00|" + ids[0],
    ]:
        with pytest.raises(InvalidCursor) as info:
            list_threads(_home(), cursor=bad)
        assert str(info.value) == f"invalid cursor: {bad}"


@given(
    seconds=st.integers(min_value=0, max_value=4_000_000_000),
    ident=st.uuids(),
)
def test_cursor_round_trip(seconds: int, ident: uuid.UUID) -> None:
    cursor = Cursor(records.seconds_to_file_ts(seconds), str(ident))
    assert Cursor.parse(cursor.encode()) == cursor
    assert records.file_ts_seconds(cursor.ts) == seconds


@given(text=st.text(max_size=40))
def test_arbitrary_text_is_a_cursor_or_invalid(text: str) -> None:
    try:
        Cursor.parse(text)
    except InvalidCursor as exc:
        assert str(exc) == f"invalid cursor: {text}"


def test_same_second_ties_break_by_id() -> None:
    home = _home()
    low = "0194e2a0-0000-7000-8000-000000000001"
    high = "0194e2a0-0000-7000-8000-000000000002"
    write_thread(home, BASE, thread_id=low)
    write_thread(home, BASE, thread_id=high)
    assert _walk(1) == [high, low]


def test_threads_without_user_message_or_meta_are_left_out() -> None:
    home = _home()
    kept = write_thread(home, BASE, turns=["q"])
    write_thread(home, BASE + timedelta(seconds=1), turns=[])
    junk = records.rollout_path(home, BASE + timedelta(seconds=2), str(records.uuid7()))
    junk.write_text("garbage\n")
    (junk.parent / "notes.txt").write_text("x")
    assert [row.path for row in list_threads(home).data] == [kept]


def test_provider_and_source_filters() -> None:
    home = _home()
    a = write_thread(home, BASE, provider="openai").name[-42:-6]
    b = write_thread(home, BASE + timedelta(seconds=1), provider="mock").name[-42:-6]
    c = write_thread(home, BASE + timedelta(seconds=2), source="exec").name[-42:-6]
    d = write_thread(home, BASE + timedelta(seconds=3), source={"subagent": "review"}).name[-42:-6]
    e = write_thread(home, BASE + timedelta(seconds=4), source="mcp").name[-42:-6]
    assert [r.id for r in list_threads(home).data] == [b, a]
    assert [r.id for r in list_threads(home, model_providers=["openai"]).data] == [a]
    assert [r.id for r in list_threads(home, model_providers=[]).data] == [b, a]
    assert [r.id for r in list_threads(home, source_kinds=["exec"]).data] == [c]
    rows = list_threads(home, source_kinds=["subAgentReview", "appServer"]).data
    assert [(r.id, r.source) for r in rows] == [(e, "appServer"), (d, {"subAgent": "review"})]


def test_sort_by_updated_at() -> None:
    ids = _make(4)
    paths = {i: find_rollout(_home(), i) for i in ids}
    now = time.time()
    for offset, ident in enumerate([ids[2], ids[0], ids[3], ids[1]]):
        path = paths[ident]
        assert path is not None
        os.utime(path, (now - 100 * offset, now - 100 * offset))
    expected = [ids[2], ids[0], ids[3], ids[1]]
    assert _walk(1, sort_key="updated_at") == expected
    assert _walk(3, sort_key="updated_at") == expected


def test_git_info_on_the_wire() -> None:
    git = {"commit_hash": "abc", "branch": "main", "repository_url": "u"}
    write_thread(_home(), BASE, git=git)
    row = list_threads(_home()).data[0]
    assert row.git_info == {"sha": "abc", "branch": "main", "originUrl": "u"}
    write_thread(_home(), BASE + timedelta(seconds=1), git={})
    assert list_threads(_home()).data[0].git_info == {
        "sha": None,
        "branch": None,
        "originUrl": None,
    }


def test_head_only_is_read(tmp_path: Path) -> None:
    path = write_thread(tmp_path, BASE, turns=["first"])
    with path.open("ab") as handle:
        for _ in range(2000):
            handle.write(records.encode_line(records.agent_message("x" * 100)))
        handle.write(b"{torn")
    head = read_head(path)
    assert head.preview == "first" and head.meta is not None


async def test_archive_unarchive_round_trip() -> None:
    home = _home()
    store = ThreadStore(home, default_provider="mock")
    ids = _make(2)
    original = await store.find(ids[0])
    assert original is not None
    old = int(time.time()) - 10_000
    os.utime(original, (old, old))
    archived = await store.archive(ids[0])
    assert archived == home / "archived_sessions" / original.name
    assert not original.exists()
    assert [r.id for r in (await store.list()).data] == [ids[1]]
    page = await store.list(archived=True)
    assert [(r.id, r.path) for r in page.data] == [(ids[0], archived)]
    with pytest.raises(RolloutNotFound, match=rf"^no rollout found for thread id {ids[0]}$"):
        await store.archive(ids[0])
    summary = await store.unarchive(ids[0])
    assert summary.path == original
    assert summary.updated_at >= int(time.time()) - 5
    with pytest.raises(RolloutNotFound, match=r"^no archived rollout found for thread id"):
        await store.unarchive(ids[0])
    assert [r.id for r in (await store.list()).data] == ids[::-1]


async def test_find_and_read_through_the_store() -> None:
    ids = _make(2)
    store = ThreadStore(_home())
    path = await store.find(ids[1].upper())
    assert path is not None
    summary, replayed = await store.read(path)
    assert summary is not None and summary.id == ids[1]
    assert replayed.turns[0]["items"][0]["content"][0]["text"] == "question 1"
    assert await store.find(str(records.uuid7())) is None


async def test_thread_names_last_wins() -> None:
    home = _home()
    store = ThreadStore(home)
    assert await store.names() == {}
    await store.set_name("a", "First")
    await store.set_name("b", "Other")
    await store.set_name("a", "Second")
    lines = (home / "session_index.jsonl").read_text().splitlines()
    assert len(lines) == 3
    entry = json.loads(lines[0])
    assert list(entry) == ["id", "thread_name", "updated_at"]
    assert entry["updated_at"].endswith("Z") and len(entry["updated_at"]) == 30
    with (home / "session_index.jsonl").open("a") as handle:
        handle.write('{"id":"b","thread_na')
    set_thread_name(home, "c", "Third")
    assert thread_names(home) == {"a": "Second", "b": "Other", "c": "Third"}


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=5_000))
def test_listing_survives_a_file_torn_at_any_byte(tmp_path: Path, cut: int) -> None:
    home = tmp_path / f"home-{cut}"
    shutil.rmtree(home, ignore_errors=True)
    intact = write_thread(home, BASE, turns=["intact"])
    torn = write_thread(home, BASE + timedelta(seconds=1), turns=["torn"])
    data = torn.read_bytes()
    torn.write_bytes(data[: cut % len(data)])
    rows = list_threads(home).data
    assert rows[-1].path == intact
    assert [r.preview for r in rows] in (["intact"], ["torn", "intact"])


def test_find_rollout_fast_path_and_fallbacks() -> None:
    home = _home()
    v7 = str(records.uuid7(int(BASE.timestamp() * 1000)))
    at_home = write_thread(home, BASE, thread_id=v7)
    assert find_rollout(home, v7) == at_home
    # A v7 id whose file sits on another day (clock skew, local time) is still found.
    stray_id = str(records.uuid7(int((BASE + timedelta(days=30)).timestamp() * 1000)))
    stray = write_thread(home, BASE - timedelta(days=3), thread_id=stray_id)
    assert find_rollout(home, stray_id) == stray
    v4 = str(uuid.uuid4())
    old_style = write_thread(home, BASE + timedelta(days=2), thread_id=v4)
    assert find_rollout(home, v4) == old_style
    assert find_rollout(home, "not-a-uuid") is None
    assert find_rollout(home, v4, archived=True) is None


def test_full_last_page_still_gets_a_cursor() -> None:
    """As 0.94: a cursor whenever another file follows a full page, even if it is filtered out."""
    write_thread(_home(), BASE - timedelta(days=1), turns=[])  # never prompted: not listed
    ids = _make(2)
    first = list_threads(_home(), limit=2)
    assert [r.id for r in first.data] == ids[::-1] and first.next_cursor is not None
    second = list_threads(_home(), limit=2, cursor=first.next_cursor)
    assert second.data == [] and second.next_cursor is None
    exact = list_threads(_home(), limit=3)
    assert len(exact.data) == 2 and exact.next_cursor is None


async def test_read_of_a_missing_file_is_worded_as_the_reference(tmp_path: Path) -> None:
    missing = tmp_path / "rollout-gone.jsonl"
    with pytest.raises(StoreError) as info:
        await ThreadStore(_home()).read(missing)
    assert str(info.value) == (
        f"failed to load rollout `{missing}`: No such file or directory (os error 2)"
    )


async def test_store_lists_the_configured_provider_unless_asked() -> None:
    home = _home()
    mine = write_thread(home, BASE, provider="mock").name[-42:-6]
    theirs = write_thread(home, BASE + timedelta(seconds=1), provider="openai").name[-42:-6]
    store = ThreadStore(home, default_provider="mock")
    assert [r.id for r in (await store.list()).data] == [mine]
    assert [r.id for r in (await store.list(model_providers=[])).data] == [theirs, mine]
    assert [r.id for r in (await store.list(model_providers=["openai"])).data] == [theirs]
