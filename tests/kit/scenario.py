"""Scenarios: JSONL scripts of client input, run against a server to get a transcript.

A scenario is data, so the same steps drive the reference and pycodex. Each line is one step:

  {"send": <message>}                       a message, written as one compact JSON line
  {"send_raw": "<text>"}                    text written as is, plus "\\n" (bad JSON, CRLF, ...)
  {"send_big": {"template": <message>, "bytes": N}}
                                            the message with its "@BIG@" string made N bytes long
  {"quiet": 0.3}                            collect whatever arrives until 0.3 s of silence
  {"comment": "..."}                        ignored
  {"improvement": "<README entry>", ...}    a deliberate difference (see compare.py)

After a send, the runner waits for the reply when the input is a request (`method` a string,
`id` an int or a string); a send step may say `"reply": false` (the reference stays silent) or
`"reply": <id>` to override that guess. It then collects late messages until a short silence.
A missing reply is recorded as a ("timeout", id) entry, so it shows in the diff.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.kit.fake_responses import (
    FakeResponses,
    Reply,
    SseReply,
    StatusReply,
    failed_event,
    message_events,
)
from tests.kit.home import RunHome
from tests.kit.session import Session

Entry = tuple[str, Any]
Transcript = list[Entry]

BIG_MARKER = "@BIG@"
_SEND_KINDS = ("send", "send_raw", "send_big")
_STEP_KEYS: dict[str, frozenset[str]] = {
    "send": frozenset({"send", "reply", "timeout"}),
    "send_raw": frozenset({"send_raw", "reply", "timeout"}),
    "send_big": frozenset({"send_big", "reply", "timeout"}),
    "quiet": frozenset({"quiet"}),
    "comment": frozenset({"comment"}),
    # Extra config.toml text for this scenario: `prelude` (top-level keys) and `tables`.
    "home": frozenset({"home"}),
    # {"capture": {"name": "T", "reply": <request id>, "path": "result.thread.id"}}: later
    # sends may use "$T" (a whole string) or "${T}" (inside a string) for the value.
    "capture": frozenset({"capture"}),
    # {"wait": {"method": "turn/completed", "timeout": 10}}: until that notification arrives.
    "wait": frozenset({"wait"}),
    # {"fake": {...}}: queue the next reply of the fake Responses API (see `fake_reply`).
    "fake": frozenset({"fake"}),
    # {"answer": {"method": M, "result": R}} or {..., "error": E} or {..., "ignore": true}:
    # how the client answers the server's requests of method M from now on.
    "answer": frozenset({"answer"}),
    "improvement": frozenset(
        {"improvement", "scope", "extra_fields", "reference", "pycodex", "wording", "comment"}
    ),
}


@dataclass(frozen=True)
class Improvement:
    """A deliberate difference, tied to one exchange or to all of them.

    Exchange n is the n-th send step and what came back (0: anything before the first send).
    """

    name: str
    exchange: int | None
    extra_fields: tuple[str, ...] = ()
    reference: list[Any] | None = None
    pycodex: list[Any] | None = None
    # {"reference": text, "pycodex": text}: the same message worded differently on purpose.
    wording: dict[str, str] | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: list[dict[str, Any]]
    improvements: list[Improvement] = field(default_factory=list)
    home: dict[str, str] = field(default_factory=dict)


def load_scenario(path: Path) -> Scenario:
    """Parse and check a scenario file; a malformed step is an error, never skipped."""
    steps: list[dict[str, Any]] = []
    improvements: list[Improvement] = []
    home: dict[str, str] = {}
    sends = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.name}:{number}"
        step = json.loads(line)
        if not isinstance(step, dict):
            raise ValueError(f"{where}: a step must be a JSON object")
        kind = next((key for key in _STEP_KEYS if key in step), None)
        if kind is None or not set(step) <= _STEP_KEYS[kind]:
            raise ValueError(f"{where}: unknown step {sorted(step)}")
        if kind in _SEND_KINDS:
            sends += 1
        if kind == "improvement":
            improvements.append(_improvement(step, sends, where))
        elif kind == "home":
            if not isinstance(step["home"], dict) or not set(step["home"]) <= {"prelude", "tables"}:
                raise ValueError(f"{where}: home takes {{prelude, tables}} strings")
            home.update(step["home"])
        else:
            steps.append(step)
    return Scenario(path.stem, steps, improvements, home)


def _improvement(step: dict[str, Any], exchange: int, where: str) -> Improvement:
    name = step["improvement"]
    scope = step.get("scope", "exchange")
    extra = tuple(step.get("extra_fields", ()))
    replaced = ("reference" in step, "pycodex" in step)
    wording = step.get("wording")
    if wording is not None and set(wording) != {"reference", "pycodex"}:
        raise ValueError(f"{where}: wording takes {{reference, pycodex}} strings")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where}: an improvement needs the README entry name")
    if scope not in ("exchange", "scenario"):
        raise ValueError(f"{where}: scope must be 'exchange' or 'scenario'")
    if replaced[0] != replaced[1] or (not extra and not replaced[0] and wording is None):
        raise ValueError(f"{where}: give extra_fields, wording, or both reference and pycodex")
    if scope == "scenario" and replaced[0]:
        raise ValueError(f"{where}: reference/pycodex lists apply to one exchange only")
    return Improvement(
        name=name,
        exchange=None if scope == "scenario" else exchange,
        extra_fields=extra,
        reference=step.get("reference"),
        pycodex=step.get("pycodex"),
        wording=wording,
    )


def request_id_of(message: Any) -> int | str | None:
    """The id a server must answer, when `message` is a well-formed request."""
    if not isinstance(message, dict) or not isinstance(message.get("method"), str):
        return None
    request_id = message.get("id")
    if isinstance(request_id, bool) or not isinstance(request_id, int | str):
        return None
    return request_id


def parse_or_none(text: str) -> Any:
    """The JSON value of a raw line, or None when it is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def _big_line(spec: dict[str, Any]) -> tuple[bytes, Any]:
    """The line to send, and the summary to record instead of N bytes of padding."""
    size = int(spec["bytes"])
    template = json.dumps(spec["template"], separators=(",", ":"), ensure_ascii=False)
    marker = json.dumps(BIG_MARKER)
    if template.count(marker) != 1:
        raise ValueError(f"send_big template must hold the string {marker} exactly once")
    line = template.replace(marker, json.dumps("x" * size)).encode()
    summary = json.loads(template.replace(marker, json.dumps(f"<{size} bytes of 'x'>")))
    return line, summary


