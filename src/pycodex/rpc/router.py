"""Method registry, per-method params validation, the handshake gate, and the one place where
handler failures become JSON-RPC errors.

The order of checks is the reference's: an unknown method or bad params is reported even
before `initialize`; only a well-formed request meets the "Not initialized" gate.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from .errors import RpcError, internal_error, invalid_params, invalid_request, not_implemented
from .framing import Notification, Request
from .serde_errors import unknown_variant

log = logging.getLogger(__name__)

Handler = Callable[[Any], Awaitable[Any]]
FastHandler = Callable[[Any], Any]
NotificationHandler = Callable[[Any], Awaitable[None]]
ValidateNow = Callable[[str, Any, bool], Any]


class NotReady(Exception):
    """Raised by a `validate_now` that cannot decide without awaiting (models loading)."""


# Returned by a fast handler that needs the full (async) handler this time.
NOT_NOW: Any = object()


class Validator(Protocol):
    async def __call__(self, method: str, params: Any, present: bool) -> Any:
        """Return the typed params for `method`, or raise RpcError as the reference would."""
        ...


class Router:
    """Routes requests of a fixed method table to registered handlers.

    `methods` is the full wire table in its canonical order (it is quoted in "unknown
    variant" errors); a known method without a handler answers "not implemented yet".
    """

    def __init__(
        self,
        methods: Sequence[str],
        validate: Validator,
        *,
        handshake: str = "initialize",
        serialize: Callable[[Any], Any] = lambda value: value,
        on_handshake: Callable[[], None] | None = None,
        validate_now: ValidateNow | None = None,
    ) -> None:
        self._methods = tuple(methods)
        self._known = frozenset(self._methods)
        self._validate = validate
        self._handshake = handshake
        self._serialize = serialize
        self._on_handshake = on_handshake
        self._validate_now = validate_now
        self._handlers: dict[str, Handler] = {}
        self._fast: dict[str, FastHandler] = {}
        self._notification_handlers: dict[str, NotificationHandler] = {}
        self.initialized = False

    def register(self, method: str, handler: Handler, *, fast: FastHandler | None = None) -> None:
        """`fast`, if given, answers without awaiting (or returns NOT_NOW): the connection
        then answers in the same loop turn that read the request, with no task. It must not
        emit notifications; those belong after the response, on the async path."""
        if method not in self._known:
            raise ValueError(f"{method!r} is not in the method table")
        if method in self._handlers:
            raise ValueError(f"{method!r} already has a handler")
        self._handlers[method] = handler
        if fast is not None:
            self._fast[method] = fast

    def on_notification(self, method: str, handler: NotificationHandler) -> None:
        self._notification_handlers[method] = handler

    def has_handler(self, method: str) -> bool:
        return method in self._handlers

    async def dispatch(self, request: Request) -> Any:
        """Run one request to its result; raises RpcError for every failure."""
        method = request.method
        if method not in self._known:
            raise invalid_params(unknown_variant(method, self._methods))
        params = await self._validate(method, request.params, request.has_params)
        if method == self._handshake:
            if self.initialized:
                raise invalid_request("Already initialized")
        elif not self.initialized:
            raise invalid_request("Not initialized")
        handler = self._handlers.get(method)
        if handler is None:
            raise not_implemented(method)
        result = await handler(params)
        if method == self._handshake:
            self.initialized = True
        return self._serialize(result)

    def answer_now(self, request: Request) -> tuple[Any, dict[str, Any] | None] | None:
        """The answer, when a fast handler can give it without awaiting; else None."""
        fast = self._fast.get(request.method)
        if fast is None or self._validate_now is None or not self.initialized:
            return None
        try:
            params = self._validate_now(request.method, request.params, request.has_params)
            result = fast(params)
        except NotReady:
            return None
        except RpcError as exc:
            return None, exc.to_wire()
        except Exception as exc:
            return None, self._internal(request, exc)
        if result is NOT_NOW:
            return None
        return self._serialize(result), None

    def _internal(self, request: Request, exc: Exception) -> dict[str, Any]:
        log.exception("handler for %s failed", request.method, exc_info=exc)
        detail = str(exc) or type(exc).__name__
        return internal_error(f"internal error in {request.method}: {detail}").to_wire()

    async def answer(self, request: Request) -> tuple[Any, dict[str, Any] | None]:
        """(result, None) or (None, error): the single site mapping failures to errors."""
        try:
            return await self.dispatch(request), None
        except RpcError as exc:
            return None, exc.to_wire()
        except Exception as exc:
            return None, self._internal(request, exc)

    async def notify(self, note: Notification) -> None:
        """Client notifications: known ones run their handler, anything else is ignored."""
        handler = self._notification_handlers.get(note.method)
        if handler is None:
            return
        try:
            await handler(note.params)
        except Exception:
            log.exception("notification handler for %s failed", note.method)

    def mark_initialized(self) -> None:
        """The handshake was answered before this router existed (start-up fast path)."""
        self.initialized = True
        self.handshake_answered()

    def handshake_answered(self) -> None:
        """Called once the handshake's response is queued, so that what the server says
        right after it (start-up warnings) follows the response on the wire."""
        if self._on_handshake is not None:
            self._on_handshake()

    def is_handshake(self, method: str) -> bool:
        return method == self._handshake
