"""Streaming uploads: files of any size as multipart bodies, read off the event loop.

A file (a path, bytes, or a sync or async binary file object) becomes a `FileSource` that knows
its size up front and can replay its bytes from the start, so that a `MultipartBody` can state
its `Content-Length` before sending and a retried request can resend from byte 0. Memory stays at
one chunk whatever the file's size; blocking reads run in worker threads.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import mimetypes
import os
import secrets
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any, Protocol, TypeAlias, cast, runtime_checkable

import anyio.to_thread

from ._errors import InvalidArgumentError, MemoriesError
from ._validate import non_empty

__all__ = [
    "CHUNK_SIZE",
    "AsyncReadable",
    "FileInput",
    "FilePart",
    "FileSource",
    "file_list",
    "MultipartBody",
    "ProgressCallback",
    "is_file_input",
    "open_source",
]

CHUNK_SIZE = 1 << 20
MERGE_BELOW = 64 * 1024
"""Body pieces smaller than this are sent together with their neighbours (`MultipartBody`)."""
"""Bytes read and sent at a time: large enough for loopback speed, small enough to stay flat."""


@runtime_checkable
class AsyncReadable(Protocol):
    """An async binary file (anyio's `AsyncFile`, aiofiles): `await read(n)` gives bytes."""

    async def read(self, size: int = -1, /) -> bytes: ...


FileInput: TypeAlias = (
    str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes] | AsyncReadable
)
"""A file to upload: a path, its bytes, or a binary file object (sync or async, seekable)."""

ProgressCallback: TypeAlias = Callable[[int, int], Awaitable[None] | None]
"""`on_progress(sent, total)`: body bytes handed to the socket so far, and the body's length."""


class FileSource:
    """A file's name, type and size, and a way to read it from its first byte, again and again."""

    def __init__(self, filename: str, size: int, content_type: str | None = None) -> None:
        self.filename = filename
        self.size = size
        self.content_type = content_type or guess_content_type(filename)

    @staticmethod
    def from_bytes(data: bytes, filename: str, content_type: str | None = None) -> FileSource:
        """A source of bytes held in memory (a JSON part, a small image)."""
        return _BytesSource(data, filename, content_type)

    def chunks(self, chunk_size: int = CHUNK_SIZE) -> AsyncGenerator[bytes, None]:
        """The file's bytes from the start, `chunk_size` at a time."""
        raise NotImplementedError


class _BytesSource(FileSource):
    def __init__(self, data: bytes, filename: str, content_type: str | None = None) -> None:
        super().__init__(filename, len(data), content_type)
        self._data = data

    async def chunks(self, chunk_size: int = CHUNK_SIZE) -> AsyncGenerator[bytes, None]:
        for start in range(0, len(self._data), chunk_size):
            yield self._data[start : start + chunk_size]


def _read_at(fp: IO[bytes], position: int, size: int) -> bytes:
    fp.seek(position)
    return fp.read(size)


class _SyncFileSource(FileSource):
    """A seekable sync file object, read in worker threads from where it stood when given."""

    def __init__(self, fp: IO[bytes], start: int, size: int, filename: str, field: str) -> None:
        super().__init__(filename, size)
        self._fp = fp
        self._start = start
        self._field = field

    async def chunks(self, chunk_size: int = CHUNK_SIZE) -> AsyncGenerator[bytes, None]:
        done = 0
        while done < self.size:
            want = min(chunk_size, self.size - done)
            chunk = await anyio.to_thread.run_sync(_read_at, self._fp, self._start + done, want)
            done += _check_chunk(self._field, chunk, done, self.size)
            yield chunk


class _PathSource(FileSource):
    """A file on disk, opened for each chunk: no descriptor is held while a chunk is in flight,
    so an upload abandoned mid-body (httpx does not close its content iterator) leaks nothing."""

    def __init__(self, path: str, size: int, field: str) -> None:
        super().__init__(os.path.basename(path), size)
        self._path = path
        self._field = field

    async def chunks(self, chunk_size: int = CHUNK_SIZE) -> AsyncGenerator[bytes, None]:
        done = 0
        while done < self.size:
            want = min(chunk_size, self.size - done)
            try:
                chunk = await anyio.to_thread.run_sync(_read_path_at, self._path, done, want)
            except OSError as exc:
                raise MemoriesError(
                    f"{self._field}: reading {self._path!r} failed after {done} bytes: {exc}"
                ) from exc
            done += _check_chunk(self._field, chunk, done, self.size)
            yield chunk


