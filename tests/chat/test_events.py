"""The documents' example events parse into typed events; every end and text variant the
vendor's own sample clients accept is accepted; chunking never changes what is parsed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memories_async import (
    ChatResponse,
    ChatStream,
    ContentEvent,
    DoneEvent,
    RefEvent,
    StreamError,
    ThinkingEvent,
)
from memories_async._sse import DONE_PAYLOAD, SSEParser
from memories_async._stream import (
    CHAT_DECODER,
    LEGACY_DECODER,
    PERSONAL_DECODER,
    EventDecoder,
)
from tests._support import load_fixture
from tests.chat._support import (
    SSE_HEADERS,
    collect,
    dumps,
    fixture_bytes,
    split,
    stream_over,
)


def chat(name: str) -> bytes:
    """A documented event, compact, as one SSE event with the vendor's `data:` (no space)."""
    value = load_fixture(f"chat/{name}")
    return b"data:" + json.dumps(value, ensure_ascii=False).encode() + b"\n\n"


# -- the documented events ---------------------------------------------------------------------


def test_documented_thinking_event() -> None:
    [event] = CHAT_DECODER.decode(
        json.dumps(load_fixture("chat/chat_stream_thinking.json")).encode()
    )
    assert isinstance(event, ThinkingEvent)
    assert event.title == "Based on selected videos, fetch detailed information"
    assert event.content is not None and event.content.startswith("Okay, the user wants")
    assert event.session_id == "606120397607260160"


def test_documented_ref_event() -> None:
    [event] = CHAT_DECODER.decode(json.dumps(load_fixture("chat/chat_stream_ref.json")).encode())
    assert isinstance(event, RefEvent)
    assert event.session_id == "606143186439766016"
    [ref] = event.refs
    assert ref.video is not None
    assert ref.video.video_no == "VI606140356924534784"
    assert ref.video.duration == 10.0  # "10" on the wire
    assert [i.type for i in ref.items] == ["keyframe", "visual_ts", "audio_ts"]
    keyframe, visual, audio = ref.items
    assert (keyframe.start, keyframe.end, keyframe.text) == (23.0, None, None)
    assert (visual.start, visual.end) == (30.0, 36.0)
    assert audio.text is not None and audio.text.startswith("A close-up view")
    assert keyframe.video_no == "VI606140356924534784"


def test_documented_content_and_end_events() -> None:
    [content] = CHAT_DECODER.decode(
        json.dumps(load_fixture("chat/chat_stream_content.json")).encode()
    )
    assert content == ContentEvent(
        text="A\" shape, is suggested to be inspired by Eiffel's past",
        role="assistant",
        session_id="606122521255088128",
    )
    [end] = CHAT_DECODER.decode(json.dumps(load_fixture("chat/chat_stream_end.json")).encode())
    assert isinstance(end, DoneEvent)


async def test_a_documented_stream_becomes_typed_events_and_a_final_answer() -> None:
    body = b"".join(
        chat(name)
        for name in (
            "chat_stream_thinking.json",
            "chat_stream_ref.json",
            "chat_stream_content.json",
            "chat_stream_content.json",
            "chat_stream_end.json",
        )
    )
    stream, response_body = stream_over([body])
    async with stream:
        kinds = [type(event).__name__ async for event in stream]
        answer = await stream.final()
    assert kinds == ["ThinkingEvent", "RefEvent", "ContentEvent", "ContentEvent", "DoneEvent"]
    piece = "A\" shape, is suggested to be inspired by Eiffel's past"
    assert answer.content == piece * 2 and answer.role == "assistant"
    assert answer.session_id == "606122521255088128"  # the last id the events named
    assert [t.title for t in answer.thinkings] == [
        "Based on selected videos, fetch detailed information"
    ]
    assert len(answer.refs) == 1 and len(answer.refs[0].items) == 3
    assert stream.done and response_body.closed


