"""The shared Redis limiter: rate compliance across processes, and what a request pays for it.

Compliance: 4 OS processes x 100 searches on one key, released at the same moment, each with its
own client and the Redis limiter, against the emulator in a process of its own with the vendor's
limits on and retries off (every 0429 is counted). The achieved rate is taken from the emulator's
arrival log, as in `bench_rate`: accepted arrivals per second over their span, against 10/s.

Cost: sequential `acquire` on a bucket too wide to ever wait, so only the limiter's own work is
timed: the Redis limiter (one Lua step over loopback), the in-process ledger, and one bare Redis
PING on the same kind of connection, the floor of any Redis round trip.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from benchmarks._common import Row, emulator_process
from benchmarks._redis import REDIS_SERVER, RedisServer, busiest_window, free_port, run_workers
from memories_async import Rate
from memories_async._limits import AccountRateLimiter, account_fingerprint

GOAL_RATE = 0.95
GOAL_COST = 1.5
WIDE = Rate(1_000_000)  # a bucket that never waits: what is left is the limiter's own work


def compliance(redis_url: str, processes: int, calls: int) -> Row:
    key = f"sk-bench-redis-{time.time_ns()}"
    with emulator_process(first_in_line=True) as base_url:
        results = run_workers(base_url, [(key, "search", calls)] * processes, redis_url)
        log = httpx.get(f"{base_url}/_emulator/requests").json()
    accepted = sorted(
        float(r["time"]) for r in log if r["endpoint"] == "search" and str(r["code"]) == "0000"
    )
    refused = sum(1 for r in log if r["endpoint"] == "search" and str(r["code"]) == "0429")
    achieved = (len(accepted) - 1) / (accepted[-1] - accepted[0]) if len(accepted) > 1 else 0.0
    seen = sum(r["rate_limited"] for r in results)
    return Row(
        f"redis: {processes} processes x {calls} searches",
        achieved,
        10.0,
        "req/s",
        f">= {GOAL_RATE} of the table, zero 0429",
        achieved / 10.0 >= GOAL_RATE and refused == 0,
        note=f"0429 sent: {refused}, seen: {seen}; busiest second {busiest_window(accepted)}",
        extra={"rejected_0429": refused, "accepted": len(accepted)},
    )


async def cost(redis_url: str, calls: int, rounds: int) -> list[Row]:
    """µs per request of each side, taking turns round by round (the machine's noise then falls
    on all three alike); the median round of each."""
    from memories_async.redis import RedisRateLimiter

    account = account_fingerprint(f"sk-bench-redis-cost-{time.time_ns()}")
    shared = RedisRateLimiter.from_url(redis_url, rates={"search": WIDE})
    remote = shared.for_account(account)
    local = AccountRateLimiter.for_fingerprint(account, {"search": WIDE})
    await remote.acquire("search")  # connects and loads the script
    connection = await shared._connections.current()  # the limiter's own pool, for the PING

    async def timed(call: Callable[[], Awaitable[object]]) -> float:
        started = time.perf_counter()
        for _ in range(calls):
            await call()
        return (time.perf_counter() - started) / calls * 1e6

    sides: dict[str, Callable[[], Awaitable[object]]] = {
        "redis": lambda: remote.acquire("search"),
        "ledger": lambda: local.acquire("search"),
        "ping": connection.client.ping,
    }
    samples: dict[str, list[float]] = {name: [] for name in sides}
    try:
        for call in sides.values():
            await timed(call)  # warm up
        for _ in range(rounds):
            for name, call in sides.items():
                samples[name].append(await timed(call))
    finally:
        await shared.aclose()
    ours, ledger, floor = (statistics.median(samples[n]) for n in ("redis", "ledger", "ping"))
    return [
        Row(
            "redis limiter vs one PING round trip",
            ours,
            floor,
            "µs/req",
            f"<= {GOAL_COST}x PING",
            ours / floor <= GOAL_COST,
            note="PING on the limiter's own connection pool; median of rounds taken in turn",
        ),
        Row(
            "redis limiter vs in-process ledger",
            ours,
            ledger,
            "µs/req",
            "-",
            None,
            note=f"the ledger: {ledger:.1f} µs",
        ),
    ]


def run(smoke: bool = False) -> list[Row]:
    if REDIS_SERVER is None:
        skipped = "skipped: redis-server is not installed"
        return [Row("redis: shared limiter", float("nan"), 1.0, "-", "-", None, note=skipped)]
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as tmp:
        server = RedisServer(Path(tmp), free_port())
        server.start()
        try:
            processes, calls, samples, rounds = (2, 5, 50, 2) if smoke else (4, 100, 500, 9)
            rows = [compliance(server.url, processes, calls)]
            rows += asyncio.run(cost(server.url, samples, rounds))
        finally:
            server.stop()
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
