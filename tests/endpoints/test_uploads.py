"""The streaming multipart encoder and file sources behind every upload."""

from __future__ import annotations

import contextlib
import gc
import io
import os
import threading
from collections.abc import AsyncGenerator, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import httpx
import pytest

import memories_async._uploads as uploads
from memories_async import APIConnectionError, AsyncMemories, InvalidArgumentError, MemoriesError
from memories_async._form import format_datetime_taken
from memories_async._uploads import (
    MERGE_BELOW,
    FilePart,
    FileSource,
    MultipartBody,
    open_source,
)
from tests._support import on_both_backends
from tests.endpoints._wire import multipart

DATA = os.urandom(3 * 1024 * 1024 + 17)  # three whole chunks and a bit


async def _body(body: MultipartBody) -> bytes:
    return b"".join([chunk async for chunk in body.chunks()])


def _as_request(body: MultipartBody, content: bytes) -> httpx.Request:
    return httpx.Request(
        "POST", "http://t/", headers={"content-type": body.content_type}, content=content
    )


@on_both_backends
async def test_length_is_exact_and_the_body_parses(tmp_path: Path) -> None:
    path = tmp_path / 'odd "name"\r\n.png'
    path.write_bytes(DATA)
    body = MultipartBody(
        [("unique_id", "ünïcode ✓"), ("empty", "")],
        [
            FilePart("files", await open_source("files", path, default_name="x")),
            FilePart("files", await open_source("files", b"small", default_name="b.jpg")),
        ],
    )
    content = await _body(body)
    assert len(content) == body.content_length
    parts = multipart(_as_request(body, content))
    assert [(p.name, p.filename) for p in parts] == [
        ("unique_id", None),
        ("empty", None),
        ("files", "odd %22name%22%0D%0A.png"),
        ("files", "b.jpg"),
    ]
    assert parts[0].text == "ünïcode ✓" and parts[1].text == ""
    assert parts[2].data == DATA and parts[2].content_type == "image/png"
    assert parts[3].data == b"small" and parts[3].content_type == "image/jpeg"


@on_both_backends
async def test_a_body_without_fields_or_files_is_still_valid() -> None:
    body = MultipartBody([], [])
    content = await _body(body)
    assert content == f"--{body.boundary}--\r\n".encode()
    assert len(content) == body.content_length


@pytest.fixture
def files(tmp_path: Path) -> Iterator[dict[str, Any]]:
    path = tmp_path / "data.bin"
    path.write_bytes(b"skip" + DATA)
    with path.open("rb") as handle:
        handle.seek(4)
        yield {"path": tmp_path / "whole.bin", "handle": handle, "bytes": DATA}


@pytest.mark.parametrize("kind", ["path", "handle", "bytes", "async"])
@on_both_backends
async def test_every_pass_starts_again_from_byte_zero(
    kind: str, files: dict[str, Any], tmp_path: Path
) -> None:
    (tmp_path / "whole.bin").write_bytes(DATA)
    if kind == "async":
        async with await anyio.open_file(tmp_path / "data.bin", "rb") as handle:
            await handle.seek(4)
            source = await open_source("file", handle, default_name="x")
            first = b"".join([c async for c in source.chunks()])
            second = b"".join([c async for c in source.chunks()])
    else:
        source = await open_source("file", files[kind], default_name="x")
        first = b"".join([c async for c in source.chunks()])
        second = b"".join([c async for c in source.chunks()])
    assert source.size == len(DATA)
    assert first == second == DATA


@on_both_backends
async def test_file_reads_happen_in_worker_threads(
    files: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "whole.bin").write_bytes(DATA)
    threads: set[int] = set()
    original = uploads._read_at

    def recording(fp: Any, position: int, size: int) -> bytes:
        threads.add(threading.get_ident())
        return original(fp, position, size)

    monkeypatch.setattr(uploads, "_read_at", recording)
    for file in (files["path"], files["handle"]):
        source = await open_source("file", file, default_name="x")
        assert len(b"".join([c async for c in source.chunks()])) == len(DATA)
    assert threads and threading.get_ident() not in threads


