"""A real `redis-server` on a free loopback port, in a temporary directory, stopped by its own
process; processes that call the SDK on one key at the same moment; and the arithmetic of
sliding windows over the emulator's arrival log. Shared by the Redis tests and benchmark."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from benchmarks._common import ROOT, child_env

REDIS_SERVER = shutil.which("redis-server")
SKIP_REASON = "redis-server is not installed (CI installs it: apt-get install redis-server)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RedisServer:
    """One redis-server process; `stop()` kills it (as a crash would), `start()` brings it back
    on the same port with an empty dataset."""

    directory: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


def busiest_window(times: Iterable[float], width: float = 1.0) -> int:
    """The most arrivals any sliding window of `width` seconds holds."""
    ordered = sorted(times)
    most = 0
    start = 0
    for end, when in enumerate(ordered):
        while when - ordered[start] >= width:
            start += 1
        most = max(most, end - start + 1)
    return most


def run_workers(
    base_url: str, jobs: list[tuple[str, str, int]], redis_url: str = ""
) -> list[dict[str, int]]:
    """One OS process per (key, kind, calls) (`benchmarks._redis_worker`), all released at the
    same moment; their `{"ok", "rate_limited"}` counts."""
    start_at = time.time() + 2.0  # time for every interpreter to start and import
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks._redis_worker",
                base_url,
                key,
                kind,
                str(calls),
                repr(start_at),
                redis_url,
            ],
            cwd=ROOT,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for key, kind, calls in jobs
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        if process.returncode != 0:
            raise RuntimeError(f"a worker failed: {err}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results
