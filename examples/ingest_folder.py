"""Upload a folder (recursively) once, resumably, and wait until the videos are parsed.

    MEMORIES_API_KEY=... python examples/ingest_folder.py ~/footage

Run it again after a crash, Ctrl+C or SIGKILL: it resumes from `footage.sqlite` and uploads
nothing twice. Against the local emulator: `memories emulator` in another terminal, then
MEMORIES_BASE_URL=http://127.0.0.1:8787 MEMORIES_API_KEY=anything python examples/...
"""

from __future__ import annotations

import asyncio
import sys

from memories_async import AsyncMemories
from memories_async.ingest import Failed, IngestEvent, Parsed, Uploaded, ingest


def report(event: IngestEvent) -> None:
    if isinstance(event, Uploaded):
        print(f"uploaded {event.source} as {event.remote_id}")
    elif isinstance(event, Parsed):
        print(f"parsed   {event.source}")
    elif isinstance(event, Failed):
        print(f"failed   {event.source}: {event.error}")


async def main(folder: str) -> int:
    async with AsyncMemories() as client:
        summary = await ingest(
            client,
            [folder],
            journal="footage.sqlite",
            concurrency=4,
            wait_for_parse=True,
            on_event=report,
        )
    print(summary.counts, f"{summary.bytes_sent} bytes in {summary.elapsed:.1f}s")
    for failure in summary.failures:
        print(f"  {failure.source}: {failure.error}")
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else ".")))
