"""Framing and classification: arbitrary split points, huge lines, garbage between messages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pycodex.rpc.framing import (
    ErrorResponse,
    LineSplitter,
    Notification,
    Request,
    Response,
    Undecodable,
    classify,
    decode,
    encode,
)

json_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
request_ids = st.integers(-(2**63), 2**63 - 1) | st.text(max_size=12)
messages = st.fixed_dictionaries(
    {"id": request_ids, "method": st.text(min_size=1, max_size=30), "params": json_values}
)


@given(st.lists(messages, min_size=1, max_size=8), st.data())
def test_any_split_yields_the_same_lines(
    msgs: list[dict[str, object]], data: st.DataObject
) -> None:
    stream = b"".join(encode(m) for m in msgs)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    splitter = LineSplitter()
    lines: list[bytes] = []
    prev = 0
    for cut in [*cuts, len(stream)]:
        lines += splitter.feed(stream[prev:cut])
        prev = cut
    assert [json.loads(line) for line in lines] == msgs
    assert splitter.take_rest() == b""


@given(st.lists(st.binary(max_size=40).filter(lambda b: b"\n" not in b), max_size=6), messages)
def test_garbage_between_messages_never_hides_a_message(
    garbage: list[bytes], msg: dict[str, Any]
) -> None:
    stream = b"".join(g + b"\n" for g in garbage) + encode(msg)
    decoded = []
    for line in LineSplitter().feed(stream):
        try:
            decoded.append(decode(line))
        except Undecodable:
            continue
    assert decoded[-1] == Request(
        msg["id"], msg["method"], msg["params"], msg["params"] is not None
    )


@settings(max_examples=25)
@given(st.integers(1, 5), st.integers(1, 4096))
def test_oversized_line_is_dropped_and_the_next_kept(over: int, chunk: int) -> None:
    limit = 1000
    big = b'{"x":"' + b"a" * (limit + over) + b'"}\n'
    good = encode({"id": 1, "method": "m"})
    stream = big + good
    splitter = LineSplitter(limit)
    lines: list[bytes] = []
    for i in range(0, len(stream), chunk):
        lines += splitter.feed(stream[i : i + chunk])
    assert lines == [good[:-1]]
    assert splitter.oversized == 1


def test_line_at_the_limit_is_kept() -> None:
    line = b"x" * 10
    assert LineSplitter(10).feed(line + b"\n") == [line]
    assert LineSplitter(9).feed(line + b"\n") == []


def test_crlf_is_accepted() -> None:
    assert LineSplitter().feed(b'{"method":"a"}\r\n') == [b'{"method":"a"}']


def test_ten_megabyte_line_survives() -> None:
    payload = {"id": 7, "method": "m", "params": {"blob": "z" * (10 * 1024 * 1024)}}
    lines = LineSplitter().feed(encode(payload))
    assert decode(lines[0]) == Request(7, "m", payload["params"], True)


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"id": 1, "method": "m", "params": {}}, Request(1, "m", {}, True)),
        ({"id": "a", "method": "m"}, Request("a", "m", None, False)),
        ({"id": 1, "method": "m", "params": None}, Request(1, "m", None, False)),
        ({"id": -5, "method": "m", "jsonrpc": "2.0"}, Request(-5, "m", None, False)),
        # Ids that are not a RequestId turn the message into a notification (then ignored).
        ({"id": None, "method": "m"}, Notification("m", None, False)),
        ({"id": 1.5, "method": "m"}, Notification("m", None, False)),
        ({"id": True, "method": "m"}, Notification("m", None, False)),
        ({"id": 2**64, "method": "m"}, Notification("m", None, False)),
        ({"id": [1], "method": "m"}, Notification("m", None, False)),
        ({"method": "initialized"}, Notification("initialized", None, False)),
        ({"id": 3, "result": None}, Response(3, None)),
        ({"id": 3, "result": {}, "error": {"code": 1, "message": "x"}}, Response(3, {})),
        ({"id": 3, "error": {"code": 1, "message": "x"}}, ErrorResponse(3, 1, "x", None)),
        # A request wins over a result field in the same object, as in the reference.
        ({"id": 4, "method": "m", "result": {}}, Request(4, "m", None, False)),
    ],
)
def test_classify(obj: object, expected: object) -> None:
    assert classify(obj) == expected


@pytest.mark.parametrize(
    "obj",
    [
        42,
        "str",
        None,
        [{"id": 1, "method": "m"}],
        {"foo": 1},
        {"id": 5},
        {"id": 1, "method": 42},
        {"id": 1, "error": {"code": "x", "message": "m"}},
        {"id": 1, "error": {"code": 1}},
        {"id": None, "result": {}},
    ],
)
def test_classify_rejects(obj: object) -> None:
    with pytest.raises(Undecodable):
        classify(obj)


@pytest.mark.parametrize("line", [b"", b"not json", b"{", b"\xff\xfe", b"[1,", b"nul"])
def test_decode_rejects_invalid_json(line: bytes) -> None:
    with pytest.raises(Undecodable):
        decode(line)


def test_encode_keeps_nulls_and_unicode() -> None:
    assert encode({"id": 1, "result": {"a": None, "b": "é"}}) == (
        '{"id":1,"result":{"a":null,"b":"é"}}\n'.encode()
    )


@pytest.mark.parametrize(
    "line",
    [
        b'{"id":1,"method":"m","id":2}',
        b'{"id":1,"method":"m","method":"n"}',
        b'{"id":1,"method":"m","\\u0069d":2}',
        b'{"id":1,"result":{},"result":{}}',
    ],
)
def test_a_repeated_envelope_key_drops_the_message(line: bytes) -> None:
    with pytest.raises(Undecodable):
        decode(line)


def test_repeated_keys_elsewhere_are_fine() -> None:
    line = b'{"id":1,"method":"m","params":{"items":[{"id":"a"},{"id":"b"}],"x":1,"x":2}}'
    assert decode(line) == Request(1, "m", {"items": [{"id": "a"}, {"id": "b"}], "x": 2}, True)


@pytest.mark.parametrize(("depth", "ok"), [(126, True), (127, False), (400, False)])
def test_nesting_limit_is_the_references(depth: int, ok: bool) -> None:
    # Observed: the envelope plus 126 nested arrays is accepted, one more is dropped.
    line = b'{"id":1,"method":"m","x":' + b"[" * depth + b"]" * depth + b"}"
    if ok:
        assert isinstance(decode(line), Request)
    else:
        with pytest.raises(Undecodable):
            decode(line)


def test_lone_surrogate_escape_drops_the_line() -> None:
    with pytest.raises(Undecodable):
        decode(b'{"id":1,"method":"m","params":{"k":"\\ud800"}}')
    assert isinstance(decode(b'{"id":1,"method":"m","params":{"k":"\\ud83d\\ude00"}}'), Request)
