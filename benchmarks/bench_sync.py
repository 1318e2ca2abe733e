"""Sync shim cost: `Memories.search.videos` vs `AsyncMemories.search.videos` on the same call.

Measured twice. Over an in-process mock transport the call itself costs almost nothing, so the
shim's fixed cost (entering and leaving the event loop on the calling thread, tens of
microseconds) is a large share of it. Over a real loopback socket to the emulator, served from
its own process so that it never holds this process's GIL, each call pays for a connection round
trip and a server that parses, searches and answers, as every real call does; the same cost is
then a much smaller share. Rate limits are off on both sides in both cases: what is measured is
the cost per call. The two sides take turns round by round in one thread.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Callable

import httpx

from benchmarks._common import Row, Stopwatch, emulator_process
from benchmarks.bench_overhead import ANSWER, transport
from memories_async import AsyncMemories, Memories

KEY = "sk-bench-sync-0000"
GOAL = 1.5


def _side_by_side(
    calls: int, repeats: int, make_http: Callable[[], httpx.AsyncClient | None], **options: object
) -> tuple[float, float]:
    """(sync, async) microseconds per `search.videos`: the medians of `repeats` rounds of `calls`
    calls each, the two sides taking turns round by round on this thread, so that a slower
    moment of a shared machine falls on both."""
    loop = asyncio.new_event_loop()
    sync_http, async_http = make_http(), make_http()
    ours = AsyncMemories(KEY, rate_limits=False, http_client=async_http, **options)  # type: ignore[arg-type]

    async def async_round(n: int) -> float:
        with Stopwatch() as sw:
            for _ in range(n):
                await ours.search.videos("boat", top_k=5)
        return sw.seconds / n * 1e6

    sync_times: list[float] = []
    async_times: list[float] = []
    with Memories(KEY, rate_limits=False, http_client=sync_http, **options) as client:  # type: ignore[arg-type]

        def sync_round(n: int) -> float:
            with Stopwatch() as sw:
                for _ in range(n):
                    client.search.videos("boat", top_k=5)
            return sw.seconds / n * 1e6

        warm = max(1, calls // 10)
        sync_round(warm)
        loop.run_until_complete(async_round(warm))
        for _ in range(repeats):
            sync_times.append(sync_round(calls))
            async_times.append(loop.run_until_complete(async_round(calls)))
        if sync_http is not None:
            client._run(lambda c: sync_http.aclose())
    loop.run_until_complete(ours.aclose())
    if async_http is not None:
        loop.run_until_complete(async_http.aclose())
    loop.close()
    return statistics.median(sync_times), statistics.median(async_times)


def in_process(calls: int, repeats: int) -> tuple[float, float]:
    """(sync, async) µs per call over an in-process mock transport."""
    return _side_by_side(calls, repeats, lambda: httpx.AsyncClient(transport=transport(ANSWER)))


def over_socket(calls: int, repeats: int) -> tuple[float, float]:
    """(sync, async) µs per call over a real loopback socket to the emulator."""
    with emulator_process("--no-rate-limits") as base_url:
        return _side_by_side(calls, repeats, lambda: None, base_url=base_url)


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
