"""One client, any event loop: a client made once (at import time, say) serves every
`asyncio.run`, every per-test loop of pytest-asyncio and every thread's loop, each with a pool of
its own that is closed as its loop shuts down; a pool the caller gave says so once its loop is
gone."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from memories_async import AsyncMemories, MemoriesError
from memories_async.emulator import Emulator, serve
from tests._support import load_fixture

KEY = "sk-test-any-loop-0001"
SEARCH_OK = load_fixture("core/search_by_video.json")


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with Emulator(parse_delay=0, rate_limits=False) as emu, serve(emu) as url:
        yield url


def open_sockets() -> int:
    """Sockets this process holds open (Linux: /proc), the emulator's own included."""
    fds = Path("/proc/self/fd")
    count = 0
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):
            count += os.readlink(fd).startswith("socket:")
    return count


def settled_sockets(baseline: int, timeout: float = 3.0) -> int:
    deadline = time.monotonic() + timeout
    while open_sockets() > baseline and time.monotonic() < deadline:
        time.sleep(0.02)
    return open_sockets()


needs_proc = pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")


@needs_proc
def test_two_asyncio_runs_on_one_client_then_aclose_from_a_third(base_url: str) -> None:
    baseline = open_sockets()
    client = AsyncMemories(KEY, base_url=base_url, rate_limits=False)  # made outside any loop

    async def search() -> int:
        return len(await client.search.videos("boat"))

    assert asyncio.run(search()) > 0
    assert asyncio.run(search()) > 0  # a new loop: a new pool, not "Event loop is closed"
    # Each run's pool was closed as its loop shut down: no socket is left behind.
    assert settled_sockets(baseline) == baseline
    asyncio.run(client.aclose())
    assert client.is_closed
    assert settled_sockets(baseline) == baseline


@needs_proc
def test_a_loop_run_by_hand_and_shut_down_releases_its_pool(base_url: str) -> None:
    baseline = open_sockets()
    client = AsyncMemories(KEY, base_url=base_url, rate_limits=False)
    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(client.search.videos("boat"))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()
    assert settled_sockets(baseline) == baseline

    async def again() -> None:
        async with client:
            assert await client.search.videos("boat")

    asyncio.run(again())
    assert settled_sockets(baseline) == baseline


def test_threads_with_loops_of_their_own_share_one_client(base_url: str) -> None:
    client = AsyncMemories(KEY, base_url=base_url, rate_limits=False)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        async def calls() -> None:
            for _ in range(5):
                results.append(len(await client.search.videos("boat")))

        try:
            asyncio.run(calls())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and len(results) == 20 and all(results)
    asyncio.run(client.aclose())


# One client for the module, as an app would keep it; each test below runs on its own loop.
SHARED: dict[str, AsyncMemories] = {}


@pytest.mark.parametrize("turn", [1, 2, 3])
async def test_pytest_asyncio_loops_one_per_test_share_a_module_client(
    base_url: str, turn: int
) -> None:
    client = SHARED.setdefault("client", AsyncMemories(KEY, base_url=base_url, rate_limits=False))
    assert await client.search.videos(f"boat {turn}")


def test_a_given_http_client_whose_loop_closed_is_named() -> None:
    http = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=SEARCH_OK))
    )
    client = AsyncMemories(KEY, http_client=http, rate_limits=False)
    assert asyncio.run(client.search.videos("boat"))
    with pytest.raises(MemoriesError, match="loop that is now closed") as caught:
        asyncio.run(client.search.videos("boat"))
    assert KEY not in str(caught.value)
