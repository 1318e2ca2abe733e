"""An ingestion job in its own process, for the SIGKILL test: prints a line per event.

`python -m tests.ingest._child BASE_URL API_KEY JOURNAL [--wait] PATH...`
"""

from __future__ import annotations

import asyncio
import sys

from memories_async import AsyncMemories
from memories_async.ingest import IngestEvent, Progress, ingest


def show(event: IngestEvent) -> None:
    if not isinstance(event, Progress):
        print(event.type, flush=True)


async def main(argv: list[str]) -> int:
    base_url, api_key, journal, *rest = argv
    wait = "--wait" in rest
    paths = [p for p in rest if p != "--wait"]
    async with AsyncMemories(api_key, base_url=base_url, rate_limits=False) as client:
        summary = await ingest(
            client,
            paths,
            journal=journal,
            concurrency=6,
            wait_for_parse=wait,
            on_event=show,
            poll_interval=0.02,
        )
    print("summary", summary.ok, summary.reconciled, flush=True)
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