def run_steps(
    session: Session,
    steps: Sequence[dict[str, Any]],
    *,
    reply_timeout: float = 10.0,
    settle: float = 0.05,
    fake: FakeResponses | None = None,
) -> Transcript:
    """Play `steps` into a running session and return what went each way, in order."""
    transcript: Transcript = []
    names: dict[str, Any] = {}
    waited = 0  # a wait step looks for its notification after the previous one's
    for step in steps:
        if "fake" in step:
            if fake is None:
                raise AssertionError("a fake step needs the run's FakeResponses")
            fake.enqueue(fake_reply(step["fake"]))
            continue
        if "answer" in step:
            session.answer_requests(step["answer"])
            continue
        if "capture" in step:
            names[step["capture"]["name"]] = _capture(transcript, step["capture"])
            continue
        if "wait" in step:
            spec = step["wait"]
            seen = next(
                (
                    i
                    for i in range(waited, len(transcript))
                    if transcript[i][0] == "recv"
                    and isinstance(transcript[i][1], dict)
                    and transcript[i][1].get("method") == spec["method"]
                ),
                None,
            )
            if seen is None:
                got = session.wait_for_method(spec["method"], float(spec.get("timeout", 10)))
                transcript.extend(("recv", m) for m in got)
                seen = len(transcript) - 1
            waited = seen + 1
            continue
        if names:
            step = _substitute(step, names)
        if "quiet" in step:
            transcript.extend(("recv", m) for m in session.drain(quiet=float(step["quiet"])))
            continue
        if "comment" in step:
            continue
        if "send" in step:
            message = step["send"]
            session.send(message)
            transcript.append(("send", message))
        elif "send_raw" in step:
            text = step["send_raw"]
            session.send_raw(text.encode())
            transcript.append(("send_raw", text))
            message = parse_or_none(text)
        else:
            line, message = _big_line(step["send_big"])
            session.send_raw(line)
            transcript.append(("send", message))
        expected = step.get("reply", True)
        reply = (
            request_id_of(message) if expected is True else None if expected is False else expected
        )
        if reply is not None:
            try:
                session.wait_for_response(reply, float(step.get("timeout", reply_timeout)))
            except TimeoutError:
                transcript.append(("timeout", reply))
        transcript.extend(("recv", m) for m in session.drain(quiet=settle))
    return transcript


def fake_reply(spec: dict[str, Any]) -> Reply:
    """A scripted model reply from a scenario step:
    {"message": text, "chunks": n} · {"status": code, "body": text} ·
    {"cut": true} (the message, then the stream ends without response.completed) ·
    {"failed": text} (response.failed)."""
    if "status" in spec:
        return StatusReply(int(spec["status"]), str(spec.get("body", "")))
    if spec.get("cut"):
        return SseReply(message_events(str(spec.get("message", "ok")))[:-1])
    if "failed" in spec:
        return SseReply(
            [
                {"type": "response.created", "response": {"id": "resp_1"}},
                failed_event(str(spec["failed"])),
            ]
        )
    return SseReply(
        message_events(str(spec.get("message", "ok")), chunks=int(spec.get("chunks", 1)))
    )


def _capture(transcript: Transcript, spec: dict[str, Any]) -> Any:
    """The value at `path` in the answer to request `reply`, from what was received so far."""
    for kind, message in transcript:
        if kind == "recv" and isinstance(message, dict) and message.get("id") == spec["reply"]:
            value: Any = message
            for part in spec["path"].split("."):
                value = value[part]
            return value
    raise AssertionError(f"capture {spec}: no answer to request {spec['reply']!r} yet")


def _substitute(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, str):
        if value.startswith("$") and value[1:] in names:
            return names[value[1:]]
        for name, found in names.items():
            value = value.replace("${" + name + "}", str(found))
        return value
    if isinstance(value, dict):
        return {k: _substitute(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, names) for v in value]
    return value


def run_scenario(
    scenario: Scenario,
    argv: Sequence[str],
    run_home: RunHome,
    fake: FakeResponses | None = None,
    **options: float,
) -> Transcript:
    """Start the server in `run_home`, play the scenario, and require a clean exit on EOF."""
    session = Session(
        argv, env=run_home.env, cwd=run_home.cwd, stderr_path=run_home.root / "stderr.log"
    )
    try:
        transcript = run_steps(session, scenario.steps, fake=fake, **options)
    except BaseException:
        session.kill()
        raise
    session.close()
    return transcript
