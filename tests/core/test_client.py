"""Client configuration, lifecycle, and the API key never showing anywhere."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
import respx

from memories_async import (
    DEFAULT_BASE_URL,
    AsyncMemories,
    InvalidArgumentError,
    MemoriesError,
    RateLimitError,
    RetryPolicy,
)
from tests._support import load_fixture

KEY = "sk-live-SECRET-7f3a9c2e-4b1d"
FAST = RetryPolicy(initial_delay=0.001, max_delay=0.002)


def test_missing_key_is_a_clear_error() -> None:
    with pytest.raises(InvalidArgumentError, match=r"api_key: no API key.*MEMORIES_API_KEY"):
        AsyncMemories()
    with pytest.raises(InvalidArgumentError, match="api_key"):
        AsyncMemories("   ")


async def test_environment_fallbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMORIES_API_KEY", KEY)
    monkeypatch.setenv("MEMORIES_BASE_URL", "http://127.0.0.1:8787/")
    async with AsyncMemories() as client:
        assert client.base_url == "http://127.0.0.1:8787"
        assert client._api_key == KEY
    monkeypatch.delenv("MEMORIES_BASE_URL")
    async with AsyncMemories() as client:
        assert client.base_url == DEFAULT_BASE_URL
        assert client.caption_base_url == "https://security.memories.ai"
        assert client.unique_id == "default"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9", "http://localhost", "http://[::1]:8000", "http://127.8.0.1"]
)
async def test_plain_http_is_allowed_to_loopback(url: str) -> None:
    async with AsyncMemories(KEY, base_url=url, caption_base_url=url) as client:
        assert client.base_url.startswith("http://")


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("base_url", "http://api.memories.ai"),
        ("base_url", "http://10.0.0.8"),
        ("base_url", "ftp://127.0.0.1"),
        ("caption_base_url", "http://security.memories.ai"),
    ],
)
def test_plain_http_elsewhere_is_refused(field: str, url: str) -> None:
    with pytest.raises(InvalidArgumentError, match=f"^{field}:"):
        AsyncMemories(KEY, **{field: url})  # type: ignore[arg-type]


async def test_repr_shows_only_the_last_four_characters() -> None:
    async with AsyncMemories(KEY) as client:
        text = repr(client)
    assert KEY not in text
    assert "'…4b1d'" in text
    assert "SECRET" not in text
    async with AsyncMemories("short") as client:
        assert "short" not in repr(client)


@respx.mock
async def test_the_key_is_sent_raw_and_never_logged_or_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    route = respx.post("https://api.memories.ai/serve/api/v1/search")
    route.side_effect = [
        httpx.Response(200, json=load_fixture("core/search_by_video.json")),
        httpx.Response(401, json={"msg": "bad key"}),
        *[httpx.Response(200, json=load_fixture("core/rate_limited.json"))] * 4,
        httpx.ConnectError("refused"),
        *[httpx.ConnectError("refused")] * 2,
    ]
    raised: list[BaseException] = []
    async with AsyncMemories(KEY, max_retries=FAST, rate_limits=False) as client:
        await client.search.videos("boat")
        for _ in range(3):
            try:
                await client.search.videos("boat")
            except MemoriesError as exc:
                raised.append(exc)
    assert route.calls[0].request.headers["authorization"] == KEY
    assert [type(e).__name__ for e in raised] == [
        "AuthenticationError",
        "RateLimitError",
        "APIConnectionError",
    ]
    assert isinstance(raised[1], RateLimitError)
    for error in raised:
        assert KEY not in str(error) and KEY not in repr(error)
        assert "SECRET" not in str(vars(error))
    assert "attempt=1" in caplog.text and "search" in caplog.text
    assert "SECRET" not in caplog.text
    for record in caplog.records:
        assert "SECRET" not in record.getMessage()


@respx.mock
async def test_unique_id_default_and_per_call_override() -> None:
    route = respx.post("https://api.memories.ai/serve/api/v1/search").respond(
        json=load_fixture("core/search_by_video.json")
    )
    async with AsyncMemories(KEY, unique_id="team-a", rate_limits=False) as client:
        await client.search.videos("boat")
        await client.search.videos("boat", unique_id="team-b")
        scoped = client.with_options(unique_id="team-c")
        await scoped.search.videos("boat")
        await scoped.aclose()
        assert not client.is_closed  # the copy shares, and leaves open, the pool
        await client.search.videos("boat")
    sent = [call.request.read() for call in route.calls]
    assert [b'"unique_id":"team-a"' in s for s in sent] == [True, False, False, True]
    assert b'"unique_id":"team-b"' in sent[1]
    assert b'"unique_id":"team-c"' in sent[2]


@respx.mock
async def test_request_shape_on_the_wire() -> None:
    route = respx.post("https://api.memories.ai/serve/api/v1/search").respond(
        json=load_fixture("core/search_by_video.json")
    )
    async with AsyncMemories(KEY, rate_limits=False) as client:
        await client.search.videos(
            "boat in the ocean", search_type="BY_AUDIO", top_k=3, filtering_level="medium"
        )
    request = route.calls.last.request
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("memories-async/")
    assert json.loads(request.read()) == {
        "search_param": "boat in the ocean",
        "search_type": "BY_AUDIO",
        "top_k": 3,
        "filtering_level": "medium",
        "unique_id": "default",
    }


async def test_lifecycle() -> None:
    owned = AsyncMemories(KEY)
    inner = owned.http_client
    async with owned as entered:
        assert entered is owned
    assert owned.is_closed and inner.is_closed
    await owned.aclose()  # twice is fine
    with pytest.raises(MemoriesError, match="closed"):
        async with owned:
            pass
    with pytest.raises(MemoriesError, match="closed"):
        _ = owned.http_client

    borrowed = httpx.AsyncClient()
    client = AsyncMemories(KEY, http_client=borrowed)
    await client.aclose()
    assert not borrowed.is_closed
    await borrowed.aclose()


async def test_clients_cannot_be_pickled() -> None:
    import pickle

    async with AsyncMemories(KEY) as client:
        with pytest.raises(TypeError, match="pickled"):
            pickle.dumps(client)
