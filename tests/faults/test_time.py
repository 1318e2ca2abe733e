"""What a hostile server can make us wait for: a call ends within twice its configured limit,
under both of anyio's backends (the deadline has a path of its own for each)."""

from __future__ import annotations

import time

import anyio
import pytest

from memories_async import APITimeoutError, AsyncMemories, StreamError
from tests.faults._hostile import comments_only, hostile_server, trickle_headers

KEY = "sk-faults-key-0002"


def test_headers_trickled_byte_by_byte_hit_the_total_timeout(anyio_backend: str) -> None:
    # Each byte comes well within the read timeout, so only a whole-call limit can end it.
    with hostile_server({"list_videos": trickle_headers(every=0.1)}) as server:

        async def main() -> None:
            async with AsyncMemories(
                KEY, base_url=server.base_url, rate_limits=False, timeout=5, total_timeout=1.0
            ) as client:
                await client.videos.list()

        started = time.monotonic()
        with pytest.raises(APITimeoutError) as caught:
            anyio.run(main, backend=anyio_backend)
        elapsed = time.monotonic() - started
    assert "total_timeout" in str(caught.value)
    assert elapsed < 2.0, f"took {elapsed:.2f}s for a 1s limit"
    assert server.arrivals["list_videos"] == 1  # the deadline covers retries: none after it


def test_the_total_timeout_spans_retries(anyio_backend: str) -> None:
    with hostile_server({"search": trickle_headers(every=0.1)}) as server:

        async def main() -> None:
            async with AsyncMemories(
                KEY, base_url=server.base_url, rate_limits=False, timeout=0.3, total_timeout=1.0
            ) as client:
                await client.search.videos("anything")

        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            anyio.run(main, backend=anyio_backend)
        elapsed = time.monotonic() - started
    assert elapsed < 2.0, f"took {elapsed:.2f}s for a 1s limit"


def test_a_stream_of_comments_only_hits_the_idle_timeout(anyio_backend: str) -> None:
    with hostile_server({"chat_stream": comments_only(every=0.1)}) as server:

        async def main() -> None:
            async with AsyncMemories(
                KEY, base_url=server.base_url, rate_limits=False, stream_idle_timeout=1.0
            ) as client:
                await client.chat.stream(["VI1"], "hello?").final()

        started = time.monotonic()
        with pytest.raises(StreamError) as caught:
            anyio.run(main, backend=anyio_backend)
        elapsed = time.monotonic() - started
    assert caught.value.reason == "idle" and "stream_idle_timeout" in str(caught.value)
    assert elapsed < 2.0, f"took {elapsed:.2f}s for a 1s limit"
    assert server.arrivals["chat_stream"] == 1
