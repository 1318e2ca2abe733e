"""A 1 GiB upload over a real socket: flat memory and an event loop that keeps running.

The emulator runs in a subprocess (`python -m memories_async.emulator`), so only the client's
memory is measured; its temporary files go to pytest's `tmp_path`.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

from memories_async import AsyncMemories

GIB = 1 << 30
MIB = 1 << 20
HEARTBEAT = 0.010


def _lower_priority() -> None:
    os.nice(19)


def _wait_until_listening(port: int, timeout: float = 15.0) -> None:
    # The emulator prints its URL once the port is bound, a moment before it accepts.
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


@pytest.fixture
def emulator_url(tmp_path: Path) -> Iterator[str]:
    """Start the emulator on a free loopback port in its own process."""
    command = [sys.executable, "-m", "memories_async.emulator", "--port", "0", "--no-seed"]
    command += ["--no-rate-limits", "--log-level", "warning"]
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    # A lower priority for the server, so that on a small machine the heartbeat measures the
    # client's event loop rather than the two processes' fight for the same cores.
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env=env, preexec_fn=_lower_priority
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
            assert found, f"the emulator did not start: {line!r}"
            _wait_until_listening(int(found.group(1)))
            yield found.group(0)
        finally:
            process.terminate()
            process.wait(timeout=30)


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/self/status")


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


class RssSampler:
    """Samples VmRSS every 2 ms in a thread: the peak where VmHWM cannot be reset."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, _status_kib("VmRSS"))

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


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

    baseline = _status_kib("VmRSS")
    reset = _reset_peak()
    progress: list[int] = []
    # Where the kernel keeps the peak for us, no sampling thread competes with the loop.
    with contextlib.nullcontext(None) if reset else RssSampler() as sampler:
        started = time.monotonic()
        async with anyio.create_task_group() as tg:
            tg.start_soon(heartbeat)
            video = await client.videos.upload(
                path, on_progress=lambda sent, total: progress.append(sent)
            )
            done.set()
        elapsed = time.monotonic() - started
    peak = _status_kib("VmHWM") if sampler is None else sampler.peak
    assert video.video_no
    return Attempt(elapsed, (peak - baseline) / 1024, max(lags), len(lags), progress)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
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
