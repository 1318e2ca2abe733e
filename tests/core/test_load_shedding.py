"""`max_rate_wait`: a call whose rate slot is further away than the caller will wait fails at
once with a local `RateLimitError`, takes no slot and sends nothing; the others go as usual."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Iterator

import httpx
import pytest

from memories_async import (
    AsyncMemories,
    InvalidArgumentError,
    Memories,
    RateLimitError,
)
from memories_async._limits import _Ledger
from memories_async.emulator import Emulator, serve
from tests.core.test_limits import fresh_key


@pytest.fixture
def emulator() -> Iterator[tuple[Emulator, str]]:
    with Emulator(parse_delay=0) as emu, serve(emu) as url:  # the vendor's limits are on
        yield emu, url


def slots_within(max_wait: float, limit: int = 10, period: float = 1.0) -> int:
    """How many searches of an idle bucket the ledger can start within `max_wait`: one every
    spacing, and the cold-start room only `limit` places on."""
    spacing = (period + _Ledger.WINDOW_GUARD) / limit
    return min(limit, math.floor(max_wait / spacing) + 1)


async def test_thirty_searches_with_half_a_second_to_spare(
    emulator: tuple[Emulator, str],
) -> None:
    emu, url = emulator
    async with AsyncMemories(fresh_key(), base_url=url, max_rate_wait=0.5) as client:
        outcomes = await asyncio.gather(
            *(client.search.videos(f"boat {i}") for i in range(30)), return_exceptions=True
        )
    served = [o for o in outcomes if isinstance(o, list)]
    refused = [o for o in outcomes if isinstance(o, RateLimitError)]
    assert len(served) + len(refused) == 30, [o for o in outcomes if isinstance(o, Exception)]
    assert len(served) == slots_within(0.5) == 5  # 0, 0.101, ... 0.404 s (10/s with its guard)
    for error in refused:
        assert error.local and error.status_code == 429 and error.code is None
        assert error.retry_after is not None and error.retry_after > 0.5
        assert "max_rate_wait" in str(error)
    searches = [r for r in emu.requests if r.endpoint == "search"]
    assert len(searches) == len(served)  # a refused call sent nothing, and was not retried
    assert emu.rate_limits.rejected == {}  # no 0429


async def test_a_free_slot_is_taken_even_with_no_wait_allowed(
    emulator: tuple[Emulator, str],
) -> None:
    _, url = emulator
    async with AsyncMemories(fresh_key(), base_url=url, max_rate_wait=0) as client:
        assert await client.search.videos("boat")
        with pytest.raises(RateLimitError) as caught:
            await client.search.videos("boat again")  # 0.2 s away
    assert caught.value.local


async def test_per_call_through_with_options(emulator: tuple[Emulator, str]) -> None:
    emu, url = emulator
    async with AsyncMemories(fresh_key(), base_url=url) as client:
        shedding = client.with_options(max_rate_wait=0.05)
        await client.search.videos("first")
        with pytest.raises(RateLimitError):
            await shedding.search.videos("too soon")
        assert await client.search.videos("waits its turn")  # the client itself still waits
    assert len([r for r in emu.requests if r.endpoint == "search"]) == 2


def test_the_sync_client_sheds_too(emulator: tuple[Emulator, str]) -> None:
    _, url = emulator
    with Memories(fresh_key(), base_url=url, max_rate_wait=0.05) as client:
        client.search.videos("first")
        with pytest.raises(RateLimitError) as caught:
            client.search.videos("too soon")
    assert caught.value.local


async def test_the_debug_line_shows_the_time_queued(
    emulator: tuple[Emulator, str], caplog: pytest.LogCaptureFixture
) -> None:
    _, url = emulator
    caplog.set_level(logging.DEBUG, logger="memories_async")
    async with AsyncMemories(fresh_key(), base_url=url) as client:
        await client.search.videos("first")
        await client.search.videos("second")  # waits ~0.1 s for its slot
    lines = [r.getMessage() for r in caplog.records if "attempt=" in r.getMessage()]
    queued = [float(line.split("queued_ms=")[1].split()[0]) for line in lines]
    assert len(queued) == 2 and queued[0] < 50 and queued[1] > 60


class OnlyAcquires:
    async def acquire(self, bucket: str) -> None:
        return None


def test_a_limiter_that_cannot_refuse_is_named_at_construction() -> None:
    with pytest.raises(InvalidArgumentError, match="acquire_within") as caught:
        AsyncMemories(fresh_key(), rate_limits=OnlyAcquires(), max_rate_wait=1.0)
    assert caught.value.field == "max_rate_wait"


@pytest.mark.parametrize("bad", [-1, "soon", True])
def test_a_bad_max_rate_wait_is_named(bad: object) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        AsyncMemories(fresh_key(), max_rate_wait=bad)  # type: ignore[arg-type]
    assert caught.value.field == "max_rate_wait"


async def test_rate_limits_off_never_refuse() -> None:
    http = httpx.AsyncClient(
        transport=httpx.MockTransport(
            lambda r: httpx.Response(200, json={"code": "0000", "msg": "ok", "data": []})
        )
    )
    async with (
        http,
        AsyncMemories(fresh_key(), http_client=http, rate_limits=False, max_rate_wait=0) as client,
    ):
        for _ in range(5):
            assert await client.search.videos("boat") == []
