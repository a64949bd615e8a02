"""The model seam (`ModelClient`) and its HTTP implementation over httpx2 SSE.

`HttpModelClient.stream` owns everything between "sample this prompt" and a finished response:
headers per auth mode, request retries (5xx, transport), 401 recovery through
`pycodex.auth.recovery`, the idle timeout and stream retries with "Reconnecting... n/N"
notices. It knows nothing about JSON-RPC: failures are `ModelError`s, notices `Retrying`
events. Keys, tokens and headers are never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import Any, Protocol

import httpx2
import pydantic_core

from pycodex.auth.manager import AuthManager, ClientIdentity
from pycodex.auth.ratelimits import parse_rate_limit_headers
from pycodex.auth.recovery import RecoveryStatus, UnauthorizedRecovery
from pycodex.config.model import ProviderInfo
from pycodex.model.errors import (
    BODY_DECODE,
    CLOSED_EARLY,
    IDLE_TIMEOUT,
    Failure,
    retry_notice,
    status_failure,
    stream_failure,
)
from pycodex.model.events import Completed, ModelError, RateLimits, ResponseEvent, Retrying
from pycodex.model.request import (
    MissingEnvKey,
    ModelRequest,
    base_url,
    env_key_token,
    request_body,
    request_headers,
    responses_url,
)
from pycodex.model.sse import parse_event

log = logging.getLogger(__name__)

MAX_RETRIES_CAP = 100  # upstream clamps both retry settings
BACKOFF_BASE = 0.2
MAX_EVENT_SIZE = 64 * 1024 * 1024  # `response.completed` repeats the whole output
CONNECT_TIMEOUT = 30.0

Sleep = Callable[[float], Awaitable[None]]


class ModelClient(Protocol):
    """Samples the model: a stream of events ending in `Completed`, or a `ModelError`.
    Closing the generator early (an interrupt) releases the connection."""

    def stream(self, request: ModelRequest) -> AsyncGenerator[ResponseEvent, None]: ...


def backoff(attempt: int, rng: Callable[[float, float], float] = random.uniform) -> float:
    """~200 ms * 2^(attempt-1), ±10 % jitter (auth.md §5.2)."""
    return float(BACKOFF_BASE * 2 ** (attempt - 1) * rng(0.9, 1.1))


def _default_identity() -> tuple[str, str]:
    from pycodex.auth.headers import default_originator
    from pycodex.useragent import codex_user_agent

    originator = default_originator()
    return originator, codex_user_agent(originator)


class HttpModelClient:
    """`POST {base}/responses` per `ModelRequest`, streamed. One instance per provider; it
    may be shared by threads of the same provider."""

    def __init__(
        self,
        provider: ProviderInfo,
        auth_manager: AuthManager | None = None,
        *,
        identity: ClientIdentity | None = None,
        environ: Mapping[str, str] | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.provider = provider
        self.auth_manager = auth_manager
        self._identity = identity or _default_identity
        self._environ = environ
        self._sleep = sleep
        timeout = httpx2.Timeout(None, connect=CONNECT_TIMEOUT)
        # trust_env: proxies and CA bundles from the environment, as reqwest does upstream.
        self._http = httpx2.AsyncClient(timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def request_max_retries(self) -> int:
        return max(0, min(self.provider.request_max_retries, MAX_RETRIES_CAP))

    @property
    def stream_max_retries(self) -> int:
        return max(0, min(self.provider.stream_max_retries, MAX_RETRIES_CAP))

    @property
    def idle_timeout(self) -> float:
        return max(self.provider.stream_idle_timeout_ms, 1) / 1000

    def stream(self, request: ModelRequest) -> AsyncGenerator[ResponseEvent, None]:
        return self._stream(request)

    async def _stream(self, request: ModelRequest) -> AsyncGenerator[ResponseEvent, None]:
        body = pydantic_core.to_json(request_body(request))
        retries, limit = 0, self.stream_max_retries
        while True:
            try:
                # aclosing: an interrupt that closes this generator closes the response now,
                # not whenever the inner generator is collected.
                async with contextlib.aclosing(self._attempt(request, body)) as events:
                    async for event in events:
                        yield event
                return
            except Failure as failure:
                if not failure.retryable or retries >= limit:
                    raise failure.error from None
                retries += 1
                log.debug("model stream retry %d/%d", retries, limit)
                yield Retrying(retry_notice(failure, retries, limit))
                delay = failure.delay if failure.delay is not None else backoff(retries)
                await self._sleep(delay)

    # -- one attempt: request retries and 401 recovery, then the stream --------------------

    async def _attempt(
        self, request: ModelRequest, body: bytes
    ) -> AsyncGenerator[ResponseEvent, None]:
        manager = self.auth_manager
        uses_account = manager is not None and not self.provider.env_key
        recovery = UnauthorizedRecovery(manager) if uses_account and manager else None
        while True:
            token, response = await self._send(request, body)
            if response.status_code != 401:
                break
            text = await _read_text(response)
            if recovery is not None and recovery.has_next():
                outcome = await recovery.recover_unauthorized(token)
                if outcome.status is RecoveryStatus.RETRY:
                    continue
                if outcome.status is RecoveryStatus.FAILED:
                    message = outcome.error or ""
                    if outcome.permanent:
                        raise Failure(ModelError(message, "unauthorized"), retryable=False)
                    raise Failure(ModelError(message), retryable=True)
            raise status_failure(401, text, response.headers, str(response.request.url))
        if not 200 <= response.status_code < 300:
            text = await _read_text(response)
            url = str(response.request.url)
            raise status_failure(response.status_code, text, response.headers, url)
        try:
            yield RateLimits(parse_rate_limit_headers(response.headers))
            async with contextlib.aclosing(self._events(response)) as events:
                async for event in events:
                    yield event
        finally:
            await response.aclose()

    async def _send(self, request: ModelRequest, body: bytes) -> tuple[str | None, httpx2.Response]:
        """One POST, repeated up to `request_max_retries` times on 5xx and transport errors
        (never on 429); returns the bearer used and the response (any status)."""
        attempt = 0
        while True:
            token, url, headers = await self._prepare(request)
            try:
                built = self._http.build_request("POST", url, content=body, headers=headers)
                response = await self._http.send(built, stream=True)
            except httpx2.TransportError as exc:
                log.debug("model request failed: %s", type(exc).__name__)
                if attempt >= self.request_max_retries:
                    raise stream_failure(f"error sending request for url ({url})") from None
                attempt += 1
                await self._sleep(backoff(attempt))
                continue
            if response.status_code < 500 or attempt >= self.request_max_retries:
                return token, response
            # 0.94 does not wait for a `retry-after` header here (observed: a 503 with
            # `retry-after: 1` was retried after ~200 ms).
            await _read_text(response)
            attempt += 1
            log.debug("model request %s; retry %d", response.status_code, attempt)
            await self._sleep(backoff(attempt))

    async def _prepare(self, request: ModelRequest) -> tuple[str | None, str, dict[str, str]]:
        """Fresh credentials, URL and headers for each HTTP request (a retry after a refresh
        must carry the new token)."""
        auth = None
        if self.auth_manager is not None:
            auth = await self.auth_manager.auth()
        try:
            env_token = env_key_token(self.provider, self._environ)
        except MissingEnvKey as exc:
            raise Failure(ModelError(str(exc)), retryable=False) from None
        originator, user_agent = self._identity()
        headers = request_headers(
            self.provider,
            auth,
            session_id=request.thread_id,
            originator=originator,
            user_agent=user_agent,
            env_token=env_token,
            environ=self._environ,
        )
        token = env_token or (auth.bearer_token if auth is not None else None)
        return token, responses_url(base_url(self.provider, auth, self._environ)), headers

    async def _events(self, response: httpx2.Response) -> AsyncGenerator[ResponseEvent, None]:
        """SSE → events until `response.completed`; an early end, a broken connection or
        silence longer than the idle timeout is a stream failure."""
        source = _AnyContentType(response, max_event_size=MAX_EVENT_SIZE).__aiter__()
        while True:
            try:
                async with asyncio.timeout(self.idle_timeout):
                    sse = await anext(source)
            except StopAsyncIteration:
                raise stream_failure(CLOSED_EARLY) from None
            except TimeoutError:
                raise stream_failure(IDLE_TIMEOUT) from None
            except httpx2.HTTPError as exc:
                log.debug("model stream broke: %s", type(exc).__name__)
                raise stream_failure(BODY_DECODE) from None
            try:
                data: Any = pydantic_core.from_json(sse.data)
            except ValueError:
                log.debug("skipping an undecodable SSE event")
                continue
            if not isinstance(data, dict):
                continue
            event = parse_event(data)
            if event is None:
                continue
            yield event
            if isinstance(event, Completed):
                return


class _AnyContentType(httpx2.EventSource):
    """The reference parses any 2xx body as SSE: a JSON 200 is just a stream that closed
    before `response.completed`, not a content-type error."""

    def _check_content_type(self) -> None:
        return None


async def _read_text(response: httpx2.Response) -> str:
    try:
        data = await response.aread()
    except httpx2.HTTPError:
        data = b""
    finally:
        await response.aclose()
    return data.decode("utf-8", errors="replace")
