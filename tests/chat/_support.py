"""Shared by tests/chat: a ChatStream over given body chunks, and the emulator over a socket."""

from __future__ import annotations

import gc
import itertools
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import httpx

from memories_async import ChatEvent, RetryPolicy, StreamError
from memories_async._stream import CHAT_DECODER, ChatStream, EventDecoder, EventStream
from tests._support import checked_out_connections

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "chat"
RACE = "VI606099815446712320"
LAUNDRY = "VI606041694843813888"
FAST = RetryPolicy(initial_delay=0.001, max_delay=0.002)
SSE_HEADERS = {"content-type": "text/event-stream"}


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class Chunks(httpx.AsyncByteStream):
    """A response body delivered in exactly the given pieces.

    An iterator rather than an async generator: httpx does not close the iterator of a body
    it stops reading, and trio warns about a generator left to the garbage collector."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = list(chunks)
        self.closed = False
        self._next = 0

    def __aiter__(self) -> AsyncIterator[bytes]:
        self._next = 0
        return self

    async def __anext__(self) -> bytes:
        await anyio.lowlevel.checkpoint()
        if self._next >= len(self.chunks):
            raise StopAsyncIteration
        self._next += 1
        return self.chunks[self._next - 1]

    async def aclose(self) -> None:
        self.closed = True


def stream_over(
    chunks: Iterable[bytes],
    *,
    decoder: EventDecoder = CHAT_DECODER,
    max_event_bytes: int | None = None,
    idle_timeout: float | None = None,
) -> tuple[ChatStream, Chunks]:
    """A ChatStream whose response body arrives as `chunks` (no network, no client)."""
    body = Chunks(chunks)

    async def open_response() -> httpx.Response:
        return httpx.Response(200, headers=SSE_HEADERS, stream=body)

    stream = ChatStream(
        open_response,
        decoder=decoder,
        endpoint="chat_stream",
        max_event_bytes=max_event_bytes,
        idle_timeout=idle_timeout,
    )
    return stream, body


async def collect(
    chunks: Iterable[bytes], *, decoder: EventDecoder = CHAT_DECODER
) -> tuple[list[ChatEvent], StreamError | None, ChatStream]:
    """Every event of a stream over `chunks`, and the StreamError it ended with (if any)."""
    stream, _ = stream_over(chunks, decoder=decoder)
    events: list[ChatEvent] = []
    error: StreamError | None = None
    try:
        async with stream:
            async for event in stream:
                events.append(event)
    except StreamError as exc:
        error = exc
    return events, error, stream


def split(body: bytes, cuts: Iterable[int]) -> list[bytes]:
    """`body` cut at the given offsets (in any order, repeats allowed)."""
    points = sorted({min(max(c, 0), len(body)) for c in cuts} | {0, len(body)})
    return [body[a:b] for a, b in itertools.pairwise(points)]


def dumps(events: Iterable[ChatEvent]) -> list[dict[str, object]]:
    return [e.model_dump() for e in events]


async def poll(condition: Callable[[], bool], *, timeout: float = 2.0) -> bool:
    """Wait until `condition()` holds (close-downs that run on the loop's next turns)."""
    with anyio.move_on_after(timeout):
        while not condition():
            await anyio.sleep(0.001)
    return condition()


async def dropped_streams_released(http: httpx.AsyncClient) -> bool:
    """Let the finalizers of dropped streams run and their close-downs finish; then whether no
    connection of `http` is checked out."""
    for _ in range(5):
        await anyio.lowlevel.checkpoint()
    gc.collect()
    return await poll(lambda: checked_out_connections(http) == 0)


class Boom(Exception):
    """The exception a reader raises to leave a stream (`leave_early`)."""


async def leave_early(stream: EventStream[Any, Any], mode: str, managed: bool, after: int) -> None:
    """Read `after` events of `stream`, then leave it the way `mode` says: `break`, `cancel`
    (its scope cancelled) or `exception`; inside `async with` when `managed`, else with a bare
    `async for` that holds the only reference, so only the stream's finalizer can close it."""
    seen = 0
    with anyio.CancelScope() as scope:
        try:
            iterator: EventStream[Any, Any] | None = stream
            del stream  # the loop below holds the only reference
            assert iterator is not None
            if managed:
                async with iterator:
                    async for _ in iterator:
                        seen += 1
                        if seen > after:
                            if mode == "break":
                                break
                            if mode == "cancel":
                                scope.cancel()
                                await anyio.lowlevel.checkpoint()
                            raise Boom
            else:
                async for _ in iterator:
                    seen += 1
                    if seen > after:
                        if mode == "break":
                            break
                        if mode == "cancel":
                            scope.cancel()
                            continue  # cancelled at the stream's next read
                        raise Boom
            del iterator
        except (Boom, StreamError):
            pass
