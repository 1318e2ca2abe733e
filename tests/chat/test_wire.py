"""What goes on the wire (respx): paths, headers, JSON bodies; and arguments refused before
anything is sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from memories_async import AsyncMemories, ChatResponse, InvalidArgumentError
from memories_async.legacy import AsyncLegacyChat, LegacyTurn
from tests._support import load_fixture, on_both_backends
from tests.chat._support import FAST, SSE_HEADERS

API = "https://api.memories.ai/serve/api/v1"
LEGACY = "https://mavi-backend.memories.ai/api/serve/video/chat"
KEY = "sk-test-chat-wire-0001"
END = b'data: {"code": "SUCCESS", "data": "Done"}\n\n'
PIECE = b'data: {"type": "content", "role": "assistant", "content": "Hi", "sessionId": "42"}\n\n'


@pytest.fixture
def client() -> AsyncMemories:
    """Unopened: each test runs under both backends (`on_both_backends`), which closes it."""
    return AsyncMemories(KEY, rate_limits=False, max_retries=FAST, unique_id="team")


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as mock:
        yield mock


def sse(*events: bytes) -> httpx.Response:
    return httpx.Response(200, headers=SSE_HEADERS, content=b"".join(events))


def body_of(route: respx.Route, call: int = -1) -> Any:
    request = route.calls[call].request
    assert request.headers["content-type"] == "application/json"
    return json.loads(request.content)


@on_both_backends
async def test_chat_send_and_stream_on_the_wire(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    answer = {"code": "0000", "msg": "success", "data": {"role": "ASSISTANT", "content": "A"}}
    send = router.post(f"{API}/chat").respond(json={**answer, "session_id": "606"})
    stream = router.post(f"{API}/chat_stream").mock(return_value=sse(PIECE, END))

    sent = await client.chat.send(["VI1", "VI2"], "Summarize", session_id="606")
    assert sent == ChatResponse(role="ASSISTANT", content="A", session_id="606")
    request = send.calls[0].request
    assert request.headers["authorization"] == KEY
    assert request.headers["accept"] == "application/json"
    assert body_of(send) == {
        "video_nos": ["VI1", "VI2"],
        "prompt": "Summarize",
        "session_id": "606",
        "unique_id": "team",
    }

    pending = client.chat.stream(["VI1"], "Summarize", unique_id="other")
    assert not stream.called  # nothing leaves before the stream is entered or iterated
    final = await pending.final()
    assert final.content == "Hi" and final.session_id == "42"
    request = stream.calls[0].request
    assert request.headers["accept"] == "text/event-stream"
    assert request.headers["authorization"] == KEY
    # No session yet: the field is left out rather than sent empty.
    assert body_of(stream) == {"video_nos": ["VI1"], "prompt": "Summarize", "unique_id": "other"}


@on_both_backends
async def test_the_documented_request_shapes(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    documented = load_fixture("chat/chat_request.json")
    route = router.post(f"{API}/chat_stream").mock(return_value=sse(END))
    await client.chat.stream(["VI1"], "p", session_id="123456").final()
    # The table's spelling (video_nos) rather than the example's (videoNos); the rest alike.
    assert set(body_of(route)) == (set(documented) - {"videoNos"}) | {"video_nos"}

    route = router.post(f"{API}/marketer_chat_stream").mock(return_value=sse(END))
    await client.marketer.stream("What does nike recently post?", unique_id="default").final()
    assert body_of(route) == load_fixture("chat/marketer_chat_request.json")

    route = router.post(f"{API}/chat_personal_stream").mock(
        return_value=sse(b'data: {"token": "x"}\n\n', b"data: [DONE]\n\n")
    )
    answer = await client.personal.stream("When did I went to the beach?", unique_id="test").final()
    assert answer.content == "x"
    assert body_of(route) == load_fixture("chat/chat_personal_request.json")
    assert route.calls[0].request.headers["authorization"] == KEY  # raw key, no "Bearer"


@on_both_backends
async def test_marketer_and_personal_answers(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    marketer = router.post(f"{API}/marketer_chat").respond(
        json={**load_fixture("chat/marketer_chat.json"), "session_id": "7"}
    )
    answer = await client.marketer.send("nike", platform="YOUTUBE", session_id=7)
    assert answer.content.startswith("Opening scene") and answer.session_id == "7"
    assert body_of(marketer) == {
        "prompt": "nike",
        "session_id": "7",
        "unique_id": "team",
        "type": "YOUTUBE",
    }
    router.post(f"{API}/chat_personal").mock(
        side_effect=[
            httpx.Response(200, json=load_fixture("chat/chat_personal.json")),
            httpx.Response(200, json=load_fixture("chat/chat_personal_table.json")),
        ]
    )
    first = await client.personal.send("beach?")
    second = await client.personal.send("beach?")
    assert first.content == "This year, you've been quite active..."
    assert (second.content, second.session_id) == ("This is...", "sess_12345")


@on_both_backends
async def test_a_session_sends_the_id_the_server_returned(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    route = router.post(f"{API}/chat_stream").mock(side_effect=lambda _: sse(PIECE, END))
    session = client.chat.session(["VI1"])
    await session.stream("one").final()
    await session.stream("two").final()
    assert "session_id" not in body_of(route, 0)
    assert body_of(route, 1)["session_id"] == "42"
    assert repr(session) == "<AsyncChatSession session_id='42'>"


@on_both_backends
async def test_a_personal_session_sends_back_a_non_numeric_id_the_server_gave(
    client: AsyncMemories, router: respx.MockRouter
) -> None:
    # The documents' second answer shape names its session "sess_12345"; a caller may not pass
    # such an id (the server parses ids as numbers), but a session returns what it was given.
    route = router.post(f"{API}/chat_personal").mock(
        side_effect=lambda _: httpx.Response(
            200, json=load_fixture("chat/chat_personal_table.json")
        )
    )
    session = client.personal.session()
    await session.send("first")
    await session.send("second")
    assert body_of(route, 0)["session_id"] == ""
    assert body_of(route, 1)["session_id"] == "sess_12345"
    assert session.session_id == "sess_12345"


@on_both_backends
async def test_legacy_wire_format(router: respx.MockRouter) -> None:
    documented = load_fixture("chat/legacy_chat_request.json")
    route = router.post(LEGACY).mock(
        side_effect=[
            httpx.Response(200, json={"code": "0000", "msg": "success", "data": {"msg": "Yes"}}),
            sse(
                b'data: {"code": "0000", "msg": "success", "data": {"msg": "Y"}}\n\n',
                b'data: {"code": "0000", "msg": "success", "data": {"msg": "es"}}\n\n',
                b"data: [DONE]\n\n",
            ),
        ]
    )
    async with AsyncLegacyChat("oauth-token", max_retries=FAST) as legacy:
        assert "oauth-token" not in repr(legacy)
        history = [LegacyTurn("hi", "hello"), {"user": "and?", "robot": "more"}]
        answer = await legacy.send(["VI1"], "Is it?", history=history)
        assert answer.content == "Yes"
        streamed = await legacy.stream(["VI1"], "Is it?").final()
        assert streamed.content == "Yes"
    first, second = (json.loads(c.request.content) for c in route.calls)
    assert set(first) == set(documented)
    assert first == {
        "videoNos": ["VI1"],
        "message": "Is it?",
        "history": [{"robot": "hello", "user": "hi"}, {"robot": "more", "user": "and?"}],
        "stream": False,
    }
    assert second["stream"] is True and second["history"] == []
    assert route.calls[0].request.headers["authorization"] == "oauth-token"
    assert route.calls[1].request.headers["accept"] == "text/event-stream"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.chat.stream([], "p"), "video_nos"),
        (lambda c: c.chat.stream("VI1", "p"), "video_nos"),
        (lambda c: c.chat.stream([""], "p"), "video_nos[0]"),
        (lambda c: c.chat.stream(["VI1"], "  "), "prompt"),
        (lambda c: c.chat.stream(["VI1"], "p", session_id="abc"), "session_id"),
        (lambda c: c.chat.stream(["VI1"], "p", session_id=True), "session_id"),
        (lambda c: c.chat.stream(["VI1"], "p", unique_id=""), "unique_id"),
        (lambda c: c.chat.session([]), "video_nos"),
        (lambda c: c.marketer.stream("p", platform="tiktok"), "platform"),
        (lambda c: c.marketer.session(platform="Tiktok"), "platform"),
        (lambda c: c.personal.stream(""), "prompt"),
        (lambda c: c.personal.session(session_id="sess_1"), "session_id"),
    ],
)
@on_both_backends
async def test_bad_arguments_are_refused_before_any_request(
    client: AsyncMemories, router: respx.MockRouter, call: Any, field: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        call(client)
    assert caught.value.field == field
    assert field in str(caught.value)
    assert not router.calls


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.marketer.send("p", platform="youtube"), "platform"),
        (lambda c: c.personal.send("p", session_id="x1"), "session_id"),
        (lambda c: c.chat.send(["VI1"], ""), "prompt"),
        (lambda c: c.chat.send([], "p"), "video_nos"),
    ],
)
@on_both_backends
async def test_send_validates_before_any_request_too(
    client: AsyncMemories, router: respx.MockRouter, call: Any, field: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=field):
        await call(client)
    assert not router.calls


@on_both_backends
async def test_legacy_arguments_are_checked(router: respx.MockRouter) -> None:
    with pytest.raises(InvalidArgumentError, match="access_token"):
        AsyncLegacyChat(" ")
    async with AsyncLegacyChat("token") as legacy:
        with pytest.raises(InvalidArgumentError, match=r"history\[0\]\.robot"):
            legacy.stream(["VI1"], "m", history=[{"user": "u"}])
        with pytest.raises(InvalidArgumentError, match="history"):
            await legacy.send(["VI1"], "m", history="user: hi")  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError, match="message"):
            await legacy.send(["VI1"], "")
    assert not router.calls


class Recording:
    """A rate limiter that lets everything through and notes each bucket asked for."""

    def __init__(self) -> None:
        self.buckets: list[str] = []

    async def acquire(self, bucket: str) -> None:
        self.buckets.append(bucket)


@on_both_backends
async def test_streams_and_their_retries_go_through_the_rate_buckets(
    router: respx.MockRouter,
) -> None:
    limiter = Recording()
    refused = httpx.Response(200, json={"code": "0429", "msg": "Request has exceeded the limit."})
    router.post(f"{API}/chat_stream").mock(side_effect=[refused, sse(PIECE, END)])
    router.post(f"{API}/marketer_chat_stream").mock(return_value=sse(END))
    router.post(f"{API}/chat_personal_stream").mock(return_value=sse(b"data: [DONE]\n\n"))
    async with AsyncMemories(KEY, rate_limits=limiter, max_retries=FAST) as client:
        answer = await client.chat.stream(["VI1"], "p").final()  # refused once, then retried
        await client.marketer.stream("p").final()
        await client.personal.stream("p").final()
    assert answer.content == "Hi"
    assert limiter.buckets == ["chat", "chat", "marketer", "chat"]
