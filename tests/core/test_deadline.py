"""`total_timeout` counts the time a call spends with the server, on both of anyio's backends:
not the wait for its rate slot, not the sending of an upload's body; and the table of deadlines
kept per asyncio loop keeps no finished loop alive."""

from __future__ import annotations

import asyncio
import gc
import time
import weakref

import anyio
import httpx
import pytest

from memories_async import APITimeoutError, AsyncMemories, Rate
from tests._support import load_fixture

SEARCH_OK = load_fixture("core/search_by_video.json")
UPLOAD_OK = {"code": "0000", "msg": "success", "data": {"videoNo": "VI1", "videoName": "a"}}


def test_the_wait_for_a_rate_slot_is_not_the_servers_time(anyio_backend: str) -> None:
    async def main() -> None:
        http = httpx.AsyncClient(
            transport=httpx.MockTransport(lambda r: httpx.Response(200, json=SEARCH_OK))
        )
        async with (
            http,
            AsyncMemories(
                "sk-test-deadline-0001",
                http_client=http,
                rate_limits={"search": Rate(1, 0.6)},
                total_timeout=0.2,
            ) as client,
        ):
            await client.search.videos("first")
            await client.search.videos("second")  # waits ~0.6 s for its slot, and succeeds

    anyio.run(main, backend=anyio_backend)


class SlowFile:
    """An async file whose reads take 0.1 s each: a large upload on a slow disk or link."""

    CHUNK = 1024

    def __init__(self, chunks: int) -> None:
        self.size = chunks * self.CHUNK
        self.position = 0

    async def seek(self, offset: int, whence: int = 0) -> int:
        self.position = {0: offset, 1: self.position + offset, 2: self.size + offset}[whence]
        return self.position

    async def tell(self) -> int:
        return self.position

    async def read(self, size: int = -1, /) -> bytes:
        if self.position >= self.size:
            return b""
        await anyio.sleep(0.1)
        self.position += self.CHUNK
        return b"\x00" * self.CHUNK


def test_sending_an_uploads_body_is_not_the_servers_time(anyio_backend: str) -> None:
    async def vendor(request: httpx.Request) -> httpx.Response:
        await request.aread()
        return httpx.Response(200, json=UPLOAD_OK)

    async def main() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(vendor))
        async with (
            http,
            AsyncMemories(
                "sk-test-deadline-0002", http_client=http, rate_limits=False, total_timeout=0.2
            ) as client,
        ):
            video = await client.videos.upload(SlowFile(6), filename="slow.mp4")  # ~0.6 s
            assert video.video_no == "VI1"

    anyio.run(main, backend=anyio_backend)


def test_a_server_that_takes_too_long_is_cut_off_soon_after_the_limit(anyio_backend: str) -> None:
    async def vendor(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(5)
        return httpx.Response(200, json=SEARCH_OK)

    async def main() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(vendor))
        async with (
            http,
            AsyncMemories(
                "sk-test-deadline-0003", http_client=http, rate_limits=False, total_timeout=0.3
            ) as client,
        ):
            await client.search.videos("anything")

    started = time.monotonic()
    with pytest.raises(APITimeoutError, match="total_timeout"):
        anyio.run(main, backend=anyio_backend)
    assert time.monotonic() - started < 2.0  # not the server's 5 s


def test_the_deadline_table_keeps_no_finished_loop_alive() -> None:
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def one_call() -> None:
        loops.append(weakref.ref(asyncio.get_running_loop()))
        http = httpx.AsyncClient(
            transport=httpx.MockTransport(lambda r: httpx.Response(200, json=SEARCH_OK))
        )
        async with (
            http,
            AsyncMemories(
                "sk-test-deadline-0004", http_client=http, rate_limits=False, total_timeout=5
            ) as client,
        ):
            await client.search.videos("boat")

    for _ in range(3):
        asyncio.run(one_call())
    gc.collect()
    assert [ref() for ref in loops] == [None, None, None]
