"""Read `CODEX_HOME/config.toml` and layer it: defaults < file < profile < `-c` < request.

A broken file never stops the server: it is replaced by defaults and reported as a
`configWarning` (summary, details `path:line:col: message`, path, range), as the reference does.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

INVALID_SUMMARY = "Invalid configuration; using defaults."


def codex_home() -> Path:
    """CODEX_HOME, else ~/.codex (what users and IDEs expect; no XDG dirs)."""
    env = os.environ.get("CODEX_HOME")
    return Path(env) if env else Path.home() / ".codex"


class ConfigWarning:
    """The params of a `configWarning` notification."""

    __slots__ = ("column", "details", "end_column", "line", "path", "summary")

    def __init__(
        self,
        summary: str,
        details: str | None,
        path: str | None,
        line: int | None = None,
        column: int | None = None,
        end_column: int | None = None,
    ) -> None:
        self.summary = summary
        self.details = details
        self.path = path
        self.line = line
        self.column = column
        self.end_column = end_column

    def to_wire(self) -> dict[str, Any]:
        span = None
        if self.line is not None and self.column is not None:
            end = self.end_column if self.end_column is not None else self.column
            span = {
                "start": {"line": self.line, "column": self.column},
                "end": {"line": self.line, "column": end},
            }
        return {"summary": self.summary, "details": self.details, "path": self.path, "range": span}


def parse_override_value(raw: str) -> Any:
    """A `-c` value: TOML when it parses as one, else the text itself (as `codex -c`)."""
    try:
        return tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        return raw.strip()


def set_dotted(target: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `a.b.c` in nested tables, creating (or replacing non-table) parents."""
    parts = [p.strip().strip('"') for p in dotted.split(".")]
    node = target
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; any other value in `top` replaces the one in `base`."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def value_position(text: str, key: str) -> tuple[int, int, int] | None:
    """1-based (line, start column, end column) of a top-level `key = value` in the file."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        if stripped.startswith("["):
            return None  # past the top-level keys
        name, sep, rest = stripped.partition("=")
        if sep and name.strip().strip('"') == key:
            start = len(line) - len(rest.lstrip()) + 1
            value = rest.split("#", 1)[0].strip()
            return number, start, start + max(len(value), 1) - 1
    return None


def read_file(path: Path) -> tuple[dict[str, Any], ConfigWarning | None]:
    """The file's tables, or ({}, warning) when it cannot be read or parsed."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, None
    except (OSError, UnicodeDecodeError) as exc:
        return {}, ConfigWarning(INVALID_SUMMARY, f"{path}: {exc}", str(path))
    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as exc:
        message, line, col = _split_position(str(exc))
        where = f"{path}:{line}:{col}" if line is not None else str(path)
        return {}, ConfigWarning(INVALID_SUMMARY, f"{where}: {message}", str(path), line, col)


def _split_position(text: str) -> tuple[str, int | None, int | None]:
    """tomllib (3.11) puts the position in the text: "... (at line 2, column 5)"."""
    head, sep, tail = text.rpartition(" (at line ")
    if not sep:
        return text, None, None
    line, _, col = tail.rstrip(")").partition(", column ")
    try:
        return head, int(line), int(col)
    except ValueError:
        return text, None, None


def layered(
    file_values: dict[str, Any],
    cli_overrides: list[tuple[str, str]],
    request_overrides: dict[str, Any] | None = None,
    profile: str | None = None,
) -> dict[str, Any]:
    """Merge the layers; the active profile is `profile`, else `-c profile=`, else the file's."""
    cli: dict[str, Any] = {}
    for key, raw in cli_overrides:
        set_dotted(cli, key, parse_override_value(raw))
    request: dict[str, Any] = {}
    for key, value in (request_overrides or {}).items():
        set_dotted(request, key, value)
    name = profile or request.get("profile") or cli.get("profile") or file_values.get("profile")
    merged = dict(file_values)
    profiles = file_values.get("profiles")
    if (
        isinstance(name, str)
        and isinstance(profiles, dict)
        and isinstance(profiles.get(name), dict)
    ):
        merged = deep_merge(merged, profiles[name])
    return deep_merge(deep_merge(merged, cli), request)
