"""One JSON-RPC connection: a read loop, a task per inbound request, and a single writer.

Handlers never write: they return results or enqueue notifications, and only the writer task
touches the transport, so a slow reader on the other end never stalls dispatch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from .errors import internal_error
from .framing import (
    DEFAULT_MAX_LINE_BYTES,
    LineSplitter,
    Notification,
    Request,
    Undecodable,
    decode,
    encode,
)
from .outgoing import Outgoing
from .router import Router
from .transport import Transport

log = logging.getLogger(__name__)

_after_response: ContextVar[list[Callable[[], None]] | None] = ContextVar(
    "rpc_after_response", default=None
)


def after_response(callback: Callable[[], None]) -> None:
    """Run `callback` once the current request's successful response is queued.

    The wire order is always "response, then the notifications it causes"; handlers register
    those notifications here. Outside a request the callback runs at once; after an error
    answer it never runs.
    """
    pending = _after_response.get()
    if pending is None:
        callback()
    else:
        pending.append(callback)


# On end of input, requests still running get this long to finish before they are cancelled
# (and answered with an error), so that shutdown stays under a second.
DEFAULT_SHUTDOWN_GRACE = 0.8


class Connection:
    def __init__(
        self,
        transport: Transport,
        router: Router,
        *,
        splitter: LineSplitter | None = None,
        pending_lines: Iterable[bytes] = (),
        shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE,
        encode_line: Callable[[Any], bytes] = encode,
    ) -> None:
        self._transport = transport
        self._router = router
        self._splitter = splitter or LineSplitter(DEFAULT_MAX_LINE_BYTES)
        self._pending_lines = list(pending_lines)
        self._grace = shutdown_grace
        self._encode = encode_line
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._writer_failed = asyncio.Event()
        self._flushed = asyncio.Event()
        self._flushed.set()
        self.outgoing = Outgoing(self._enqueue)

    def _enqueue(self, message: dict[str, Any]) -> None:
        self._flushed.clear()
        self._queue.put_nowait(self._encode(message))

    async def wait_flushed(self) -> None:
        """Until everything queued so far has been handed to the transport."""
        await self._flushed.wait()

    async def serve(self) -> None:
        """Serve until end of input (or until the output side breaks), then shut down."""
        writer = asyncio.create_task(self._write_loop(), name="rpc-writer")
        reader = asyncio.create_task(self._read_loop(), name="rpc-reader")
        broken = asyncio.create_task(self._writer_failed.wait())
        try:
            await asyncio.wait({reader, broken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (reader, broken):
                task.cancel()
            await asyncio.gather(reader, broken, return_exceptions=True)
            await self._shutdown(writer)

    async def _read_loop(self) -> None:
        for line in self._pending_lines:
            self._on_line(line)
        self._pending_lines.clear()
        splitter = self._splitter
        while True:
            data = await self._transport.read()
            if not data:
                log.info("end of input; shutting down")
                return
            oversized = splitter.oversized
            for line in splitter.feed(data):
                self._on_line(line)
            if splitter.oversized != oversized:
                log.error(
                    "dropped an input line longer than %d bytes (the maximum line size)",
                    splitter.max_line_bytes,
                )

    def _on_line(self, line: bytes) -> None:
        try:
            message = decode(line)
        except Undecodable as exc:
            log.error("Failed to deserialize JSONRPCMessage: %s", exc)
            return
        if isinstance(message, Request):
            outcome = self._router.answer_now(message)
            if outcome is None:
                self._spawn(self._run_request(message))
            else:
                self._respond(message, *outcome)
        elif isinstance(message, Notification):
            self._spawn(self._router.notify(message))
        elif not self.outgoing.resolve(message):
            log.warning("answer to an unknown server request id %r ignored", message.id)

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_request(self, request: Request) -> None:
        # Each request runs in its own task, hence its own context: the list is per request.
        deferred: list[Callable[[], None]] = []
        _after_response.set(deferred)
        try:
            result, error = await self._router.answer(request)
        except asyncio.CancelledError:
            self.outgoing.respond_error(
                request.id,
                internal_error(
                    f"{request.method} cancelled: the server is shutting down"
                ).to_wire(),
            )
            raise
        self._respond(request, result, error, deferred)

    def _respond(
        self,
        request: Request,
        result: Any,
        error: dict[str, Any] | None,
        deferred: Iterable[Callable[[], None]] = (),
    ) -> None:
        if error is not None:
            self.outgoing.respond_error(request.id, error)
            return
        try:
            self.outgoing.respond(request.id, result)
        except Exception as exc:  # a result that cannot be encoded still gets an answer
            log.exception("cannot encode the result of %s", request.method)
            detail = internal_error(f"cannot encode the result of {request.method}: {exc}")
            self.outgoing.respond_error(request.id, detail.to_wire())
            return
        if self._router.is_handshake(request.method):
            self._router.handshake_answered()
        for callback in deferred:
            try:
                callback()
            except Exception:
                log.exception("after-response callback of %s failed", request.method)

    async def _write_loop(self) -> None:
        queue = self._queue
        while True:
            item = await queue.get()
            if item is None:
                return
            chunks = [item]
            done = False
            while not queue.empty():
                nxt = queue.get_nowait()
                if nxt is None:
                    done = True
                    break
                chunks.append(nxt)
            try:
                await self._transport.write(b"".join(chunks))
            except (ConnectionError, OSError) as exc:
                log.error("cannot write to the client (%s); shutting down", exc)
                self._writer_failed.set()
                self._flushed.set()
                return
            if queue.empty():
                self._flushed.set()
            if done:
                return

    async def _shutdown(self, writer: asyncio.Task[None]) -> None:
        # Nothing pending on the client can be answered any more: release those waiters first
        # so the handlers waiting on them finish within the grace period.
        self.outgoing.fail_all()
        if self._tasks:
            _, still_running = await asyncio.wait(set(self._tasks), timeout=self._grace)
            for task in still_running:
                task.cancel()
            await asyncio.gather(*still_running, return_exceptions=True)
        self._queue.put_nowait(None)
        try:
            await asyncio.wait_for(writer, timeout=max(self._grace, 0.1))
        except TimeoutError:
            log.error("output not flushed in time; exiting anyway")
        await self._transport.close()