@pytest.mark.parametrize("data", load_fixture("chat/chat_stream_error_ends.json"))
async def test_documented_error_ends_raise_stream_error_with_the_vendor_message(data: str) -> None:
    end = json.dumps({"code": "FAIL", "data": data}).encode()
    body = chat("chat_stream_content.json") + b"data: " + end + b"\n\n"
    events, error, _ = await collect([body])
    assert [type(e) for e in events] == [ContentEvent]
    assert error is not None and error.reason == "error_end"
    assert error.msg == data and error.code == "FAIL"
    assert data in str(error)
    assert error.partial_text == "A\" shape, is suggested to be inspired by Eiffel's past"


@pytest.mark.parametrize(
    ("error_object", "msg", "code"),
    [
        ({"code": "0429", "message": "Request has exceeded the limit."}, None, "0429"),
        ({"code": 500, "msg": "internal"}, "internal", "500"),
        ({"error": "boom", "message": "details"}, "boom", None),
    ],
)
@pytest.mark.parametrize("decoder", [CHAT_DECODER, PERSONAL_DECODER], ids=["chat", "personal"])
async def test_an_error_object_mid_stream_is_a_failure_not_text(
    error_object: dict[str, object], msg: str | None, code: str | None, decoder: EventDecoder
) -> None:
    # `message` is one of the text fields, so these must not be read as a piece of the answer.
    body = b'data: {"token": "so far"}\n\ndata: ' + json.dumps(error_object).encode() + b"\n\n"
    events, error, _ = await collect([body], decoder=decoder)
    assert [e.text for e in events if isinstance(e, ContentEvent)] == ["so far"]
    assert error is not None and error.reason == "error_end" and error.code == code
    assert error.msg == (msg or error_object["message"]) and error.partial_text == "so far"


async def test_a_stream_without_its_end_raises_with_the_text_so_far() -> None:
    body = chat("chat_stream_thinking.json") + chat("chat_stream_content.json")
    events, error, stream = await collect([body])
    assert len(events) == 2
    assert error is not None and error.reason == "incomplete"
    assert error.partial_text == stream.text == events[1].text  # type: ignore[union-attr]
    assert error.session_id == "606122521255088128"
    with pytest.raises(StreamError) as again:
        await stream.final()
    assert again.value is error


async def test_a_body_cut_inside_an_event_is_incomplete_not_malformed() -> None:
    body = chat("chat_stream_content.json") + b'data: {"type": "content", "content": "hal'
    events, error, _ = await collect([body])
    assert len(events) == 1
    assert error is not None and error.reason == "incomplete"


async def test_broken_json_mid_stream_is_malformed() -> None:
    body = chat("chat_stream_content.json") + b'data: {"type": "content", "cont\n\n'
    body += chat("chat_stream_end.json")
    events, error, _ = await collect([body])
    assert len(events) == 1
    assert error is not None and error.reason == "malformed"


async def test_unknown_event_types_are_skipped() -> None:
    body = b'data: {"type": "usage", "tokens": 3}\n\n' + chat("chat_stream_content.json")
    body += chat("chat_stream_end.json")
    events, error, _ = await collect([body])
    assert error is None
    assert [type(e) for e in events] == [ContentEvent, DoneEvent]


# -- what the vendor's sample clients accept ---------------------------------------------------


@pytest.mark.parametrize(
    "end",
    [
        b'data:"Done"\n\n',
        b'data: "done"\n\n',
        b"data:[done]\n\n",
        b"data: [DONE]\n\n",
        b"data:done\n\n",
        b"DONE\n",
        b"[done]\n",
        b"  Done  \r\n",
        b'data: {"code": "SUCCESS", "data": "Done"}',  # not even a final blank line
    ],
)
async def test_every_end_marker_variant_ends_the_stream(end: bytes) -> None:
    body = b'data: {"type": "content", "content": "hi"}\n\n' + end
    events, error, stream = await collect([body])
    assert error is None
    assert [type(e) for e in events] == [ContentEvent, DoneEvent]
    assert (await stream.final()).content == "hi"


@pytest.mark.parametrize("field", ["content", "text", "delta", "message"])
async def test_marketer_text_pieces_from_any_text_field(field: str) -> None:
    body = f'data: {{"{field}": "piece"}}\n\ndata:"done"\n\n'.encode()
    events, error, _ = await collect([body])
    assert error is None
    assert events[0] == ContentEvent(text="piece")


