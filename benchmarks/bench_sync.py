"""Sync shim cost: `Memories.search.videos` vs `AsyncMemories.search.videos` on the same call."""

from __future__ import annotations

import asyncio

import httpx

from benchmarks._common import Row, Stopwatch, amedian_of, median_of
from benchmarks.bench_overhead import ANSWER, transport
from memories_async import AsyncMemories, Memories


def run(smoke: bool = False) -> list[Row]:
    calls, repeats = (32, 1) if smoke else (3000, 5)
    key = "sk-bench-sync-0000"

    sync_client = Memories(
        key, http_client=httpx.AsyncClient(transport=transport(ANSWER)), rate_limits=False
    )

    def sync_once() -> float:
        with Stopwatch() as sw:
            for _ in range(calls):
                sync_client.search.videos("boat", top_k=5)
        return sw.seconds / calls * 1e6

    try:
        sync_us = median_of(repeats, sync_once)
    finally:
        sync_client.close()

    async def async_side() -> float:
        async with httpx.AsyncClient(transport=transport(ANSWER)) as http:
            client = AsyncMemories(key, http_client=http, rate_limits=False)

            async def once() -> float:
                with Stopwatch() as sw:
                    for _ in range(calls):
                        await client.search.videos("boat", top_k=5)
                return sw.seconds / calls * 1e6

            return await amedian_of(repeats, once)

    async_us = asyncio.run(async_side())
    return [
        Row(
            "sync shim per call",
            sync_us,
            async_us,
            "µs/call",
            "<= 1.5x async",
            sync_us / async_us <= 1.5,
        )
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
