"""Chat streams against the emulator over a real loopback socket: typed events, sessions, faults,
retries, and a thousand streams broken off in every way without leaking a connection."""

from __future__ import annotations

import gc
import logging
import random
import warnings
from collections.abc import Iterator
from dataclasses import replace

import anyio
import anyio.lowlevel
import pytest

from memories_async import (
    AsyncMemories,
    AuthenticationError,
    ContentEvent,
    DoneEvent,
    InvalidArgumentError,
    RefEvent,
    StreamError,
    ThinkingEvent,
)
from memories_async.emulator import Emulator, Fault, serve
from memories_async.legacy import AsyncLegacyChat, LegacyTurn
from tests._support import (
    HTTPX_INNER_GENERATOR_WARNING,
    HTTPX_INNER_GENERATORS,
    checked_out_connections,
    http_client_for,
    on_both_backends,
    on_every_transport,
)
from tests.chat._support import (
    FAST,
    LAUNDRY,
    RACE,
    dropped_streams_released,
    leave_early,
    poll,
)

KEY = "sk-test-chat-emulator-0001"
QUESTION = "Who broke the world record?"


# Every test runs under asyncio and under trio (`on_both_backends`): the emulator serves from a
# thread of its own, and the client, made here unopened, is opened and closed inside the test's
# run, after a check that it holds no connection.


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(parse_delay=0, rate_limits=False, stream_interval=0) as emulator:
        yield emulator
        assert emulator.internal_errors == []


@pytest.fixture
def base_url(emu: Emulator) -> Iterator[str]:
    with serve(emu) as url:
        yield url


@pytest.fixture
def client(base_url: str, runtime: str) -> AsyncMemories:
    return AsyncMemories(
        KEY,
        base_url=base_url,
        rate_limits=False,
        max_retries=FAST,
        http_client=http_client_for(runtime),
    )


def requests_to(emu: Emulator, endpoint: str) -> int:
    return len(emu.requests.filter(endpoint=endpoint))


@on_every_transport
async def test_a_streamed_answer_is_typed_events_and_equals_its_final(
    client: AsyncMemories,
) -> None:
    async with client.chat.stream([RACE, LAUNDRY], QUESTION) as stream:
        events = [event async for event in stream]
        answer = await stream.final()
    kinds = [type(e) for e in events]
    assert kinds[:3] == [ThinkingEvent, ThinkingEvent, RefEvent]
    assert set(kinds[3:-1]) == {ContentEvent} and kinds[-1] is DoneEvent
    text = "".join(e.text for e in events if isinstance(e, ContentEvent))
    assert answer.content == text and "43.03" in text
    assert answer.session_id is not None and answer.session_id.isdigit()
    assert all(e.session_id == answer.session_id for e in events)
    assert [t.title for t in answer.thinkings] == [
        e.title for e in events if isinstance(e, ThinkingEvent)
    ]
    assert answer.refs[0].video is not None and answer.refs[0].video.video_no == RACE
    assert {i.type for i in answer.refs[0].items} <= {"keyframe", "visual_ts", "audio_ts"}
    # The connection went back to the pool after the end marker rather than being torn down.
    assert checked_out_connections(client.http_client) == 0


@on_every_transport
async def test_text_stream_and_final_without_async_with(client: AsyncMemories) -> None:
    stream = client.chat.stream([RACE], QUESTION)
    assert repr(stream).startswith("<ChatStream chat_stream new")
    pieces = [piece async for piece in stream.text_stream]
    assert all(isinstance(p, str) for p in pieces) and len(pieces) > 3
    answer = await stream.final()
    assert answer.content == "".join(pieces) == stream.text
    assert stream.done and len(stream.thinkings) == 2 and stream.refs
    assert checked_out_connections(client.http_client) == 0


@on_every_transport
async def test_send_returns_the_same_model(client: AsyncMemories) -> None:
    answer = await client.chat.send([RACE], QUESTION)
    assert answer.role == "ASSISTANT" and "43.03" in answer.content
    assert answer.session_id is not None and answer.refs and len(answer.thinkings) == 2


@on_every_transport
async def test_a_session_carries_the_server_session_id(client: AsyncMemories) -> None:
    session = client.chat.session([RACE])
    assert session.session_id is None
    first = await session.stream("Who won the race?").final()
    assert session.session_id == first.session_id is not None
    second = await session.send("And the record time?")
    third = await session.stream("Who congratulated him?").final()
    assert second.session_id == third.session_id == first.session_id
    detail = await client.sessions.get(first.session_id)
    assert len(detail.messages) == 6  # three questions, three answers
    # Plain calls carry an explicit session id too.
    fourth = await client.chat.send([RACE], "Thanks", session_id=int(first.session_id))
    assert fourth.session_id == first.session_id


