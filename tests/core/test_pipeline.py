"""The request pipeline: envelopes of both hosts, streamed bodies, buckets on every attempt."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from memories_async import (
    APIError,
    APIResponseValidationError,
    AsyncMemories,
    InternalServerError,
    NotFoundError,
    RetryPolicy,
    SearchClip,
)
from memories_async._pipeline import Endpoint
from tests._support import load_fixture

FAST = RetryPolicy(initial_delay=0.001, max_delay=0.002)
CAPTION = Endpoint(
    "caption", "POST", "/v1/understand/upload", "caption_video", host="caption", envelope="caption"
)
OPTIONAL = Endpoint("similar", "POST", "/serve/api/v1/x", "search", envelope="optional")
UPLOAD = Endpoint("upload", "POST", "/serve/api/v1/upload", "upload", idempotent=False)
DOWNLOAD = Endpoint("download", "POST", "/serve/api/v1/download", "download")


class CountingLimiter:
    """Records every bucket a request waited for."""

    def __init__(self) -> None:
        self.acquired: list[str] = []

    async def acquire(self, bucket: str) -> None:
        self.acquired.append(bucket)


class ChunkedBody:
    """A streaming body made of fixed chunks, counting how often it was started."""

    content_type = "application/octet-stream"

    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts
        self.starts = 0

    @property
    def content_length(self) -> int:
        return sum(len(p) for p in self.parts)

    async def chunks(self) -> AsyncIterator[bytes]:
        self.starts += 1
        for part in self.parts:
            yield part


@pytest.fixture
async def limiter() -> CountingLimiter:
    return CountingLimiter()


@pytest.fixture
async def client(limiter: CountingLimiter) -> AsyncIterator[AsyncMemories]:
    async with AsyncMemories("sk-test-pipeline-0001", max_retries=FAST, rate_limits=limiter) as c:
        yield c


@respx.mock
async def test_caption_host_int_codes(client: AsyncMemories) -> None:
    route = respx.post("https://security.memories.ai/v1/understand/upload")
    route.respond(json={"code": 0, "msg": "success", "data": {"task_id": "t1"}})
    data = await client._pipeline.request(CAPTION, json={"video_url": "u"}, cast_to=dict[str, Any])
    assert data == {"task_id": "t1"}
    route.respond(json={"code": -1, "msg": "video too long", "data": None})
    with pytest.raises(APIError) as caught:
        await client._pipeline.request(CAPTION, json={}, cast_to=dict[str, Any])
    assert (caught.value.code, caught.value.msg) == ("-1", "video too long")
    assert route.calls.last.request.headers["authorization"] == "sk-test-pipeline-0001"


@respx.mock
async def test_answers_without_envelope_are_accepted(client: AsyncMemories) -> None:
    respx.post("https://api.memories.ai/serve/api/v1/x").respond(json={"results": [], "total": 0})
    data = await client._pipeline.request(OPTIONAL, cast_to=dict[str, Any])
    assert data == {"results": [], "total": 0}


@respx.mock
async def test_keep_envelope_returns_fields_beside_data(client: AsyncMemories) -> None:
    respx.post("https://api.memories.ai/serve/api/v1/x").respond(
        json={"code": "0000", "data": {"a": 1}, "session_id": "606"}
    )
    whole = await client._pipeline.request(OPTIONAL, cast_to=dict[str, Any], keep_envelope=True)
    assert whole["session_id"] == "606"


@respx.mock
async def test_every_attempt_waits_for_the_bucket(
    client: AsyncMemories, limiter: CountingLimiter
) -> None:
    route = respx.post("https://api.memories.ai/serve/api/v1/search")
    route.side_effect = [
        httpx.Response(200, json=load_fixture("core/rate_limited.json")),
        httpx.Response(200, json=load_fixture("core/search_by_video.json")),
    ]
    await client.search.videos("boat")
    assert limiter.acquired == ["search", "search"]


@respx.mock
async def test_streamed_body_is_resent_whole_from_byte_zero(client: AsyncMemories) -> None:
    seen: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.read())
        if len(seen) == 1:
            return httpx.Response(200, json=load_fixture("core/rate_limited.json"))
        return httpx.Response(200, json={"code": "0000", "data": {"videoNo": "VI9"}})

    route = respx.post("https://api.memories.ai/serve/api/v1/upload").mock(side_effect=answer)
    body = ChunkedBody([b"abc", b"", b"defgh"])
    data = await client._pipeline.request(UPLOAD, body=body, cast_to=dict[str, Any])
    assert data == {"videoNo": "VI9"}
    assert seen == [b"abcdefgh", b"abcdefgh"]
    assert body.starts == 2
    assert route.calls.last.request.headers["content-length"] == "8"


@respx.mock
async def test_non_idempotent_request_is_not_resent_after_a_500(client: AsyncMemories) -> None:
    route = respx.post("https://api.memories.ai/serve/api/v1/upload").respond(500)
    with pytest.raises(InternalServerError):
        await client._pipeline.request(UPLOAD, body=ChunkedBody([b"x"]), cast_to=dict[str, Any])
    assert route.call_count == 1


@respx.mock
async def test_stream_maps_a_json_error_and_hands_out_bytes(client: AsyncMemories) -> None:
    route = respx.post("https://api.memories.ai/serve/api/v1/download")
    route.side_effect = [
        httpx.Response(200, json=load_fixture("core/rate_limited.json")),
        httpx.Response(200, content=b"\x00video", headers={"content-type": "video/mp4"}),
        httpx.Response(200, json={"code": "0001", "msg": "video not found", "data": None}),
    ]
    async with client._pipeline.stream(DOWNLOAD, json={"video_no": "VI1"}) as response:
        assert b"".join([chunk async for chunk in response.aiter_bytes()]) == b"\x00video"
    assert response.is_closed
    with pytest.raises(NotFoundError):
        async with client._pipeline.stream(DOWNLOAD, json={"video_no": "VI1"}):
            pass


@respx.mock
async def test_stream_refuses_a_success_envelope_where_bytes_were_due(
    client: AsyncMemories,
) -> None:
    respx.post("https://api.memories.ai/serve/api/v1/download").respond(
        json={"code": "0000", "data": None}
    )
    with pytest.raises(APIResponseValidationError, match="expected a stream"):
        async with client._pipeline.stream(DOWNLOAD, json={}):
            pass


async def test_a_callers_client_keeps_its_headers_and_cookies() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=load_fixture("core/search_by_video.json"))

    plain = httpx.AsyncClient(
        transport=httpx.MockTransport(handle), headers={"X-Team": "blue"}, timeout=3.0
    )
    with_cookies = httpx.AsyncClient(
        transport=httpx.MockTransport(handle), cookies={"session": "abc"}
    )
    for http in (plain, with_cookies):
        async with http:
            client = AsyncMemories("sk-test-headers-0001", http_client=http, rate_limits=False)
            clips = await client.search.videos("boat")
            assert clips[0].start_time == 13.0
    assert seen[0].headers["x-team"] == "blue"
    assert seen[0].headers["authorization"] == "sk-test-headers-0001"
    assert seen[0].extensions["timeout"]["read"] == 60.0  # the SDK's timeout, not the client's
    assert seen[1].headers["cookie"] == "session=abc"
    assert seen[1].headers["authorization"] == "sk-test-headers-0001"
    for request in seen:
        # httpx's own default `Accept: */*` is replaced, not sent beside ours.
        assert request.headers.get_list("accept") == ["application/json"]
        assert len(request.headers.get_list("authorization")) == 1


@respx.mock
async def test_fast_and_slow_paths_agree(client: AsyncMemories) -> None:
    # The same clip, once inside a normal envelope (fast path) and once without one (slow path).
    item = load_fixture("core/search_by_video.json")["data"][0]
    route = respx.post("https://api.memories.ai/serve/api/v1/x")
    route.respond(json={"code": "0000", "data": [item]})
    endpoint = Endpoint("x", "POST", "/serve/api/v1/x", None, envelope="optional")
    fast = await client._pipeline.request(endpoint, cast_to=list[SearchClip])
    route.respond(json=[item])
    slow = await client._pipeline.request(endpoint, cast_to=list[SearchClip])
    assert fast == slow
    assert fast[0].video_no == "VI576925607808602112"
