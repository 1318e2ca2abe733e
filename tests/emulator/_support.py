"""Helpers for the emulator's tests: documented examples, shape checks, SSE parsing, and a
loopback receiver for callbacks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

API = "/serve/api/v1"
RACE = "VI606099815446712320"
LAUNDRY = "VI606041694843813888"
PARKING = "VI606140356924534784"
BOAT = "VI606404158946574336"
WOLVES = "PI-603068775285264430"
VINTAGE = "PI-594031499251159058"

_EXAMPLES = Path(__file__).parent.parent / "fixtures" / "emulator" / "doc_examples.json"


@cache
def examples() -> dict[str, Any]:
    """The vendor's example payloads (copied into tests/fixtures/emulator)."""
    data: dict[str, Any] = json.loads(_EXAMPLES.read_text(encoding="utf-8"))
    return data


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def assert_shape(actual: Any, example: Any, where: str = "$") -> None:
    """`actual` has every key of `example`, recursively, with the same JSON types.

    A null in the example accepts anything; list items are checked against the example's first
    item. This is how "answers the documented shape" is tested.
    """
    if example is None:
        return
    assert _kind(actual) == _kind(example), f"{where}: {actual!r} is not like {example!r}"
    if isinstance(example, dict):
        for key, sub in example.items():
            assert key in actual, f"{where}: missing key {key!r} in {sorted(actual)}"
            assert_shape(actual[key], sub, f"{where}.{key}")
    elif isinstance(example, list) and example:
        for i, item in enumerate(actual):
            assert_shape(item, example[0], f"{where}[{i}]")


def sse_data(text: str) -> list[str]:
    """The payloads of the `data: ` lines of an event stream, in order."""
    out = []
    for block in text.split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data:"):
                out.append(line[5:].removeprefix(" "))
    return out


def sse_json(text: str) -> list[Any]:
    """Decoded JSON payloads of a stream (markers such as [DONE] kept as strings)."""
    out: list[Any] = []
    for payload in sse_data(text):
        try:
            out.append(json.loads(payload))
        except ValueError:
            out.append(payload)
    return out


@dataclass
class Receiver:
    """A loopback HTTP server that records JSON POST bodies (a callback endpoint)."""

    url: str = ""
    bodies: list[tuple[str, Any]] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {
                k.strip().lower(): v.strip()
                for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.bodies.append((path, json.loads(body)))
            self._arrived.set()
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            await writer.wait_closed()

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[str, Any]]:
        """Wait until `count` bodies have arrived."""

        async def arrived() -> None:
            while len(self.bodies) < count:
                self._arrived.clear()
                await self._arrived.wait()

        await asyncio.wait_for(arrived(), timeout)
        return self.bodies


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    """Run a `Receiver` on 127.0.0.1 for the duration of the block."""
    state = Receiver()
    server = await asyncio.start_server(state._serve, "127.0.0.1", 0)
    state.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield state
    finally:
        server.close()
        await server.wait_closed()
