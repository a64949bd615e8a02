"""One isolated run directory per server process: CODEX_HOME, HOME, cwd and the environment.

Both servers and the benchmark build their runs here, so the reference and pycodex see exactly
the same configuration, and the only model endpoint either can reach is the loopback fake.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# Variables that could point a server at a real backend or a proxy, or change its identity.
_STRIPPED_PREFIXES = ("OPENAI_", "CODEX_")
_STRIPPED_NAMES = frozenset(
    {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "TERM_PROGRAM", "TERM_PROGRAM_VERSION"}
)


@dataclass(frozen=True)
class RunHome:
    """Everything a server process needs to run isolated; `paths` feeds the normaliser."""

    root: Path
    codex_home: Path
    home: Path
    cwd: Path
    env: dict[str, str]

    @property
    def paths(self) -> dict[str, str]:
        """Volatile paths and their placeholders, most specific first."""
        return {
            str(self.codex_home): "<CODEX_HOME>",
            str(self.cwd): "<CWD>",
            str(self.home): "<HOME>",
        }


def config_toml(port: int) -> str:
    """The mock provider config: a custom id, since built-in provider ids cannot be redefined."""
    base = f"http://127.0.0.1:{port}"
    return (
        'model_provider = "mock"\n'
        f'chatgpt_base_url = "{base}/backend-api/"\n'
        "\n"
        "[model_providers.mock]\n"
        'name = "mock"\n'
        f'base_url = "{base}/v1"\n'
        'wire_api = "responses"\n'
        "requires_openai_auth = true\n"
        "request_max_retries = 0\n"
        "stream_max_retries = 0\n"
    )


def server_env(
    codex_home: Path, home: Path, port: int, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The caller's environment minus credentials, proxies and terminal identity."""
    source = os.environ if base is None else base
    env = {
        key: value
        for key, value in source.items()
        if not key.upper().startswith(_STRIPPED_PREFIXES) and key.upper() not in _STRIPPED_NAMES
    }
    env.update(
        CODEX_HOME=str(codex_home),
        HOME=str(home),
        OPENAI_BASE_URL=f"http://127.0.0.1:{port}/v1",
        TERM="xterm",
        # Loopback must never go through a proxy, whatever a child process decides to read.
        NO_PROXY="127.0.0.1,localhost",
        # codex looks for an enclosing git checkout (gitInfo, turn diffs); stop at the run root.
        GIT_CEILING_DIRECTORIES=str(codex_home.parent),
    )
    return env


def make_home(root: Path, port: int, *, prelude: str = "", tables: str = "") -> RunHome:
    """Create `root/{codex-home,home,cwd}` and config.toml; `root` must be outside any checkout.

    `prelude` holds extra top-level keys (they must come before the first table), `tables` extra
    tables appended after the mock provider.
    """
    root.mkdir(parents=True, exist_ok=True)
    root = root.resolve()
    codex_home, home, cwd = root / "codex-home", root / "home", root / "cwd"
    for path in (codex_home, home, cwd):
        path.mkdir(exist_ok=True)
    config = prelude + config_toml(port) + tables
    (codex_home / "config.toml").write_text(config, encoding="utf-8")
    env = server_env(codex_home, home, port)
    return RunHome(root=root, codex_home=codex_home, home=home, cwd=cwd, env=env)
