"""JSONL framing and message classification, stdlib only (it runs before asyncio is imported).

Classification mirrors how the reference decodes a line (an untagged enum tried in the order
request, notification, response, error), so that the same inputs are answered or dropped.
"""

from __future__ import annotations

import json
from typing import Any

# The reference reads lines of any size; we keep a bound so that a runaway client cannot make
# us buffer without limit, far above anything real (a 10 MB line is a normal test case).
DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024

_I64_MIN = -(2**63)
_I64_MAX = 2**63 - 1

RequestId = int | str


class _Message:
    """Plain slotted records: dataclasses would add ~15 ms to start-up (inspect, re)."""

    __slots__: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and all(
            getattr(self, k) == getattr(other, k) for k in self.__slots__
        )

    def __hash__(self) -> int:
        return hash(tuple(repr(getattr(self, k)) for k in self.__slots__))

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__)
        return f"{type(self).__name__}({fields})"


class Request(_Message):
    # An explicit `"params": null` counts as absent, as in the reference (Option<Value>).
    __slots__ = ("has_params", "id", "method", "params")

    def __init__(self, id: RequestId, method: str, params: Any, has_params: bool) -> None:
        self.id = id
        self.method = method
        self.params = params
        self.has_params = has_params


class Notification(_Message):
    __slots__ = ("has_params", "method", "params")

    def __init__(self, method: str, params: Any, has_params: bool) -> None:
        self.method = method
        self.params = params
        self.has_params = has_params


class Response(_Message):
    __slots__ = ("id", "result")

    def __init__(self, id: RequestId, result: Any) -> None:
        self.id = id
        self.result = result


class ErrorResponse(_Message):
    __slots__ = ("code", "data", "id", "message")

    def __init__(self, id: RequestId, code: int, message: str, data: Any) -> None:
        self.id = id
        self.code = code
        self.message = message
        self.data = data


Message = Request | Notification | Response | ErrorResponse


class Undecodable(ValueError):
    """A line that is not one of the four message shapes; it is logged and dropped."""


def _request_id(value: Any) -> RequestId | None:
    # bool is an int subclass in Python but not a valid id on the wire.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if _I64_MIN <= value <= _I64_MAX else None
    if isinstance(value, str):
        return value
    return None


def _i64(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and _I64_MIN <= value <= _I64_MAX:
        return value
    return None


def classify(obj: Any) -> Message:
    """Classify one decoded JSON value, raising Undecodable as the reference would drop it."""
    if not isinstance(obj, dict):
        raise Undecodable(f"expected a JSON object, got {type(obj).__name__}")
    method = obj.get("method")
    params = obj.get("params")
    has_params = params is not None
    if isinstance(method, str):
        rid = _request_id(obj.get("id"))
        if rid is not None:
            return Request(rid, method, params, has_params)
        # An id that is not a valid RequestId (null, float, bool, too large) makes the line a
        # notification in the reference, which then ignores it.
        return Notification(method, params, has_params)
    rid = _request_id(obj.get("id"))
    if rid is not None:
        if "result" in obj:
            return Response(rid, obj["result"])
        err = obj.get("error")
        if isinstance(err, dict):
            code = _i64(err.get("code"))
            message = err.get("message")
            if code is not None and isinstance(message, str):
                return ErrorResponse(rid, code, message, err.get("data"))
    raise Undecodable("data did not match any variant of JSONRPCMessage")


# Envelope fields; the reference rejects a message that repeats one of them (serde's
# "duplicate field"), while repeated keys anywhere else simply keep the last value.
_ENVELOPE_KEYS = frozenset({"id", "method", "params", "result", "error"})


class _Pairs:
    """object_pairs_hook that notes whether the object it built last repeated an envelope key.

    The hook runs innermost first, so after parsing a top-level object `duplicate` describes
    that object.
    """

    __slots__ = ("duplicate",)

    def __init__(self) -> None:
        self.duplicate = False

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        self.duplicate = len(obj) != len(pairs) and any(
            sum(1 for k, _ in pairs if k == key) > 1 for key in _ENVELOPE_KEYS & obj.keys()
        )
        return obj


def decode(line: bytes) -> Message:
    """Decode and classify one line (without its newline)."""
    if line.startswith(b"\xef\xbb\xbf"):
        # json.loads would skip a UTF-8 byte-order mark; the reference refuses the line.
        raise Undecodable("expected value at line 1 column 1")
    pairs = _Pairs() if _may_repeat_envelope_key(line) else None
    try:
        obj = json.loads(line, object_pairs_hook=pairs)
    except (ValueError, RecursionError) as exc:
        raise Undecodable(str(exc)) from None
    if pairs is not None and pairs.duplicate and isinstance(obj, dict):
        raise Undecodable("duplicate field in message")
    if line.count(b"[") + line.count(b"{") > _MAX_DEPTH and _deeper_than(obj, _MAX_DEPTH):
        raise Undecodable("recursion limit exceeded")
    if b"\\u" in line and _has_lone_surrogate(obj):
        # Python's json accepts "\ud800" alone; the reference's parser refuses the line.
        raise Undecodable("lone surrogate in a string escape")
    return classify(obj)


# The reference's JSON parser refuses more than 127 nested arrays/objects in one message.
_MAX_DEPTH = 127


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether containers nest more than `limit` deep (iterative: no recursion limit)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


_ENVELOPE_KEY_BYTES = tuple(f'"{key}"'.encode() for key in sorted(_ENVELOPE_KEYS))


def _may_repeat_envelope_key(line: bytes) -> bool:
    """Cheap pre-check so that the slower duplicate-aware parse runs only when it could matter
    (a key spelled with escapes counts as possible)."""
    return b"\\u" in line or any(line.count(key) > 1 for key in _ENVELOPE_KEY_BYTES)


class LineSplitter:
    """Accumulates bytes and yields complete lines; a line longer than the bound is dropped.

    Dropping is reported through `oversized` so the caller can log it; the bytes up to the next
    newline are discarded without being kept in memory.
    """

    __slots__ = ("_buf", "_discarding", "max_line_bytes", "oversized")

    def __init__(self, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> None:
        self._buf = bytearray()
        self._discarding = False
        self.max_line_bytes = max_line_bytes
        self.oversized = 0

    def feed(self, data: bytes) -> list[bytes]:
        lines: list[bytes] = []
        start = 0
        while True:
            nl = data.find(b"\n", start)
            if nl < 0:
                break
            if self._discarding:
                self._discarding = False
            elif len(self._buf) + (nl - start) > self.max_line_bytes:
                self.oversized += 1
                self._buf.clear()
            else:
                self._buf += data[start:nl]
                line = bytes(self._buf)
                self._buf.clear()
                lines.append(line[:-1] if line.endswith(b"\r") else line)
            start = nl + 1
        if start < len(data) and not self._discarding:
            self._buf += data[start:]
            if len(self._buf) > self.max_line_bytes:
                self.oversized += 1
                self._buf.clear()
                self._discarding = True
        return lines

    def take_rest(self) -> bytes:
        """The incomplete tail, for handing the stream over to another reader."""
        rest = bytes(self._buf)
        self._buf.clear()
        return rest

    @property
    def discarding(self) -> bool:
        return self._discarding


def encode(obj: Any) -> bytes:
    """One outgoing line; compact, UTF-8 kept as is (the reference does not escape it)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
