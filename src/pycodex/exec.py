"""`pycodex exec PROMPT`: one turn in-process, for a person or (with `--json`) for a script.

Human mode prints what happens on stderr as it happens (the settings, the prompt, the answer
streaming in, the tokens used) and only the final answer on stdout, so `pycodex exec … > f`
keeps just the answer, as `codex exec` does. `--json` prints the event stream of
`codex exec --json` on stdout: thread.started, turn.started, item.*, turn.completed/failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from . import PROTOCOL_VERSION, __version__

if TYPE_CHECKING:
    from .config.model import Config


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pycodex exec", description="Run one turn and print it.")
    parser.add_argument("prompt", help="what to ask; '-' reads it from stdin")
    parser.add_argument(
        "--json", action="store_true", help="print JSONL events (codex exec --json)"
    )
    parser.add_argument("-m", "--model", help="model to use")
    parser.add_argument("-C", "--cd", help="working directory for the turn")
    parser.add_argument("-c", "--config", action="append", default=[], metavar="key=value")
    parser.add_argument("--skip-git-repo-check", action="store_true", help="accepted; no check")
    return parser.parse_args(list(argv))


class Renderer:
    """Turns the engine's notifications into exec's output (human or JSONL)."""

    def __init__(self, json_mode: bool, out: TextIO, err: TextIO) -> None:
        self.json_mode = json_mode
        self.out = out
        self.err = err
        self.final = ""
        self.failed: str | None = None
        self.usage: dict[str, int] | None = None
        self._items = 0
        self._streaming = False

    def event(self, payload: dict[str, Any]) -> None:
        if self.json_mode:
            self.out.write(json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n")
            self.out.flush()

    def say(self, text: str) -> None:
        if not self.json_mode:
            self.err.write(text)
            self.err.flush()

    def _item_id(self) -> str:
        value = f"item_{self._items}"
        self._items += 1
        return value

    def __call__(self, method: str, params: dict[str, Any]) -> None:
        item = params.get("item") if isinstance(params.get("item"), dict) else None
        if method == "item/started" and item and item.get("type") == "agentMessage":
            self.say("codex\n")
            self._streaming = True
        elif method == "item/agentMessage/delta" or method == "item/reasoning/summaryTextDelta":
            self.say(params["delta"])
        elif method == "item/completed" and item is not None:
            self._completed(item)
        elif method == "thread/tokenUsage/updated":
            last = params["tokenUsage"]["last"]
            self.usage = {
                "input_tokens": last["inputTokens"],
                "cached_input_tokens": last["cachedInputTokens"],
                "output_tokens": last["outputTokens"],
            }
            self._total = params["tokenUsage"]["total"]["totalTokens"]
        elif method == "error" and not params.get("willRetry"):
            self.failed = params["error"]["message"]
            self.event({"type": "error", "message": self.failed})
            self.say(f"ERROR: {self.failed}\n")
        elif method == "error":
            self.say(f"{params['error']['message']}\n")

    def _completed(self, item: dict[str, Any]) -> None:
        kind = item.get("type")
        if kind == "agentMessage":
            self.final = item.get("text", "")
            if self._streaming:
                self.say("\n")
                self._streaming = False
            self.event(
                {
                    "type": "item.completed",
                    "item": {"id": self._item_id(), "type": "agent_message", "text": self.final},
                }
            )
        elif kind == "reasoning":
            text = "\n".join(item.get("summary") or [])
            self.say("\n")
            self.event(
                {
                    "type": "item.completed",
                    "item": {"id": self._item_id(), "type": "reasoning", "text": text},
                }
            )


def prepare(args: argparse.Namespace, err: TextIO) -> tuple[Config, str, str] | None:
    """The blocking part, before the loop starts: config, prompt and working directory."""
    from .config.model import load

    overrides = []
    for raw in args.config:
        key, sep, value = raw.partition("=")
        if not sep:
            err.write(f"pycodex exec: invalid override {raw!r}: expected key=value\n")
            return None
        overrides.append((key.strip(), value.strip()))
    config = load(overrides)
    for warning in config.warnings:
        err.write(f"warning: {warning.summary} {warning.details}\n")
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    cwd = os.path.abspath(args.cd) if args.cd else os.getcwd()
    return config, prompt, cwd


async def run(
    args: argparse.Namespace, config: Config, prompt: str, cwd: str, out: TextIO, err: TextIO
) -> int:
    from .core.instructions import BASE_INSTRUCTIONS
    from .core.threads import LoadedThread, ThreadSettings
    from .core.turn import TurnRun
    from .model.client import HttpModelClient
    from .store import ThreadStore, records

    settings = ThreadSettings(
        model=args.model or config.model,
        model_provider=config.model_provider_id,
        cwd=cwd,
        approval_policy="never",  # nobody to ask: exec never prompts, as codex exec
        sandbox_mode=config.sandbox_mode,
        reasoning_effort=config.model_reasoning_effort,
        base_instructions=BASE_INSTRUCTIONS,
    )
    provider = config.provider
    auth = None
    if os.environ.get("CODEX_API_KEY"):
        provider.env_key = "CODEX_API_KEY"  # exec honours CODEX_API_KEY (auth.md §1.6)
    elif provider.requires_openai_auth:
        from .auth.credentials import AuthSettings
        from .auth.manager import AuthManager

        auth = AuthManager(AuthSettings.from_config(config))
    thread_id = str(records.uuid7())
    created = datetime.now(UTC)
    writer = await ThreadStore(config.codex_home).create(
        thread_id=thread_id,
        created=created,
        cwd=cwd,
        originator="codex_exec",
        model_provider=settings.model_provider,
        base_instructions=settings.base_instructions,
        git=records.git_info(Path(cwd)),
    )
    thread = LoadedThread(thread_id, settings, created, writer.path, None, writer)
    render = Renderer(args.json, out, err)
    render.event({"type": "thread.started", "thread_id": thread_id})
    render.say(
        f"pycodex {__version__} (Codex {PROTOCOL_VERSION} protocol)\n--------\n"
        f"workdir: {cwd}\nmodel: {settings.model}\nprovider: {settings.model_provider}\n"
        f"approval: never\nsandbox: {settings.sandbox_mode}\nsession id: {thread_id}\n"
        f"--------\nuser\n{prompt}\n"
    )
    render.event({"type": "turn.started"})
    client = HttpModelClient(provider, auth)
    try:
        run_ = TurnRun(thread, "0", [{"type": "text", "text": prompt}], client, render)
        await run_.run()
    finally:
        await client.aclose()
        await writer.close()
    if render.failed is not None:
        render.event({"type": "turn.failed", "error": {"message": render.failed}})
        return 1
    render.event({"type": "turn.completed", "usage": render.usage or {}})
    if not args.json:
        total = getattr(render, "_total", None)
        if total is not None:
            render.say(f"tokens used\n{total}\n")
        out.write(render.final + ("\n" if not render.final.endswith("\n") else ""))
    return 0


def main(argv: Sequence[str]) -> int:
    args = parse(argv)
    from . import log

    log.setup()
    prepared = prepare(args, sys.stderr)
    if prepared is None:
        return 2
    config, prompt, cwd = prepared
    try:
        return asyncio.run(run(args, config, prompt, cwd, sys.stdout, sys.stderr))
    except KeyboardInterrupt:
        return 130
