"""`videos.download`: streamed to a temporary file, renamed into place only when complete."""

from __future__ import annotations

import errno
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest
import respx

import memories_async._download as download_module
from memories_async import APIConnectionError, AsyncMemories, NotFoundError
from tests._support import on_both_backends
from tests.endpoints._wire import API, json_body, payload, sent_to

BODY = bytes(range(256)) * 8192  # 2 MiB: more than one chunk


def names(directory: Path) -> list[str]:
    """The names in a directory (a sync helper: listing a directory blocks)."""
    return sorted(p.name for p in directory.iterdir())


def _octets(content: bytes | AsyncIterator[bytes], **headers: str) -> httpx.Response:
    return httpx.Response(
        200, headers={"content-type": "application/octet-stream", **headers}, content=content
    )


@on_both_backends
async def test_download_writes_the_file_and_sends_the_request(
    client: AsyncMemories, router: respx.MockRouter, tmp_path: Path
) -> None:
    route = router.post(f"{API}/download").mock(return_value=_octets(BODY))
    dest = tmp_path / "video.mp4"
    result = await client.videos.download("VI625239098370850816", dest, unique_id="test")
    assert result == dest
    assert dest.read_bytes() == BODY
    request = route.calls.last.request
    sent_to(request, "POST", f"{API}/download")
    assert json_body(request) == {"video_no": "VI625239098370850816", "unique_id": "test"}
    assert "application/octet-stream" in request.headers["accept"]
    assert names(tmp_path) == ["video.mp4"]


@on_both_backends
async def test_download_into_a_directory_names_the_file_after_the_video(
    client: AsyncMemories, router: respx.MockRouter, tmp_path: Path
) -> None:
    router.post(f"{API}/download").mock(return_value=_octets(BODY))
    result = await client.videos.download("VI1", str(tmp_path))
    assert result == tmp_path / "VI1.mp4"
    assert result.read_bytes() == BODY


@on_both_backends
async def test_download_replaces_an_existing_file(
    client: AsyncMemories, router: respx.MockRouter, tmp_path: Path
) -> None:
    router.post(f"{API}/download").mock(return_value=_octets(b"new"))
    dest = tmp_path / "v.mp4"
    dest.write_bytes(b"old")
    await client.videos.download("VI1", dest)
    assert dest.read_bytes() == b"new"


@on_both_backends
async def test_a_json_answer_raises_and_leaves_nothing(
    client: AsyncMemories, router: respx.MockRouter, tmp_path: Path
) -> None:
    router.post(f"{API}/download").respond(json=payload("download_not_found.json"))
    with pytest.raises(NotFoundError, match="video not found"):
        await client.videos.download("VI404", tmp_path / "v.mp4")
    assert names(tmp_path) == []


@on_both_backends
async def test_a_broken_body_leaves_no_partial_file(
    client: AsyncMemories, router: respx.MockRouter, tmp_path: Path
) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield BODY  # two whole chunks reach the temporary file first
        raise httpx.ReadError("connection reset")

    router.post(f"{API}/download").mock(return_value=_octets(broken()))
    dest = tmp_path / "v.mp4"
    dest.write_bytes(b"previous")
    with pytest.raises(APIConnectionError, match=f"broke off after {len(BODY)} bytes"):
        await client.videos.download("VI1", dest)
    assert dest.read_bytes() == b"previous"
    assert names(tmp_path) == ["v.mp4"]


@on_both_backends
async def test_a_short_body_leaves_no_partial_file(
    client: AsyncMemories, router: respx.MockRouter, tmp_path: Path
) -> None:
    async def short() -> AsyncIterator[bytes]:
        yield b"x" * 10

    router.post(f"{API}/download").mock(return_value=_octets(short(), **{"content-length": "20"}))
    with pytest.raises(APIConnectionError, match="10 of 20 bytes"):
        await client.videos.download("VI1", tmp_path / "v.mp4")
    assert names(tmp_path) == []


@on_both_backends
async def test_a_cancelled_download_leaves_no_partial_file(
    client: AsyncMemories, router: respx.MockRouter, tmp_path: Path
) -> None:
    first_chunk_sent = anyio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield BODY[:4096]
        first_chunk_sent.set()
        await anyio.sleep_forever()
        yield b""  # pragma: no cover

    router.post(f"{API}/download").mock(return_value=_octets(stalls()))
    dest = tmp_path / "v.mp4"
    async with anyio.create_task_group() as tg:
        tg.start_soon(client.videos.download, "VI1", dest)
        await first_chunk_sent.wait()
        await anyio.sleep(0.05)  # let the first chunk reach the temporary file
        assert len(names(tmp_path)) == 1  # the .part file exists meanwhile
        tg.cancel_scope.cancel()
    assert names(tmp_path) == []


@on_both_backends
async def test_writes_happen_in_worker_threads(
    client: AsyncMemories,
    router: respx.MockRouter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: set[int] = set()
    original = download_module._write_all

    def recording(fd: int, data: bytes) -> None:
        threads.add(threading.get_ident())
        original(fd, data)

    monkeypatch.setattr(download_module, "_write_all", recording)
    router.post(f"{API}/download").mock(return_value=_octets(BODY))
    await client.videos.download("VI1", tmp_path / "v.mp4")
    assert threads and threading.get_ident() not in threads


@on_both_backends
async def test_a_failed_write_raises_as_itself_and_leaves_nothing(
    client: AsyncMemories,
    router: respx.MockRouter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Writes overlap the reading of the next chunk in a task group; a disk error must still
    # reach the caller as the OSError it is, not wrapped in an exception group.
    def disk_full(fd: int, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(download_module, "_write_all", disk_full)
    router.post(f"{API}/download").mock(return_value=_octets(BODY))
    with pytest.raises(OSError, match="No space left") as caught:
        await client.videos.download("VI1", tmp_path / "v.mp4")
    assert type(caught.value) is OSError
    assert names(tmp_path) == []
