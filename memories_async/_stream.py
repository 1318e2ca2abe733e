"""`ChatStream`: one streamed chat answer as typed events, with its connection's lifetime in hand.

The object is a plain class with `__anext__` (no suspended async generator of ours can be left
un-closed), and it holds the HTTP response itself, opened lazily by `__aenter__` or the first
`__anext__`. The response is closed at once when the end marker arrives, when anything goes wrong
(a cut connection, an error end, cancellation), on `aclose()`, on leaving `async with`, and, for
a stream dropped half-read, by a task its `__del__` starts on the event loop it ran on.

This module is the transport: the response, the queue of decoded items, and closing. Bytes
become events in `_sse` (the event stream) and `_decoder` (what each event means); what the
caller was handed is kept by `_answer.AnswerState`.
"""

from __future__ import annotations

import enum
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio
import httpx

from ._answer import AnswerState, AnswerView
from ._body import iter_body
from ._decoder import (
    CHAT_DECODER,
    LEGACY_DECODER,
    PERSONAL_DECODER,
    Decoded,
    EventDecoder,
    Failure,
    MalformedEvent,
)
from ._errors import APIResponseValidationError, StreamError
from ._loops import current_owner, run_soon_on
from ._sse import EventTooLarge, SSEParser
from ._telemetry import SPAN_KEY, CallSpan
from .models.chat import ChatEvent, ChatResponse, ContentEvent, DoneEvent

if TYPE_CHECKING:
    from typing_extensions import Self

    from ._extras import RequestExtras
    from ._pipeline import Endpoint, Pipeline

__all__ = [
    "CHAT_DECODER",
    "LEGACY_DECODER",
    "PERSONAL_DECODER",
    "ChatStream",
    "EventDecoder",
    "EventStream",
    "TextStream",
    "chat_stream",
]

logger = logging.getLogger("memories_async")

# After the end marker the body is read on for a moment, so that an HTTP/1.1 connection whose
# body ends right behind the marker goes back to the pool instead of being torn down.
_DRAIN_SECONDS = 0.1
_DRAIN_BYTES = 64 * 1024


EventT = TypeVar("EventT")
ItemT = TypeVar("ItemT")


class _State(enum.Enum):
    NEW = "new"
    OPEN = "open"
    ENDED = "ended"  # the end (or a failure) was decoded; queued events may still wait
    CLOSED = "closed"  # closed before its end, by the caller or by an error


