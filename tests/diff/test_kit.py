"""The differential kit must be able to fail: broken transcripts, bad stdout, stale improvements.

Everything here runs without the reference, against a tiny scripted stand-in server, except the
last test, which checks that the fake Responses server really drives a reference turn.
"""

from __future__ import annotations

import json
import sys
import textwrap
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.kit.compare import assert_same, compare
from tests.kit.fake_responses import FakeResponses, StatusReply, message_events
from tests.kit.home import make_home
from tests.kit.normalise import normalise
from tests.kit.scenario import (
    Improvement,
    Scenario,
    Transcript,
    load_scenario,
    request_id_of,
    run_scenario,
)
from tests.kit.servers import reference_argv
from tests.kit.session import Session

UUID_A = "01a210b5-745a-74a0-b4a8-df7172423eb3"
UUID_B = "7260927f-2962-4b05-8271-a1793332964b"

# A stand-in server: answers requests with {"echo": method}; "say/garbage" writes a non-JSON
# line, "exit/3" exits with status 3, "stay/silent" gets no answer.
STAND_IN = textwrap.dedent(
    """
    import json, sys
    for line in sys.stdin:
        msg = json.loads(line)
        method = msg.get("method")
        if method == "say/garbage":
            print("this is not json", flush=True)
        elif method == "exit/3":
            sys.exit(3)
        elif method != "stay/silent" and "id" in msg:
            print(json.dumps({"id": msg["id"], "result": {"echo": method, "size": len(line)}}),
                  flush=True)
    """
)


def stand_in(tmp_path: Path) -> Session:
    return Session(
        [sys.executable, "-c", STAND_IN], env={}, cwd=tmp_path, stderr_path=tmp_path / "err"
    )


def thread_reply(thread_id: str, path: str, created: object) -> dict[str, Any]:
    thread = {"id": thread_id, "path": path, "createdAt": created, "preview": ""}
    return {"id": 2, "result": {"thread": thread}}


# -- normalise ------------------------------------------------------------------------------


def test_normalise_replaces_volatile_values_consistently() -> None:
    path = f"/tmp/run1/codex-home/sessions/2026/11/25/rollout-2026-11-25T03-17-36-{UUID_A}.jsonl"
    transcript: Transcript = [
        ("send", {"id": 2, "method": "thread/start", "params": {"cwd": "/tmp/run1/cwd"}}),
        ("recv", thread_reply(UUID_A, path, 1795576656)),
        ("recv", {"method": "codex/event/mcp_startup_complete", "params": {"id": ""}}),
        ("recv", {"method": "x", "params": {"threadId": UUID_A, "itemId": UUID_B.upper()}}),
        ("recv", {"error": {"code": -32600, "message": f"thread not found: {UUID_B}"}, "id": 3}),
    ]
    paths = {"/tmp/run1/codex-home": "<CODEX_HOME>", "/tmp/run1/cwd": "<CWD>"}
    result = normalise(transcript, paths)
    assert result == [
        ("send", {"id": 2, "method": "thread/start", "params": {"cwd": "<CWD>"}}),
        (
            "recv",
            thread_reply(
                "<uuid-1>",
                "<CODEX_HOME>/sessions/<Y>/<M>/<D>/rollout-<datetime>-<uuid-1>.jsonl",
                "<ts>",
            ),
        ),
        ("recv", {"method": "x", "params": {"threadId": "<uuid-1>", "itemId": "<uuid-2>"}}),
        ("recv", {"error": {"code": -32600, "message": "thread not found: <uuid-2>"}, "id": 3}),
    ]
    assert transcript[1][1]["result"]["thread"]["id"] == UUID_A, "the input is not modified"


def test_normalise_keeps_error_messages_and_ids_verbatim() -> None:
    message = {"error": {"code": -32600, "message": "Invalid request: missing field `params`"}}
    transcript: Transcript = [("recv", {**message, "id": "été-☃"})]
    assert normalise(transcript, {}) == transcript


# -- compare --------------------------------------------------------------------------------

REFERENCE: Transcript = [
    ("send", {"id": 1, "method": "getUserAgent"}),
    ("recv", {"error": {"code": -32600, "message": "Not initialized"}, "id": 1}),
    ("send_raw", "not json"),
    ("send", {"id": 2, "method": "initialize", "params": {"clientInfo": {"name": "t"}}}),
    ("recv", {"id": 2, "result": {"userAgent": "t/0.94.0"}}),
]


