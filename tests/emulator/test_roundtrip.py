"""Upload -> wait for PARSE -> download returns exactly the uploaded bytes, 0 B to 50 MB."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import BinaryIO

import httpx
import pytest

from memories_async.emulator import Emulator, serve_async

from ._support import API

MiB = 1 << 20


def _bytes(size: int) -> bytes:
    return hashlib.shake_256(size.to_bytes(8, "big")).digest(size) if size else b""


async def _round_trip(client: httpx.AsyncClient, upload: bytes | BinaryIO, name: str) -> str:
    r = await client.post(
        f"{API}/upload",
        files={"file": (name, upload, "video/mp4")},
        data={"unique_id": "rt"},
    )
    assert r.json()["code"] == "0000", r.text
    number = r.json()["data"]["videoNo"]
    for _ in range(200):  # wait for PARSE
        listed = await client.post(
            f"{API}/list_videos", json={"video_no": number, "unique_id": "rt"}
        )
        if listed.json()["data"]["videos"][0]["status"] == "PARSE":
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail("never parsed")
    digest = hashlib.sha256()
    async with client.stream(
        "POST", f"{API}/download", json={"video_no": number, "unique_id": "rt"}
    ) as response:
        assert response.headers["content-type"] == "application/octet-stream"
        async for chunk in response.aiter_bytes():
            digest.update(chunk)
    return digest.hexdigest()


@pytest.mark.parametrize("size", [0, 1, 1000, MiB - 1, MiB, MiB + 1, 5 * MiB + 3])
async def test_round_trip_in_process(size: int) -> None:
    data = _bytes(size)
    async with Emulator(rate_limits=False, parse_delay=0.02) as emu, emu.client() as client:
        assert await _round_trip(client, data, f"v{size}.mp4") == hashlib.sha256(data).hexdigest()
        on_disk = emu.blobs.directory is not None and any(emu.blobs.directory.iterdir())
        assert on_disk == (size > emu.blobs.memory_limit)
        directory = emu.blobs.directory
    assert directory is None or not directory.exists()  # removed on close


@pytest.mark.slow
async def test_round_trip_of_50_mb_over_a_real_socket(tmp_path: Path) -> None:
    source = tmp_path / "big.mp4"
    size = 50 * MiB
    with source.open("wb") as f:
        for i in range(50):
            f.write(hashlib.shake_256(i.to_bytes(2, "big")).digest(MiB))
    expected = hashlib.sha256(source.read_bytes()).hexdigest()
    async with Emulator(rate_limits=False) as emu, serve_async(emu) as url:
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": "k"}, timeout=60
        ) as client:
            with source.open("rb") as upload:
                assert await _round_trip(client, upload, "big.mp4") == expected
        directory = emu.blobs.directory
        assert directory is not None
        stored = list(directory.iterdir())
        assert len(stored) == 1 and stored[0].stat().st_size == size
    assert not directory.exists()
