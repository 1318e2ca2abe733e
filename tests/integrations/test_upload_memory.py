"""A 200 MiB browser upload through the example app, measured on the app's own process: the
file goes from the browser to a temporary file to the vendor, never whole into memory."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from benchmarks._common import child_env, emulator_process

ROOT = Path(__file__).resolve().parents[2]
MIB = 1 << 20
SIZE = 200 * MIB


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rss_of(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_a_200_mib_upload_raises_the_apps_memory_by_at_most_64_mib(tmp_path: Path) -> None:
    big = tmp_path / "big.mp4"
    with open(big, "wb") as out:
        out.write(b"\x00\x00\x00\x18ftypisom")
        out.truncate(SIZE)  # sparse: quick to make, read as zeros
    port = free_port()
    with emulator_process("--no-rate-limits") as base_url:
        env = {
            **child_env(),
            "MEMORIES_BASE_URL": base_url,
            "MEMORIES_API_KEY": "sk-example-upload-memory-0001",
        }
        app = subprocess.Popen(
            [sys.executable, "-m", "examples.fastapi_app", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"{url}/videos", timeout=5).raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            baseline = rss_of(app.pid)
            peak = baseline
            stop = threading.Event()

            def sample() -> None:
                nonlocal peak
                while not stop.wait(0.005):
                    peak = max(peak, rss_of(app.pid))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            with open(big, "rb") as handle:
                response = httpx.post(
                    f"{url}/videos", files={"file": ("big.mp4", handle, "video/mp4")}, timeout=300
                )
            stop.set()
            sampler.join()
        finally:
            app.terminate()
            app.wait(30)
        assert response.status_code == 200, response.text
        uploaded = response.json()
        records = httpx.get(f"{base_url}/_emulator/requests").json()
    (record,) = [r for r in records if r["endpoint"] == "upload"]
    assert record["files"][0]["size"] == SIZE and record["files"][0]["filename"] == "big.mp4"
    assert uploaded["video_name"] == "big"
    growth = peak - baseline
    assert growth <= 64 * MIB, f"the app's memory grew by {growth / MIB:.0f} MiB"
