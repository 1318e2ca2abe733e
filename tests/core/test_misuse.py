"""Misuse is named: a call on a closed client, an http_client of the wrong kind or already
closed, each fails with an SDK error that says what happened, before anything is sent."""

from __future__ import annotations

import httpx
import pytest

from memories_async import (
    AsyncMemories,
    ClientClosedError,
    InvalidArgumentError,
    Memories,
    MemoriesError,
    RetryPolicy,
)
from tests._support import load_fixture

KEY = "sk-test-misuse-0001"
NOWHERE = "http://127.0.0.1:9"  # nothing listens: a call that got this far would fail otherwise
SEARCH_OK = load_fixture("core/search_by_video.json")


async def test_a_call_on_a_closed_client_is_a_client_closed_error() -> None:
    client = AsyncMemories(KEY, base_url=NOWHERE)
    await client.aclose()
    with pytest.raises(ClientClosedError, match="closed") as caught:
        await client.search.videos("boat")
    assert isinstance(caught.value, MemoriesError)
    with pytest.raises(ClientClosedError):
        async with client:
            pass


async def test_a_copy_of_a_closed_client_is_closed_too_and_a_closed_copy_alone() -> None:
    sent: list[str] = []

    def vendor(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        return httpx.Response(200, json=SEARCH_OK)

    parent = AsyncMemories(KEY, base_url=NOWHERE)
    copy = parent.with_options(unique_id="user-7")
    await parent.aclose()  # closes the pool the copy shares
    with pytest.raises(ClientClosedError):
        await copy.search.videos("boat")

    async with httpx.AsyncClient(transport=httpx.MockTransport(vendor)) as http:
        owner = AsyncMemories(KEY, http_client=http, rate_limits=False)
        copy = owner.with_options(unique_id="user-8")
        await copy.aclose()
        with pytest.raises(ClientClosedError):
            await copy.search.videos("boat")
        assert await owner.search.videos("boat")  # the copy's close left the owner open
    assert sent == ["/serve/api/v1/search"]


async def test_an_http_client_closed_by_its_owner_is_named() -> None:
    http = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=SEARCH_OK))
    )
    client = AsyncMemories(KEY, http_client=http, rate_limits=False)
    await http.aclose()
    with pytest.raises(ClientClosedError, match="http_client"):
        await client.search.videos("boat")


@pytest.mark.parametrize("make", [AsyncMemories, Memories], ids=["async", "sync"])
def test_an_http_client_of_the_wrong_kind_is_refused_at_construction(make: type) -> None:
    with httpx.Client() as wrong, pytest.raises(InvalidArgumentError) as caught:
        make(KEY, http_client=wrong)
    assert caught.value.field == "http_client"
    assert "httpx.AsyncClient" in str(caught.value) and "httpx.Client" in str(caught.value)
    assert KEY not in str(caught.value)


async def test_an_http_client_already_closed_is_refused_at_construction() -> None:
    http = httpx.AsyncClient()
    await http.aclose()
    with pytest.raises(ClientClosedError, match="http_client"):
        AsyncMemories(KEY, http_client=http)


def test_a_call_on_a_closed_sync_client_is_a_client_closed_error() -> None:
    client = Memories(KEY, base_url=NOWHERE)
    client.close()
    with pytest.raises(ClientClosedError):
        client.search.videos("boat")


def test_the_sync_client_shows_its_retry_policy_and_timeout() -> None:
    policy = RetryPolicy(max_retries=5)
    with Memories(KEY, base_url=NOWHERE, max_retries=policy, timeout=7.5) as client:
        assert client.retry is policy
        assert client.timeout == httpx.Timeout(7.5)
        assert client.retry is client.async_client.retry
        assert client.timeout is client.async_client.timeout