@on_every_transport
async def test_marketer_and_personal_streams_and_answers(
    client: AsyncMemories, emu: Emulator
) -> None:
    async with client.marketer.stream("What does @nike post?", platform="TIKTOK") as stream:
        answer = await stream.final()
    assert "nike" in answer.content.lower() and answer.thinkings and answer.session_id
    sent = await client.marketer.send("What does nike post?", platform="INSTAGRAM")
    assert sent.role == "ASSISTANT" and sent.session_id
    assert emu.requests.filter(endpoint="marketer_chat")[-1].json["type"] == "INSTAGRAM"
    with pytest.raises(InvalidArgumentError, match="platform"):
        client.marketer.stream("x", platform="tiktok")  # a known value, misspelt: refused

    session = client.personal.session()
    streamed = await session.stream("When did I see a boat?").final()
    assert streamed.content and streamed.role is None  # tokens carry text only
    personal = await session.send("When did I see a boat?")
    assert personal.content and personal.session_id and session.session_id == personal.session_id
    assert emu.requests.filter(endpoint="chat_personal_stream")[-1].json["session_id"] == ""


@on_both_backends
async def test_legacy_chat_streaming_and_not() -> None:
    emu = Emulator(parse_delay=0, rate_limits=False, access_tokens=["access-token-1"])
    with emu, serve(emu) as url:
        async with AsyncLegacyChat("access-token-1", base_url=url, max_retries=FAST) as legacy:
            answer = await legacy.send([RACE], QUESTION)
            assert "43.03" in answer.content
            history = [LegacyTurn(user=QUESTION, robot=answer.content)]
            async with legacy.stream([RACE], "And who was second?", history=history) as s:
                pieces = [p async for p in s.text_stream]
                streamed = await s.final()
            assert streamed.content == "".join(pieces) and pieces
            sent = emu.requests.filter(endpoint="legacy_chat")[-1]
            assert sent.json["history"] == [{"robot": answer.content, "user": QUESTION}]
            assert sent.json["stream"] is True and sent.json["videoNos"] == [RACE]
            assert checked_out_connections(legacy._pools.current()) == 0
        async with AsyncLegacyChat("wrong-token", base_url=url, max_retries=0) as legacy:
            with pytest.raises(AuthenticationError):
                await legacy.send([RACE], QUESTION)
            with pytest.raises(AuthenticationError):
                await legacy.stream([RACE], QUESTION).final()
            assert checked_out_connections(legacy._pools.current()) == 0


# -- failures ----------------------------------------------------------------------------------


@on_every_transport
async def test_a_stream_cut_mid_answer_keeps_exactly_the_text_yielded(
    client: AsyncMemories, emu: Emulator
) -> None:
    emu.faults.add("chat_stream", Fault.drop_mid_stream(after_events=7))
    yielded: list[str] = []

    async def read() -> None:
        async for piece in client.chat.stream([RACE], QUESTION).text_stream:
            yielded.append(piece)

    with pytest.raises(StreamError) as caught:
        await read()
    error = caught.value
    assert error.reason == "disconnected" and error.endpoint == "chat_stream"
    assert len(yielded) == 4  # thinking, thinking, ref, then 4 pieces of text
    assert error.partial_text == "".join(yielded)
    assert error.session_id is not None
    assert requests_to(emu, "chat_stream") == 1  # never retried once text was shown
    assert checked_out_connections(client.http_client) == 0


@on_every_transport
async def test_a_stream_broken_after_its_answer_began_is_never_sent_again(
    client: AsyncMemories, emu: Emulator
) -> None:
    # The server answered 200 and then the connection broke before any event: it may already be
    # working on the turn (credits, session history), so the turn is not sent a second time.
    emu.faults.add("chat_stream", Fault.drop_mid_stream(after_events=0), times=2)
    with pytest.raises(StreamError) as caught:
        await client.chat.stream([RACE], QUESTION).final()
    assert caught.value.reason == "disconnected" and caught.value.partial_text == ""
    assert requests_to(emu, "chat_stream") == 1
    assert checked_out_connections(client.http_client) == 0


@on_every_transport
async def test_no_retry_after_the_first_event_even_without_text(
    client: AsyncMemories, emu: Emulator
) -> None:
    emu.faults.add("chat_stream", Fault.drop_mid_stream(after_events=1), times=1)
    stream = client.chat.stream([RACE], QUESTION)
    first = await stream.__anext__()
    assert isinstance(first, ThinkingEvent)
    with pytest.raises(StreamError) as caught:
        await stream.final()
    assert caught.value.reason == "disconnected" and caught.value.partial_text == ""
    assert requests_to(emu, "chat_stream") == 1


