"""`initialize` and the v1 `getUserAgent`: who the client is, and the user agent we answer with.

`fast_initialize` serves the start-up prelude without pydantic; it accepts only the happy path
and leaves every other case to the full handler, which words errors as the reference does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import PROTOCOL_VERSION, __version__
from ..rpc.errors import invalid_request
from ..rpc.framing import Request
from ..useragent import app_server_user_agent, is_valid_header_value
from .app import App, ClientInfo

if TYPE_CHECKING:
    from ..rpc.router import Router

SERVER_NAME = "pycodex"


def accept_client(app: App, client: ClientInfo) -> dict[str, Any]:
    """Record the client and build the `initialize` result."""
    if not is_valid_header_value(client.name):
        # The name becomes the originator header upstream, hence this check (0.94 wording).
        raise invalid_request(
            f"Invalid clientInfo.name: '{client.name}'. Must be a valid HTTP header value."
        )
    app.client = client
    app.user_agent = app_server_user_agent(client.name, client.version)
    # serverInfo came after 0.94; newer SDKs read it. The version is the protocol release
    # clients gate features on, as in userAgent; the name says what is really answering.
    return {
        "userAgent": app.user_agent,
        "serverInfo": {"name": SERVER_NAME, "version": PROTOCOL_VERSION},
    }


def fast_initialize(app: App, request: Request) -> dict[str, Any] | None:
    """The prelude's handshake: a result for a well-formed request, else None (defer)."""
    params = request.params
    if not isinstance(params, dict):
        return None
    info = params.get("clientInfo")
    if not isinstance(info, dict):
        return None
    name, version, title = info.get("name"), info.get("version"), info.get("title")
    if not isinstance(name, str) or not isinstance(version, str):
        return None
    if title is not None and not isinstance(title, str):
        return None
    if not is_valid_header_value(name):
        return None
    return accept_client(app, ClientInfo(name=name, version=version, title=title))


def register(router: Router, app: App) -> None:
    async def initialize(params: Any) -> dict[str, Any]:
        info = params.client_info
        return accept_client(
            app, ClientInfo(name=info.name, version=info.version, title=info.title)
        )

    def user_agent(_params: None) -> dict[str, Any]:
        return {"userAgent": app.user_agent}

    async def get_user_agent(params: None) -> dict[str, Any]:
        return user_agent(params)

    router.register("initialize", initialize)
    router.register("getUserAgent", get_user_agent, fast=user_agent)


def server_version() -> str:
    return f"{SERVER_NAME} {__version__} (Codex app-server protocol {PROTOCOL_VERSION})"
