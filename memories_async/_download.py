"""Streaming downloads: bytes go to a temporary file beside the destination, renamed into place
only once the whole body has arrived, so `dest` never holds a partial file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import anyio
import anyio.to_thread
import httpx

from ._errors import APIConnectionError, APITimeoutError, InvalidArgumentError

__all__ = ["resolve_destination", "save_response"]

_CHUNK = 1 << 20
_BINARY = getattr(os, "O_BINARY", 0)


def _resolve(dest: str | os.PathLike[str], default_name: str) -> Path:
    path = Path(dest).expanduser()
    if path.is_dir():
        return path / default_name
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


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _discard(fd: int, temp: Path) -> None:
    try:
        os.close(fd)
    finally:
        temp.unlink(missing_ok=True)


def _expected_length(response: httpx.Response) -> int | None:
    if response.headers.get("content-encoding", "identity") not in ("identity", ""):
        return None
    value = response.headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


async def _receive(response: httpx.Response, fd: int) -> tuple[int, httpx.HTTPError | None]:
    """Copy the body into `fd`: read on the loop while a worker thread writes the chunk before,
    so the network and the disk work at once. Returns the bytes read and the transfer error
    that stopped it, if any; a write error is raised as it is.

    Errors are caught inside the task group and raised after it, so that callers see them
    unwrapped rather than in an exception group.
    """
    received = 0
    failure: httpx.HTTPError | None = None
    write_error: OSError | None = None
    send, receive = anyio.create_memory_object_stream[bytes](1)

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
            try:
                async for chunk in response.aiter_bytes(_CHUNK):
                    await send.send(chunk)
                    received += len(chunk)
            except httpx.HTTPError as exc:
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
        received, failure = await _receive(response, fd)
        if isinstance(failure, httpx.TimeoutException):
            raise APITimeoutError(
                f"{endpoint}: the download timed out after {received} bytes", endpoint=endpoint
            ) from failure
        if isinstance(failure, httpx.TransportError):
            raise APIConnectionError(
                f"{endpoint}: the download broke off after {received} bytes"
                f" ({type(failure).__name__}: {failure})",
                endpoint=endpoint,
            ) from failure
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
