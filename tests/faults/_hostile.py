"""A hostile HTTP/1.1 server on 127.0.0.1, on raw asyncio sockets: it misbehaves in ways the
emulator (a well-behaved Starlette app) cannot — bodies that never end, headers that trickle,
compression bombs, answers cut off after a status line.

It runs its own event loop in a thread, so the code under test can be in the test's loop or in
a child process. Each route maps the last path segment of a request (`upload`, `chat_stream`,
...) to a behaviour; `arrivals` counts the requests each one received in full.
"""

from __future__ import annotations

import asyncio
import threading
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache

__all__ = ["Behaviour", "HostileServer", "Request", "gzip_bomb", "hostile_server"]


@dataclass
class Request:
    """What the server read: the request line, headers and the whole body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def endpoint(self) -> str:
        return self.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


Behaviour = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]
"""Writes the answer (or not) to one request; the connection is closed after it returns."""


@dataclass
class HostileServer:
    routes: dict[str, Behaviour] = field(default_factory=dict)
    arrivals: Counter[str] = field(default_factory=Counter)
    base_url: str = ""

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {
                k.strip().lower(): v.strip()
                for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            request = Request(method, path, headers, body)
            self.arrivals[request.endpoint] += 1
            behaviour = self.routes.get(request.endpoint, not_found)
            await behaviour(request, writer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


@contextmanager
def hostile_server(routes: dict[str, Behaviour]) -> Iterator[HostileServer]:
    """Serve `routes` on a free loopback port, in a thread of its own, for the block."""
    state = HostileServer(routes=dict(routes))
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    stop: asyncio.Event | None = None

    async def main() -> None:
        nonlocal stop
        stop = asyncio.Event()
        server = await asyncio.start_server(state._serve, "127.0.0.1", 0)
        state.base_url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        ready.set()
        async with server:
            await stop.wait()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield state
    finally:
        assert stop is not None
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


# -- behaviours ---------------------------------------------------------------------------------


def head(status: str, headers: dict[str, str]) -> bytes:
    """A status line and headers; every connection serves one request, and says so."""
    lines = [f"HTTP/1.1 {status}", "connection: close", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def answer(
    status: str, body: bytes, content_type: str = "application/json", **extra: str
) -> Behaviour:
    """A complete answer."""

    async def behave(request: Request, writer: asyncio.StreamWriter) -> None:
        headers = {"content-type": content_type, "content-length": str(len(body)), **extra}
        writer.write(head(status, headers) + body)
        await writer.drain()

    return behave


async def not_found(request: Request, writer: asyncio.StreamWriter) -> None:
    await answer("404 Not Found", b'{"code": "0404", "msg": "no such route"}')(request, writer)


@cache
def gzip_bomb(inflated: int = 1 << 30) -> bytes:
    """`inflated` zero bytes, gzip-compressed (about 1 MB for 1 GiB), built a piece at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(1 << 20)
    parts = [packer.compress(zeros) for _ in range(inflated // len(zeros))]
    parts.append(packer.flush())
    return b"".join(parts)


def gzip_answer(body: bytes, content_type: str = "application/json") -> Behaviour:
    """A body already gzip-compressed, declared as such."""
    return answer("200 OK", body, content_type, **{"content-encoding": "gzip"})


def endless_sse_line(limit: int = 256 << 20) -> Behaviour:
    """A stream whose first `data:` line never ends (up to `limit` bytes, or until we hang up)."""

    async def behave(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(head("200 OK", {"content-type": "text/event-stream"}) + b"data: ")
        piece = b"a" * (64 << 10)
        for _ in range(limit // len(piece)):
            writer.write(piece)
            await writer.drain()

    return behave


def trickle_headers(every: float) -> Behaviour:
    """A status line, then one header byte every `every` seconds, for ever."""

    async def behave(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\n")
        await writer.drain()
        while True:
            await asyncio.sleep(every)
            writer.write(b"x")
            await writer.drain()

    return behave


def comments_only(every: float) -> Behaviour:
    """A stream that keeps the connection busy with `:` comments and never sends an event."""

    async def behave(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(head("200 OK", {"content-type": "text/event-stream"}))
        while True:
            writer.write(b": processing\n\n")
            await writer.drain()
            await asyncio.sleep(every)

    return behave


def stream_then(end: str) -> Behaviour:
    """HTTP 200 and a `: processing` comment, then the connection breaks (`"break"`) or goes
    silent until the client gives up (`"silence"`)."""

    async def behave(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(
            head("200 OK", {"content-type": "text/event-stream", "transfer-encoding": "chunked"})
            + b"f\r\n: processing\n\n\r\n"
        )
        await writer.drain()
        if end == "silence":
            await asyncio.sleep(3600)
        transport = writer.transport
        transport.abort()

    return behave


def cut_after(total: int, sent: int, content_type: str = "application/octet-stream") -> Behaviour:
    """Promises `total` bytes and sends only `sent`, then hangs up."""

    async def behave(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(head("200 OK", {"content-type": content_type, "content-length": str(total)}))
        writer.write(b"v" * sent)
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.transport.abort()

    return behave
