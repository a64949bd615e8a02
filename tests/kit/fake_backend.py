"""A fake OAuth issuer and ChatGPT usage endpoint over real HTTP on 127.0.0.1 (stdlib only).

`/oauth/token` answers the authorization-code, refresh-token and API-key token-exchange grants;
`/backend-api/wham/usage` and `/api/codex/usage` answer usage. Every grant can be scripted with
one-shot replies; without a script it behaves like a strict issuer (a spent refresh token is
answered with 401 `refresh_token_reused`). Every request is recorded.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.kit.fake_responses import RecordedRequest as _HttpRequest

AUTH_CLAIMS = "https://api.openai.com/auth"
TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"

# Route keys for scripting and for filtering recorded requests.
AUTHORIZATION_CODE = "authorization_code"
REFRESH = "refresh_token"
TOKEN_EXCHANGE = "token_exchange"
USAGE = "usage"
OTHER = "other"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def make_jwt(claims: dict[str, Any]) -> str:
    """An unsigned (`alg: none`) JWT with these claims; the signature part is a fixed filler."""
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}.c2ln"


def make_id_token(
    *,
    email: str | None = "user@example.com",
    plan: str | None = "pro",
    account_id: str | None = "ws-1",
    user_id: str | None = "user-1",
    **auth_claims: Any,
) -> str:
    """An id_token with the claims pycodex reads; None leaves a claim out."""
    auth: dict[str, Any] = {}
    if plan is not None:
        auth["chatgpt_plan_type"] = plan
    if account_id is not None:
        auth["chatgpt_account_id"] = account_id
    if user_id is not None:
        auth["chatgpt_user_id"] = user_id
    auth.update(auth_claims)
    claims: dict[str, Any] = {AUTH_CLAIMS: auth}
    if email is not None:
        claims["email"] = email
    return make_jwt(claims)


@dataclass(frozen=True)
class Reply:
    """A scripted HTTP reply; `delay` seconds pass before it is sent."""

    status: int = 200
    body: Any = None  # JSON-encoded unless bytes/str
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class RecordedRequest(_HttpRequest):
    """One request as the backend saw it, with the route it was filed under."""

    route: str = OTHER

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


class FakeBackend:
    """The fake issuer + usage server; use as a context manager or call start()/stop()."""

    def __init__(self, *, account_id: str | None = "ws-1", email: str = "user@example.com") -> None:
        self.account_id = account_id
        self.email = email
        self.plan = "pro"
        self.usage_body: Any = {"plan_type": "plus", "rate_limit": None, "credits": None}
        self.exchanged_api_key = "sk-exchanged"
        self._lock = threading.Lock()
        self._scripts: dict[str, deque[Reply | Callable[[RecordedRequest], Reply]]] = defaultdict(
            deque
        )
        self._requests: list[RecordedRequest] = []
        self._counter = itertools.count(1)
        self.valid_refresh_tokens: set[str] = set()
        self.delays: dict[str, float] = {}
        """Seconds to wait before each default (unscripted) reply, per route."""
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeBackend:
        backend = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                backend._handle(self)

            def do_POST(self) -> None:
                backend._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeBackend:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>` (no trailing slash): the issuer base URL."""
        assert self._server is not None, "backend not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth/token"

    @property
    def chatgpt_base_url(self) -> str:
        return f"{self.url}/backend-api/"

    # -- scripting and inspection ------------------------------------------------------------
    def script(self, route: str, *replies: Reply | Callable[[RecordedRequest], Reply]) -> None:
        """Queue one-shot replies for a route (AUTHORIZATION_CODE, REFRESH, ...)."""
        with self._lock:
            self._scripts[route].extend(replies)

    def requests(self, route: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self._requests if route is None or r.route == route]

    def issue_tokens(self, *, account_id: str | None = None) -> dict[str, str]:
        """A fresh token set whose refresh token the backend will accept once."""
        n = next(self._counter)
        refresh = f"rt-{n}"
        with self._lock:
            self.valid_refresh_tokens.add(refresh)
        return {
            "id_token": make_id_token(
                email=self.email,
                plan=self.plan,
                account_id=account_id if account_id is not None else self.account_id,
                token_serial=n,
            ),
            "access_token": f"at-{n}",
            "refresh_token": refresh,
        }

    # -- request handling --------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        path = urlsplit(handler.path).path
        request = RecordedRequest(
            route=self._route(handler.command, path, handler.headers.get("content-type"), body),
            method=handler.command,
            path=handler.path,
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
        )
        with self._lock:
            self._requests.append(request)
            queue = self._scripts.get(request.route)
            scripted = queue.popleft() if queue else None
        if scripted is None:
            reply = self._default(request)
            reply = replace(reply, delay=max(reply.delay, self.delays.get(request.route, 0.0)))
        elif isinstance(scripted, Reply):
            reply = scripted
        else:
            reply = scripted(request)
        if reply.delay:
            time.sleep(reply.delay)
        self._send(handler, reply)

    @staticmethod
    def _route(method: str, path: str, content_type: str | None, body: bytes) -> str:
        if method == "POST" and path == "/oauth/token":
            grant = ""
            if content_type and "json" in content_type:
                try:
                    grant = str(json.loads(body).get("grant_type", ""))
                except (ValueError, AttributeError):
                    grant = ""
            else:
                grant = dict(parse_qsl(body.decode(errors="replace"))).get("grant_type", "")
            return {
                "authorization_code": AUTHORIZATION_CODE,
                "refresh_token": REFRESH,
                TOKEN_EXCHANGE_GRANT: TOKEN_EXCHANGE,
            }.get(grant, OTHER)
        if method == "GET" and path in ("/backend-api/wham/usage", "/api/codex/usage"):
            return USAGE
        return OTHER

    def _default(self, request: RecordedRequest) -> Reply:
        if request.route == AUTHORIZATION_CODE:
            return Reply(body=self.issue_tokens())
        if request.route == TOKEN_EXCHANGE:
            return Reply(body={"access_token": self.exchanged_api_key})
        if request.route == REFRESH:
            try:
                spent = str(request.json().get("refresh_token"))
            except ValueError:
                return Reply(400, {"error": {"message": "bad json"}})
            with self._lock:
                known = spent in self.valid_refresh_tokens
                self.valid_refresh_tokens.discard(spent)
            if not known:
                return Reply(401, {"error": {"code": "refresh_token_reused", "message": "reused"}})
            return Reply(body=self.issue_tokens())
        if request.route == USAGE:
            return Reply(body=self.usage_body)
        return Reply(404, "Not Found")

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if isinstance(reply.body, bytes):
            payload, ctype = reply.body, "application/octet-stream"
        elif isinstance(reply.body, str):
            payload, ctype = reply.body.encode(), "text/plain"
        else:
            payload, ctype = json.dumps(reply.body).encode(), "application/json"
        try:
            handler.send_response(reply.status)
            headers = {"content-type": ctype, **reply.headers}
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("content-length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass


@contextmanager
def fake_backend(**kwargs: Any) -> Iterator[FakeBackend]:
    """A started FakeBackend, stopped on exit."""
    backend = FakeBackend(**kwargs).start()
    try:
        yield backend
    finally:
        backend.stop()