def with_recv(index: int, message: Any) -> Transcript:
    changed = list(REFERENCE)
    changed[index] = ("recv", message)
    return changed


def test_identical_transcripts_compare_equal() -> None:
    assert_same(REFERENCE, list(REFERENCE))


def test_a_changed_error_message_is_caught_with_a_readable_diff() -> None:
    broken = with_recv(1, {"error": {"code": -32600, "message": "not initialized"}, "id": 1})
    result = compare(REFERENCE, broken)
    assert not result.equal
    report = result.report()
    assert '-< {"error": {"code": -32600, "message": "Not initialized"}, "id": 1}' in report
    assert '+< {"error": {"code": -32600, "message": "not initialized"}, "id": 1}' in report
    with pytest.raises(AssertionError, match="differs from the reference"):
        assert_same(REFERENCE, broken)


@pytest.mark.parametrize(
    "pycodex",
    [
        [*REFERENCE[:1], ("timeout", 1), *REFERENCE[2:]],  # no reply
        [*REFERENCE[:3], ("recv", {"id": 99, "result": {}}), *REFERENCE[3:]],  # extra reply
        with_recv(4, {"id": 2, "result": {"userAgent": "t/0.94.0", "more": 1}}),  # extra field
        with_recv(4, {"id": "2", "result": {"userAgent": "t/0.94.0"}}),  # id type changed
        [*REFERENCE[:2], ("send_raw", "other"), *REFERENCE[3:]],  # kit bug: other input
    ],
    ids=["missing-reply", "extra-message", "extra-field", "id-type", "different-input"],
)
def test_every_kind_of_difference_fails(pycodex: Transcript) -> None:
    assert not compare(REFERENCE, pycodex).equal


def extra_field(exchange: int | None = 3) -> Improvement:
    return Improvement("serverInfo", exchange, extra_fields=("result.serverInfo",))


def test_an_extra_field_improvement_allows_only_that_field() -> None:
    improved = with_recv(4, {"id": 2, "result": {"userAgent": "t/0.94.0", "serverInfo": {}}})
    assert compare(REFERENCE, improved, [extra_field()]).equal
    assert compare(REFERENCE, improved, [extra_field(None)]).equal
    other = with_recv(4, {"id": 2, "result": {"userAgent": "t/9", "serverInfo": {}}})
    assert not compare(REFERENCE, other, [extra_field()]).equal
    stale = compare(REFERENCE, REFERENCE, [extra_field()])
    assert not stale.equal and "pycodex sent none of" in stale.report()
    assert not compare(REFERENCE, improved, [extra_field(2)]).equal, "wrong exchange"


def test_a_replacement_improvement_must_match_both_sides() -> None:
    answer = {"id": 1, "result": {"userAgent": "t/0.94.0"}}
    declared = Improvement(
        "answer early",
        1,
        reference=[{"error": {"code": -32600, "message": "Not initialized"}, "id": 1}],
        pycodex=[answer],
    )
    assert compare(REFERENCE, with_recv(1, answer), [declared]).equal
    other = with_recv(1, {"id": 1, "result": {}})
    report = compare(REFERENCE, other, [declared]).report()
    assert "pycodex no longer sends what the scenario declares" in report
    changed_reference = with_recv(1, {"id": 1, "result": {}})
    report = compare(changed_reference, with_recv(1, answer), [declared]).report()
    assert "reference no longer sends what the scenario declares" in report


# -- scenario files -------------------------------------------------------------------------


def write(tmp_path: Path, *steps: Any) -> Path:
    path = tmp_path / "case.jsonl"
    path.write_text("".join(json.dumps(step) + "\n" for step in steps), encoding="utf-8")
    return path


def test_load_scenario_ties_improvements_to_the_preceding_send(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {"comment": "x"},
        {"send": {"id": 1, "method": "a"}},
        {"send_raw": "b"},
        {"improvement": "entry", "extra_fields": ["result.x"]},
        {"improvement": "global", "scope": "scenario", "extra_fields": ["result.y"]},
    )
    scenario = load_scenario(path)
    assert [step.keys() for step in scenario.steps] == [{"comment"}, {"send"}, {"send_raw"}]
    assert [(i.name, i.exchange) for i in scenario.improvements] == [
        ("entry", 2),
        ("global", None),
    ]


