"""Answer the handshake before asyncio and the protocol models are even imported.

Spawn → `initialize` response is what an IDE waits on; Python's asyncio and pydantic imports
cost several times the reference's whole start-up. So the very first line is read here with
plain blocking I/O and, when it is a well-formed handshake request that `answer` accepts, it is
answered at once. Anything else (garbage, another method, params `answer` declines) is handed to
the full engine untouched, so behaviour never depends on this shortcut. This runs before the
writer task exists, so writing fd 1 here does not compete with it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from .framing import LineSplitter, Request, Undecodable, decode, encode

_READ_CHUNK = 1 << 16


class PreludeOutcome:
    __slots__ = ("answered", "pending_lines", "splitter")

    def __init__(self, splitter: LineSplitter, pending_lines: list[bytes], answered: bool) -> None:
        self.splitter = splitter
        self.pending_lines = pending_lines
        self.answered = answered


def run_prelude(
    answer: Callable[[Request], Any | None],
    *,
    handshake: str = "initialize",
    fd_in: int = 0,
    fd_out: int = 1,
    splitter: LineSplitter | None = None,
) -> PreludeOutcome:
    """Read until the first complete line; answer it if it is an acceptable handshake.

    `answer` returns the result to send, or None to leave the request to the full engine.
    """
    splitter = splitter or LineSplitter()
    lines: list[bytes] = []
    while not lines:
        data = os.read(fd_in, _READ_CHUNK)
        if not data:
            return PreludeOutcome(splitter, [], answered=False)
        lines = splitter.feed(data)
    try:
        message = decode(lines[0])
    except Undecodable:
        return PreludeOutcome(splitter, lines, answered=False)
    if isinstance(message, Request) and message.method == handshake:
        result = answer(message)
        if result is not None:
            payload = memoryview(encode({"id": message.id, "result": result}))
            while payload:
                payload = payload[os.write(fd_out, payload) :]
            return PreludeOutcome(splitter, lines[1:], answered=True)
    return PreludeOutcome(splitter, lines, answered=False)
