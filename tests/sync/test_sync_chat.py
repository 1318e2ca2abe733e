"""The sync client's chat streams against the emulator over a real socket: `with`, `final()`,
`text_stream`, sessions, and a plain `for` loop left early that still releases its connection."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator

import pytest

from memories_async import ContentEvent, DoneEvent, Memories, StreamError, ThinkingEvent
from memories_async._sync_runtime import SyncChatStream
from memories_async.emulator import Emulator, Fault, serve
from tests._support import checked_out_connections

RACE = "VI606099815446712320"
QUESTION = "Who broke the world record?"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(parse_delay=0, rate_limits=False, stream_interval=0) as emulator:
        yield emulator


@pytest.fixture
def client(emu: Emulator) -> Iterator[Memories]:
    with (
        serve(emu) as base_url,
        Memories(
            "sk-test-sync-chat-0001", base_url=base_url, rate_limits=False, max_retries=0
        ) as c,
    ):
        yield c


def checked_out(client: Memories) -> int:
    return checked_out_connections(client.async_client.http_client)


def settles(client: Memories, timeout: float = 2.0) -> bool:
    """Whether the pool empties soon: a dropped stream is closed on the loop, by a helper thread."""
    deadline = time.monotonic() + timeout
    while checked_out(client) and time.monotonic() < deadline:
        time.sleep(0.002)
    return checked_out(client) == 0


def test_with_block_events_and_final(client: Memories) -> None:
    with client.chat.stream([RACE], QUESTION) as stream:
        assert isinstance(stream, SyncChatStream)
        events = list(stream)
        answer = stream.final()
    assert isinstance(events[0], ThinkingEvent) and isinstance(events[-1], DoneEvent)
    text = "".join(e.text for e in events if isinstance(e, ContentEvent))
    assert answer.content == text == stream.text and "43.03" in text
    assert stream.done and stream.session_id == answer.session_id is not None
    assert repr(stream).startswith("<SyncChatStream chat_stream")
    assert checked_out(client) == 0


def test_text_stream_and_final_without_with(client: Memories) -> None:
    stream = client.chat.stream([RACE], QUESTION)
    pieces = list(stream.text_stream)
    assert pieces and all(isinstance(p, str) for p in pieces)
    assert stream.final().content == "".join(pieces)
    assert settles(client)


def test_a_plain_for_loop_left_early_releases_its_connection(client: Memories) -> None:
    for event in client.chat.stream([RACE], QUESTION):
        assert isinstance(event, ThinkingEvent)
        break
    gc.collect()
    assert settles(client)
    # ... and the client goes on working.
    assert client.chat.send([RACE], QUESTION).content


def test_sessions_and_errors(client: Memories, emu: Emulator) -> None:
    session = client.chat.session([RACE])
    first = session.stream("Who won?").final()
    second = session.send("In what time?")
    assert session.session_id == first.session_id == second.session_id is not None
    emu.faults.add("chat_stream", Fault.drop_mid_stream(after_events=6))
    stream = client.chat.stream([RACE], QUESTION)
    with pytest.raises(StreamError) as caught:
        for _ in stream:
            pass
    assert caught.value.partial_text == stream.text != ""
    assert settles(client)


SYNC_NAME = {
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
    "aclose": "close",
}


def _surface(cls: type) -> set[str]:
    return {
        n for n in dir(cls) if not n.startswith("_") or n in SYNC_NAME or n in SYNC_NAME.values()
    }


def test_the_sync_stream_has_the_async_streams_surface_and_nothing_else() -> None:
    from memories_async import ChatStream, TextStream
    from memories_async._sync_runtime import SyncTextStream

    for async_cls, sync_cls in ((ChatStream, SyncChatStream), (TextStream, SyncTextStream)):
        expected = {SYNC_NAME.get(n, n) for n in _surface(async_cls)}
        assert _surface(sync_cls) == expected, (async_cls.__name__, sync_cls.__name__)


async def test_the_sync_and_async_streams_assemble_the_same_answer(emu: Emulator) -> None:
    from memories_async import AsyncMemories

    with serve(emu) as base_url:
        options = {"base_url": base_url, "rate_limits": False, "max_retries": 0}
        async with AsyncMemories("sk-test-sync-chat-0001", **options) as client:  # type: ignore[arg-type]
            async with client.chat.stream([RACE], QUESTION) as stream:
                async_events = [event async for event in stream]
                async_answer = await stream.final()
                async_view = (stream.text, stream.thinkings, stream.refs, stream.done)
        with Memories("sk-test-sync-chat-0001", **options) as sync_client:  # type: ignore[arg-type]
            with sync_client.chat.stream([RACE], QUESTION) as sync_stream:
                sync_events = list(sync_stream)
                sync_answer = sync_stream.final()
                sync_view = (
                    sync_stream.text,
                    sync_stream.thinkings,
                    sync_stream.refs,
                    sync_stream.done,
                )
    assert [type(e) for e in sync_events] == [type(e) for e in async_events]
    strip = {"session_id"}  # each turn opens its own session
    assert sync_answer.model_dump(exclude=strip) == async_answer.model_dump(exclude=strip)
    assert sync_view == async_view
