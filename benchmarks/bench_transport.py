"""aiohttp's transport against httpx's: the same searches against the emulator in a process of
its own on loopback, one at a time and 64 at once, measured in alternating pairs.

What differs is only the connection pool under the SDK (`DefaultAioHttpClient` or the SDK's own
httpx pool); the emulator answers the same search each time, with rate limits off.
"""

from __future__ import annotations

import asyncio

from benchmarks._common import Row, Stopwatch, apaired, emulator_process
from memories_async import AsyncMemories, DefaultAioHttpClient

KEY = "sk-bench-transport-0000"


async def _rate(url: str, aiohttp: bool, calls: int, concurrency: int) -> float:
    """Calls per second over a fresh client (its pool warmed by one call per worker first)."""
    http = DefaultAioHttpClient() if aiohttp else None
    async with AsyncMemories(KEY, base_url=url, rate_limits=False, http_client=http) as client:

        async def worker(count: int) -> None:
            for _ in range(count):
                await client.search.videos("boat")

        await asyncio.gather(*(worker(1) for _ in range(concurrency)))
        with Stopwatch() as sw:
            await asyncio.gather(*(worker(calls // concurrency) for _ in range(concurrency)))
    return (calls // concurrency) * concurrency / sw.seconds


async def run(smoke: bool = False) -> list[Row]:
    rows = []
    with emulator_process("--no-rate-limits", "--parse-delay", "0") as url:
        for concurrency, calls, goal in ((1, 300, 1.1), (64, 1920, 2.0)):
            if smoke:
                calls = concurrency * 2
            pair = await apaired(
                1 if smoke else 5,
                lambda c=concurrency, n=calls: _rate(url, True, n, c),
                lambda c=concurrency, n=calls: _rate(url, False, n, c),
            )
            label = "sequential" if concurrency == 1 else f"{concurrency}-way"
            rows.append(
                Row(
                    f"aiohttp vs httpx transport, {label}",
                    pair.ours,
                    pair.baseline,
                    "calls/s",
                    f">= {goal}x httpx's throughput",
                    pair.ratio >= goal,
                    paired_ratio=pair.ratio,
                )
            )
    return rows


if __name__ == "__main__":
    for row in asyncio.run(run()):
        print(row)
