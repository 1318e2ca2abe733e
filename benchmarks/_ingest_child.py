"""One `ingest()` of a folder in a process of its own, for `bench_ingest`'s large-job rows: its
time inside the process, its summary and the process's peak memory, printed as one JSON line.

`python -m benchmarks._ingest_child BASE_URL FOLDER JOURNAL`
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from benchmarks._memory import max_rss, reset_peak, rss
from memories_async import AsyncMemories
from memories_async.ingest import ingest

KEY = "sk-bench-ingest-large-0000"


async def main(base_url: str, folder: str, journal: str) -> dict[str, float | int]:
    idle = rss()
    reset_peak()
    async with AsyncMemories(KEY, base_url=base_url, rate_limits=False) as client:
        started = time.perf_counter()
        summary = await ingest(client, [folder], journal=journal, concurrency=16)
        seconds = time.perf_counter() - started
    if not summary.ok:
        raise SystemExit(f"ingest failed: {summary.failures[:3]}")
    return {
        "seconds": seconds,
        "uploaded": summary.uploaded,
        "skipped": summary.skipped,
        "bytes_sent": summary.bytes_sent,
        "idle_rss": idle,
        "peak_rss": max_rss(),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(*sys.argv[1:4]))))
