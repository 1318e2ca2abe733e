"""A process's first request must do its one-time work before its rate slot, not between the
slot and the wire, where it would make that request leave late (and, with buckets shared across
processes, crowd a window with the requests reserved after it)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

FIRST_REQUEST = textwrap.dedent(
    """
    import asyncio, sys
    import httpx
    from memories_async import AsyncMemories

    loaded_at_slot = []

    class Limiter:
        async def acquire(self, bucket):
            loaded_at_slot.append("anyio._backends._asyncio" in sys.modules)

    def vendor(request):
        return httpx.Response(200, json={"code": "0000", "msg": "success", "data": []})

    async def main():
        http = httpx.AsyncClient(transport=httpx.MockTransport(vendor))
        async with http, AsyncMemories(
            "sk-cold-start-0001", rate_limits=Limiter(), http_client=http
        ) as client:
            await client.search.videos("boat")
        print(loaded_at_slot)

    asyncio.run(main())
    """
)


def test_the_event_loops_backend_is_loaded_before_the_first_rate_slot() -> None:
    # A fresh interpreter: in this one, other tests have long loaded it.
    done = subprocess.run(
        [sys.executable, "-c", FIRST_REQUEST], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[True]"
