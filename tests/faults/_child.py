"""One call against a hostile server, run in a fresh process: prints its outcome and how far the
process's memory rose during it, as JSON. The test that starts it holds the server.

    python -m tests.faults._child json|sse|download BASE_URL [DEST_DIR]
"""

from __future__ import annotations

import asyncio
import json
import sys

from benchmarks._memory import PeakRss
from memories_async import AsyncMemories, StreamError

KEY = "sk-faults-child-key-0001"


async def main(kind: str, base_url: str, dest: str | None) -> dict[str, object]:
    async with AsyncMemories(KEY, base_url=base_url, rate_limits=False, max_retries=0) as client:
        # Everything the call will import and build is loaded before the gauge starts.
        _ = client.videos, client.chat
        outcome: dict[str, object] = {"error": None, "message": None}
        with PeakRss() as gauge:
            try:
                if kind == "json":
                    await client.videos.list()
                elif kind == "sse":
                    await client.chat.stream(["VI1"], "what happens?").final()
                else:
                    assert dest is not None
                    await client.videos.download("VI1", dest)
            except Exception as exc:
                outcome = {"error": type(exc).__name__, "message": str(exc)}
                if isinstance(exc, StreamError):
                    outcome["reason"] = exc.reason
        outcome["growth"] = gauge.growth
        return outcome


if __name__ == "__main__":
    result = asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None))
    print(json.dumps(result))
