"""`client.with_raw_response`: the parsed result of a call together with the status, headers and
request id of the answer it came from; streams are refused with a message that says why."""

from __future__ import annotations

import httpx
import pytest

from memories_async import AsyncMemories, NotFoundError, RawResponse, SearchClip
from tests._support import load_fixture

KEY = "sk-test-raw-response-0001"
SEARCH_OK = load_fixture("core/search_by_video.json")


def vendor(*answers: httpx.Response) -> httpx.AsyncClient:
    queue = list(answers)
    return httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: queue.pop(0) if len(queue) > 1 else queue[0])
    )


async def test_a_call_gives_its_parsed_result_and_its_answers_status_headers_and_id() -> None:
    ok = httpx.Response(200, json=SEARCH_OK, headers={"x-request-id": "req-7", "x-extra": "1"})
    async with vendor(ok) as http, AsyncMemories(KEY, http_client=http, rate_limits=False) as c:
        raw = await c.with_raw_response.search.videos("boat")
        plain = await c.search.videos("boat")
    assert isinstance(raw, RawResponse)
    assert raw.parsed == plain and all(isinstance(clip, SearchClip) for clip in raw.parsed)
    assert raw.status_code == 200 and raw.request_id == "req-7"
    assert raw.headers["x-extra"] == "1"
    assert KEY not in repr(raw)


async def test_without_a_request_id_it_is_none_and_errors_raise_as_usual() -> None:
    ok = httpx.Response(200, json=SEARCH_OK)
    async with vendor(ok) as http, AsyncMemories(KEY, http_client=http, rate_limits=False) as c:
        assert (await c.with_raw_response.search.videos("boat")).request_id is None
    missing = httpx.Response(404, json={"code": "0404", "msg": "not found"})
    async with (
        vendor(missing) as http,
        AsyncMemories(KEY, http_client=http, rate_limits=False, max_retries=0) as c,
    ):
        with pytest.raises(NotFoundError):
            await c.with_raw_response.videos.transcription("VI1")


async def test_streams_and_non_resources_are_refused_plainly() -> None:
    async with AsyncMemories(KEY, rate_limits=False) as client:
        with pytest.raises(AttributeError, match="stream carries its own"):
            client.with_raw_response.chat.stream  # noqa: B018
        with pytest.raises(AttributeError, match="wraps resources"):
            client.with_raw_response.aclose  # noqa: B018


async def test_outside_with_raw_response_nothing_is_kept() -> None:
    from memories_async import _raw

    ok = httpx.Response(200, json=SEARCH_OK, headers={"x-request-id": "req-8"})
    async with vendor(ok) as http, AsyncMemories(KEY, http_client=http, rate_limits=False) as c:
        await c.search.videos("boat")
    assert _raw.capture.get() is None


def test_the_blocking_client_gives_the_same_raw_response() -> None:
    from memories_async import Memories

    ok = httpx.Response(200, json=SEARCH_OK, headers={"x-request-id": "req-9"})
    with Memories(KEY, http_client=vendor(ok), rate_limits=False) as client:
        raw = client.with_raw_response.search.videos("boat", top_k=3)
        assert raw.parsed == client.search.videos("boat", top_k=3)
        with pytest.raises(AttributeError, match="stream carries its own"):
            client.with_raw_response.chat.stream  # noqa: B018
        with pytest.raises(AttributeError, match="wraps resources"):
            client.with_raw_response.close  # noqa: B018
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200 and raw.request_id == "req-9"
    assert all(isinstance(clip, SearchClip) for clip in raw.parsed)
