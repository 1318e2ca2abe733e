"""Answer bodies read within bounds: decoded by us, measured after decompression.

httpx inflates each compressed network chunk whole, so one 64 KiB gzip chunk of a hostile answer
can become 64 MiB in a single step (measured: a 1 MB gzip body that inflates to 1 GiB drove a
process to 2 GB). Here the raw bytes are inflated at most `PIECE` bytes at a time, every decoded
byte is counted, and a body over its limit stops at the limit. A body that cannot be decoded
raises a typed error instead of httpx's `DecodingError`.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import cast

import httpx

from ._errors import APIResponseValidationError, ResponseTooLargeError

__all__ = ["ACCEPT_ENCODING", "PIECE", "BodyDecoder", "iter_body", "raw_chunks", "read_body"]

ACCEPT_ENCODING = "gzip, deflate"
"""What we ask servers for: the encodings `BodyDecoder` inflates within bounds."""

PIECE = 1 << 20
"""The most one inflation step may produce: memory per step stays at this, whatever the ratio."""


class _Inflater:
    """One gzip or deflate layer, inflated `PIECE` bytes at a time."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        self._first = True  # deflate: a zlib header is tried first, then raw deflate

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._first and not self._gzip and data:
            self._first = False
            try:
                probe = zlib.decompressobj(zlib.MAX_WBITS)
                probe.decompress(data[:2])
            except zlib.error:
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        pending = data
        while pending:
            piece = self._zlib.decompress(pending, PIECE)
            pending = self._zlib.unconsumed_tail
            if piece:
                yield piece
            elif not pending:
                break

    def flush(self) -> bytes:
        return self._zlib.flush()


class BodyDecoder:
    """Turns the raw bytes of an answer into its decoded bytes, a bounded piece at a time."""

    def __init__(self, content_encoding: str | None, *, endpoint: str, status_code: int) -> None:
        self._endpoint = endpoint
        self._status = status_code
        self._layers: list[_Inflater] = []
        names = [name.strip().lower() for name in (content_encoding or "").split(",")]
        for name in reversed([n for n in names if n and n != "identity"]):
            if name not in ("gzip", "x-gzip", "deflate"):
                raise self._error(f"the server used an encoding we did not ask for: {name!r}")
            self._layers.append(_Inflater(name))

    def feed(self, raw: bytes) -> Iterator[bytes]:
        """The decoded pieces `raw` gives (each at most `PIECE` bytes per layer step)."""
        if not self._layers:
            if raw:
                yield raw
            return
        try:
            yield from self._through(raw, 0)
        except zlib.error as exc:
            raise self._error(f"the body could not be decoded ({exc})") from None

    def flush(self) -> Iterator[bytes]:
        """What the layers still hold at the end of the body."""
        try:
            for index, layer in enumerate(self._layers):
                rest = layer.flush()
                if rest:
                    yield from self._through(rest, index + 1)
        except zlib.error as exc:
            raise self._error(f"the body could not be decoded ({exc})") from None

    def _through(self, data: bytes, index: int) -> Iterator[bytes]:
        if index == len(self._layers):
            yield data
            return
        for piece in self._layers[index].feed(data):
            yield from self._through(piece, index + 1)

    def _error(self, message: str) -> APIResponseValidationError:
        return APIResponseValidationError(
            f"{self._endpoint}: {message}", status_code=self._status, endpoint=self._endpoint
        )


def raw_chunks(response: httpx.Response) -> contextlib.aclosing[AsyncGenerator[bytes, None]]:
    """`response.aiter_raw()`, closed on leaving the `async with`: a body given up on (too
    large, a stream closed early, a cancelled download) must not leave httpx's generator to the
    garbage collector, which finalizes it late on asyncio and warns under trio."""
    return contextlib.aclosing(cast("AsyncGenerator[bytes, None]", response.aiter_raw()))


async def iter_body(response: httpx.Response, *, endpoint: str) -> AsyncIterator[bytes]:
    """The response's decoded body, piece by piece, never more than `PIECE` bytes at a time."""
    if response.is_stream_consumed:  # read already: a mock transport's answer, say
        if response.content:
            yield response.content
        return
    decoder = BodyDecoder(
        response.headers.get("content-encoding"),
        endpoint=endpoint,
        status_code=response.status_code,
    )
    async with raw_chunks(response) as chunks:
        async for raw in chunks:
            for piece in decoder.feed(raw):
                yield piece
    for piece in decoder.flush():
        yield piece


async def read_body(response: httpx.Response, *, limit: int | None, endpoint: str) -> bytes:
    """The whole decoded body, refused with `ResponseTooLargeError` once it passes `limit`.

    A `Content-Length` over the limit is refused before a byte is read.
    """
    if response.is_stream_consumed:  # read already: a mock transport's answer, say
        content = response.content
        if limit is not None and len(content) > limit:
            raise _too_large(response, endpoint, limit)
        return content
    if limit is not None and response.headers.get("content-encoding") in (None, "identity"):
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_large(response, endpoint, limit)
    decoder = BodyDecoder(
        response.headers.get("content-encoding"),
        endpoint=endpoint,
        status_code=response.status_code,
    )
    pieces: list[bytes] = []
    size = 0
    chunks = response.aiter_raw()
    try:
        async for raw in chunks:
            for piece in decoder.feed(raw):
                size += len(piece)
                if limit is not None and size > limit:
                    raise _too_large(response, endpoint, limit)
                pieces.append(piece)
    except BaseException:
        # Given up on (too large, undecodable, cancelled): close httpx's generator now, as
        # `raw_chunks` does; read to its end, it needs no closing (the common case, kept free).
        await cast("AsyncGenerator[bytes, None]", chunks).aclose()
        raise
    for piece in decoder.flush():
        size += len(piece)
        if limit is not None and size > limit:
            raise _too_large(response, endpoint, limit)
        pieces.append(piece)
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)


def _too_large(response: httpx.Response, endpoint: str, limit: int) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"{endpoint}: the answer is larger than max_response_bytes ({limit} bytes)",
        status_code=response.status_code,
        endpoint=endpoint,
        limit=limit,
    )
