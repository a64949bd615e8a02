"""The local OAuth callback server of one ChatGPT browser login, on 127.0.0.1.

It reports only through the callbacks it is given and must not import the JSON-RPC or API
layers. `pycodex.auth.login.LoginManager` starts it and keeps one login at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pycodex.auth.login import (
    CANCELLED_BY_PEER,
    ERROR_PREFIX,
    NOT_COMPLETED,
    LoginPortInUseError,
    LoginServerStartError,
    LoginSettings,
    OnComplete,
    OnSuccess,
    TokenExchangeError,
    build_authorize_url,
    compose_success_url,
    exchange_code_for_tokens,
    generate_pkce,
    generate_state,
    obtain_api_key,
    workspace_error,
)
from pycodex.auth.tokens import TokenData, parse_id_token

log = logging.getLogger(__name__)

_HEAD_TIMEOUT = 10.0

SUCCESS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signed in to Codex</title>
<style>
  body { font-family: system-ui, sans-serif; display: grid; place-items: center;
         min-height: 100vh; margin: 0; background: #f6f6f4; color: #1d1d1b; }
  main { text-align: center; padding: 2rem 3rem; background: #fff; border-radius: 12px;
         box-shadow: 0 1px 4px rgba(0, 0, 0, .12); }
  h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
  p { margin: 0; color: #55554f; }
</style>
</head>
<body>
<main>
  <h1>Signed in to Codex</h1>
  <p>You can close this tab and return to your editor or terminal.</p>
</main>
</body>
</html>
"""


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    location: str | None = None

    def encode(self) -> bytes:
        head = [f"HTTP/1.1 {self.status} {HTTPStatus(self.status).phrase}"]
        if self.location is not None:
            head.append(f"Location: {self.location}")
        if self.body:
            head.append(f"Content-Type: {self.content_type}")
        head += [f"Content-Length: {len(self.body)}", "Connection: close", "", ""]
        return "\r\n".join(head).encode("latin-1") + self.body


def _text(status: int, text: str) -> _Reply:
    return _Reply(status, text.encode("utf-8"))


async def _send_cancel(port: int) -> None:
    """GET /cancel to whatever holds the port: a previous login server there then lets go."""
    try:
        async with asyncio.timeout(2.0):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            request = f"GET /cancel HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
            writer.write(request.encode("ascii"))
            await writer.drain()
            await reader.read(64)
            writer.close()
    except (OSError, TimeoutError) as err:
        log.info("could not cancel a previous login server on port %d: %s", port, err)


async def _bind(settings: LoginSettings, handler: Any) -> asyncio.Server:
    address = f"127.0.0.1:{settings.port}"
    cancel_sent = False
    for attempt in range(1, max(settings.bind_attempts, 1) + 1):
        try:
            return await asyncio.start_server(handler, "127.0.0.1", settings.port)
        except OSError as err:
            if err.errno != errno.EADDRINUSE:
                raise LoginServerStartError(str(err)) from err
        if not cancel_sent:
            cancel_sent = True
            await _send_cancel(settings.port)
        if attempt < settings.bind_attempts:
            await asyncio.sleep(settings.bind_retry_delay)
    raise LoginPortInUseError(f"Port {address} is already in use")