class EventStream(Generic[EventT, ItemT]):
    """The transport of one streamed answer: its response, the queue of decoded items, closing.

    Subclasses say what the bytes mean (`_take`, which queues items and marks the end) and
    what the caller gets for each item (`_hand_out`); the opening, reading, idle timeout, size
    limit and closing are the same for every stream of the SDK.
    """

    def __init__(
        self,
        open_response: Callable[[], Awaitable[httpx.Response]],
        *,
        endpoint: str,
        max_event_bytes: int | None = None,
        idle_timeout: float | None = None,
        named: bool = False,
    ) -> None:
        self._open_response = open_response
        self._endpoint = endpoint
        self._idle_timeout = math.inf if idle_timeout is None else idle_timeout
        self._last_event = 0.0
        self._state = _State.NEW
        self._response: httpx.Response | None = None
        self._chunks: AsyncIterator[bytes] | None = None  # the response's decoded body
        self._owner: tuple[str, Any] | None = None  # the event loop that opened the response
        self._parser = SSEParser(max_event_bytes, named=named)
        self._queue: deque[ItemT] = deque()

    # -- what a subclass says -------------------------------------------------------------

    def _take(self, payloads: list[bytes], *, at_eof: bool) -> None:
        """Decode the events `payloads` (the parser's last output) into the queue; set
        `_state` to ENDED once the end (or a failure) is decoded, and stop there."""
        raise NotImplementedError

    def _hand_out(self, item: ItemT) -> EventT:
        """What the caller gets for a queued item (a failure is raised instead)."""
        raise NotImplementedError

    def _failure(self, failure: Failure) -> StreamError:
        """The `StreamError` of a failure of the transport, remembered as the stream's end."""
        raise NotImplementedError

    def _progress(self) -> tuple[int, BaseException | None]:
        """The events handed out so far and the error the stream ended with, for its span."""
        raise NotImplementedError

    # -- the public surface ---------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connection now; events not yet read are dropped (unless the end arrived)."""
        if self._state in (_State.NEW, _State.OPEN):
            self._state = _State.CLOSED
            self._queue.clear()
        await self._close()

    async def __aenter__(self) -> Self:
        if self._state is _State.NEW:
            await self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> EventT:
        while True:
            if self._queue:
                return self._hand_out(self._queue.popleft())
            if self._state is _State.ENDED or self._state is _State.CLOSED:
                raise StopAsyncIteration
            try:
                await self._fill()
            except BaseException:
                self._state = _State.CLOSED
                await self._close()
                raise

    async def _drain(self) -> None:
        """Read the stream to its end, handing every event out (for `final()`)."""
        while True:
            try:
                await self.__anext__()
            except StopAsyncIteration:
                return

    def __del__(self) -> None:
        # Dropped with its response still open (a plain `async for` left with `break`): close it
        # on the loop that opened it. Never raises, never creates a coroutine it cannot start.
        response = getattr(self, "_response", None)
        if response is None:
            return
        chunks, owner = self._chunks, self._owner
        self._response = self._chunks = None
        if owner is not None:
            # Plain try/except rather than contextlib.suppress: at interpreter exit, module
            # globals may already be gone when a finalizer runs.
            try:  # noqa: SIM105
                run_soon_on(owner, _close_dropped, response, chunks)
            except Exception:  # the loop is gone or closing: the socket goes with it
                pass

    # -- reading ----------------------------------------------------------------------------

    async def _open(self) -> None:
        try:
            response = await self._open_response()
        except BaseException:
            self._state = _State.CLOSED
            raise
        self._owner = current_owner()
        self._response = response
        self._chunks = iter_body(response, endpoint=self._endpoint)
        self._state = _State.OPEN
        self._last_event = time.monotonic()

    async def _fill(self) -> None:
        """Read until at least one event is queued or the stream is over."""
        if self._state is _State.NEW:
            await self._open()
        assert self._chunks is not None
        waited = time.monotonic() - self._last_event
        # Failures are raised after the `except` blocks, so that httpx's exception (whose request
        # holds the auth header) is neither the cause nor the context of the StreamError.
        broken: Failure | None = None
        try:
            with anyio.fail_after(self._idle_timeout - waited):
                chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            await self._end_of_body()
            return
        except TimeoutError:
            broken = Failure("idle", f"no event for {self._idle_timeout:g}s (stream_idle_timeout)")
        except httpx.TransportError as exc:
            broken = Failure("disconnected", f"the connection broke mid-stream ({_describe(exc)})")
        except APIResponseValidationError as exc:
            broken = Failure("malformed", str(exc))
        if broken is not None:
            raise self._failure(broken)
        try:
            payloads = self._parser.feed(chunk)
        except EventTooLarge as exc:
            raise self._failure(Failure("too_large", f"{exc} (max_event_bytes)")) from None
        if payloads:
            self._last_event = time.monotonic()
            self._take(payloads, at_eof=False)
            if self._state is _State.ENDED:
                await self._finish()

    async def _end_of_body(self) -> None:
        self._take(self._parser.close(), at_eof=True)
        if self._state is not _State.ENDED:
            self._queue.append(self._incomplete())
            self._state = _State.ENDED
        await self._close()

    def _incomplete(self) -> ItemT:
        """The item that stands for a body that stopped before its end."""
        raise NotImplementedError

    # -- closing ----------------------------------------------------------------------------

    async def _finish(self) -> None:
        """The end arrived: read the few bytes that may close the body, then let go."""
        chunks = self._chunks
        if chunks is not None:
            received = 0
            with anyio.move_on_after(_DRAIN_SECONDS):
                try:
                    while received <= _DRAIN_BYTES:
                        received += len(await chunks.__anext__())
                except (StopAsyncIteration, httpx.HTTPError):
                    pass
        await self._close()

    async def _close(self) -> None:
        response, chunks = self._response, self._chunks
        self._response = self._chunks = None
        if response is not None:
            handed, error = self._progress()  # events: handed out, and read but still queued
            await _close_response(response, chunks, handed + len(self._queue), error)


