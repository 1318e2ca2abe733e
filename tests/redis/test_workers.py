"""A web app under `uvicorn --workers 2` on one API key: the workers share the account's buckets
through Redis, so 100 concurrent requests reach the vendor without one 0429."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import httpx

from benchmarks._common import child_env, emulator_process
from benchmarks._redis import busiest_window, free_port

ROOT = Path(__file__).resolve().parents[2]


async def hit(app_url: str, count: int) -> list[int]:
    async with httpx.AsyncClient(base_url=app_url, timeout=60) as http:
        answers = await asyncio.gather(
            *(http.get("/search", params={"q": f"boat {i}"}) for i in range(count))
        )
    return [a.status_code for a in answers]


def test_two_uvicorn_workers_share_the_accounts_buckets(redis_url: str) -> None:
    port = free_port()
    with emulator_process(first_in_line=True) as base_url:
        env = {
            **child_env(),
            "MEMORIES_API_KEY": "sk-redis-uvicorn-workers-0001",
            "MEMORIES_BASE_URL": base_url,
            "MEMORIES_REDIS_URL": redis_url,
        }
        command = [sys.executable, "-m", "uvicorn", "tests.redis._app:app", "--workers", "2"]
        command += ["--port", str(port), "--log-level", "warning"]
        server = subprocess.Popen(command, cwd=ROOT, env=env)
        try:
            app_url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:  # both workers up: the port answers
                try:
                    httpx.get(f"{app_url}/search", params={"q": "warm"}, timeout=5)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            statuses = asyncio.run(hit(app_url, 100))
            log = httpx.get(f"{base_url}/_emulator/requests").json()
        finally:
            server.terminate()
            server.wait(30)
    searches = [r for r in log if r["endpoint"] == "search"]
    # What the emulator saw, for a failure to show: when each refused search arrived (seconds
    # after the first) and the most arrivals any one second held.
    arrivals = [float(r["time"]) for r in searches]
    first = min(arrivals, default=0.0)
    refused = [round(float(r["time"]) - first, 3) for r in searches if str(r["code"]) != "0000"]
    seen = f"refused at {refused} s; busiest second: {busiest_window(arrivals)}"
    assert statuses.count(429) == 0, f"{statuses.count(429)} of 100 got 429; {seen}"
    assert statuses == [200] * 100
    assert all(str(r["code"]) == "0000" for r in searches), "the emulator answered 0429"
    assert busiest_window(arrivals) <= 10
