"""A 1 GiB upload over a real socket: flat memory and an event loop that keeps running.

The emulator runs in a subprocess (`python -m memories_async.emulator`), so only the client's
memory is measured; memory is measured as `benchmarks/bench_upload.py` measures it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

from benchmarks._common import emulator_process
from benchmarks._memory import PeakRss
from memories_async import AsyncMemories
from tests._support import on_both_backends

GIB = 1 << 30
MIB = 1 << 20
HEARTBEAT = 0.010


@pytest.fixture
def emulator_url(tmp_path: Path) -> Iterator[str]:
    """The emulator in its own process, keeping the uploaded GiB under pytest's `tmp_path`."""
    with emulator_process("--no-seed", "--no-rate-limits", env={"TMPDIR": str(tmp_path)}) as url:
        yield url


@dataclass
class Attempt:
    """One measured 1 GiB upload."""

    seconds: float
    rss_growth_mib: float
    max_lag: float
    beats: int
    progress: list[int]


async def _measured_upload(client: AsyncMemories, path: Path) -> Attempt:
    lags: list[float] = []
    done = anyio.Event()

    async def heartbeat() -> None:
        while not done.is_set():
            started = time.monotonic()
            await anyio.sleep(HEARTBEAT)
            lags.append(time.monotonic() - started - HEARTBEAT)

    progress: list[int] = []
    with PeakRss() as memory:
        started = time.monotonic()
        async with anyio.create_task_group() as tg:
            tg.start_soon(heartbeat)
            video = await client.videos.upload(
                path, on_progress=lambda sent, total: progress.append(sent)
            )
            done.set()
        elapsed = time.monotonic() - started
    assert video.video_no
    return Attempt(elapsed, memory.growth / MIB, max(lags), len(lags), progress)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc memory counters")
@on_both_backends
async def test_one_gib_upload_keeps_memory_flat_and_the_loop_running(
    emulator_url: str, tmp_path: Path
) -> None:
    """Peak RSS growth stays under 64 MiB, and the loop keeps running a 10 ms heartbeat during
    the upload. How late the heartbeat gets (the issue's 50 ms bound) is a wall-clock figure,
    so `benchmarks/bench_upload.py` measures and reports it rather than this suite; that file
    reads never run on the loop is checked here, in test_uploads.py."""
    path = tmp_path / "big.mp4"
    with path.open("wb") as handle:
        handle.truncate(GIB)  # sparse: no disk space, read back as zeros
    async with AsyncMemories(
        "sk-test-big-upload-01", base_url=emulator_url, rate_limits=False, max_retries=0
    ) as client:
        await client.videos.upload(b"warm-up: connection, imports, first allocations")
        attempt = await _measured_upload(client, path)
    print(
        f"\n1 GiB upload: {attempt.seconds:.2f} s, RSS growth {attempt.rss_growth_mib:.1f} MiB,"
        f" heartbeat max lag {attempt.max_lag * 1000:.1f} ms over {attempt.beats} beats"
    )
    assert attempt.progress[-1] > GIB
    assert attempt.rss_growth_mib < 64, f"peak RSS grew by {attempt.rss_growth_mib:.1f} MiB"
    # A loop blocked by the upload would not beat at all until it ended.
    assert attempt.beats > 10
