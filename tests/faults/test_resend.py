"""The resend rule, per endpoint kind: a request the server may have acted on is never sent
twice; one it certainly did not act on is retried; safe reads are retried on any transient fault.
The hostile server counts every request it received in full. Each runs on asyncio and trio over
httpx's transport, and on asyncio over aiohttp's (`DefaultAioHttpClient`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest

from memories_async import (
    APIConnectionError,
    AsyncMemories,
    InternalServerError,
    RetryPolicy,
    StreamError,
)
from tests._support import backend_of, http_client_for
from tests.faults._hostile import Behaviour, Request, answer, hostile_server, stream_then

KEY = "sk-faults-key-0003"
FAST = RetryPolicy(initial_delay=0.001, max_delay=0.002)
OK_VIDEO = b'{"code": "0000", "msg": "success", "data": {"videoNo": "VI1", "videoName": "a"}}'
OK_TASK = b'{"code": "0000", "msg": "success", "data": {"taskId": "T1"}}'
OK_CAPTION = b'{"code": 0, "msg": "ok", "data": {"task_id": "C1"}}'
OK_UPDATE = b'{"code": "0000", "msg": "success", "data": {"video_no": "VI1"}}'
OK_CHAT = b'{"code": "0000", "msg": "success", "data": {"role": "ASSISTANT", "content": "hi"}}'
OK_SEARCH = b'{"code": "0000", "msg": "success", "data": []}'


def sequence(*behaviours: Behaviour) -> Behaviour:
    """The n-th request gets the n-th behaviour (the last one repeats)."""
    calls = 0

    async def behave(request: Request, writer: asyncio.StreamWriter) -> None:
        nonlocal calls
        chosen = behaviours[min(calls, len(behaviours) - 1)]
        calls += 1
        await chosen(request, writer)

    return behave


def status(code: int, **headers: str) -> Behaviour:
    reason = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
    return answer(
        f"{code} {reason.get(code, 'Error')}", b"upstream trouble", "text/plain", **headers
    )


Call = Callable[[AsyncMemories], Awaitable[Any]]

NOT_IDEMPOTENT: list[tuple[str, str, bytes, Call]] = [
    (
        "upload",
        "upload",
        OK_VIDEO,
        lambda c: c.videos.upload(b"\x00video" * 1000),
    ),
    (
        "upload_url",
        "upload_url",
        OK_VIDEO,
        lambda c: c.videos.upload_url("https://cdn.example.com/a.mp4"),
    ),
    (
        "scrape",
        "scraper_url",
        OK_TASK,
        lambda c: c.videos.scrape(["https://www.tiktok.com/@a/video/1"]),
    ),
    (
        "caption",
        "upload",
        OK_CAPTION,
        lambda c: c.caption.video(
            video_url="https://cdn.example.com/a.mp4",
            user_prompt="describe",
            system_prompt="you caption videos",
            callback="https://example.com/hook",
        ),
    ),
    (
        "update",
        "update_video_transcription",
        OK_UPDATE,
        lambda c: c.videos.update_transcription("VI1", "names"),
    ),
    ("chat turn", "chat", OK_CHAT, lambda c: c.chat.send(["VI1"], "what happens?")),
]


def client_for(base_url: str, runtime: str) -> AsyncMemories:
    return AsyncMemories(
        KEY,
        base_url=base_url,
        caption_base_url=base_url,
        rate_limits=False,
        max_retries=FAST,
        http_client=http_client_for(runtime),
    )


@pytest.mark.parametrize(
    ("kind", "endpoint", "ok", "call"), NOT_IDEMPOTENT, ids=[k[0] for k in NOT_IDEMPOTENT]
)
@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_a_server_error_after_the_whole_request_is_never_resent(
    kind: str, endpoint: str, ok: bytes, call: Call, code: int, runtime: str
) -> None:
    with hostile_server({endpoint: sequence(status(code), answer("200 OK", ok))}) as server:

        async def main() -> None:
            async with client_for(server.base_url, runtime) as client:
                await call(client)

        with pytest.raises(InternalServerError) as caught:
            anyio.run(main, backend=backend_of(runtime))
    assert caught.value.status_code == code
    assert server.arrivals[endpoint] == 1, f"{kind} was sent {server.arrivals[endpoint]} times"


@pytest.mark.parametrize(
    ("kind", "endpoint", "ok", "call"), NOT_IDEMPOTENT, ids=[k[0] for k in NOT_IDEMPOTENT]
)
def test_a_503_that_says_when_to_come_back_is_retried(
    kind: str, endpoint: str, ok: bytes, call: Call, runtime: str
) -> None:
    unavailable = status(503, **{"retry-after": "0"})
    with hostile_server({endpoint: sequence(unavailable, answer("200 OK", ok))}) as server:

        async def main() -> None:
            async with client_for(server.base_url, runtime) as client:
                await call(client)

        anyio.run(main, backend=backend_of(runtime))
    assert server.arrivals[endpoint] == 2


@pytest.mark.parametrize(
    ("kind", "endpoint", "ok", "call"), NOT_IDEMPOTENT, ids=[k[0] for k in NOT_IDEMPOTENT]
)
def test_a_connection_cut_after_the_request_is_never_resent(
    kind: str, endpoint: str, ok: bytes, call: Call, runtime: str
) -> None:
    async def hang_up(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.transport.abort()

    with hostile_server({endpoint: sequence(hang_up, answer("200 OK", ok))}) as server:

        async def main() -> None:
            async with client_for(server.base_url, runtime) as client:
                await call(client)

        with pytest.raises(APIConnectionError) as caught:
            anyio.run(main, backend=backend_of(runtime))
    assert not caught.value.before_send
    assert server.arrivals[endpoint] == 1


def test_a_safe_read_is_retried_on_any_transient_fault(runtime: str) -> None:
    behaviour = sequence(status(502), status(500), answer("200 OK", OK_SEARCH))
    with hostile_server({"search": behaviour}) as server:

        async def main() -> Any:
            async with client_for(server.base_url, runtime) as client:
                return await client.search.videos("anything")

        assert anyio.run(main, backend=backend_of(runtime)) == []
    assert server.arrivals["search"] == 3


@pytest.mark.parametrize("end", ["break", "silence"])
def test_a_chat_stream_that_began_is_never_sent_again(end: str, runtime: str) -> None:
    # HTTP 200 and a `: processing` comment, then the connection breaks or goes silent past the
    # read timeout (a long "thinking" pause): the turn may be under way on the server.
    with hostile_server({"chat_stream": stream_then(end)}) as server:

        async def main() -> None:
            async with AsyncMemories(
                KEY,
                base_url=server.base_url,
                rate_limits=False,
                max_retries=FAST,
                timeout=0.5,
                http_client=http_client_for(runtime),
            ) as client:
                await client.chat.stream(["VI1"], "what happens?").final()

        with pytest.raises(StreamError) as caught:
            anyio.run(main, backend=backend_of(runtime))
    assert caught.value.reason == "disconnected"
    assert server.arrivals["chat_stream"] == 1
