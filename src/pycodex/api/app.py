"""Per-connection state shared by the api modules, and the options the server was started with.

Core packages never see this object: they receive what they need (originator, user agent,
an outgoing sender) as plain values and callables. Plain classes rather than dataclasses: this
module is on the start-up path, where importing `dataclasses` costs ~15 ms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..rpc.outgoing import Outgoing


class ServerOptions:
    """What `pycodex app-server` was launched with."""

    __slots__ = ("config_overrides",)

    def __init__(self, config_overrides: list[tuple[str, str]] | None = None) -> None:
        # `-c key=value` overrides as given; values are parsed as TOML when config loads.
        self.config_overrides = config_overrides or []


class ClientInfo:
    __slots__ = ("name", "title", "version")

    def __init__(self, name: str, version: str, title: str | None = None) -> None:
        self.name = name
        self.version = version
        self.title = title


class App:
    __slots__ = ("client", "options", "outgoing", "user_agent")

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.client: ClientInfo | None = None
        self.user_agent: str | None = None
        self.outgoing: Outgoing | None = None
