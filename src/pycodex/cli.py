"""Command line: `pycodex app-server [-c key=value ...] [--listen stdio://]`, and friends.

`app-server` is parsed by hand on purpose: an IDE spawns it on every start, and argparse (with
`re` and `gettext` behind it) costs more than the rest of the path to the `initialize` answer.
argparse serves only `generate-json-schema`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from . import PROTOCOL_VERSION, __version__

USAGE = f"""\
pycodex {__version__}: a Python implementation of the Codex app-server ({PROTOCOL_VERSION} protocol)

usage:
  pycodex app-server [-c key=value]... [--enable FEATURE]... [--disable FEATURE]...
                     [--listen stdio://]
      Serve the Codex app-server protocol (JSONL JSON-RPC) on stdin/stdout.
  pycodex app-server generate-json-schema --out DIR
      Write the JSON Schema of the protocol pycodex speaks into DIR.
  pycodex exec [--json] [-m MODEL] [-C DIR] [-c key=value]... PROMPT
      Run one turn in this process and print it (the answer alone on stdout);
      --json prints the JSONL events of `codex exec --json`.
  pycodex --version

  -c, --config key=value   override a config.toml value (dotted key; value parsed as TOML,
                           else taken as a string), as `codex -c`
  --enable/--disable NAME  shorthand for -c features.NAME=true/false
  --listen URL             transport; only stdio:// (the default) is supported
"""


class UsageError(Exception):
    pass


def _split_override(raw: str) -> tuple[str, str]:
    key, sep, value = raw.partition("=")
    key = key.strip()
    if not sep or not key:
        raise UsageError(f"invalid override {raw!r}: expected key=value")
    return key, value.strip()


def parse_app_server(args: Sequence[str]) -> list[tuple[str, str]]:
    """Options of `app-server`: the config overrides, in the order given."""
    overrides: list[tuple[str, str]] = []
    it = iter(args)
    for arg in it:
        name, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in ("-c", "--config", "--enable", "--disable", "--listen"):
            value = inline if eq else next(it, None)
            if value is None:
                raise UsageError(f"{name} needs a value")
            if name in ("-c", "--config"):
                overrides.append(_split_override(value))
            elif name == "--listen":
                if value.rstrip("/") not in ("stdio:", "stdio"):
                    raise UsageError(
                        f"unsupported --listen URL {value!r}: only stdio:// is supported"
                    )
            else:
                overrides.append((f"features.{value}", "true" if name == "--enable" else "false"))
        elif arg.startswith("-c") and len(arg) > 2:
            overrides.append(_split_override(arg[2:]))
        else:
            raise UsageError(f"unexpected argument {arg!r}")
    return overrides


def _generate_json_schema(args: Sequence[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="pycodex app-server generate-json-schema")
    parser.add_argument("--out", required=True, help="directory to write the schema files into")
    parser.add_argument("--experimental", action="store_true", help="accepted for compatibility")
    ns = parser.parse_args(list(args))
    from pathlib import Path

    from .protocol.export import write_schema

    out = Path(ns.out)
    out.mkdir(parents=True, exist_ok=True)
    for path in write_schema(out):
        sys.stderr.write(f"wrote {path}\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        sys.stdout.write(USAGE)
        return 0
    if args[0] in ("-V", "--version"):
        sys.stdout.write(f"pycodex {__version__} (Codex app-server protocol {PROTOCOL_VERSION})\n")
        return 0
    command, rest = args[0], args[1:]
    if command == "exec":
        from .exec import main as exec_main

        return exec_main(rest)
    if command != "app-server":
        sys.stderr.write(f"pycodex: unknown command {command!r}\n\n{USAGE}")
        return 2
    if rest and rest[0] == "generate-json-schema":
        return _generate_json_schema(rest[1:])
    if any(a in ("-h", "--help") for a in rest):
        sys.stdout.write(USAGE)
        return 0
    try:
        overrides = parse_app_server(rest)
    except UsageError as exc:
        sys.stderr.write(f"pycodex app-server: {exc}\n")
        return 2
    from .api.app import ServerOptions
    from .api.server import run_stdio

    return run_stdio(ServerOptions(config_overrides=overrides))
