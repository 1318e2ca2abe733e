"""Streaming downloads: bytes go to a temporary file beside the destination, renamed into place
only once the whole body has arrived, so `dest` never holds a partial file.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import anyio
import anyio.to_thread
import httpx

from ._body import BodyDecoder, raw_chunks
from ._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    InvalidArgumentError,
)

__all__ = ["file_name_for", "resolve_destination", "save_response"]

_CHUNK = 1 << 20
_WRITEV = getattr(os, "writev", None)  # not on Windows
_IOV_MAX = 512  # below every platform's limit of buffers per writev (1024 on Linux)
_BINARY = getattr(os, "O_BINARY", 0)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def file_name_for(video_no: str, suffix: str = ".mp4") -> str:
    """A file name made from a video number that stays inside the folder it is joined to.

    Only letters, digits, `.`, `_` and `-` are kept (others become `_`) and leading dots are
    dropped, so no `..`, separator or hidden name can come from a value the server chose.
    """
    stem = _UNSAFE.sub("_", video_no).lstrip(".") or "video"
    return stem + suffix


def _resolve(dest: str | os.PathLike[str], default_name: str) -> Path:
    path = Path(dest).expanduser()
    if path.is_dir():
        target = path / default_name
        if target.resolve().parent != path.resolve():
            raise InvalidArgumentError("dest", f"{default_name!r} would leave the directory")
        return target
    if str(dest).endswith(("/", os.sep)):
        raise InvalidArgumentError("dest", f"no such directory: {str(dest)!r}")
    if not path.parent.is_dir():
        raise InvalidArgumentError("dest", f"the directory of {str(dest)!r} does not exist")
    return path


async def resolve_destination(dest: str | os.PathLike[str], default_name: str) -> Path:
    """The file `dest` names, or `default_name` inside it when it is a directory (checked)."""
    if not isinstance(dest, str | os.PathLike) or not os.fspath(dest):
        raise InvalidArgumentError("dest", "must be a file or directory path")
    return await anyio.to_thread.run_sync(_resolve, dest, default_name)


def _create_temp(target: Path) -> tuple[int, Path]:
    # Created with the usual permissions (0666 less the umask), unlike mkstemp's 0600.
    while True:
        temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        try:
            return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o666), temp
        except FileExistsError:  # pragma: no cover - 32 random bits
            continue


def _write_all(fd: int, pieces: list[bytes]) -> None:
    """Write every piece, in order: with `os.writev` where there is one, so the pieces are not
    first copied into one buffer (a gigabyte's download would copy a gigabyte)."""
    if _WRITEV is None:
        for piece in pieces:
            _write_one(fd, piece)
        return
    for start in range(0, len(pieces), _IOV_MAX):
        group = pieces[start : start + _IOV_MAX]
        written = _WRITEV(fd, group)
        if written < sum(map(len, group)):  # a short write: the rest, piece by piece
            _write_one(fd, b"".join(group)[written:])


def _write_one(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _discard(fd: int, temp: Path) -> None:
    try:
        os.close(fd)
    finally:
        temp.unlink(missing_ok=True)


def _expected_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


async def _receive(
    response: httpx.Response, fd: int, endpoint: str
) -> tuple[int, Exception | None]:
    """Copy the body into `fd`: read on the loop while a worker thread writes the chunk before,
    so the network and the disk work at once. Returns the bytes received from the network
    (counted as they arrive, before decoding) and the transfer error that stopped it, if any;
    a write error, and a body that cannot be decoded, are raised as they are.

    Decoded pieces are gathered into batches of about `_CHUNK` bytes, so each thread hop writes
    a good amount whatever size the network delivers, and a batch is written as it is (one
    `writev`) rather than joined: joining copied every byte once more. Errors are caught
    inside the task group and raised after it, so that callers see them unwrapped rather than
    in an exception group.
    """
    received = 0
    failure: Exception | None = None
    write_error: OSError | None = None
    decoder = BodyDecoder(
        response.headers.get("content-encoding"),
        endpoint=endpoint,
        status_code=response.status_code,
    )
    send, receive = anyio.create_memory_object_stream[list[bytes]](1)

    async with anyio.create_task_group() as tg:

        async def write_all() -> None:
            nonlocal write_error
            try:
                async with receive:
                    async for chunk in receive:
                        await anyio.to_thread.run_sync(_write_all, fd, chunk)
            except OSError as exc:
                write_error = exc
                tg.cancel_scope.cancel()

        tg.start_soon(write_all)
        async with send:
            pending: list[bytes] = []
            size = 0
            try:
                async with raw_chunks(response) as chunks:
                    async for raw in chunks:
                        received += len(raw)
                        for piece in decoder.feed(raw):
                            pending.append(piece)
                            size += len(piece)
                        if size >= _CHUNK:
                            await send.send(pending)
                            pending, size = [], 0
                pending.extend(decoder.flush())
                if pending:
                    await send.send(pending)
            except (httpx.HTTPError, APIResponseValidationError) as exc:
                failure = exc
                tg.cancel_scope.cancel()
    if write_error is not None:
        raise write_error
    return received, failure


async def save_response(response: httpx.Response, target: Path, *, endpoint: str) -> Path:
    """Write a streamed answer's body to `target` atomically and return `target`.

    Interrupted by an error or a cancellation, the temporary file is removed and `target` is left
    as it was. File writes run in worker threads, overlapping the reading of the next chunk.
    """
    fd, temp = await anyio.to_thread.run_sync(_create_temp, target)
    try:
        received, failure = await _receive(response, fd, endpoint)
        # Not chained to httpx's exception: its request holds the auth header.
        if isinstance(failure, httpx.TimeoutException):
            raise APITimeoutError(
                f"{endpoint}: the download timed out after {received} bytes", endpoint=endpoint
            ) from None
        if isinstance(failure, httpx.HTTPError):
            raise APIConnectionError(
                f"{endpoint}: the download broke off after {received} bytes"
                f" ({type(failure).__name__}: {failure})",
                endpoint=endpoint,
            ) from None
        if failure is not None:
            raise failure
        expected = _expected_length(response)
        if expected is not None and received != expected:
            raise APIConnectionError(
                f"{endpoint}: the download ended after {received} of {expected} bytes",
                endpoint=endpoint,
            )
        fd, closing = -1, fd
        os.close(closing)  # a write-only, unbuffered descriptor: nothing left to flush
        await anyio.to_thread.run_sync(os.replace, temp, target)
    except BaseException:
        # Synchronous on purpose: a cancelled task cannot await, and close/unlink do not block.
        if fd >= 0:
            _discard(fd, temp)
        else:
            temp.unlink(missing_ok=True)
        raise
    return target
