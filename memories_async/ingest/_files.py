"""Reading the files an ingestion job sends: hashed to know them by content, read whole when
small (and sent from those very bytes), hashed again as they are sent when large."""

from __future__ import annotations

import hashlib
import os

import anyio.to_thread

__all__ = [
    "READ_AHEAD_FILE",
    "SMALL_FILE",
    "HashingFile",
    "MemoryFile",
    "read_many",
    "read_small",
    "sha256_file",
]

_HASH_CHUNK = 1 << 20
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)

SMALL_FILE = 4 << 20
"""Files up to this size are read once, hashed, and uploaded from those very bytes."""

READ_AHEAD_FILE = 256 << 10
"""Files up to this size are read ahead of their upload, a batch at a time (`read_many`)."""


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fp:
        while chunk := fp.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_small(path: str, size: int) -> tuple[str, bytes | None]:
    """The file's SHA-256, and its bytes when it is small (else it is hashed in chunks).

    `size` is the file's size when it was listed. A small file costs three system calls (open,
    read, close): each lets go of the GIL, and getting it back waits for the event loop's next
    turn while the loop is busy, so a batch read ahead costs the fewer the better.
    """
    if size > SMALL_FILE:
        return sha256_file(path), None
    fd = os.open(path, _READ_FLAGS)
    try:
        data = os.read(fd, size + 1)
        if len(data) > size:  # it grew since it was listed: read on, up to the limit
            data += _read_up_to(fd, SMALL_FILE + 1 - len(data))
    finally:
        os.close(fd)
    if len(data) > SMALL_FILE:  # it grew past the limit
        return sha256_file(path), None
    return hashlib.sha256(data).hexdigest(), data


def _read_up_to(fd: int, size: int) -> bytes:
    parts = []
    while size > 0 and (part := os.read(fd, size)):
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def read_many(files: list[tuple[str, int]]) -> list[tuple[str, bytes | None] | OSError]:
    """`read_small` of each (path, listed size), in one call (one thread hop for a batch of
    small files); an unreadable file gives its error in its place."""
    results: list[tuple[str, bytes | None] | OSError] = []
    for path, size in files:
        try:
            results.append(read_small(path, size))
        except OSError as exc:
            results.append(exc)
    return results


class MemoryFile:
    """Bytes already read, shaped as the async file the SDK streams from (no thread hops).

    Uploading the bytes that were hashed also means the journal's hash is that of what was sent,
    even if the file changes on disk meanwhile.
    """

    def __init__(self, data: bytes, name: str) -> None:
        self.name = name
        self._data = data
        self._position = 0

    async def read(self, size: int = -1, /) -> bytes:
        end = len(self._data) if size < 0 else self._position + size
        chunk = self._data[self._position : end]
        self._position += len(chunk)
        return chunk

    async def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: len(self._data)}
        self._position = base[whence] + offset
        return self._position

    async def tell(self) -> int:
        return self._position


class HashingFile:
    """A file on disk read for its upload, hashing exactly the bytes it hands over.

    A file can change between being hashed and being sent (or while it is sent); the journal
    must then record the hash of what the server got, or a later run would send it again. Reads
    open the file each time (no descriptor is held while a chunk is in flight) and run in worker
    threads; a seek back to the start, as a retried upload does, starts the hash again.
    """

    def __init__(self, path: str, name: str, size: int) -> None:
        self.name = name
        self._path = path
        self._size = size
        self._position = 0
        self._digest = hashlib.sha256()

    def sent_key(self) -> str | None:
        """The journal key of what was sent, once the whole file was read; else None."""
        if self._position != self._size:
            return None
        return "sha256:" + self._digest.hexdigest()

    async def read(self, size: int = -1, /) -> bytes:
        want = self._size - self._position if size < 0 else size
        chunk = await anyio.to_thread.run_sync(self._read, self._position, want)
        self._position += len(chunk)
        return chunk

    def _read(self, position: int, size: int) -> bytes:
        with open(self._path, "rb", buffering=0) as fp:
            fp.seek(position)
            chunk = fp.read(size)
        self._digest.update(chunk)
        return chunk

    async def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._size}[whence]
        self._position = base + offset
        if self._position == 0:
            self._digest = hashlib.sha256()
        return self._position

    async def tell(self) -> int:
        return self._position
