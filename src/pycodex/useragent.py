"""The reference's user-agent string, which clients parse to gate features on the version.

`<originator>/<codex version> (<OS> <x.y.z>; <arch>) <terminal>`; the app-server appends
` (<client name>; <client version>)`. Stdlib only: it is computed while answering `initialize`.
"""

from __future__ import annotations

import os

from . import PROTOCOL_VERSION

_OS_NAMES = {
    "debian": "Debian",
    "ubuntu": "Ubuntu",
    "fedora": "Fedora",
    "arch": "Arch Linux",
    "alpine": "Alpine Linux",
    "centos": "CentOS",
    "rhel": "Red Hat Enterprise Linux",
    "rocky": "Rocky Linux",
    "almalinux": "AlmaLinux",
    "amzn": "Amazon Linux",
    "opensuse-leap": "openSUSE",
    "opensuse-tumbleweed": "openSUSE",
    "linuxmint": "Mint",
    "manjaro": "Manjaro",
    "nixos": "NixOS",
    "gentoo": "Gentoo Linux",
    "pop": "Pop!_OS",
}

_HEADER_SAFE_PUNCTUATION = frozenset("._/-")


def _os_release(path: str = "/etc/os-release") -> dict[str, str]:
    values: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8") as fh:
            for raw in fh:
                key, sep, value = raw.strip().partition("=")
                if sep:
                    values[key] = value.strip().strip("\"'")
    except OSError:
        pass
    return values


def _version(raw: str) -> str:
    """Pad a numeric version to x.y.z as the reference's OS probe prints it."""
    parts: list[int] = []
    for piece in raw.split(".", 3)[:3]:
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) != len(piece):
            break
    if not parts:
        return raw or "Unknown"
    return ".".join(str(n) for n in [*parts, 0, 0][:3])


def os_description() -> str:
    """`<OS name> <version>; <arch>` for this machine."""
    uname = os.uname()
    if uname.sysname == "Linux":
        info = _os_release()
        name = _OS_NAMES.get(info.get("ID", ""), info.get("NAME", "Linux") or "Linux")
        version = _version(info.get("VERSION_ID", ""))
    elif uname.sysname == "Darwin":
        name, version = "Mac OS", _version(uname.release)
    else:
        name, version = uname.sysname, _version(uname.release)
    return f"{name} {version}; {uname.machine}"


def _env(name: str, environ: os._Environ[str] | dict[str, str]) -> str | None:
    value = environ.get(name)
    return value if value and value.strip() else None


def terminal(environ: os._Environ[str] | dict[str, str] | None = None) -> str:
    """The terminal token: TERM_PROGRAM[/version], emulator hints, then TERM, else `unknown`."""
    env = os.environ if environ is None else environ
    program = _env("TERM_PROGRAM", env)
    if program:
        version = _env("TERM_PROGRAM_VERSION", env)
        token = f"{program}/{version}" if version else program
    elif (v := _env("WEZTERM_VERSION", env)) is not None:
        token = f"WezTerm/{v}"
    elif _env("KITTY_WINDOW_ID", env) or "kitty" in (env.get("TERM") or ""):
        token = "kitty"
    elif _env("ALACRITTY_SOCKET", env) or env.get("TERM") == "alacritty":
        token = "Alacritty"
    elif (v := _env("KONSOLE_VERSION", env)) is not None:
        token = f"Konsole/{v}"
    elif _env("GNOME_TERMINAL_SCREEN", env):
        token = "gnome-terminal"
    elif (v := _env("VTE_VERSION", env)) is not None:
        token = f"VTE/{v}"
    elif _env("WT_SESSION", env):
        token = "WindowsTerminal"
    else:
        token = _env("TERM", env) or "unknown"
    return "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in _HEADER_SAFE_PUNCTUATION) else "_"
        for ch in token
    )


def codex_user_agent(originator: str) -> str:
    """The user agent sent to the model backend and reported in `initialize`."""
    return f"{originator}/{PROTOCOL_VERSION} ({os_description()}) {terminal()}"


def is_valid_header_value(value: str) -> bool:
    """Whether `value` can be an HTTP header value (visible bytes, spaces and tabs only)."""
    return all(ch == "\t" or (ch >= " " and ch != "\x7f") for ch in value)


def app_server_user_agent(client_name: str, client_version: str) -> str:
    """What `initialize` answers: the user agent plus the client's own name and version."""
    # The reference trims the inside of the parentheses as a whole (observed: a name " a"
    # gives "(a; v)" there while the leading originator keeps its space).
    suffix = f"{client_name}; {client_version}".strip()
    return f"{codex_user_agent(client_name)} ({suffix})"
