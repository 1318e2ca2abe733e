"""The account's limits held across real OS processes through a real Redis, judged by what
arrives at an emulator (in a process of its own) that enforces the vendor's sliding windows."""

from __future__ import annotations

from typing import Any

import httpx

from benchmarks._common import emulator_process
from benchmarks._redis import busiest_window, run_workers


def records(base_url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = httpx.get(f"{base_url}/_emulator/requests").json()
    return found


def test_four_processes_on_one_key_never_get_0429(redis_url: str) -> None:
    key = "sk-redis-four-processes-0001"
    # The vendor's limits on, 0429 with HTTP 200.
    with emulator_process(first_in_line=True) as base_url:
        results = run_workers(base_url, [(key, "search", 50)] * 4, redis_url)
        log = records(base_url)
    assert sum(r["rate_limited"] for r in results) == 0, results
    assert sum(r["ok"] for r in results) == 200
    searches = [r for r in log if r["endpoint"] == "search"]
    assert len(searches) == 200 and all(str(r["code"]) == "0000" for r in searches)
    assert busiest_window(float(r["time"]) for r in searches) <= 10


def test_three_processes_uploading_on_one_key_never_get_0429(redis_url: str) -> None:
    key = "sk-redis-three-uploaders-0002"
    with emulator_process(first_in_line=True) as base_url:
        results = run_workers(base_url, [(key, "upload", 5)] * 3, redis_url)
        log = records(base_url)
    assert sum(r["rate_limited"] for r in results) == 0, results
    uploads = [float(r["time"]) for r in log if r["endpoint"] == "upload"]
    assert len(uploads) == 15 and busiest_window(uploads) <= 1


def test_two_keys_in_two_processes_do_not_share_a_bucket(redis_url: str) -> None:
    with emulator_process(first_in_line=True) as base_url:
        results = run_workers(
            base_url,
            [
                ("sk-redis-first-account-0003", "search", 30),
                ("sk-redis-other-account-0004", "search", 30),
            ],
            redis_url,
        )
        log = records(base_url)
    assert sum(r["rate_limited"] for r in results) == 0 and sum(r["ok"] for r in results) == 60
    # Each account goes at its own 10 per second at the same time: together they fill a second
    # with more than one account's worth. Sharing a bucket would keep it at 10.
    assert busiest_window(float(r["time"]) for r in log if r["endpoint"] == "search") > 14


def test_without_the_shared_limiter_four_processes_do_get_0429() -> None:
    # The same load with each process's own buckets: what the shared limiter is for.
    key = "sk-redis-no-shared-limiter-0005"
    with emulator_process(first_in_line=True) as base_url:
        results = run_workers(base_url, [(key, "search", 50)] * 4)
    assert sum(r["rate_limited"] for r in results) > 0