@on_both_backends
async def test_chunks_never_exceed_the_chunk_size(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    path.write_bytes(DATA)
    source = await open_source("file", path, default_name="x")
    sizes = [len(c) async for c in source.chunks()]
    assert max(sizes) == uploads.CHUNK_SIZE and sum(sizes) == len(DATA)


@on_both_backends
async def test_a_file_that_shrinks_during_upload_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    path.write_bytes(DATA)
    source = await open_source("file", path, default_name="x")
    path.write_bytes(DATA[:1000])
    with pytest.raises(MemoriesError, match="ended after 1000 of"):
        async for _ in source.chunks():
            pass


@pytest.fixture
def pipe() -> Iterator[io.BufferedReader]:
    read_end, write_end = os.pipe()
    os.close(write_end)
    with open(read_end, "rb") as reader:
        yield reader


@on_both_backends
async def test_unreadable_inputs_are_refused_naming_the_field(
    tmp_path: Path, pipe: io.BufferedReader
) -> None:
    class ReadOnly:
        async def read(self, size: int = -1) -> bytes:
            return b""

    for file, message in [
        (pipe, "seekable"),
        (ReadOnly(), "seek and tell"),
        (io.StringIO("x"), "binary mode"),
        (12, "got int"),
        ("", "must be a file path"),
        (tmp_path / "absent.mp4", "no such file"),
        (tmp_path, "is a directory"),
        (io.BytesIO(b""), "empty"),
    ]:
        with pytest.raises(InvalidArgumentError, match=message) as caught:
            await open_source("video", file, default_name="x")  # type: ignore[arg-type]
        assert caught.value.field == "video"


@on_both_backends
async def test_names_and_content_types() -> None:
    buffer = io.BytesIO(b"abc")
    buffer.name = "/some/dir/clip.MOV"
    source = await open_source("file", buffer, default_name="x.bin")
    assert (source.filename, source.content_type) == ("clip.MOV", "video/quicktime")
    unknown = await open_source("file", b"abc", default_name="blob.qqq")
    assert unknown.content_type == "application/octet-stream"
    assert FileSource.from_bytes(b"{}", "req.json").content_type == "application/json"


@on_both_backends
async def test_progress_is_reported_by_sync_callbacks_too() -> None:
    seen: list[tuple[int, int]] = []
    body = MultipartBody(
        [("a", "b")],
        [FilePart("file", FileSource.from_bytes(DATA, "v.mp4"))],
        on_progress=lambda sent, total: seen.append((sent, total)),
    )
    content = await _body(body)
    assert seen[-1] == (len(content), len(content))
    # The head, three 1 MiB chunks, and the small last chunk sent with the closing boundary.
    assert len(seen) == 5


@on_both_backends
async def test_a_small_upload_is_one_piece_and_a_stream_of_small_reads_is_regrouped() -> None:
    small = MultipartBody(
        [("a", "b")], [FilePart("file", FileSource.from_bytes(b"x" * 900, "s.mp4"))]
    )
    pieces = [piece async for piece in small.chunks()]
    assert len(pieces) == 1 and len(pieces[0]) == small.content_length

    class Trickle(FileSource):
        """A source that reads 1 KiB at a time: pieces are merged, never held past 64 KiB."""

        async def chunks(self, chunk_size: int = 0) -> AsyncGenerator[bytes, None]:
            for _ in range(200):
                yield b"y" * 1024

    trickled = MultipartBody([], [FilePart("file", Trickle("t.mp4", 200 * 1024))])
    sizes = [len(piece) async for piece in trickled.chunks()]
    assert sum(sizes) == trickled.content_length
    assert len(sizes) == 4 and max(sizes) < MERGE_BELOW + 1024


def test_datetime_taken_formats() -> None:
    aware = datetime(2025, 9, 7, 22, 52, 0, 999, tzinfo=timezone.utc)
    assert format_datetime_taken(aware) == "2025-09-07 22:52:00"
    assert format_datetime_taken(" 2025-09-07 22:52:00 ") == "2025-09-07 22:52:00"
    for bad in ("2025-13-07 22:52:00", "2025-09-07T22:52:00", "yesterday"):
        with pytest.raises(InvalidArgumentError, match="datetime_taken"):
            format_datetime_taken(bad)


@on_both_backends
async def test_an_upload_cut_short_by_the_server_leaks_no_file(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    path.write_bytes(DATA)

    async def hang_up(stream: anyio.abc.SocketStream) -> None:
        received = b""
        with contextlib.suppress(anyio.EndOfStream, anyio.BrokenResourceError):
            while b"\r\n\r\n" not in received or len(received) < 100_000:
                received += await stream.receive()
        await stream.aclose()

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, hang_up)
        async with AsyncMemories(
            "sk-test-hang-up-0001", base_url=f"http://127.0.0.1:{port}", rate_limits=False
        ) as client:
            with pytest.raises(APIConnectionError):
                await client.videos.upload(path)
        gc.collect()  # an open file left behind would warn here, and warnings are errors
        tg.cancel_scope.cancel()


@on_both_backends
async def test_a_file_removed_during_upload_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    path.write_bytes(DATA)
    source = await open_source("file", path, default_name="x")
    chunks = source.chunks()
    await chunks.__anext__()
    path.unlink()
    with pytest.raises(MemoriesError, match="failed after 1048576 bytes"):
        await chunks.__anext__()
