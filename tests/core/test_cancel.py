"""Cancelling a call, while it waits for its bucket or for the server, leaks no connection."""

from __future__ import annotations

import logging

import anyio
import pytest

from memories_async import AsyncMemories, Rate
from tests._http_server import tiny_server
from tests._support import checked_out_connections, load_fixture

KEY = "sk-test-cancel-SECRET-0042"
SEARCH_OK = load_fixture("core/search_by_video.json")


async def test_cancel_while_waiting_for_the_bucket() -> None:
    async with tiny_server(SEARCH_OK) as server:
        limits = {"search": Rate(1, 60.0)}
        async with AsyncMemories(KEY + "a", base_url=server.base_url, rate_limits=limits) as client:
            await client.search.videos("first")  # takes the only slot of this minute
            with anyio.move_on_after(0.2) as scope:
                await client.search.videos("second")
            assert scope.cancelled_caught
            assert len(server.received) == 1
            assert checked_out_connections(client.http_client) == 0


async def test_cancel_while_waiting_for_the_server() -> None:
    async with tiny_server(SEARCH_OK, hang={"/serve/api/v1/search"}) as server:
        async with AsyncMemories(KEY + "b", base_url=server.base_url, rate_limits=False) as client:
            for attempt in range(1, 6):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(client.search.videos, "never answered")
                    while len(server.received) < attempt:
                        await anyio.sleep(0.005)
                    assert checked_out_connections(client.http_client) == 1
                    tg.cancel_scope.cancel()
                assert checked_out_connections(client.http_client) == 0
            assert len(server.received) == 5


async def test_pool_is_reused_and_released_after_real_requests(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with tiny_server(SEARCH_OK) as server:
        async with AsyncMemories(KEY, base_url=server.base_url, rate_limits=False) as client:
            for _ in range(3):
                clips = await client.search.videos("boat")
                assert clips[0].video_no == "VI576925607808602112"
            assert checked_out_connections(client.http_client) == 0
            assert server.received[0][2]["authorization"] == KEY
    # Debug logs of the SDK, httpx and httpcore over a real socket never show the key.
    assert "duration_ms" in caplog.text
    assert "SECRET" not in caplog.text
