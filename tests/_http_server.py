"""A tiny HTTP/1.1 server on 127.0.0.1 for tests that need real sockets and a server that hangs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class TinyServer:
    """Answers every request with `answer` (JSON), or never answers paths listed in `hang`."""

    answer: object
    hang: set[str] = field(default_factory=set)
    received: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    base_url: str = ""
    open_connections: int = 0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open_connections += 1
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)  # type: ignore[arg-type]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip()
                    for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)
                }
                await reader.readexactly(int(headers.get("content-length", "0")))
                self.received.append((method, path, headers))
                if path in self.hang:
                    await reader.read()  # until the client gives up and closes
                    return
                body = json.dumps(self.answer).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.open_connections -= 1
            self.tasks.discard(task)  # type: ignore[arg-type]
            writer.close()


@asynccontextmanager
async def tiny_server(answer: object, *, hang: set[str] | None = None) -> AsyncIterator[TinyServer]:
    """Run a `TinyServer` on a free loopback port for the duration of the block."""
    state = TinyServer(answer=answer, hang=hang or set())
    server = await asyncio.start_server(state._serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    state.base_url = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        server.close()
        for task in list(state.tasks):
            task.cancel()
        while state.tasks:
            await asyncio.sleep(0.001)
        await server.wait_closed()
