"""Sync shim cost: `Memories.search.videos` vs `AsyncMemories.search.videos` on the same call.

Measured twice. Over an in-process mock transport the call itself costs almost nothing, so the
shim's fixed hand-off to its event-loop thread (tens of microseconds) is a large share of it.
Over a real loopback socket to the emulator, served from its own process so that it never holds
this process's GIL, each call pays for a connection round trip and a server that parses, searches
and answers, as every real call does; the same hand-off is then a much smaller share.
Rate limits are off on both sides in both cases: what is measured is the cost per call.
"""

from __future__ import annotations

import asyncio

import httpx

from benchmarks._common import Row, Stopwatch, amedian_of, emulator_process, median_of
from benchmarks.bench_overhead import ANSWER, transport
from memories_async import AsyncMemories, Memories

KEY = "sk-bench-sync-0000"
GOAL = 1.5


def _sync_us(calls: int, repeats: int, **options: object) -> float:
    """Microseconds per `Memories.search.videos`, the median of `repeats` runs of `calls`."""
    with Memories(KEY, rate_limits=False, **options) as client:  # type: ignore[arg-type]

        def once() -> float:
            with Stopwatch() as sw:
                for _ in range(calls):
                    client.search.videos("boat", top_k=5)
            return sw.seconds / calls * 1e6

        return median_of(repeats, once)


async def _async_us(calls: int, repeats: int, **options: object) -> float:
    """Microseconds per `AsyncMemories.search.videos`, measured the same way."""
    async with AsyncMemories(KEY, rate_limits=False, **options) as client:  # type: ignore[arg-type]

        async def once() -> float:
            with Stopwatch() as sw:
                for _ in range(calls):
                    await client.search.videos("boat", top_k=5)
            return sw.seconds / calls * 1e6

        return await amedian_of(repeats, once)


def in_process(calls: int, repeats: int) -> tuple[float, float]:
    """(sync, async) µs per call over an in-process mock transport."""
    sync_us = _sync_us(calls, repeats, http_client=httpx.AsyncClient(transport=transport(ANSWER)))

    async def async_side() -> float:
        async with httpx.AsyncClient(transport=transport(ANSWER)) as http:
            return await _async_us(calls, repeats, http_client=http)

    return sync_us, asyncio.run(async_side())


def over_socket(calls: int, repeats: int) -> tuple[float, float]:
    """(sync, async) µs per call over a real loopback socket to the emulator."""
    with emulator_process("--no-rate-limits") as base_url:
        sync_us = _sync_us(calls, repeats, base_url=base_url)
        async_us = asyncio.run(_async_us(calls, repeats, base_url=base_url))
    return sync_us, async_us


def _row(name: str, sync_us: float, async_us: float, note: str) -> Row:
    return Row(
        name,
        sync_us,
        async_us,
        "µs/call",
        f"<= {GOAL}x async",
        sync_us / async_us <= GOAL,
        note=f"{note}; shim adds {sync_us - async_us:.0f} µs/call",
        extra={"shim_us": sync_us - async_us},
    )


def run(smoke: bool = False) -> list[Row]:
    calls, repeats = (32, 1) if smoke else (3000, 5)
    socket_calls = 16 if smoke else 1000
    return [
        _row("sync shim per call", *in_process(calls, repeats), "in-process mock transport"),
        _row(
            "sync shim per call, loopback socket",
            *over_socket(socket_calls, repeats),
            "emulator in its own process",
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