class LoginServer:
    """One pending browser login: its callback server, PKCE codes and state.

    Ends exactly once: the success page was served after tokens were persisted, `/cancel`,
    `cancel()`, or a workspace refusal. on_complete then runs in its own task once the
    listening socket is closed; `wait()` returns after it has run.
    """

    def __init__(
        self,
        settings: LoginSettings,
        on_success: OnSuccess,
        on_complete: OnComplete,
        on_finished: Callable[[LoginServer], None] | None = None,
    ) -> None:
        self.settings = settings
        self.login_id = str(uuid.uuid4())
        self._pkce = generate_pkce()
        self._state = generate_state()
        self._on_success = on_success
        self._on_complete = on_complete
        self._on_finished = on_finished
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[Any]] = set()
        self._lock = asyncio.Lock()
        self._persist: asyncio.Future[None] | None = None
        self._persisted = False
        self._finished = False
        self._report: asyncio.Task[None] | None = None
        self._done = asyncio.Event()
        self.port = 0
        self.redirect_uri = ""
        self.auth_url = ""

    async def start(self) -> None:
        """Bind 127.0.0.1:port (retrying while busy); raises LoginServerStartError."""
        self._server = await _bind(self.settings, self._serve_connection)
        self.port = self._server.sockets[0].getsockname()[1]
        self.redirect_uri = f"http://localhost:{self.port}/auth/callback"
        self.auth_url = build_authorize_url(
            self.settings, self.redirect_uri, self._pkce, self._state
        )

    @property
    def finished(self) -> bool:
        return self._finished

    def cancel(self) -> None:
        """End the login with `Login was not completed` (no-op once it has ended)."""
        self._finish(False, NOT_COMPLETED)

    async def wait(self) -> None:
        """Until the login has ended and on_complete has returned."""
        await self._done.wait()

    def _finish(self, success: bool, error: str | None) -> None:
        if self._finished:
            return
        self._finished = True
        if self._server is not None:
            self._server.close()  # closes the listening socket at once: the port is free
        current = asyncio.current_task()
        for task in self._connections:
            if task is not current:
                task.cancel()
        self._report = asyncio.create_task(self._report_completion(success, error))
        if self._on_finished is not None:
            self._on_finished(self)

    async def _report_completion(self, success: bool, error: str | None) -> None:
        # Let an in-flight persist settle first, so completion never overtakes it.
        if self._persist is not None:
            await asyncio.wait([self._persist])  # its outcome was handled by the callback
        try:
            await self._on_complete(self.login_id, success, error)
        except Exception:
            log.exception("login completion callback failed")
        finally:
            self._done.set()

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        finish: tuple[bool, str | None] | None = None
        try:
            if self._finished:
                return
            try:
                async with asyncio.timeout(_HEAD_TIMEOUT):
                    head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
                return
            async with self._lock:
                if self._finished:
                    return
                try:
                    reply, finish = await self._handle(head)
                except Exception:
                    log.exception("login callback request failed")
                    reply = _text(500, "Internal Server Error")
            writer.write(reply.encode())
            with contextlib.suppress(OSError):
                await writer.drain()
        except OSError as err:
            log.debug("login callback connection failed: %s", err)
        finally:
            writer.close()
            if task is not None:
                self._connections.discard(task)
            if finish is not None:
                self._finish(*finish)

    async def _handle(self, head: bytes) -> tuple[_Reply, tuple[bool, str | None] | None]:
        """One request → reply, and (success, error) when it ends the login."""
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3:
            return _text(400, "Bad Request"), None
        target = urlsplit(parts[1])
        params = dict(parse_qsl(target.query, keep_blank_values=True))
        if target.path == "/auth/callback":
            return await self._callback(params)
        if target.path == "/success":
            page = _Reply(200, SUCCESS_PAGE.encode("utf-8"), "text/html; charset=utf-8")
            # Deliberate: 0.94 counts any /success as a finished login, so reloading an old
            # success tab would "complete" a new login. Only this login's own redirect counts.
            return page, (True, None) if self._persisted else None
        if target.path == "/cancel":
            return _text(200, "Login cancelled"), (False, CANCELLED_BY_PEER)
        return _text(404, "Not Found"), None

    async def _callback(
        self, params: dict[str, str]
    ) -> tuple[_Reply, tuple[bool, str | None] | None]:
        # 0.94 order: state, code (an OAuth `error=` callback has no code and lands there),
        # exchange, workspace, API-key exchange, persist, redirect. Only a workspace refusal
        # ends the login; every other failure leaves it waiting for another callback.
        if params.get("state") != self._state:
            return _text(400, "State mismatch"), None
        code = params.get("code")
        if not code:
            return _text(400, "Missing authorization code"), None
        try:
            id_token, access_token, refresh_token = await exchange_code_for_tokens(
                self.settings, self.redirect_uri, self._pkce, code
            )
        except TokenExchangeError as err:
            return _text(500, f"Token exchange failed: {err}"), None
        refusal = workspace_error(self.settings.forced_chatgpt_workspace_id, id_token)
        if refusal is not None:
            return _text(200, refusal), (False, ERROR_PREFIX + refusal)
        api_key = await obtain_api_key(self.settings, id_token)
        try:
            info = parse_id_token(id_token)
            tokens = TokenData(
                id_token=info,
                access_token=access_token,
                refresh_token=refresh_token,
                account_id=info.chatgpt_account_id,
            )
            self._persist = asyncio.ensure_future(self._on_success(tokens, api_key))
            # Shielded: a cancel while persisting must not leave a half-written store.
            await asyncio.shield(self._persist)
        except Exception as err:
            return _text(500, f"Unable to persist auth file: {err}"), None
        self._persisted = True
        location = compose_success_url(self.port, self.settings.issuer, id_token, access_token)
        return _Reply(302, location=location), None