class ChatStream(EventStream[ChatEvent, "ChatEvent | Failure"], AnswerView):
    """One streamed answer: iterate it for typed events, or ask for the whole `final()` answer.

    ```python
    async with client.chat.stream(video_nos, "Find the highlights") as stream:
        async for event in stream:
            match event:
                case ContentEvent(text=piece):
                    print(piece, end="")
        answer = await stream.final()
    ```

    The request is sent on `async with` (or on the first iteration). Leaving the block, breaking
    out of it, an exception or a cancellation closes the connection at once. Without `async
    with`, the connection is released when the end arrives, on any error and on `aclose()`; a
    loop left early (`break`) drops the stream, and its closing is then scheduled on the event
    loop it ran on (asyncio or trio), so nothing stays checked out. `async with` remains the
    precise form: it closes before the next line runs.

    An error end, a cut connection, a silence of `idle_timeout` seconds (keep-alive comments do
    not count), a line over `max_event_bytes` or a body that stops without its end raise
    `StreamError`, whose `partial_text` is the text handed out so far. Once the server has
    answered, the request is never sent again: it may have acted on it (a chat turn costs
    credits and joins the session). Failures before an answer are retried by the pipeline,
    under the resend rule.
    """

    def __init__(
        self,
        open_response: Callable[[], Awaitable[httpx.Response]],
        *,
        decoder: EventDecoder,
        endpoint: str,
        on_session: Callable[[str], None] | None = None,
        max_event_bytes: int | None = None,
        idle_timeout: float | None = None,
    ) -> None:
        super().__init__(
            open_response,
            endpoint=endpoint,
            max_event_bytes=max_event_bytes,
            idle_timeout=idle_timeout,
        )
        self._decoder = decoder
        self._answer = AnswerState(endpoint, on_session)
        self._wire_session: str | None = None  # the last id decoded (may run ahead of delivery)

    @property
    def text_stream(self) -> TextStream:
        """Only the text pieces of the answer, as an async iterator of `str`."""
        return TextStream(self)

    async def final(self) -> ChatResponse:
        """Read the rest of the stream and return the whole answer (as `send()` would)."""
        await self._drain()
        return self._answer.final()

    def __repr__(self) -> str:
        return (
            f"<ChatStream {self._endpoint} {self._state.value} "
            f"session_id={self._answer.session_id!r}>"
        )

    # -- what the chat events mean ----------------------------------------------------------

    def _take(self, payloads: list[bytes], *, at_eof: bool) -> None:
        # The hot loop: most events take the decoder's fast path straight into the queue.
        fast = self._decoder.fast
        queue = self._queue
        for payload in payloads:
            event = None if at_eof else fast(payload)
            if event is not None:
                if event.session_id is not None:
                    self._wire_session = event.session_id
                queue.append(event)
                continue
            self._accept(payload, at_eof=at_eof)
            if self._state is _State.ENDED:
                return

    def _accept(self, payload: bytes, *, at_eof: bool) -> None:
        items: list[Decoded]
        try:
            items = self._decoder.decode(payload)
        except MalformedEvent as exc:
            if at_eof:
                items = [Failure("incomplete", "the stream stopped inside an event")]
            else:
                items = [Failure("malformed", str(exc))]
        for item in items:
            if isinstance(item, Failure):
                self._state = _State.ENDED
            elif isinstance(item, DoneEvent):
                if item.session_id is None:
                    item.session_id = self._wire_session
                self._state = _State.ENDED
            elif item.session_id is not None:
                self._wire_session = item.session_id
            self._queue.append(item)

    def _incomplete(self) -> ChatEvent | Failure:
        return Failure("incomplete", "the stream stopped before its end marker")

    def _hand_out(self, item: ChatEvent | Failure) -> ChatEvent:
        return self._answer.hand_out(item)

    def _failure(self, failure: Failure) -> StreamError:
        return self._answer.failure(failure)

    def _progress(self) -> tuple[int, BaseException | None]:
        return self._answer.events, self._answer.error


async def _close_response(
    response: httpx.Response,
    chunks: AsyncIterator[bytes] | None,
    events: int | None = None,
    error: BaseException | None = None,
) -> None:
    """Close the body iterator, then the response (which hands the connection back), then the
    call's span if it has one (`_telemetry`), with the events read."""
    span: CallSpan | None = response.extensions.pop(SPAN_KEY, None)
    with anyio.CancelScope(shield=True):
        try:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()
        finally:
            try:
                await response.aclose()
            finally:
                if span is not None:
                    span.end(error, events=events)


async def _close_dropped(response: httpx.Response, chunks: AsyncIterator[bytes] | None) -> None:
    try:
        await _close_response(response, chunks)
    except Exception as exc:  # a background clean-up has nobody to report to
        logger.debug("memories: closing a dropped stream failed: %s", _describe(exc))


def chat_stream(
    pipeline: Pipeline,
    endpoint: Endpoint,
    body: dict[str, Any],
    decoder: EventDecoder,
    on_session: Callable[[str], None] | None = None,
    extras: RequestExtras | None = None,
) -> ChatStream:
    """The `ChatStream` of `endpoint`'s answer to the JSON `body`, through the pipeline's
    buckets, retries and limits; nothing is sent until it is entered or first iterated."""
    return ChatStream(
        lambda: pipeline.open_stream(
            endpoint, json=body, accept="text/event-stream", extras=extras
        ),
        decoder=decoder,
        endpoint=endpoint.name,
        on_session=on_session,
        max_event_bytes=pipeline.limits.max_event_bytes,
        idle_timeout=pipeline.limits.stream_idle_timeout,
    )


class TextStream:
    """The text pieces of a `ChatStream`, skipping every other event."""

    def __init__(self, stream: ChatStream) -> None:
        self._stream = stream

    def __aiter__(self) -> TextStream:
        return self

    async def __anext__(self) -> str:
        while True:
            event = await self._stream.__anext__()
            if isinstance(event, ContentEvent):
                return event.text

    async def aclose(self) -> None:
        """Close the underlying stream."""
        await self._stream.aclose()

    def __repr__(self) -> str:
        return f"<TextStream of {self._stream!r}>"


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
