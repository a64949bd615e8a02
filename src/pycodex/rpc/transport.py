"""Byte transports under the JSON-RPC connection: stdio for real use, an in-memory pair for tests.

A transport moves bytes only; framing and meaning live above it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
from typing import Protocol

_READ_CHUNK = 1 << 16


class Transport(Protocol):
    async def read(self) -> bytes:
        """The next chunk of input; b"" at end of input."""
        ...

    async def write(self, data: bytes) -> None:
        """Write and wait until the bytes are handed to the OS (back-pressure)."""
        ...

    async def close(self) -> None: ...


class StdioTransport:
    """fd 0/1 through asyncio pipes; falls back to threads for regular files.

    Pipe transports reject regular files (a test harness may redirect stdin from one), so
    those are served by blocking reads/writes in a worker thread instead.
    """

    def __init__(self, fd_in: int = 0, fd_out: int = 1) -> None:
        self._fd_in = fd_in
        self._fd_out = fd_out
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._threaded_in = False
        self._threaded_out = False

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        if not _pipe_like(self._fd_in):
            self._threaded_in = True
        else:
            await self._open_reader(loop)
        if not _pipe_like(self._fd_out):
            self._threaded_out = True
        else:
            await self._open_writer(loop)

    async def _open_reader(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            reader = asyncio.StreamReader(limit=_READ_CHUNK)
            await loop.connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(reader),
                os.fdopen(self._fd_in, "rb", buffering=0, closefd=False),
            )
            self._reader = reader
        except (ValueError, OSError):
            self._threaded_in = True

    async def _open_writer(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            transport, protocol = await loop.connect_write_pipe(
                asyncio.streams.FlowControlMixin,
                os.fdopen(self._fd_out, "wb", buffering=0, closefd=False),
            )
            self._writer = asyncio.StreamWriter(transport, protocol, None, loop)
        except (ValueError, OSError):
            self._threaded_out = True

    async def read(self) -> bytes:
        if self._reader is not None:
            return await self._reader.read(_READ_CHUNK)
        return await asyncio.to_thread(os.read, self._fd_in, _READ_CHUNK)

    async def write(self, data: bytes) -> None:
        if self._writer is not None:
            if self._writer.transport.is_closing():
                # uvloop closes a pipe transport on EPIPE without failing drain().
                raise ConnectionError("output pipe closed by the client")
            self._writer.write(data)
            await self._writer.drain()
            return
        await asyncio.to_thread(_write_all, self._fd_out, data)

    async def close(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(ConnectionError, OSError):
                await self._writer.drain()
            self._writer.close()


def _pipe_like(fd: int) -> bool:
    """Pipes, sockets and terminals work with the loop's pipe transports; regular files and
    devices such as /dev/null cannot be polled (the stdlib loop refuses them, uvloop aborts
    the process), so they are read and written from a thread instead."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or (stat.S_ISCHR(mode) and os.isatty(fd))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class MemoryTransport:
    """One end of an in-memory pair: what one side writes, the other reads."""

    def __init__(self, inbox: asyncio.Queue[bytes], outbox: asyncio.Queue[bytes]) -> None:
        self._inbox = inbox
        self._outbox = outbox
        self._closed = False

    async def read(self) -> bytes:
        return await self._inbox.get()

    async def write(self, data: bytes) -> None:
        if self._closed:
            raise ConnectionError("transport closed")
        await self._outbox.put(data)

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self._outbox.put(b"")


def memory_pair() -> tuple[MemoryTransport, MemoryTransport]:
    """(server end, client end); closing one end gives the other EOF."""
    a: asyncio.Queue[bytes] = asyncio.Queue()
    b: asyncio.Queue[bytes] = asyncio.Queue()
    return MemoryTransport(a, b), MemoryTransport(b, a)