@pytest.mark.parametrize(
    "step",
    [
        {"send": {}, "typo": 1},
        {"recv": {}},
        {"improvement": "", "extra_fields": ["a"]},
        {"improvement": "no change listed"},
        {"improvement": "one side only", "reference": []},
    ],
)
def test_load_scenario_rejects_malformed_steps(tmp_path: Path, step: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        load_scenario(write(tmp_path, {"send": {"id": 1, "method": "a"}}, step))


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"id": 1, "method": "m"}, 1),
        ({"id": "a", "method": "m"}, "a"),
        ({"id": True, "method": "m"}, None),
        ({"id": 1.0, "method": "m"}, None),
        ({"id": None, "method": "m"}, None),
        ({"id": 1, "method": 42}, None),
        ({"id": 1, "result": {}}, None),
        ([{"id": 1, "method": "m"}], None),
    ],
)
def test_request_id_of(message: Any, expected: object) -> None:
    assert request_id_of(message) == expected
    assert type(request_id_of(message)) is type(expected)


# -- session and runner, against the stand-in ----------------------------------------------


def test_run_scenario_records_replies_timeouts_and_big_lines(tmp_path: Path) -> None:
    steps: list[dict[str, Any]] = [
        {"send": {"id": 1, "method": "a"}},
        {"send": {"id": 2, "method": "stay/silent"}, "timeout": 0.3},
        {"send": {"method": "note"}},
        {"send_raw": '{"id": "r", "method": "b"}\r'},
        {"send_big": {"template": {"id": 3, "method": "c", "pad": "@BIG@"}, "bytes": 1 << 20}},
        {"quiet": 0.1},
    ]
    home = make_home(tmp_path / "run", port=9)
    argv = [sys.executable, "-c", STAND_IN]
    transcript = run_scenario(Scenario("t", steps), argv, home)
    assert transcript == [
        ("send", {"id": 1, "method": "a"}),
        ("recv", {"id": 1, "result": {"echo": "a", "size": 22}}),
        ("send", {"id": 2, "method": "stay/silent"}),
        ("timeout", 2),
        ("send", {"method": "note"}),
        ("send_raw", '{"id": "r", "method": "b"}\r'),
        ("recv", {"id": "r", "result": {"echo": "b", "size": 28}}),
        ("send", {"id": 3, "method": "c", "pad": "<1048576 bytes of 'x'>"}),
        ("recv", {"id": 3, "result": {"echo": "c", "size": (1 << 20) + 31}}),
    ]


def test_a_non_json_stdout_line_fails(tmp_path: Path) -> None:
    session = stand_in(tmp_path)
    session.send({"id": 1, "method": "say/garbage"})
    with pytest.raises(AssertionError, match="non-JSON line on stdout"):
        session.drain(quiet=0.5)
    session.kill()


def test_a_non_zero_exit_fails(tmp_path: Path) -> None:
    session = stand_in(tmp_path)
    session.send({"id": 1, "method": "exit/3"})
    with pytest.raises(AssertionError, match="exited with status 3"):
        session.close()


def test_a_reused_id_waits_for_its_new_answer(tmp_path: Path) -> None:
    session = stand_in(tmp_path)
    session.send({"id": 1, "method": "first"})
    assert session.wait_for_response(1)["result"]["echo"] == "first"
    session.drain(quiet=0.1)
    session.send({"id": 1, "method": "second"})
    assert session.wait_for_response(1)["result"]["echo"] == "second"
    session.close()


def test_a_dead_server_fails_instead_of_timing_out(tmp_path: Path) -> None:
    session = stand_in(tmp_path)
    session.send({"id": 1, "method": "exit/3"})
    with pytest.raises(AssertionError, match="closed stdout before answering 2"):
        session.wait_for_response(2, timeout=30)
    session.kill()


# -- fake Responses server ------------------------------------------------------------------


