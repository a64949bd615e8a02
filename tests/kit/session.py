"""Drive one app-server process over its stdio pipes, the way a client does.

A reader thread turns stdout into parsed messages: stdout is the protocol, so any line that is
not a JSON value fails the test. stderr goes to a file, quoted in failure messages.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

RequestId = int | str


def same_id(a: object, b: object) -> bool:
    """JSON-RPC id equality without Python's `1 == 1.0 == True`."""
    return type(a) is type(b) and a == b


def reply_id(message: object) -> object:
    """The id a response or error answers, or None when `message` is not one."""
    if not isinstance(message, dict) or "method" in message:
        return None
    return message.get("id") if "result" in message or "error" in message else None


class Session:
    """A running server; `messages` is every parsed stdout line, in arrival order."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path,
        stderr_path: Path,
    ) -> None:
        self.argv = list(argv)
        self.stderr_path = stderr_path
        self._stderr: IO[bytes] = stderr_path.open("wb")
        self.messages: list[Any] = []
        self.protocol_errors: list[str] = []
        self._cursor = 0
        self._cond = threading.Condition()
        self._write_lock = threading.Lock()
        self._answers: dict[str, dict[str, Any]] = {}
        self._eof = False
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=dict(env),
            cwd=cwd,
        )
        self._reader = threading.Thread(target=self._read, name="session-stdout", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.rstrip(b"\n")
            try:
                message = json.loads(line)
            except ValueError:
                error = f"non-JSON line on stdout: {line[:300]!r}"
            else:
                error = ""
            with self._cond:
                if error:
                    self.protocol_errors.append(error)
                else:
                    self.messages.append(message)
                self._cond.notify_all()
            if not error:
                self._maybe_answer(message)
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    # -- answering the server's requests ---------------------------------------------------

    def answer_requests(self, rule: dict[str, Any]) -> None:
        """From now on answer server requests of `rule["method"]` with its `result` or
        `error`, or not at all (`ignore`), as the client of a scenario would."""
        self._answers[str(rule["method"])] = rule

    def _maybe_answer(self, message: Any) -> None:
        if not (isinstance(message, dict) and "id" in message and "method" in message):
            return
        rule = self._answers.get(message["method"])
        if rule is None or rule.get("ignore"):
            return
        reply: dict[str, Any] = {"id": message["id"]}
        if "error" in rule:
            reply["error"] = rule["error"]
        else:
            reply["result"] = rule.get("result")
        # If the server has gone, the test sees that elsewhere.
        with contextlib.suppress(AssertionError):
            self.send(reply)

    # -- sending -------------------------------------------------------------------------

    def send(self, message: Any) -> None:
        """Write one message as a compact JSON line."""
        self.send_raw(json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode())

    def send_raw(self, data: bytes) -> None:
        """Write `data` and a newline exactly as given (it may be anything but a JSON message)."""
        assert self.proc.stdin is not None
        try:
            with self._write_lock:
                self.proc.stdin.write(data + b"\n")
                self.proc.stdin.flush()
        except BrokenPipeError:
            raise AssertionError(f"server closed its stdin{self.failure_context()}") from None

    # -- receiving -----------------------------------------------------------------------

    def _check(self) -> None:
        if self.protocol_errors:
            raise AssertionError("; ".join(self.protocol_errors) + self.failure_context())

    def wait_for_response(self, request_id: RequestId, timeout: float = 10.0) -> Any:
        """Block until the answer to `request_id` arrives; raise TimeoutError if it does not.

        Only messages not yet taken count, so a reused id waits for its new answer.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            start = self._cursor
            while True:
                self._check()
                for message in self.messages[start:]:
                    if same_id(reply_id(message), request_id):
                        return message
                start = len(self.messages)
                if self._eof:
                    raise AssertionError(
                        f"server closed stdout before answering {request_id!r}"
                        f"{self.failure_context()}"
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
        raise TimeoutError(f"no response to id {request_id!r}{self.failure_context()}")

    def wait_for_method(self, method: str, timeout: float = 10.0) -> list[Any]:
        """Messages not yet taken, up to and including the first notification `method`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                self._check()
                for index in range(self._cursor, len(self.messages)):
                    message = self.messages[index]
                    if isinstance(message, dict) and message.get("method") == method:
                        taken = self.messages[self._cursor : index + 1]
                        self._cursor = index + 1
                        return taken
                remaining = deadline - time.monotonic()
                if self._eof or remaining <= 0:
                    raise TimeoutError(f"no {method} notification{self.failure_context()}")
                self._cond.wait(remaining)

    def drain(self, quiet: float = 0.3, limit: float = 30.0) -> list[Any]:
        """Messages not yet taken, once the server has been silent for `quiet` seconds."""
        deadline = time.monotonic() + limit
        with self._cond:
            seen = len(self.messages)
            while not self._eof:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(min(quiet, remaining))
                if len(self.messages) == seen and not self.protocol_errors:
                    break
                self._check()
                seen = len(self.messages)
            self._check()
            return self.take()

    def take(self) -> list[Any]:
        """Messages received since the last `take`/`drain`, without waiting."""
        with self._cond:
            new = self.messages[self._cursor :]
            self._cursor = len(self.messages)
            return new

    # -- shutdown ------------------------------------------------------------------------

    def close(self, timeout: float = 10.0) -> None:
        """Close stdin and require a clean exit (status 0) within `timeout`."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"server did not exit within {timeout}s of stdin EOF{self.failure_context()}"
            ) from None
        finally:
            self._reader.join(timeout=5)
            self._stderr.close()
        self._check()
        if code != 0:
            raise AssertionError(f"server exited with status {code}{self.failure_context()}")

    def kill(self) -> None:
        """Kill the server process (not its helpers, which exit with it); for failure paths."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        if not self._stderr.closed:
            self._stderr.close()

    def stderr_tail(self, lines: int = 30) -> str:
        try:
            text = self.stderr_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def failure_context(self) -> str:
        tail = self.stderr_tail()
        return f"\n  argv: {self.argv}\n  stderr ({self.stderr_path}), last lines:\n{tail}"

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.kill()
