"""Running the emulator: real sockets from context managers, clean shutdown, the command line."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest

from memories_async.emulator import Emulator, ServerThread, serve, serve_async
from memories_async.emulator._server import listening_socket
from memories_async.emulator._storage import TEMP_PREFIX

from ._support import API


def test_serve_yields_a_loopback_url_and_shares_the_emulator() -> None:
    with Emulator(rate_limits=False) as emu, serve(emu) as url:
        assert url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=url, headers={"Authorization": "k"}) as http:
            r = http.post(f"{API}/upload", files={"file": ("a.mp4", b"abc")})
            assert r.json()["code"] == "0000"
        assert emu.requests.last("upload").files[0].size == 3
    assert emu.closed


def test_serve_makes_and_closes_its_own_emulator() -> None:
    with serve(parse_delay=0, rate_limits=False) as url, httpx.Client(base_url=url) as http:
        assert http.get("/_emulator/health").json() == {"status": "ok"}
    with pytest.raises(TypeError):
        with serve(Emulator(), parse_delay=1):
            pass


async def test_serve_async_does_not_block_the_loop() -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    try:
        async with serve_async(rate_limits=False) as url:
            async with httpx.AsyncClient(base_url=url) as http:
                r = await http.post(f"{API}/list_videos", json={}, headers={"Authorization": "k"})
                assert r.json()["data"]["total_count"] == "5"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert ticks > 0


def test_stopping_with_an_open_keep_alive_connection_is_prompt() -> None:
    with Emulator() as emu:
        http = httpx.Client(headers={"Authorization": "k"})
        try:
            start = time.monotonic()
            with serve(emu) as url:
                assert http.get(f"{url}{API}/list_sessions").status_code == 200
            assert time.monotonic() - start < 3
        finally:
            http.close()


def test_port_in_use_is_an_error() -> None:
    with serve() as url:
        port = int(url.rsplit(":", 1)[1])
        with pytest.raises(OSError, match="in use"):
            ServerThread(Emulator().app, port=port)


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _temp_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*")}


def _settle(measure: object, baseline: int, timeout: float = 5.0) -> int:
    assert callable(measure)
    deadline = time.monotonic() + timeout
    value: int = measure()
    while value > baseline and time.monotonic() < deadline:
        time.sleep(0.01)
        value = measure()
    return value


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_fifty_starts_and_stops_leak_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A temp root of our own: other processes' emulators come and go in the shared one.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    tls = ssl.create_default_context()  # built once: each client would otherwise build its own

    def cycle() -> None:
        with Emulator(rate_limits=False, memory_limit=8) as emu, serve(emu) as url:
            with httpx.Client(base_url=url, headers={"Authorization": "k"}, verify=tls) as http:
                up = http.post(f"{API}/upload", files={"file": ("a.mp4", b"bytes on disk")})
                number = up.json()["data"]["videoNo"]
                assert http.post(f"{API}/download", json={"video_no": number}).content == (
                    b"bytes on disk"
                )
            assert emu.blobs.directory is not None  # really wrote a temp dir

    cycle()  # warm up imports and lazily created pools
    # Threads and descriptors of earlier tests may still end meanwhile: count only new ones.
    threads, fds, dirs = set(threading.enumerate()), _open_fds(), _temp_dirs()
    for _ in range(50):
        cycle()

    def new_threads() -> int:
        return sum(1 for thread in threading.enumerate() if thread not in threads)

    assert _settle(new_threads, 0) == 0
    assert _settle(_open_fds, fds) <= fds
    assert _temp_dirs() == dirs
    assert not [t.name for t in threading.enumerate() if t.name == "memories-emulator"]


def test_command_line_serves_until_interrupted() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "memories_async.emulator",
            "--port",
            "0",
            "--no-rate-limits",
            "--parse-delay",
            "0",
            "--log-level",
            "warning",
            "--api-key",
            "cli-key",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("memories emulator listening on http://127.0.0.1:"), line
        url = line.split()[-1]
        deadline = time.monotonic() + 10
        while True:
            try:
                with httpx.Client(base_url=url) as http:
                    assert http.get("/_emulator/health").status_code == 200
                    ok = http.post(
                        f"{API}/list_videos", json={}, headers={"Authorization": "cli-key"}
                    )
                    bad = http.post(f"{API}/list_videos", json={}, headers={"Authorization": "x"})
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.02)
        assert ok.json()["code"] == "0000" and bad.json()["code"] == "0401"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_command_line_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "memories_async.emulator", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for flag in ("--port", "--host", "--parse-delay", "--no-rate-limits"):
        assert flag in out


async def test_accepted_connections_have_nagle_turned_off() -> None:
    # Regression: a listening socket without IPPROTO_TCP made asyncio skip TCP_NODELAY on the
    # sockets it accepted, and each keep-alive request then waited ~40 ms for a delayed ACK.
    sock = listening_socket("127.0.0.1", 0)
    nodelay: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        option = writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        nodelay.set_result(option)
        writer.close()

    async with await asyncio.start_server(accepted, sock=sock):
        _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
        assert await nodelay
        writer.close()


def test_the_server_thread_listens_on_such_a_socket() -> None:
    with Emulator(rate_limits=False) as emu:
        server = ServerThread(emu.app)
        try:
            assert server._socket.proto == socket.IPPROTO_TCP
        finally:
            server._socket.close()