def _read_path_at(path: str, position: int, size: int) -> bytes:
    with open(path, "rb", buffering=0) as fp:
        return _read_at(fp, position, size)


class _AsyncFileSource(FileSource):
    """An async binary file object with `seek`, read from where it stood when given."""

    def __init__(self, fp: Any, start: int, size: int, filename: str, field: str) -> None:
        super().__init__(filename, size)
        self._fp = fp
        self._start = start
        self._field = field

    async def chunks(self, chunk_size: int = CHUNK_SIZE) -> AsyncGenerator[bytes, None]:
        await self._fp.seek(self._start)
        done = 0
        while done < self.size:
            chunk = await self._fp.read(min(chunk_size, self.size - done))
            done += _check_chunk(self._field, chunk, done, self.size)
            yield chunk


def _check_chunk(field: str, chunk: object, done: int, size: int) -> int:
    if not isinstance(chunk, bytes | bytearray | memoryview):
        raise InvalidArgumentError(field, "must be opened in binary mode ('rb')")
    if not chunk:
        raise MemoriesError(
            f"{field}: the file ended after {done} of {size} bytes; was it changed during upload?"
        )
    return len(chunk)


def guess_content_type(filename: str) -> str:
    """The MIME type a file name suggests, or `application/octet-stream`."""
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    return guessed or "application/octet-stream"


def is_file_input(value: object) -> bool:
    """Whether `value` is one file (rather than a list of them)."""
    return isinstance(value, str | bytes | bytearray | memoryview | os.PathLike) or hasattr(
        value, "read"
    )


def file_list(field: str, files: FileInput | Sequence[FileInput]) -> list[FileInput]:
    """One file or a sequence of them, as a non-empty list."""
    items = [cast(FileInput, files)] if is_file_input(files) else list(cast(Any, files))
    if not items:
        raise InvalidArgumentError(field, "must hold at least one file")
    return items


def _name_of(fp: object, default_name: str) -> str:
    name = getattr(fp, "name", None)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    if isinstance(name, str) and name and not name.startswith("<"):
        return os.path.basename(name) or default_name
    return default_name


def _stat_size(path: str) -> int:
    result = os.stat(path)
    if not os.path.isfile(path):
        raise IsADirectoryError(path)
    return result.st_size


def _sync_extent(fp: IO[bytes]) -> tuple[int, int]:
    start = fp.tell()
    end = fp.seek(0, os.SEEK_END)
    fp.seek(start)
    return start, end - start


async def open_source(
    field: str, file: FileInput, *, default_name: str, filename: str | None = None
) -> FileSource:
    """Check a file argument and learn its size, without reading its content.

    `filename`, when given, is the name sent for it (and what its content type is guessed
    from), instead of the file's own name or `default_name`. Raises `InvalidArgumentError`
    naming `field` for a missing path, a directory, an empty file, a text-mode or unseekable
    file object, or something that is not a file at all.
    """
    if filename is not None:
        non_empty("filename", filename)
    if isinstance(file, bytes | bytearray | memoryview):
        source: FileSource = _BytesSource(bytes(file), default_name)
    elif isinstance(file, str | os.PathLike):
        path = os.fspath(file)
        if not isinstance(path, str) or not path:
            raise InvalidArgumentError(field, "must be a file path, bytes or a binary file object")
        try:
            size = await anyio.to_thread.run_sync(_stat_size, path)
        except FileNotFoundError:
            raise InvalidArgumentError(field, f"no such file: {path!r}") from None
        except IsADirectoryError:
            raise InvalidArgumentError(field, f"is a directory, not a file: {path!r}") from None
        except OSError as exc:
            raise InvalidArgumentError(field, f"cannot read {path!r}: {exc.strerror}") from None
        source = _PathSource(path, size, field)
    elif isinstance(file, io.TextIOBase):
        raise InvalidArgumentError(field, "must be opened in binary mode ('rb')")
    elif hasattr(file, "read") and inspect.iscoroutinefunction(file.read):
        source = await _async_source(field, file, default_name)
    elif hasattr(file, "read"):
        source = await _sync_source(field, file, default_name)  # type: ignore[arg-type]
    else:
        raise InvalidArgumentError(
            field, f"must be a path, bytes or a binary file object, got {type(file).__name__}"
        )
    if source.size == 0:
        raise InvalidArgumentError(field, "is empty (0 bytes)")
    if filename is not None:
        source.filename = os.path.basename(filename.replace("\\", "/")) or default_name
        source.content_type = guess_content_type(source.filename)
    return source