def fetch(url: str, body: bytes | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_fake_responses_records_requests_and_plays_the_script() -> None:
    with FakeResponses() as fake:
        fake.enqueue(StatusReply(401, '{"error": "no"}'))
        assert fetch(f"{fake.base_url}/responses", b'{"model": "m"}') == (401, '{"error": "no"}')
        status, body = fetch(f"{fake.base_url}/responses", b"{}")
        assert fetch(f"{fake.base_url}/models") == (200, '{"models": []}')
        assert fetch(f"http://127.0.0.1:{fake.port}/backend-api/x")[0] == 404
        requests = fake.requests
    assert status == 200
    events = [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: ")]
    assert events == message_events("ok")
    assert [event["type"] for event in events] == [
        "response.created",
        "response.output_item.added",
        "response.output_text.delta",
        "response.output_item.done",
        "response.completed",
    ]
    assert [(r.method, r.path) for r in requests] == [
        ("POST", "/v1/responses"),
        ("POST", "/v1/responses"),
        ("GET", "/v1/models"),
        ("GET", "/backend-api/x"),
    ]
    assert requests[0].json() == {"model": "m"}


def test_message_events_split_text_into_deltas() -> None:
    deltas = [e["delta"] for e in message_events("abcdefg", chunks=3) if "delta" in e]
    assert deltas == ["abc", "def", "g"]


@pytest.mark.differential
def test_fake_responses_drives_a_reference_turn(tmp_path: Path) -> None:
    """The canned SSE is what codex expects: a real turn completes with the scripted text."""
    with FakeResponses() as fake:
        home = make_home(tmp_path / "run", fake.port)
        session = Session(
            reference_argv(), env=home.env, cwd=home.cwd, stderr_path=home.root / "stderr.log"
        )
        with session:
            session.send(
                {
                    "id": 1,
                    "method": "initialize",
                    "params": {"clientInfo": {"name": "kit", "version": "1"}},
                }
            )
            session.wait_for_response(1)
            login = {"type": "apiKey", "apiKey": "sk-kit"}
            session.send({"id": 2, "method": "account/login/start", "params": login})
            session.send({"id": 3, "method": "thread/start", "params": {}})
            thread_id = session.wait_for_response(3)["result"]["thread"]["id"]
            text = [{"type": "text", "text": "hi"}]
            params = {"threadId": thread_id, "input": text}
            session.send({"id": 4, "method": "turn/start", "params": params})
            session.wait_for_response(4)
            done: list[Any] = []
            for _ in range(50):
                done += [m for m in session.drain(0.2) if m.get("method") == "turn/completed"]
                if done:
                    break
        requests = fake.requests
    assert done[0]["params"]["turn"]["status"] == "completed"
    assert [(r.method, r.path) for r in requests] == [("POST", "/v1/responses")]
    assert requests[0].headers["authorization"] == "Bearer sk-kit"


def test_capture_and_substitute_names() -> None:
    from tests.kit.scenario import _capture, _substitute

    transcript = [
        ("send", {"id": 1, "method": "thread/start", "params": {}}),
        ("recv", {"id": 1, "result": {"thread": {"id": "T-1"}}}),
    ]
    value = _capture(transcript, {"name": "T", "reply": 1, "path": "result.thread.id"})
    assert value == "T-1"
    step = {"send": {"id": 2, "params": {"threadId": "$T", "note": "id ${T}!", "n": ["$T"]}}}
    assert _substitute(step, {"T": value}) == {
        "send": {"id": 2, "params": {"threadId": "T-1", "note": "id T-1!", "n": ["T-1"]}}
    }
    with pytest.raises(AssertionError):
        _capture(transcript, {"name": "X", "reply": 9, "path": "result"})


def test_wording_improvement_swaps_only_the_declared_text() -> None:
    from tests.kit.compare import compare
    from tests.kit.scenario import Improvement

    send = ("send", {"id": 1, "method": "m"})
    ref = [send, ("recv", {"method": "error", "params": {"message": "theirs"}})]
    ours = [send, ("recv", {"method": "error", "params": {"message": "ours"}})]
    wording = Improvement("w", 1, wording={"reference": "theirs", "pycodex": "ours"})
    assert compare(ref, ours, [wording]).equal
    other = [send, ("recv", {"method": "error", "params": {"message": "something else"}})]
    assert not compare(ref, other, [wording]).equal
