"""Everything the server sends: responses, notifications, and server→client requests.

Server→client requests get integer ids counting from 0 per connection and a pending future,
resolved by the client's answer. Machine waits (token refresh) pass a timeout; human waits
(approvals) do not, and are cancelled per thread on interrupt or all at once on disconnect.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import ClientError, RequestCancelled
from .framing import ErrorResponse, RequestId, Response

log = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], None]


@dataclass(slots=True)
class _Pending:
    method: str
    future: asyncio.Future[Any]
    thread_id: str | None = field(default=None)


class Outgoing:
    """The server's outgoing side; `send` enqueues a message for the single writer task."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._next_id = 0
        self._pending: dict[RequestId, _Pending] = {}
        self._closed = False

    def respond(self, request_id: RequestId, result: Any) -> None:
        self._send({"id": request_id, "result": result})

    def respond_error(self, request_id: RequestId, error: dict[str, Any]) -> None:
        self._send({"error": error, "id": request_id})

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    async def request(
        self,
        method: str,
        params: Any,
        *,
        thread_id: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Ask the client and wait for its answer.

        Raises ClientError when the client answers with an error, RequestCancelled when the
        request is cancelled or the client goes away, TimeoutError after `timeout` seconds.
        The pending entry is removed in every case, so a late answer is ignored.
        """
        if self._closed:
            raise RequestCancelled(f"{method}: connection closed")
        request_id = self._next_id
        self._next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = _Pending(method, future, thread_id)
        try:
            self._send({"id": request_id, "method": method, "params": params})
            async with asyncio.timeout(timeout):
                return await future
        finally:
            self._pending.pop(request_id, None)

    def resolve(self, message: Response | ErrorResponse) -> bool:
        """Hand the client's answer to its waiter; False for an id we never asked."""
        entry = self._pending.pop(message.id, None)
        if entry is None:
            return False
        if entry.future.done():
            return True
        if isinstance(message, Response):
            entry.future.set_result(message.result)
        else:
            entry.future.set_exception(ClientError(message.code, message.message, message.data))
        return True

    def cancel(self, request_id: RequestId) -> bool:
        entry = self._pending.pop(request_id, None)
        if entry is None:
            return False
        if not entry.future.done():
            entry.future.set_exception(RequestCancelled(f"{entry.method}: cancelled"))
        return True

    def cancel_for_thread(self, thread_id: str) -> int:
        """Cancel every pending request bound to one thread (its turn was interrupted)."""
        ids = [rid for rid, p in self._pending.items() if p.thread_id == thread_id]
        for rid in ids:
            self.cancel(rid)
        return len(ids)

    def fail_all(self) -> None:
        """The client is gone: nothing pending will ever be answered."""
        self._closed = True
        for rid in list(self._pending):
            self.cancel(rid)

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def for_thread(self, thread_id: str) -> ThreadOutgoing:
        return ThreadOutgoing(self, thread_id)


class ThreadOutgoing:
    """Outgoing bound to one thread, so its requests are cancelled with that thread's turn."""

    def __init__(self, outgoing: Outgoing, thread_id: str) -> None:
        self._outgoing = outgoing
        self.thread_id = thread_id

    def notify(self, method: str, params: Any) -> None:
        self._outgoing.notify(method, params)

    async def request(self, method: str, params: Any, *, timeout: float | None = None) -> Any:
        return await self._outgoing.request(
            method, params, thread_id=self.thread_id, timeout=timeout
        )

    def cancel_all(self) -> int:
        return self._outgoing.cancel_for_thread(self.thread_id)