async def _sync_source(field: str, fp: IO[bytes], default_name: str) -> FileSource:
    seekable = getattr(fp, "seekable", None)
    if seekable is not None and not seekable():
        raise InvalidArgumentError(
            field, "must be seekable, so that its size is known and a retry can resend it"
        )
    try:
        start, size = await anyio.to_thread.run_sync(_sync_extent, fp)
    except (AttributeError, OSError, ValueError) as exc:
        raise InvalidArgumentError(field, f"cannot seek in the file object: {exc}") from None
    return _SyncFileSource(fp, start, size, _name_of(fp, default_name), field)


async def _async_source(field: str, fp: Any, default_name: str) -> FileSource:
    try:
        start = await fp.tell()
        end = await fp.seek(0, os.SEEK_END)
        await fp.seek(start)
    except (AttributeError, OSError, ValueError) as exc:
        raise InvalidArgumentError(
            field, f"an async file must support seek and tell, so its size is known: {exc}"
        ) from None
    return _AsyncFileSource(fp, start, end - start, _name_of(fp, default_name), field)


# -- multipart ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilePart:
    """A file part of a multipart body: the form field it belongs to and its content."""

    name: str
    source: FileSource


def _quote(value: str) -> str:
    # The WHATWG multipart encoding: quotes and line breaks are percent-escaped, the rest is UTF-8.
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartBody:
    """A `multipart/form-data` body that streams its files and knows its length before sending.

    Text fields come first, then the file parts in order, each with its file name and a content
    type guessed from that name. Each call of `chunks()` starts again from byte 0 and reports
    progress through `on_progress(sent, total)` as chunks are handed to the socket.
    """

    def __init__(
        self,
        fields: Sequence[tuple[str, str]],
        files: Sequence[FilePart],
        *,
        on_progress: ProgressCallback | None = None,
        boundary: str | None = None,
    ) -> None:
        self.boundary = boundary or f"memories-{secrets.token_hex(16)}"
        self._on_progress = on_progress
        self._field_pairs = list(fields)
        dash = f"--{self.boundary}\r\n".encode()
        self._fields = b"".join(
            dash
            + f'Content-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
            for name, value in fields
        )
        self._files = list(files)
        self._headers = [
            dash
            + (
                f'Content-Disposition: form-data; name="{_quote(part.name)}";'
                f' filename="{_quote(part.source.filename)}"\r\n'
                f"Content-Type: {part.source.content_type}\r\n\r\n"
            ).encode()
            for part in self._files
        ]
        self._closing = f"--{self.boundary}--\r\n".encode()
        self._length = (
            len(self._fields)
            + sum(
                len(h) + part.source.size + 2
                for h, part in zip(self._headers, self._files, strict=True)
            )
            + len(self._closing)
        )

    def with_fields(self, extra: Sequence[tuple[str, str]]) -> MultipartBody:
        """The same body with `extra` text fields written over its own: a field named in
        `extra` loses its own values, and the extra ones follow the others."""
        names = {name for name, _ in extra}
        fields = [(n, v) for n, v in self._field_pairs if n not in names] + list(extra)
        return MultipartBody(
            fields, self._files, on_progress=self._on_progress, boundary=self.boundary
        )

    @property
    def content_type(self) -> str:
        """`multipart/form-data` with this body's boundary."""
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def content_length(self) -> int:
        """The exact number of bytes `chunks()` yields."""
        return self._length

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body from its first byte. Pieces under `MERGE_BELOW` bytes (the part headers, a
        small file, a small read) are merged with their neighbours, so a small upload is one
        write and one progress report rather than three; big file chunks pass as they are."""
        sent = 0
        pending = self._fields
        for header, part in zip(self._headers, self._files, strict=True):
            pending += header
            # Closed with this body (a send given up on closes it): never left to the GC.
            async with contextlib.aclosing(part.source.chunks()) as source:
                async for chunk in source:
                    if len(chunk) < MERGE_BELOW:
                        pending += chunk
                        if len(pending) < MERGE_BELOW:
                            continue
                        chunk, pending = pending, b""
                    elif pending:
                        yield pending
                        sent = await self._progress(sent, len(pending))
                        pending = b""
                    yield chunk
                    sent = await self._progress(sent, len(chunk))
            pending += b"\r\n"
        pending += self._closing
        yield pending
        await self._progress(sent, len(pending))

    async def _progress(self, sent: int, more: int) -> int:
        sent += more
        if self._on_progress is not None:
            result = self._on_progress(sent, self._length)
            if inspect.isawaitable(result):
                await result
        return sent


# -- upload metadata ------------------------------------------------------------------------
