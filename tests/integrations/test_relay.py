"""`memories_async.relay.sse_events`: the frames a browser gets for each event kind, pings while
nothing arrives, an error end, and a consumer that goes away closing the vendor's stream."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from memories_async._stream import ChatStream
from memories_async.relay import PING, frame, sse_events
from tests.chat._support import stream_over

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "chat"


def fixture_event(name: str) -> bytes:
    return b"data: " + (FIXTURES / name).read_bytes().replace(b"\n", b"") + b"\n\n"


def parse(frames: list[bytes]) -> list[tuple[str, object]]:
    """(event, data) of each frame; pings as ("ping", None)."""
    out: list[tuple[str, object]] = []
    for raw in frames:
        if raw == PING:
            out.append(("ping", None))
            continue
        lines = raw.decode().strip().split("\n")
        assert lines[0].startswith("event: ") and lines[1].startswith("data: ")
        out.append((lines[0][7:], json.loads(lines[1][6:])))
    return out


async def relay(stream: ChatStream, ping_interval: float | None = 15.0) -> list[bytes]:
    return [f async for f in sse_events(stream, ping_interval=ping_interval)]


async def test_every_event_kind_becomes_its_frame() -> None:
    stream, body = stream_over(
        [
            fixture_event("chat_stream_thinking.json"),
            b'data: {"type": "content", "content": "The answer", "sessionId": "606"}\n\n',
            fixture_event("chat_stream_ref.json"),
            b'data: {"code": "SUCCESS", "data": "Done"}\n\n',
        ]
    )
    frames = parse(await relay(stream))
    kinds = [kind for kind, _ in frames]
    assert kinds == ["thinking", "content", "ref", "done"]
    thinking, content, ref, done = (data for _, data in frames)
    assert isinstance(thinking, dict) and thinking["title"].startswith("Based on selected videos")
    assert content == {"text": "The answer"}
    assert isinstance(ref, dict)
    first = ref["refs"][0]
    assert first == {
        "video_no": "VI606140356924534784",
        "video_name": "test_video_gz_visual_understanding_fuse_s9_video_fuse_4_video_fuse_4",
        "start": 23.0,
        "end": None,
        "text": None,
        "type": "keyframe",
    }
    assert ref["refs"][1]["start"] == 30.0 and ref["refs"][1]["end"] == 36.0
    assert len(ref["refs"]) == 2  # the audio_ts twin of the 0:30-0:36 span is the same moment
    assert done == {"session_id": "606143186439766016"}
    assert body.closed


async def test_an_error_end_is_one_error_frame_and_the_end() -> None:
    stream, body = stream_over(
        [
            b'data: {"type": "content", "content": "Partly"}\n\n',
            b'data: {"code": "FAIL", "data": "No videos found for the provided video numbers."}'
            b"\n\n",
            b'data: {"type": "content", "content": "never seen"}\n\n',
        ]
    )
    frames = parse(await relay(stream))
    assert frames == [
        ("content", {"text": "Partly"}),
        ("error", {"code": "FAIL", "message": "No videos found for the provided video numbers."}),
    ]
    assert body.closed


async def test_a_cut_connection_ends_with_an_error_frame_not_a_traceback() -> None:
    stream, _ = stream_over([b'data: {"type": "content", "content": "Half"}\n\n'])  # no end
    frames = parse(await relay(stream))
    assert frames[0] == ("content", {"text": "Half"})
    kind, data = frames[1]
    assert kind == "error" and isinstance(data, dict)
    assert "stopped before its end marker" in data["message"] and "Traceback" not in data["message"]


class Slow:
    """A ChatStream stand-in whose events arrive after pauses, recording whether it was closed."""

    def __init__(self, pauses: list[float]) -> None:
        self.pauses = pauses
        self.closed = False
        self.cancelled_reads = 0
        self.session_id = "7"

    async def __anext__(self) -> object:
        from memories_async import ContentEvent, DoneEvent

        if not self.pauses:
            return DoneEvent()
        try:
            await asyncio.sleep(self.pauses.pop(0))
        except asyncio.CancelledError:
            self.cancelled_reads += 1
            raise
        return ContentEvent(text="piece")

    async def aclose(self) -> None:
        self.closed = True


async def test_pings_keep_the_connection_while_nothing_arrives() -> None:
    slow = Slow([0.35])
    frames = parse(await relay(slow, ping_interval=0.1))  # type: ignore[arg-type]
    kinds = [kind for kind, _ in frames]
    assert kinds[-2:] == ["content", "done"]
    assert 2 <= kinds.count("ping") <= 4 and set(kinds[:-2]) == {"ping"}
    assert slow.cancelled_reads == 0, "waiting with a timeout must not cancel the read"


async def test_a_consumer_that_goes_away_closes_the_vendor_stream_at_once() -> None:
    slow = Slow([0.01, 60.0])
    events = sse_events(slow, ping_interval=15.0)  # type: ignore[arg-type]
    assert (await events.__anext__()).startswith(b"event: content")
    waiting = asyncio.ensure_future(events.__anext__())  # now blocked on a 60 s read
    await asyncio.sleep(0.05)
    waiting.cancel()  # what a framework does when the browser disconnects
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert slow.closed and slow.cancelled_reads == 1
    assert not [t for t in asyncio.all_tasks() if "Slow.__anext__" in repr(t.get_coro())]


async def test_closing_the_relay_generator_closes_the_vendor_stream() -> None:
    slow = Slow([0.01, 60.0])
    events = sse_events(slow)  # type: ignore[arg-type]
    await events.__anext__()
    await events.aclose()
    assert slow.closed


def test_a_frame_is_one_event_with_compact_json() -> None:
    assert (
        frame("content", {"text": "é\nx"}) == b'event: content\ndata: {"text":"\xc3\xa9\\nx"}\n\n'
    )


async def test_a_relay_cancelled_by_its_frameworks_scope_still_closes_the_stream() -> None:
    # sse-starlette consumes the relay in a task group and cancels the group when the browser
    # leaves: inside that cancelled scope, the relay's clean-up must still run to the end.
    import anyio

    slow = Slow([0.01, 60.0])
    got: list[bytes] = []

    async def consume() -> None:
        async for piece in sse_events(slow):  # type: ignore[arg-type]
            got.append(piece)

    async with anyio.create_task_group() as tg:
        tg.start_soon(consume)
        await asyncio.sleep(0.1)
        tg.cancel_scope.cancel()
    assert got and slow.closed