@on_every_transport
async def test_a_stream_broken_before_its_first_event_fails_without_retries_too(
    base_url: str, emu: Emulator
) -> None:
    emu.faults.add("chat_stream", Fault.drop_mid_stream(after_events=0), times=None)
    async with AsyncMemories(KEY, base_url=base_url, rate_limits=False, max_retries=0) as c:
        with pytest.raises(StreamError) as caught:
            async with c.chat.stream([RACE], QUESTION) as stream:
                await stream.final()
        assert caught.value.reason == "disconnected"
        assert requests_to(emu, "chat_stream") == 1
        assert checked_out_connections(c.http_client) == 0


@on_every_transport
async def test_error_ends_carry_the_vendor_message(client: AsyncMemories, emu: Emulator) -> None:
    with pytest.raises(StreamError) as caught:
        await client.chat.stream(["VI404"], QUESTION).final()
    assert caught.value.reason == "error_end"
    assert caught.value.msg == "No videos found for the provided video numbers."
    assert caught.value.code == "FAIL" and caught.value.partial_text == ""

    emu.faults.add("chat_stream", Fault.error_end("user don't login"))
    stream = client.chat.stream([RACE], QUESTION)
    with pytest.raises(StreamError) as caught:
        async for _ in stream:
            pass
    assert caught.value.msg == "user don't login"
    assert caught.value.partial_text == stream.text != ""
    assert requests_to(emu, "chat_stream") == 2


@on_every_transport
async def test_a_missing_end_and_a_malformed_event(client: AsyncMemories, emu: Emulator) -> None:
    emu.faults.add("chat_stream", Fault.truncate_stream(after_events=6))
    stream = client.chat.stream([RACE], QUESTION)
    with pytest.raises(StreamError) as caught:
        await stream.final()
    assert caught.value.reason == "incomplete"
    assert caught.value.partial_text == stream.text != ""

    emu.faults.add("chat_personal_stream", Fault.malformed_stream(after_events=2))
    with pytest.raises(StreamError) as caught:
        await client.personal.stream("boat").final()
    assert caught.value.reason == "malformed"
    assert len(caught.value.partial_text) > 0


@on_every_transport
async def test_an_error_answer_before_the_stream_is_an_api_error(
    client: AsyncMemories, emu: Emulator
) -> None:
    from memories_async import RateLimitError

    emu.faults.add("chat_stream", Fault.rate_limited(), times=1)
    answer = await client.chat.stream([RACE], QUESTION).final()  # retried through the bucket
    assert answer.content
    emu.faults.add("chat_stream", Fault.rate_limited(), times=None)
    with pytest.raises(RateLimitError):
        async with client.chat.stream([RACE], QUESTION):
            pass


# -- leaks -------------------------------------------------------------------------------------


@pytest.mark.filterwarnings(HTTPX_INNER_GENERATORS)
@on_every_transport
async def test_a_plain_loop_left_with_break_releases_its_connection(
    client: AsyncMemories,
) -> None:
    async for event in client.chat.stream([RACE], QUESTION):
        assert isinstance(event, ThinkingEvent)
        break
    assert await dropped_streams_released(client.http_client)


@on_every_transport
async def test_a_stream_opened_and_dropped_unread_releases_its_connection(
    client: AsyncMemories, emu: Emulator
) -> None:
    # No body iterator was started, so nothing but the stream's own finalizer can close it.
    # aiohttp hands a connection back by itself once a whole body has arrived, so the answer is
    # paced to outlast the test: unpaced, it can arrive before the first assertion.
    emu.config = replace(emu.config, stream_interval=1.0)
    stream = client.chat.stream([RACE], QUESTION)
    await stream.__aenter__()
    assert checked_out_connections(client.http_client) == 1
    del stream
    assert await dropped_streams_released(client.http_client)


@pytest.mark.filterwarnings(HTTPX_INNER_GENERATORS)
@on_every_transport
async def test_a_thousand_streams_broken_off_leak_nothing(
    client: AsyncMemories, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(5)
    http = client.http_client
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for index in range(1000):
            mode = ("break", "cancel", "exception")[index % 3]
            managed = index % 2 == 0
            await leave_early(
                client.chat.stream([RACE], QUESTION), mode, managed, rng.randrange(0, 16)
            )
            if managed:
                assert checked_out_connections(http) == 0, (index, mode)
            else:
                for _ in range(3):
                    await anyio.lowlevel.checkpoint()
                if checked_out_connections(http):
                    assert await poll(lambda: checked_out_connections(http) == 0), (index, mode)
        gc.collect()
        for _ in range(5):
            await anyio.lowlevel.checkpoint()
    assert checked_out_connections(http) == 0
    # httpx's own nested generators warn under trio (HTTPX_INNER_GENERATORS); nothing else may.
    messages = [str(w.message) for w in caught]
    assert [m for m in messages if not m.startswith(HTTPX_INNER_GENERATOR_WARNING)] == []
    problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert problems == []
