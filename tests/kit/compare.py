"""Compare a reference transcript with a pycodex one; every difference fails unless listed.

Deliberate differences are `improvement` steps in the scenario (see scenario.py), each naming
its README entry. Two forms, both checked both ways, so that a stale entry fails too:

* `"extra_fields": ["result.serverInfo", "params.thread.*.sessionId"]`: fields pycodex adds.
  They are removed from pycodex's messages before comparing; at least one must be present.
* `"reference": [...], "pycodex": [...]`: the exact (normalised) messages each server sends in
  reply to that exchange's send. Both must hold; the exchange then counts as equal.
  A missing reply is written `{"timeout": <id>}`.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tests.kit.scenario import Entry, Improvement, Transcript

Exchange = tuple[list[Entry], list[Entry]]  # (what was sent, what came back)


def render(entry: Entry) -> str:
    """One line per entry, keys sorted, so a diff points at the message that changed."""
    kind, message = entry
    if kind == "timeout":
        return f"! no reply to id {json.dumps(message)}"
    if kind == "send_raw":  # escaped, so that a BOM or a stray control character shows
        return "> raw " + json.dumps(message)
    body = json.dumps(message, sort_keys=True, ensure_ascii=False)
    return {"send": "> ", "recv": "< "}[kind] + body


def split_exchanges(transcript: Transcript) -> list[Exchange]:
    """Cut at every send: exchange 0 is what came before any send, exchange n the n-th send."""
    exchanges: list[Exchange] = [([], [])]
    for entry in transcript:
        if entry[0] in ("send", "send_raw"):
            exchanges.append(([entry], []))
        else:
            exchanges[-1][1].append(entry)
    return exchanges


def _as_messages(entries: Sequence[Entry]) -> list[Any]:
    return [{"timeout": m} if kind == "timeout" else m for kind, m in entries]


def _remove_path(message: Any, path: Sequence[str]) -> int:
    """Delete a dotted path (`*` = every list item or dict value); return how many went."""
    if not path:
        return 0
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(message, dict):
            children = list(message.values())
        else:
            children = message if isinstance(message, list) else []
        return sum(_remove_path(child, rest) for child in children)
    if not isinstance(message, dict) or head not in message:
        return 0
    if not rest:
        del message[head]
        return 1
    return _remove_path(message[head], rest)


@dataclass
class Comparison:
    reference: list[str]
    pycodex: list[str]
    problems: list[str]

    @property
    def equal(self) -> bool:
        return not self.problems and self.reference == self.pycodex

    def report(self) -> str:
        diff = difflib.unified_diff(
            self.reference, self.pycodex, "reference", "pycodex", lineterm="", n=3
        )
        return "\n".join([*self.problems, *diff])


def _count_text(value: Any, text: str) -> int:
    if isinstance(value, str):
        return int(value == text)
    if isinstance(value, dict):
        return sum(_count_text(v, text) for v in value.values())
    if isinstance(value, list):
        return sum(_count_text(v, text) for v in value)
    return 0


def _swap_text(value: Any, ours: str, theirs: str, found: list[int]) -> Any:
    """`value` with every string equal to `ours` replaced by `theirs` (counted in found[1])."""
    if isinstance(value, str):
        if value == ours:
            found[1] += 1
            return theirs
        return value
    if isinstance(value, dict):
        return {k: _swap_text(v, ours, theirs, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap_text(v, ours, theirs, found) for v in value]
    return value


def _apply(
    improvement: Improvement, ref: list[Exchange], py: list[Exchange], problems: list[str]
) -> None:
    indices = range(len(py)) if improvement.exchange is None else [improvement.exchange]
    label = f"improvement {improvement.name!r}"
    if improvement.extra_fields:
        removed = 0
        for index in indices:
            for kind, message in py[index][1]:
                for field in improvement.extra_fields:
                    removed += _remove_path(message, field.split(".")) if kind == "recv" else 0
        if not removed:
            problems.append(f"{label}: pycodex sent none of {list(improvement.extra_fields)}")
    if improvement.wording is not None:
        theirs, ours = improvement.wording["reference"], improvement.wording["pycodex"]
        found = [0, 0]
        for index in indices:
            for kind, message in ref[index][1]:
                found[0] += _count_text(message, theirs) if kind == "recv" else 0
            py[index] = (
                py[index][0],
                [
                    (kind, _swap_text(message, ours, theirs, found) if kind == "recv" else message)
                    for kind, message in py[index][1]
                ],
            )
        if not found[0] or not found[1]:
            problems.append(f"{label}: the declared wording is no longer sent by both sides")
    if improvement.reference is not None:
        index = indices[0]
        for side, exchanges, declared in (
            ("reference", ref, improvement.reference),
            ("pycodex", py, improvement.pycodex),
        ):
            actual = _as_messages(exchanges[index][1])
            if actual != declared:
                problems.append(
                    f"{label}: {side} no longer sends what the scenario declares:\n"
                    f"  declared: {json.dumps(declared, sort_keys=True)}\n"
                    f"  actual:   {json.dumps(actual, sort_keys=True)}"
                )
        py[index] = (py[index][0], list(ref[index][1]))


def compare(
    reference: Transcript, pycodex: Transcript, improvements: Sequence[Improvement] = ()
) -> Comparison:
    """Both transcripts must already be normalised; neither is modified."""
    ref = split_exchanges(copy.deepcopy(reference))
    py = split_exchanges(copy.deepcopy(pycodex))
    problems: list[str] = []
    if [e[0] for e in ref] != [e[0] for e in py]:
        problems.append("the two runs did not send the same input (a kit bug)")
    else:
        for improvement in improvements:
            if improvement.exchange is not None and improvement.exchange >= len(py):
                problems.append(f"improvement {improvement.name!r}: no exchange to apply to")
            else:
                _apply(improvement, ref, py, problems)
    return Comparison(
        reference=[render(e) for sent, got in ref for e in [*sent, *got]],
        pycodex=[render(e) for sent, got in py for e in [*sent, *got]],
        problems=problems,
    )


def assert_same(
    reference: Transcript, pycodex: Transcript, improvements: Sequence[Improvement] = ()
) -> None:
    """Raise AssertionError with a unified diff (reference → pycodex) when they differ."""
    result = compare(reference, pycodex, improvements)
    if not result.equal:
        raise AssertionError("pycodex differs from the reference:\n" + result.report())
