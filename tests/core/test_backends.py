"""The async client under both of anyio's backends: calls, uploads, rate buckets and dropped
streams, which on asyncio lean on the running asyncio loop and under trio must find their way
without one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from memories_async import AsyncMemories, Rate, ThinkingEvent
from memories_async.emulator import Emulator, serve
from tests._support import HTTPX_INNER_GENERATORS, checked_out_connections, load_fixture
from tests.chat._support import RACE, dropped_streams_released
from tests.core.test_limits import Recorder, fresh_key, most_in_any_window, search_many

SEARCH_OK = load_fixture("core/search_by_video.json")


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with Emulator(parse_delay=0, rate_limits=False, stream_interval=0) as emu, serve(emu) as url:
        yield url
        assert emu.internal_errors == []


def test_calls_and_a_file_upload(base_url: str, tmp_path: Path, anyio_backend: str) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"trio" * 5000)

    async def main() -> None:
        async with AsyncMemories("sk-test-backends-0001", base_url=base_url) as client:
            assert await client.search.videos("boat")
            video = await client.videos.upload(clip)  # file reads go through worker threads
            listed = await client.videos.list()
            assert video.video_no in {v.video_no for v in listed.videos}

    anyio.run(main, backend=anyio_backend)


@pytest.mark.filterwarnings(HTTPX_INNER_GENERATORS)
def test_a_stream_left_with_break_releases_its_connection(
    base_url: str, anyio_backend: str
) -> None:
    async def main() -> None:
        async with AsyncMemories("sk-test-backends-0002", base_url=base_url) as client:
            async for event in client.chat.stream([RACE], "Who won?"):
                assert isinstance(event, ThinkingEvent)
                break
            assert await dropped_streams_released(client.http_client)

    anyio.run(main, backend=anyio_backend)


def test_a_stream_opened_and_dropped_unread_is_closed_on_the_run(
    base_url: str, anyio_backend: str
) -> None:
    # Nothing but the stream's finalizer can close this one; it must reach the loop or trio run.
    async def main() -> None:
        async with AsyncMemories("sk-test-backends-0003", base_url=base_url) as client:
            stream = client.chat.stream([RACE], "Who won?")
            await stream.__aenter__()
            assert checked_out_connections(client.http_client) == 1
            del stream
            assert await dropped_streams_released(client.http_client)

    anyio.run(main, backend=anyio_backend)


def test_a_bucket_holds(anyio_backend: str) -> None:
    recorder = Recorder()
    client = recorder.client(fresh_key(), rate_limits={"search": Rate(10, 0.5)})
    anyio.run(search_many, client, 21, backend=anyio_backend)
    assert len(recorder.times) == 21
    assert most_in_any_window(recorder.times, 0.5) <= 10


def test_cancelled_while_waiting_for_a_bucket_sends_nothing_more(anyio_backend: str) -> None:
    sent: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        return httpx.Response(200, json=SEARCH_OK)

    async def main() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
        client = AsyncMemories(fresh_key(), http_client=http, rate_limits={"search": Rate(1, 10)})
        await client.search.videos("boat")
        with anyio.move_on_after(0.05) as scope:
            await client.search.videos("boat")  # waits ~10 s for its slot
        assert scope.cancelled_caught
        await http.aclose()

    anyio.run(main, backend=anyio_backend)
    assert len(sent) == 1
