"""Per-connection state shared by the api modules, and the options the server was started with.

Core packages never see this object: they receive what they need (originator, user agent,
an outgoing sender) as plain values and callables. Plain classes rather than dataclasses: this
module is on the start-up path, where importing `dataclasses` costs ~15 ms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..auth.login import LoginManager
    from ..auth.manager import AuthManager
    from ..config.model import Config
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
    __slots__ = ("_auth", "_config", "_logins", "client", "options", "outgoing", "user_agent")

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.client: ClientInfo | None = None
        self.user_agent: str | None = None
        self.outgoing: Outgoing | None = None
        self._config: Config | None = None
        self._auth: AuthManager | None = None
        self._logins: LoginManager | None = None

    @property
    def config(self) -> Config:
        """The effective config (file + `-c`), loaded on first use after the handshake."""
        if self._config is None:
            from ..config.model import load

            self._config = load(self.options.config_overrides)
        return self._config

    @property
    def auth(self) -> AuthManager:
        """The connection's credentials, built on first use from the config."""
        if self._auth is None:
            from .account import build_auth_manager

            self._auth = build_auth_manager(self)
        return self._auth

    @property
    def logins(self) -> LoginManager:
        if self._logins is None:
            from ..auth.login import LoginManager

            self._logins = LoginManager()
        return self._logins

    @property
    def originator(self) -> str:
        """`clientInfo.name`; CODEX_INTERNAL_ORIGINATOR_OVERRIDE wins, as in the reference."""
        import os

        override = os.environ.get("CODEX_INTERNAL_ORIGINATOR_OVERRIDE")
        if override:
            return override
        return self.client.name if self.client is not None else "codex_cli_rs"

    def notify(self, method: str, params: object) -> None:
        if self.outgoing is not None:
            self.outgoing.notify(method, params)