async def test_the_first_text_field_wins_and_non_json_data_is_text() -> None:
    body = (
        b'data: {"delta": "two", "content": "one"}\n\n'
        b"data: plain words \n\n"
        b'data: {"message": 7, "text": "three"}\n\n'
        b"data:[done]\n\n"
    )
    events, error, stream = await collect([body])
    assert error is None
    assert [e.text for e in events if isinstance(e, ContentEvent)] == [
        "one",
        "plain words ",
        "three",
    ]
    assert stream.text == "oneplain words three"


async def test_the_documented_personal_stream_needs_no_blank_lines() -> None:
    events, error, stream = await collect(
        [fixture_bytes("chat_personal_stream.txt")], decoder=PERSONAL_DECODER
    )
    assert error is None
    assert dumps(events) == dumps(
        [ContentEvent(text="This is ..."), ContentEvent(text="..."), DoneEvent()]
    )
    assert stream.text == "This is ......"


async def test_personal_tokens_with_blank_lines() -> None:
    body = b'data: {"token": "Hel"}\n\ndata: {"token": "lo"}\n\ndata: [DONE]\n\n'
    events, error, stream = await collect([body], decoder=PERSONAL_DECODER)
    assert error is None and stream.text == "Hello" and isinstance(events[-1], DoneEvent)


async def test_plain_text_over_several_data_lines_is_one_piece() -> None:
    body = b"data: first line\ndata: second line\n\ndata: done\n\n"
    events, error, _ = await collect([body])
    assert error is None
    assert events[0] == ContentEvent(text="first line\nsecond line")


async def test_legacy_envelopes_are_text_pieces_and_error_envelopes_fail() -> None:
    body = (
        b'data: {"code": "0000", "msg": "success", "data": {"msg": "Hello"}}\n\n'
        b'data: {"code": "0000", "msg": "success", "data": {"msg": " world"}}\n\n'
        b"data: [DONE]\n\n"
    )
    events, error, stream = await collect([body], decoder=LEGACY_DECODER)
    assert error is None and stream.text == "Hello world" and len(events) == 3
    failed = b'data: {"code": "0001", "msg": "No videos found", "data": null}\n\n'
    events, error, _ = await collect([body[:68] + failed], decoder=LEGACY_DECODER)
    assert error is not None and error.reason == "error_end"
    assert error.msg == "No videos found" and error.code == "0001"


# -- the JSON answers --------------------------------------------------------------------------


def test_documented_json_answers_become_chat_responses() -> None:
    marketer = ChatResponse.model_validate(load_fixture("chat/marketer_chat.json"))
    assert marketer.role == "ASSISTANT" and marketer.content.startswith("Opening scene")
    assert marketer.thinkings[0].title == "Break down the analysis request"
    personal = ChatResponse.model_validate(load_fixture("chat/chat_personal.json"))
    assert personal.content == "This year, you've been quite active..."
    assert personal.session_id == "..." and len(personal.refs) == 1
    table = ChatResponse.model_validate(load_fixture("chat/chat_personal_table.json"))
    assert (table.content, table.session_id) == ("This is...", "sess_12345")
    assert table.model_extra == {"metadata": {}}
    legacy = ChatResponse.model_validate(load_fixture("chat/legacy_chat.json"))
    assert legacy.text == "string"


# -- chunking ----------------------------------------------------------------------------------

RECORDED = (
    ": keep-alive comment\r\n"
    "\r\n"
    'data:{"type":"thinking","title":"Думаю 🤔","content":"视频里有什么","sessionId":606}\r\n'
    "\r\n"
    "event: message\n"
    "id: 7\n"
    'data: {"type":"ref","sessionId":"606","ref":[{"video":{"duration":"10","video_no":"VI1",'
    '"video_name":"été"},"refItems":[{"videoNo":"VI1","startTime":"1.5","type":"keyframe"}]}]}\n'
    "\n"
    ":\n"
    'data: {"type":"content","role":"assistant","content":"Ünïcödé ✓ ","sessionId":"606"}\r'
    "\r"
    'data:{"type":"content","content":"𝄞 clef\\u2028sep","sessionId":"606"}\n'
    "\n"
    "retry: 1000\n"
    "data: naïve plain text\n"
    "\n"
    'data:{"code":"SUCCESS","data":"Done"}\r\n'
    "\r\n"
).encode()


