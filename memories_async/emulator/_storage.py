"""Uploaded bytes: small blobs in memory, larger ones on disk in a private temporary directory.

The directory is created on first need and removed by `close()`. Reading, writing and hashing
happen in worker threads (`anyio.to_thread`) so a 50 MB upload never blocks the event loop.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import anyio
import anyio.to_thread

__all__ = ["TEMP_PREFIX", "Blob", "BlobStore"]

TEMP_PREFIX = "memories-emulator-"
_COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class Blob:
    """Stored bytes: either `data` (in memory) or `path` (on disk), with size and SHA-256."""

    size: int
    sha256: str
    data: bytes | None = None
    path: Path | None = None


class BlobStore:
    """Keeps blobs up to `memory_limit` bytes in memory and writes larger ones to disk."""

    def __init__(self, memory_limit: int = 1 << 20, parent: str | os.PathLike[str] | None = None):
        self.memory_limit = memory_limit
        self._parent = None if parent is None else os.fspath(parent)
        self._dir: Path | None = None
        self._lock = threading.Lock()
        self._counter = 0
        self._closed = False

    @property
    def directory(self) -> Path | None:
        """The temporary directory, or None while nothing has been written to disk."""
        return self._dir

    def _new_path(self) -> Path:
        with self._lock:
            if self._closed:
                raise RuntimeError("the emulator's storage is closed")
            if self._dir is None:
                self._dir = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=self._parent))
            self._counter += 1
            return self._dir / f"blob-{self._counter:08d}"

    def put_file(self, source: IO[bytes]) -> Blob:
        """Copy a readable binary file from its start, hashing as it goes (blocking)."""
        source.seek(0)
        hasher = hashlib.sha256()
        head = source.read(self.memory_limit + 1)
        hasher.update(head)
        if len(head) <= self.memory_limit:
            return Blob(len(head), hasher.hexdigest(), data=head)
        path = self._new_path()
        size = len(head)
        with path.open("wb") as out:
            out.write(head)
            while chunk := source.read(_COPY_CHUNK):
                hasher.update(chunk)
                out.write(chunk)
                size += len(chunk)
        return Blob(size, hasher.hexdigest(), path=path)

    async def aput_file(self, source: IO[bytes]) -> Blob:
        """`put_file` in a worker thread."""
        return await anyio.to_thread.run_sync(self.put_file, source)

    async def iter_chunks(self, blob: Blob, chunk_size: int = _COPY_CHUNK) -> AsyncIterator[bytes]:
        """The blob's bytes in chunks, read from disk in worker threads."""
        if blob.data is not None:
            for start in range(0, len(blob.data), chunk_size):
                yield blob.data[start : start + chunk_size]
            return
        assert blob.path is not None
        async with await anyio.open_file(blob.path, "rb") as f:
            while chunk := await f.read(chunk_size):
                yield chunk

    def discard(self, blob: Blob | None) -> None:
        """Delete a blob's file, if it has one."""
        if blob is not None and blob.path is not None:
            blob.path.unlink(missing_ok=True)

    def close(self) -> None:
        """Remove the temporary directory and everything in it; later writes fail."""
        with self._lock:
            self._closed = True
            directory, self._dir = self._dir, None
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
