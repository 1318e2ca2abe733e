"""The Redis limiter's semantics in one process, against a real redis-server: spacing, keys,
overrides, the environment variable, NOSCRIPT, cancellation, faults, slowness, trio, sync."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from itertools import pairwise
from typing import Any

import anyio
import httpx
import pytest
import redis.asyncio as aioredis

from benchmarks._redis import RedisServer, busiest_window
from memories_async import AsyncMemories, Memories, Rate
from memories_async._limits import REDIS_URL_ENV, account_fingerprint
from memories_async.emulator import Emulator, serve
from memories_async.redis import (
    CALLER_COLD,
    WINDOW_GUARD,
    RateLimiterUnavailableError,
    RedisRateLimiter,
)

KEY = "sk-redis-semantics-key-0001"


async def departures(
    limiter: RedisRateLimiter, bucket: str, count: int, key: str = KEY
) -> list[float]:
    bound = limiter.for_account(account_fingerprint(key))
    times: list[float] = []

    async def one() -> None:
        await bound.acquire(bucket)
        times.append(time.monotonic())

    async with anyio.create_task_group() as tg:
        for _ in range(count):
            tg.start_soon(one)
    return times


async def redis_keys(url: str) -> dict[str, int]:
    client = aioredis.Redis.from_url(url)
    try:
        return {k.decode(): await client.pttl(k) async for k in client.scan_iter("*")}
    finally:
        await client.aclose()


async def test_departures_are_spaced_and_keyed_by_the_account_fingerprint(redis_url: str) -> None:
    limiter = RedisRateLimiter.from_url(redis_url)
    try:
        times = await departures(limiter, "search", 25)
    finally:
        await limiter.aclose()
    assert len(times) == 25 and busiest_window(times) <= 10
    assert max(times) - min(times) >= 2.0  # 25 at 10 per second, strictly spaced
    keys = await redis_keys(redis_url)
    fingerprint = account_fingerprint(KEY)
    assert list(keys) == [f"memories:{{{fingerprint}}}:search"]  # hash tag for Redis Cluster
    assert all(KEY not in k for k in keys)
    assert 0 < keys[f"memories:{{{fingerprint}}}:search"] <= 5000  # it expires when idle


async def test_overrides_apply_per_bucket(redis_url: str) -> None:
    limiter = RedisRateLimiter.from_url(redis_url, rates={"search": Rate(5), "upload": None})
    try:
        times = await departures(limiter, "search", 12)
        started = time.monotonic()
        await departures(limiter, "upload", 20)  # turned off: no waiting at all
        unlimited = time.monotonic() - started
    finally:
        await limiter.aclose()
    assert busiest_window(times) <= 5
    assert unlimited < 1.0


async def test_a_flushed_script_cache_is_reloaded(redis_url: str) -> None:
    limiter = RedisRateLimiter.from_url(redis_url, on_unavailable="raise")
    try:
        await departures(limiter, "search", 2)
        admin = aioredis.Redis.from_url(redis_url)
        await admin.script_flush()
        await admin.aclose()
        await departures(limiter, "search", 2)  # NOSCRIPT is answered by loading it again
    finally:
        await limiter.aclose()


async def test_max_wait_refuses_a_far_slot_without_taking_it(redis_url: str) -> None:
    limiter = RedisRateLimiter.from_url(redis_url)
    bound = limiter.for_account(account_fingerprint(KEY))
    try:
        first = await bound.reserve("upload", max_wait=None)  # type: ignore[attr-defined]
        assert first is not None and abs(first - time.monotonic()) < 0.05  # now
        refused = await bound.reserve("upload", max_wait=0.5)  # type: ignore[attr-defined]
        assert refused is not None and refused < -0.5  # a second away: refused, and how far
        later = await bound.reserve("upload", max_wait=None)  # type: ignore[attr-defined]
        assert later is not None and 0.9 < later - time.monotonic() < 1.3  # not taken before
    finally:
        await limiter.aclose()


async def test_the_room_after_a_clients_first_request_follows_the_first_slot_it_gets(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A client's first request of a bucket opens its connection to the vendor and arrives late,
    # so the slot after it is held back by CALLER_COLD. That room must follow the earliest slot
    # the client gets, even when the caller that asked first waits longest for a connection to
    # Redis and is reserved last.
    limiter = RedisRateLimiter.from_url(redis_url)
    account = account_fingerprint(KEY)
    other, ours = limiter.for_account(account), limiter.for_account(account)
    try:
        await other.reserve("search", max_wait=None)  # type: ignore[attr-defined]
        pool = (await limiter._connections.current()).client.connection_pool
        get_connection = pool.get_connection
        asked = 0

        async def first_caller_waits() -> Any:
            nonlocal asked
            asked += 1
            if asked == 1:
                await asyncio.sleep(0.05)
            return await get_connection()

        monkeypatch.setattr(pool, "get_connection", first_caller_waits)
        slots = await asyncio.gather(
            *(ours.reserve("search", max_wait=None) for _ in range(5))  # type: ignore[attr-defined]
        )
    finally:
        await limiter.aclose()
    assert asked == 5
    assert slots[0] == max(slots)  # the first to ask was reserved last
    spacing = (1.0 + WINDOW_GUARD) / 10
    gaps = [b - a for a, b in pairwise(sorted(slots))]
    assert gaps[0] == pytest.approx(spacing + CALLER_COLD, abs=0.02)
    assert gaps[1:] == pytest.approx([spacing] * 3, abs=0.02)


async def test_a_cancelled_waiter_leaves_no_stuck_bucket(redis_url: str) -> None:
    limiter = RedisRateLimiter.from_url(redis_url)
    bound = limiter.for_account(account_fingerprint(KEY))
    try:
        await bound.acquire("upload")
        with anyio.move_on_after(0.1):
            await bound.acquire("upload")  # reserved a slot ~1 s away, then cancelled
        slot = await bound.reserve("upload", max_wait=None)  # type: ignore[attr-defined]
        assert slot is not None and slot - time.monotonic() < 2.2  # one unused slot between
        keys = await redis_keys(redis_url)
        assert all(ttl > 0 for ttl in keys.values())
    finally:
        await limiter.aclose()


async def test_the_environment_variable_makes_it_every_clients_default(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REDIS_URL_ENV, redis_url)
    emu = Emulator(rate_limits=False)
    async with httpx.AsyncClient(transport=emu.transport()) as http:
        client = AsyncMemories(KEY, base_url="http://127.0.0.1", http_client=http)
        await client.search.videos("runner")
        custom = AsyncMemories(
            "sk-redis-other-key-0002",
            base_url="http://127.0.0.1",
            http_client=http,
            rate_limits={"search": Rate(2)},
        )
        await custom.search.videos("runner")
        off = AsyncMemories("sk-redis-off-key-0003", http_client=http, rate_limits=False)
        assert "Redis" not in repr(off._pipeline.hosts["api"].limiter)
    await emu.aclose()
    keys = await redis_keys(redis_url)
    assert f"memories:{{{account_fingerprint(KEY)}}}:search" in keys
    assert f"memories:{{{account_fingerprint('sk-redis-other-key-0002')}}}:search" in keys
    assert len(keys) == 2


def test_the_sync_client_with_the_environment_variable_uses_redis(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REDIS_URL_ENV, redis_url)
    emu = Emulator(rate_limits=False)
    with serve(emu) as base_url, Memories(KEY, base_url=base_url) as client:
        client.search.videos("runner")
        client.search.videos("runner")
    emu.close()
    keys = anyio.run(redis_keys, redis_url)
    assert list(keys) == [f"memories:{{{account_fingerprint(KEY)}}}:search"]


@pytest.fixture
def caplog_info(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.INFO, logger="memories_async"):
        yield caplog


async def test_redis_lost_mid_run_falls_back_once_then_resumes(
    redis_server: RedisServer, caplog_info: pytest.LogCaptureFixture
) -> None:
    limiter = RedisRateLimiter.from_url(redis_server.url, timeout=0.5)
    limiter._health.FIRST_BACKOFF = 0.2  # type: ignore[misc]  # probe again soon, for the test
    bound = limiter.for_account(account_fingerprint(KEY))
    try:
        await bound.acquire("search")
        redis_server.stop()
        started = time.monotonic()
        times = await departures(limiter, "search", 12)  # served by this process's buckets
        assert time.monotonic() - started < 5.0  # hang guard: nothing waits on a dead Redis
        assert busiest_window(times) <= 10
        warnings = [r for r in caplog_info.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "unavailable" in warnings[0].getMessage()
        assert KEY not in caplog_info.text

        redis_server.start()  # the old connections died with the old server
        with anyio.fail_after(10):  # a hang guard: probes come after a backoff of 0.2 s, 0.4 s…
            while "answers again after" not in caplog_info.text:
                await departures(limiter, "search", 1)
                await anyio.sleep(0.1)
        assert f"memories:{{{account_fingerprint(KEY)}}}:search" in await redis_keys(
            redis_server.url
        )
    finally:
        await limiter.aclose()


async def test_redis_unreachable_with_raise_fails_fast(redis_server: RedisServer) -> None:
    url = redis_server.url
    redis_server.stop()
    limiter = RedisRateLimiter.from_url(url, on_unavailable="raise", timeout=0.5)
    started = time.monotonic()
    with pytest.raises(RateLimiterUnavailableError) as caught:
        await limiter.for_account(account_fingerprint(KEY)).acquire("search")
    assert time.monotonic() - started < 2.0
    assert KEY not in str(caught.value)
    await limiter.aclose()


def test_under_trio_the_local_buckets_serve(redis_url: str) -> None:
    import trio

    async def main() -> None:
        limiter = RedisRateLimiter.from_url(redis_url)
        times = await departures(limiter, "search", 12)
        assert busiest_window(times) <= 10
        strict = RedisRateLimiter.from_url(redis_url, on_unavailable="raise")
        with pytest.raises(RateLimiterUnavailableError, match="trio"):
            await strict.for_account(account_fingerprint(KEY)).acquire("search")

    trio.run(main)


@pytest.fixture
async def slow_redis(redis_url: str) -> AsyncIterator[str]:
    """A TCP proxy in front of Redis that delays every reply by 100 ms."""
    target_port = int(redis_url.rsplit(":", 1)[1].split("/")[0])

    async def pipe(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float
    ) -> None:
        try:
            while data := await reader.read(65536):
                await asyncio.sleep(delay)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    tasks: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target_port)
        for task in (pipe(reader, up_writer, 0.0), pipe(up_reader, writer, 0.1)):
            tasks.add(asyncio.ensure_future(task))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"redis://127.0.0.1:{port}/0"
    server.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await server.wait_closed()


async def test_a_slow_redis_costs_a_request_only_its_delay(slow_redis: str) -> None:
    limiter = RedisRateLimiter.from_url(slow_redis, on_unavailable="raise")
    bound = limiter.for_account(account_fingerprint(KEY))
    try:
        await bound.acquire("search")  # connects, loads the script
        await anyio.sleep(1.5)  # the bucket is idle again
        started = time.monotonic()
        await bound.acquire("search")
        elapsed = time.monotonic() - started
    finally:
        await limiter.aclose()
    assert 0.09 < elapsed < 0.5, f"{elapsed:.3f}s for one 100 ms round trip"


def test_the_limiter_never_shows_a_password() -> None:
    limiter = RedisRateLimiter.from_url("redis://user:s3cret-pass@cache.internal:6379/0")
    assert "s3cret" not in repr(limiter) and "cache.internal" in repr(limiter)
    assert "s3cret" not in repr(limiter.for_account("abc"))


def test_the_command_line_takes_a_redis_url(
    redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from memories_async.cli import main

    emu = Emulator(rate_limits=False)
    with serve(emu) as base_url:
        code = main(
            ["--api-key", KEY, "--base-url", base_url, "--redis-url", redis_url, "search", "runner"]
        )
    emu.close()
    assert code == 0, capsys.readouterr().err
    keys = anyio.run(redis_keys, redis_url)
    assert list(keys) == [f"memories:{{{account_fingerprint(KEY)}}}:search"]


async def test_max_rate_wait_sheds_load_on_the_shared_buckets(redis_url: str) -> None:
    from memories_async import RateLimitError

    limiter = RedisRateLimiter.from_url(redis_url)
    with Emulator(parse_delay=0) as emu, serve(emu) as url:
        try:
            async with AsyncMemories(
                "sk-redis-shedding-key-0001", base_url=url, rate_limits=limiter, max_rate_wait=0.5
            ) as client:
                outcomes = await asyncio.gather(
                    *(client.search.videos(f"boat {i}") for i in range(30)),
                    return_exceptions=True,
                )
        finally:
            await limiter.aclose()
        served = [o for o in outcomes if isinstance(o, list)]
        refused = [o for o in outcomes if isinstance(o, RateLimitError)]
        assert len(served) + len(refused) == 30
        # 0, then 0.1 s of cold-start room, then one every 0.104 s: 4 slots within 0.5 s.
        assert 3 <= len(served) <= 5
        assert all(e.local and e.retry_after is not None and e.retry_after > 0.5 for e in refused)
        assert len([r for r in emu.requests if r.endpoint == "search"]) == len(served)
        assert emu.rate_limits.rejected == {}
