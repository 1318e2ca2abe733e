"""One OS process of a multi-process test: `calls` concurrent SDK calls on one key, all started
at the wall-clock time `start_at`, with retries off so that every 0429 reaches us and is counted.
Prints `{"ok": n, "rate_limited": n}`.

    python -m benchmarks._redis_worker BASE_URL KEY search|upload CALLS START_AT [REDIS_URL]
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from memories_async import AsyncMemories, RateLimitError
from memories_async.redis import RedisRateLimiter


async def main(base_url: str, key: str, kind: str, calls: int, start_at: float, redis: str) -> None:
    limiter = RedisRateLimiter.from_url(redis) if redis else None
    async with AsyncMemories(key, base_url=base_url, max_retries=0, rate_limits=limiter) as client:
        _ = client.search, client.videos  # imported before the start, not during the burst
        await asyncio.sleep(max(0.0, start_at - time.time()))

        async def one(index: int) -> str:
            try:
                if kind == "search":
                    await client.search.videos(f"boat number {index}", top_k=3)
                else:
                    await client.videos.upload(f"worker {key} {index} ".encode() * 64)
            except RateLimitError:
                return "rate_limited"
            return "ok"

        results = await asyncio.gather(*(one(i) for i in range(calls)))
        if limiter is not None:
            await limiter.aclose()
    print(json.dumps({"ok": results.count("ok"), "rate_limited": results.count("rate_limited")}))


if __name__ == "__main__":
    base, key, kind, calls, start, *rest = sys.argv[1:]
    asyncio.run(main(base, key, kind, int(calls), float(start), rest[0] if rest else ""))
