"""A loopback fake of the Responses API: records every request and plays scripted replies.

It only ever binds 127.0.0.1. Replies are small objects with a `send(handler)` method, so new
behaviours (HTTP errors, cut streams, stalls) are one class each; the canned SSE builders below
follow the shapes of codex's own `core/tests/common/responses.rs`.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request as the server saw it; header names are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Reply(Protocol):
    """A scripted answer to one `POST /v1/responses`."""

    def send(self, handler: BaseHTTPRequestHandler) -> None: ...


def sse_frame(event: dict[str, Any]) -> bytes:
    """One SSE event as the Responses API frames it: `event:` line, `data:` line, blank line."""
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


@dataclass
class SseReply:
    """A 200 `text/event-stream` that writes `events` and then closes the connection."""

    events: Sequence[dict[str, Any]]
    headers: Mapping[str, str] = field(default_factory=dict)

    def send(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("cache-control", "no-cache")
        handler.send_header("connection", "close")
        for name, value in self.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        for event in self.events:
            handler.wfile.write(sse_frame(event))
            handler.wfile.flush()


@dataclass
class StatusReply:
    """A plain HTTP answer, e.g. a 401 or a 500 with a JSON error body."""

    status: int
    body: str = ""
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)

    def send(self, handler: BaseHTTPRequestHandler) -> None:
        data = self.body.encode()
        handler.send_response(self.status)
        handler.send_header("content-type", self.content_type)
        handler.send_header("content-length", str(len(data)))
        handler.send_header("connection", "close")  # the handler closes it after every POST
        for name, value in self.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)


@dataclass
class DroppedReply:
    """A chunked 200 stream that writes `events` and then drops the connection without the
    final chunk: the client sees a broken body, not a clean end of stream."""

    events: Sequence[dict[str, Any]]

    def send(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("transfer-encoding", "chunked")
        handler.end_headers()
        for event in self.events:
            frame = sse_frame(event)
            handler.wfile.write(f"{len(frame):x}\r\n".encode() + frame + b"\r\n")
            handler.wfile.flush()
        handler.wfile.write(b"5\r\nevent")  # half a chunk, then the socket closes


@dataclass
class StalledReply:
    """A 200 stream that writes `events` and then goes silent for `stall` seconds (or until
    `release` is set) before closing: for idle timeouts and interrupts."""

    events: Sequence[dict[str, Any]]
    stall: float = 30.0
    release: threading.Event = field(default_factory=threading.Event)
    # Written after the pause, on the same stream: a reply that is slow, not cut.
    after: Sequence[dict[str, Any]] = ()

    def send(self, handler: BaseHTTPRequestHandler) -> None:
        SseReply(self.events).send(handler)
        self.release.wait(self.stall)
        try:
            for event in self.after:
                handler.wfile.write(sse_frame(event))
                handler.wfile.flush()
        except OSError:
            pass  # the client went away during the pause (an interrupt)


@dataclass
class SilentReply:
    """Reads the request, sends nothing for `delay` seconds, then closes the connection."""

    delay: float = 1.0

    def send(self, handler: BaseHTTPRequestHandler) -> None:
        threading.Event().wait(self.delay)


def rate_limit_headers(
    primary: float = 42.5, window_minutes: int = 300, reset_at: int = 1_900_000_000
) -> dict[str, str]:
    """`x-codex-*` headers of a Responses reply (auth.md §7.3)."""
    return {
        "x-codex-primary-used-percent": str(primary),
        "x-codex-primary-window-minutes": str(window_minutes),
        "x-codex-primary-reset-at": str(reset_at),
        "x-codex-credits-has-credits": "true",
        "x-codex-credits-unlimited": "false",
        "x-codex-credits-balance": " 12.5 ",
    }


def failed_event(
    message: str = "boom", code: str | None = "server_error", response_id: str = "resp_1"
) -> dict[str, Any]:
    """A `response.failed` event with an `error` object."""
    error: dict[str, Any] = {"type": "server_error", "message": message}
    if code is not None:
        error["code"] = code
    return {"type": "response.failed", "response": {"id": response_id, "error": error}}


def reasoning_events(
    summary: Sequence[str] = ("Thinking ", "hard."),
    *,
    item_id: str = "rs_1",
    output_index: int = 0,
    raw_content: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """A reasoning item: summary part 0 streamed as `summary` deltas (and `raw_content` as
    reasoning text deltas), then the done item with an encrypted blob."""
    text = "".join(summary)
    return [
        {
            "type": "response.output_item.added",
            "output_index": output_index,
            "item": {"type": "reasoning", "id": item_id, "summary": []},
        },
        {
            "type": "response.reasoning_summary_part.added",
            "item_id": item_id,
            "output_index": output_index,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": ""},
        },
        *(
            {
                "type": "response.reasoning_summary_text.delta",
                "item_id": item_id,
                "output_index": output_index,
                "summary_index": 0,
                "delta": delta,
            }
            for delta in summary
        ),
        *(
            {
                "type": "response.reasoning_text.delta",
                "item_id": item_id,
                "output_index": output_index,
                "content_index": 0,
                "delta": delta,
            }
            for delta in raw_content
        ),
        {
            "type": "response.output_item.done",
            "output_index": output_index,
            "item": {
                "type": "reasoning",
                "id": item_id,
                "summary": [{"type": "summary_text", "text": text}],
                "encrypted_content": "gAAAA-opaque",
            },
        },
    ]


def usage(input_tokens: int = 100, output_tokens: int = 10) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }


def message_events(
    text: str = "ok", *, response_id: str = "resp_1", item_id: str = "msg_1", chunks: int = 1
) -> list[dict[str, Any]]:
    """A whole response holding one assistant message, streamed as `chunks` text deltas."""
    size = max(1, -(-len(text) // max(1, chunks)))
    deltas = [text[i : i + size] for i in range(0, len(text), size)] or [""]
    item = {"type": "message", "role": "assistant", "id": item_id, "status": "completed"}
    return [
        {"type": "response.created", "response": {"id": response_id}},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {**item, "status": "in_progress", "content": []},
        },
        *(
            {
                "type": "response.output_text.delta",
                "item_id": item_id,
                "output_index": 0,
                "content_index": 0,
                "delta": delta,
            }
            for delta in deltas
        ),
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": {**item, "content": [{"type": "output_text", "text": text}]},
        },
        {"type": "response.completed", "response": {"id": response_id, "usage": usage()}},
    ]


def default_reply() -> Reply:
    return SseReply(message_events("ok"))


@dataclass
class _State:
    """Shared between the handler threads and the test; guarded by `lock`."""

    replies: deque[Reply] = field(default_factory=deque)
    requests: list[RecordedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    fallback: Callable[[], Reply] = default_reply


class _Handler(BaseHTTPRequestHandler):
    state: _State  # set on the per-server subclass
    protocol_version = "HTTP/1.1"

    def _record(self) -> RecordedRequest:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body,
        )
        with self.state.lock:
            self.state.requests.append(request)
        return request

    def do_GET(self) -> None:
        request = self._record()
        if request.path.split("?")[0].endswith("/models"):
            StatusReply(200, json.dumps({"models": []})).send(self)
        else:
            StatusReply(404, json.dumps({"error": {"message": "not found"}})).send(self)

    def do_POST(self) -> None:
        request = self._record()
        if request.path.split("?")[0].endswith("/responses"):
            with self.state.lock:
                reply = self.state.replies.popleft() if self.state.replies else None
            (reply or self.state.fallback()).send(self)
        else:
            StatusReply(404, json.dumps({"error": {"message": "not found"}})).send(self)
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request stderr line; `requests` is the log."""


class FakeResponses:
    """`with FakeResponses() as fake:` serves on `fake.port` until the block ends."""

    def __init__(self, replies: Iterable[Reply] = ()) -> None:
        self._state = _State(replies=deque(replies))
        handler = type("Handler", (_Handler,), {"state": self._state})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-responses", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._state.lock:
            return list(self._state.requests)

    def enqueue(self, *replies: Reply) -> None:
        """Queue replies for the next `POST /responses`; when empty, the default "ok" is sent."""
        with self._state.lock:
            self._state.replies.extend(replies)

    def start(self) -> FakeResponses:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeResponses:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