def parse_all(chunks: list[bytes]) -> list[object]:
    parser = SSEParser()
    payloads = [p for chunk in chunks for p in parser.feed(chunk)] + parser.close()
    return [event for p in payloads for event in CHAT_DECODER.decode(p)]


def test_the_recorded_stream_parses_to_the_expected_events() -> None:
    events = parse_all([RECORDED])
    assert [type(e).__name__ for e in events] == [
        "ThinkingEvent",
        "RefEvent",
        "ContentEvent",
        "ContentEvent",
        "ContentEvent",
        "DoneEvent",
    ]
    thinking, ref, first, second, plain, _ = events
    assert isinstance(thinking, ThinkingEvent) and thinking.title == "Думаю 🤔"
    assert thinking.session_id == "606"
    assert isinstance(ref, RefEvent) and ref.refs[0].items[0].start == 1.5
    assert isinstance(first, ContentEvent) and first.text == "Ünïcödé ✓ "
    assert isinstance(second, ContentEvent) and second.text == "𝄞 clef\u2028sep"
    assert isinstance(plain, ContentEvent) and plain.text == "naïve plain text"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, len(RECORDED)), max_size=40))
def test_any_chunking_parses_to_the_same_events(cuts: list[int]) -> None:
    assert parse_all(split(RECORDED, cuts)) == parse_all([RECORDED])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, len(RECORDED)), min_size=1, max_size=20))
def test_any_chunking_gives_the_same_stream_and_answer(cuts: list[int]) -> None:
    async def run(chunks: list[bytes]) -> tuple[list[dict[str, object]], ChatResponse]:
        stream, body = stream_over(chunks)
        async with stream:
            events = [e.model_dump() async for e in stream]
            answer = await stream.final()
        assert body.closed
        return events, answer

    assert asyncio.run(run(split(RECORDED, cuts))) == asyncio.run(run([RECORDED]))


def test_byte_by_byte_feeding_and_split_crlf() -> None:
    chunks = [RECORDED[i : i + 1] for i in range(len(RECORDED))]
    assert parse_all(chunks) == parse_all([RECORDED])
    parser = SSEParser()
    assert parser.feed(b"data: a\r") == []
    assert parser.feed(b"\n\r") == [b"a"]  # the CR+LF pair was one line end, the CR another
    assert parser.feed(b"\ndata: b\n\n") == [b"b"]


def test_parser_reports_bare_done_lines_and_unterminated_events() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: x\nDone\n") == [b"x", DONE_PAYLOAD]
    assert parser.feed(b"data: tail") == []
    assert parser.close() == [b"tail"]


def test_a_data_line_holding_a_whole_object_is_an_event_at_once() -> None:
    parser = SSEParser()
    assert parser.feed(b'data: {"token": "a"}\n') == [b'{"token": "a"}']
    assert parser.feed(b"data:[done]\n") == [b"[done]"]
    assert parser.feed(b'data: {"split":\n') == []  # not whole: the standard's rules apply
    assert parser.feed(b"data: 1}\n\n") == [b'{"split":\n1}']
    assert parser.feed(b"data: plain\n") == []
    assert parser.feed(b"\n") == [b"plain"]


async def test_pieces_without_blank_lines_reach_the_caller_as_they_arrive() -> None:
    # Each piece must come out before the next is sent: a parser that waited for a blank line
    # (or the end of the body) would hang here until fail_after.
    taken = anyio.Event()

    class Paced(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b'data: {"token": "one"}\n'
            await taken.wait()
            yield b'data: {"token": "two"}\ndata: [DONE]\n'

    async def open_response() -> httpx.Response:
        return httpx.Response(200, headers=SSE_HEADERS, stream=Paced())

    stream = ChatStream(open_response, decoder=PERSONAL_DECODER, endpoint="chat_personal_stream")
    with anyio.fail_after(5):
        async with stream:
            assert await stream.__anext__() == ContentEvent(text="one")
            taken.set()
            assert [e async for e in stream.text_stream] == ["two"]
    assert stream.done and stream.text == "onetwo"
