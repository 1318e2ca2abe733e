"""The stream's lifecycle without a network: closing, dropping from other threads and after the
loop is gone, and the errors asked for after a close."""

from __future__ import annotations

import asyncio
import gc
import threading

import anyio
import httpx
import pytest

from memories_async import ChatStream, ContentEvent, StreamError
from memories_async._stream import CHAT_DECODER
from tests._support import on_both_backends
from tests.chat._support import Chunks, poll, stream_over

BODY = [
    b'data: {"type": "content", "content": "one"}\n\n',
    b'data: {"type": "content", "content": "two"}\n\n',
    b"data: [DONE]\n\n",
]


@on_both_backends
async def test_aclose_drops_the_rest_and_final_then_says_closed() -> None:
    stream, body = stream_over(BODY)
    assert repr(stream) == "<ChatStream chat_stream new session_id=None>"
    first = await stream.__anext__()
    assert first == ContentEvent(text="one")
    assert repr(stream).startswith("<ChatStream chat_stream open")
    await stream.aclose()
    await stream.aclose()  # twice is fine
    assert body.closed and repr(stream).startswith("<ChatStream chat_stream closed")
    assert [e async for e in stream] == []
    with pytest.raises(StreamError) as caught:
        await stream.final()
    assert caught.value.reason == "closed" and caught.value.partial_text == "one"


@on_both_backends
async def test_the_end_closes_the_response_before_the_caller_reads_it() -> None:
    stream, body = stream_over(BODY)
    pieces = [p async for p in stream.text_stream]
    assert pieces == ["one", "two"] and body.closed and stream.done
    assert repr(stream).startswith("<ChatStream chat_stream ended")
    assert (await stream.final()).content == "onetwo"


@on_both_backends
async def test_an_error_inside_open_leaves_nothing_open() -> None:
    async def refuse() -> httpx.Response:
        raise OSError("no route")

    stream = ChatStream(refuse, decoder=CHAT_DECODER, endpoint="chat_stream")
    with pytest.raises(OSError, match="no route"):
        async with stream:
            pass
    assert [e async for e in stream] == []


@on_both_backends
async def test_a_stream_dropped_on_another_thread_is_closed_on_its_loop() -> None:
    stream, body = stream_over(BODY)
    await stream.__anext__()
    holder: list[ChatStream] = [stream]
    del stream

    def drop() -> None:
        holder.pop()  # the last reference dies on this thread

    thread = threading.Thread(target=drop)
    thread.start()
    thread.join()
    assert await poll(lambda: body.closed)


def test_a_stream_dropped_after_its_loop_closed_is_quiet() -> None:
    async def open_one() -> tuple[ChatStream, Chunks]:
        stream, body = stream_over(BODY)
        await stream.__anext__()
        return stream, body

    stream, body = asyncio.run(open_one())
    del stream
    gc.collect()  # nothing raised, warned or left un-awaited (warnings are errors here)
    assert not body.closed


@on_both_backends
async def test_cancelled_while_waiting_for_the_body_closes_it() -> None:
    started = anyio.Event()
    body = Chunks([])

    class Slow(Chunks):
        async def __aiter__(self):  # type: ignore[no-untyped-def, override]
            yield BODY[0]
            started.set()
            await anyio.sleep(60)
            yield BODY[1]

        async def aclose(self) -> None:
            body.closed = True

    async def open_response() -> httpx.Response:
        return httpx.Response(200, stream=Slow([]))

    stream = ChatStream(open_response, decoder=CHAT_DECODER, endpoint="chat_stream")
    with anyio.move_on_after(0.05) as scope:
        async for _ in stream:
            pass
    assert scope.cancelled_caught and started.is_set()
    assert body.closed and stream.text == "one"
