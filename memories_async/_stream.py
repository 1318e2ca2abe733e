"""`ChatStream`: one streamed chat answer as typed events, with its connection's lifetime in hand.

The object is a plain class with `__anext__` (no suspended async generator of ours can be left
un-closed), and it holds the HTTP response itself, opened lazily by `__aenter__` or the first
`__anext__`. The response is closed at once when the end marker arrives, when anything goes wrong
(a cut connection, an error end, cancellation), on `aclose()`, on leaving `async with`, and, for
a stream dropped half-read, by a task its `__del__` schedules on the event loop it ran on.

Decoding is two-tiered: the common events go straight from bytes to models through one pydantic
`TypeAdapter.validate_json` call (a discriminated union, so no intermediate dict); anything that
does not fit (end markers, personal-chat tokens, legacy envelopes, the marketer's text-field
fallbacks, plain-text payloads) takes a slower path that knows every variant the vendor's own
sample clients accept.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import sys
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import httpx
import pydantic

from ._body import iter_body
from ._errors import APIResponseValidationError, StreamError, StreamErrorReason
from ._sse import EventTooLarge, SSEParser

if TYPE_CHECKING:
    from ._pipeline import Endpoint, Pipeline
from .models.chat import (
    ChatEvent,
    ChatRef,
    ChatResponse,
    ContentEvent,
    DoneEvent,
    RefEvent,
    Thinking,
    ThinkingEvent,
)

__all__ = [
    "CHAT_DECODER",
    "LEGACY_DECODER",
    "PERSONAL_DECODER",
    "ChatStream",
    "EventDecoder",
    "MalformedEvent",
    "TextStream",
    "chat_stream",
]

logger = logging.getLogger("memories_async")

# After the end marker the body is read on for a moment, so that an HTTP/1.1 connection whose
# body ends right behind the marker goes back to the pool instead of being torn down.
_DRAIN_SECONDS = 0.1
_DRAIN_BYTES = 64 * 1024

_DONE_MARKERS = frozenset({"done", "[done]", '"done"'})
_TEXT_FIELDS = ("content", "text", "delta", "message", "token")
_SUCCESS_CODES = frozenset({"SUCCESS", "0000", "0", "200"})

_WireEvent = ThinkingEvent | RefEvent | ContentEvent
_WIRE_EVENT: pydantic.TypeAdapter[_WireEvent] = pydantic.TypeAdapter(
    Annotated[_WireEvent, pydantic.Field(discriminator="type")]
)
_CONTENT: pydantic.TypeAdapter[ContentEvent] = pydantic.TypeAdapter(ContentEvent)

# Tasks closing streams that were dropped half-read (see `ChatStream.__del__`): held here so the
# event loop, which keeps only weak references to tasks, cannot lose one before it ran.
_CLOSING: set[asyncio.Task[None]] = set()


class MalformedEvent(ValueError):
    """An event's data is neither JSON the decoder understands nor plain text."""


@dataclass(frozen=True)
class _Failure:
    """An error end (or a broken event) waiting in the queue behind the events before it."""

    reason: StreamErrorReason
    message: str
    msg: str | None = None
    code: str | None = None


_Decoded = ThinkingEvent | RefEvent | ContentEvent | DoneEvent | _Failure | None


class EventDecoder:
    """Turns the data of one event into a typed event, an end, a failure, or nothing (skip).

    `fast` is tried first on the raw bytes: the chat union for video chat and the marketer,
    `ContentEvent` alone for personal chat's `{"token": ...}`, none for the legacy chat.
    """

    __slots__ = ("fast_validate",)

    def __init__(self, fast: pydantic.TypeAdapter[Any] | None) -> None:
        self.fast_validate: Callable[[bytes], _WireEvent] | None = (
            None if fast is None else fast.validator.validate_json
        )
        """The fast path alone (pydantic-core's validator, without the adapter's wrapper)."""

    def decode(self, payload: bytes) -> _Decoded | list[_Decoded]:
        """The typed meaning of one event's data; raises `MalformedEvent` for broken JSON.

        A list comes back for data of several lines that each hold an event of their own.
        """
        if self.fast_validate is not None:
            try:
                event = self.fast_validate(payload)
            except pydantic.ValidationError:
                pass
            else:
                # Fields beyond the event's own may make it an error object (`_from_object`).
                if not event.__pydantic_extra__:
                    return event
        return self._slow(payload)

    def _slow(self, payload: bytes) -> _Decoded | list[_Decoded]:
        text = payload.decode("utf-8", "replace")
        stripped = text.strip()
        if not stripped:
            return None if not text else ContentEvent(text=text)
        if stripped.lower() in _DONE_MARKERS:
            return DoneEvent()
        try:
            value = json.loads(stripped)
        except RecursionError:
            raise MalformedEvent("an event is JSON nested too deeply") from None
        except ValueError:
            if "\n" in stripped:
                return self._lines(text)
            if stripped[0] in "{[":
                raise MalformedEvent(f"an event is not valid JSON: {_short(stripped)!r}") from None
            return ContentEvent(text=text)  # the vendor's rule: a non-JSON payload is text
        if isinstance(value, dict):
            return _from_object(value)
        if isinstance(value, str):
            if value.strip().lower() in _DONE_MARKERS:
                return DoneEvent()
            return ContentEvent(text=value)
        if value is None or isinstance(value, list):
            return None
        return ContentEvent(text=stripped)

    def _lines(self, text: str) -> _Decoded | list[_Decoded]:
        """Data of several lines that is not one JSON document.

        The vendor's servers write one event per `data:` line and its sample clients read line
        by line, so blank lines between events may be missing (`data: {"token": ...}` lines
        followed by `data: [DONE]`): then each line is an event. Plain text over several lines
        stays one text piece, its lines joined with LF as the SSE standard says.
        """
        lines = [line for line in text.split("\n") if line.strip()]
        decoded: list[_Decoded] = []
        plain = True
        for line in lines:
            item = self._slow(line.encode())
            assert not isinstance(item, list)  # a single line cannot split further
            decoded.append(item)
            plain = plain and isinstance(item, ContentEvent) and not _is_json(line)
        if plain:
            return ContentEvent(text=text)
        return [item for item in decoded if item is not None]


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def _from_object(obj: dict[str, Any]) -> _Decoded:
    kind = obj.get("type")
    if kind is None and "code" in obj and "data" in obj:
        return _from_envelope(obj)
    failure = _error_in(obj)
    if failure is not None:
        return failure
    if kind in ("thinking", "ref", "content"):
        if kind == "content":
            obj = {**obj, "content": _text_of(obj) or ""}
        try:
            event: _WireEvent = _WIRE_EVENT.validate_python(obj)
        except pydantic.ValidationError as exc:
            raise MalformedEvent(f"a {kind} event does not fit: {exc.errors()[0]['msg']}") from None
        return event
    if kind is not None:
        return None  # an event type this SDK does not know yet: skipped, not fatal
    text = _text_of(obj)
    if text is None:
        return None
    role = obj.get("role")
    return ContentEvent(
        text=text, role=role if isinstance(role, str) else None, session_id=_session_of(obj)
    )


def _error_in(obj: dict[str, Any]) -> _Failure | None:
    """The failure an object reports (an `error`, or a `code` other than success), if any; its
    words may sit in `message`, which is otherwise one of the text fields."""
    code = obj.get("code")
    if not obj.get("error") and (code is None or str(code) in _SUCCESS_CODES):
        return None
    message = str(obj.get("error") or obj.get("msg") or obj.get("message") or "error")
    if code is None:
        return _error_end(message, None)
    return _error_end(message, str(code), shown=f"{message} (code {code})")


def _error_end(msg: str, code: str | None, *, shown: str | None = None) -> _Failure:
    """A failure the server reported: `msg` its words, `shown` what the error message quotes."""
    return _Failure("error_end", f"the stream ended with an error: {shown or msg}", msg, code)


def _from_envelope(obj: dict[str, Any]) -> _Decoded:
    """`{"code", "data"}`: the chat end marker, its error variants, or a legacy text piece."""
    code = None if obj.get("code") is None else str(obj["code"])
    data = obj.get("data")
    if isinstance(data, str):
        if data.strip().lower() == "done":
            return DoneEvent(session_id=_session_of(obj))
        return _error_end(data, code)
    if isinstance(data, dict) and code in _SUCCESS_CODES:
        piece = data.get("msg")
        if not isinstance(piece, str):
            piece = _text_of(data)
        if piece is not None:
            return ContentEvent(text=piece, session_id=_session_of(obj))
    if data is None and code in _SUCCESS_CODES:
        return DoneEvent(session_id=_session_of(obj))
    message = obj.get("msg")
    if isinstance(data, dict):
        message = data.get("msg") or data.get("message") or message
    text = str(message) if message else f"error code {code}"
    return _error_end(text, code)


def _text_of(obj: dict[str, Any]) -> str | None:
    for key in _TEXT_FIELDS:
        value = obj.get(key)
        if isinstance(value, str):
            return value
    return None


def _session_of(obj: dict[str, Any]) -> str | None:
    value = obj.get("sessionId", obj.get("session_id"))
    return None if value is None or value == "" else str(value)


def _short(text: str) -> str:
    return text if len(text) <= 120 else text[:120] + "…"


CHAT_DECODER = EventDecoder(_WIRE_EVENT)
"""Video chat and the video marketer: thinking, ref and content events, then the end."""
PERSONAL_DECODER = EventDecoder(_CONTENT)
"""Personal chat: `{"token": ...}` pieces, then `[DONE]`."""
LEGACY_DECODER = EventDecoder(None)
"""The v1.0 chat: `{"code", "msg", "data": {"msg"}}` pieces, then `[DONE]`."""


class _State:
    NEW = 0
    OPEN = 1
    ENDED = 2  # the end (or a failure) was decoded; queued events may still wait
    CLOSED = 3  # closed before its end, by the caller or by an error


_STATE_NAMES = ("new", "open", "ended", "closed")


class ChatStream:
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
        self._open_response = open_response
        self._decoder = decoder
        self._endpoint = endpoint
        self._on_session = on_session
        self._idle_timeout = math.inf if idle_timeout is None else idle_timeout
        self._last_event = 0.0
        self._state = _State.NEW
        self._response: httpx.Response | None = None
        self._chunks: AsyncIterator[bytes] | None = None  # the response's aiter_bytes()
        self._runner: tuple[str, Any] | None = None  # the event loop that opened the response
        self._parser = SSEParser(max_event_bytes)
        self._queue: deque[ChatEvent | _Failure] = deque()
        self._pieces: list[str] = []
        self._refs: list[ChatRef] = []
        self._thinkings: list[Thinking] = []
        self._role: str | None = None
        self._session_id: str | None = None
        self._wire_session: str | None = None  # the last id decoded (may run ahead of delivery)
        self._delivered = 0
        self._done = False
        self._error: StreamError | None = None

    # -- the public surface -----------------------------------------------------------------

    @property
    def session_id(self) -> str | None:
        """The session this answer belongs to, once an event has named it."""
        return self._session_id

    @property
    def text(self) -> str:
        """The answer's text handed out so far."""
        return "".join(self._pieces)

    @property
    def refs(self) -> list[ChatRef]:
        """The references handed out so far."""
        return list(self._refs)

    @property
    def thinkings(self) -> list[Thinking]:
        """The reasoning steps handed out so far."""
        return list(self._thinkings)

    @property
    def done(self) -> bool:
        """Whether the end marker has been handed out: the answer is complete."""
        return self._done

    @property
    def text_stream(self) -> TextStream:
        """Only the text pieces of the answer, as an async iterator of `str`."""
        return TextStream(self)

    async def final(self) -> ChatResponse:
        """Read the rest of the stream and return the whole answer (as `send()` would)."""
        while True:
            try:
                await self.__anext__()
            except StopAsyncIteration:
                break
        if self._error is not None:
            raise self._error
        if not self._done:
            raise self._failure(_Failure("closed", "the stream was closed before its end"))
        return ChatResponse(
            content=self.text,
            role=self._role,
            refs=self._refs,
            thinkings=self._thinkings,
            session_id=self._session_id,
        )

    async def aclose(self) -> None:
        """Close the connection now; events not yet read are dropped (unless the end arrived)."""
        if self._state in (_State.NEW, _State.OPEN):
            self._state = _State.CLOSED
            self._queue.clear()
        await self._close()

    async def __aenter__(self) -> ChatStream:
        if self._state == _State.NEW:
            await self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> ChatStream:
        return self

    async def __anext__(self) -> ChatEvent:
        while True:
            if self._queue:
                return self._deliver(self._queue.popleft())
            if self._state >= _State.ENDED:
                raise StopAsyncIteration
            try:
                await self._fill()
            except BaseException:
                self._state = _State.CLOSED
                await self._close()
                raise

    def __repr__(self) -> str:
        state = _STATE_NAMES[self._state]
        return f"<ChatStream {self._endpoint} {state} session_id={self._session_id!r}>"

    def __del__(self) -> None:
        # Dropped with its response still open (a plain `async for` left with `break`): close it
        # on the loop that opened it. Never raises, never creates a coroutine it cannot start.
        response = getattr(self, "_response", None)
        if response is None:
            return
        chunks, runner = self._chunks, self._runner
        self._response = self._chunks = None
        if runner is not None:
            # Plain try/except rather than contextlib.suppress: at interpreter exit, module
            # globals may already be gone when a finalizer runs.
            try:  # noqa: SIM105
                _schedule_close(runner, response, chunks)
            except Exception:  # the loop is gone or closing: the socket goes with it
                pass

    # -- reading ----------------------------------------------------------------------------

    async def _open(self) -> None:
        try:
            response = await self._open_response()
        except BaseException:
            self._state = _State.CLOSED
            raise
        self._runner = _current_runner()
        self._response = response
        self._chunks = iter_body(response, endpoint=self._endpoint)
        self._state = _State.OPEN
        self._last_event = time.monotonic()

    async def _fill(self) -> None:
        """Read until at least one event is queued or the stream is over."""
        if self._state == _State.NEW:
            await self._open()
        assert self._chunks is not None
        waited = time.monotonic() - self._last_event
        # Failures are raised after the `except` blocks, so that httpx's exception (whose request
        # holds the auth header) is neither the cause nor the context of the StreamError.
        broken: _Failure | None = None
        try:
            with anyio.fail_after(self._idle_timeout - waited):
                chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            await self._end_of_body()
            return
        except TimeoutError:
            broken = _Failure("idle", f"no event for {self._idle_timeout:g}s (stream_idle_timeout)")
        except httpx.TransportError as exc:
            broken = _Failure("disconnected", f"the connection broke mid-stream ({_describe(exc)})")
        except APIResponseValidationError as exc:
            broken = _Failure("malformed", str(exc))
        if broken is not None:
            raise self._failure(broken)
        # The hot loop: most events validate on the fast path straight into the queue.
        validate = self._decoder.fast_validate
        queue = self._queue
        try:
            payloads = self._parser.feed(chunk)
        except EventTooLarge as exc:
            raise self._failure(_Failure("too_large", f"{exc} (max_event_bytes)")) from None
        if payloads:
            self._last_event = time.monotonic()
        for payload in payloads:
            if validate is not None:
                try:
                    event = validate(payload)
                except pydantic.ValidationError:
                    pass
                else:
                    if not event.__pydantic_extra__:  # no `code` or `error` beside the text
                        if event.session_id is not None:
                            self._wire_session = event.session_id
                        queue.append(event)
                        continue
            self._accept(payload, at_eof=False)
            if self._state == _State.ENDED:
                await self._finish()
                return

    async def _end_of_body(self) -> None:
        try:
            payloads = self._parser.close()
        except EventTooLarge as exc:  # pragma: no cover - feed() refuses the line first
            raise self._failure(_Failure("too_large", str(exc))) from None
        for payload in payloads:
            self._accept(payload, at_eof=True)
            if self._state == _State.ENDED:
                break
        if self._state != _State.ENDED:
            self._queue.append(_Failure("incomplete", "the stream stopped before its end marker"))
            self._state = _State.ENDED
        await self._close()

    def _accept(self, payload: bytes, *, at_eof: bool) -> None:
        try:
            decoded = self._decoder.decode(payload)
        except MalformedEvent as exc:
            if at_eof:
                decoded = _Failure("incomplete", "the stream stopped inside an event")
            else:
                decoded = _Failure("malformed", str(exc))
        if isinstance(decoded, list):
            for item in decoded:
                self._accept_one(item)
                if self._state == _State.ENDED:
                    break
        elif decoded is not None:
            self._accept_one(decoded)

    def _accept_one(self, item: _Decoded) -> None:
        if item is None:
            return
        if isinstance(item, _Failure):
            self._state = _State.ENDED
        elif isinstance(item, DoneEvent):
            if item.session_id is None:
                item.session_id = self._wire_session
            self._state = _State.ENDED
        elif item.session_id is not None:
            self._wire_session = item.session_id
        self._queue.append(item)

    def _deliver(self, item: ChatEvent | _Failure) -> ChatEvent:
        if isinstance(item, ContentEvent):  # the common case first
            self._pieces.append(item.text)
            if item.role is not None:
                self._role = item.role
        elif isinstance(item, ThinkingEvent):
            self._thinkings.append(Thinking(title=item.title, content=item.content))
        elif isinstance(item, RefEvent):
            self._refs.extend(item.refs)
        elif isinstance(item, DoneEvent):
            self._done = True
        else:
            raise self._failure(item)
        self._delivered += 1
        session = item.session_id
        if session is not None and session != self._session_id:
            self._session_id = session
            if self._on_session is not None:
                self._on_session(session)
        return item

    def _failure(self, failure: _Failure) -> StreamError:
        error = StreamError(
            f"{self._endpoint}: {failure.message}",
            reason=failure.reason,
            msg=failure.msg,
            code=failure.code,
            partial_text=self.text,
            session_id=self._session_id,
            endpoint=self._endpoint,
        )
        self._error = error
        return error

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
            await _close_response(response, chunks)


async def _close_response(response: httpx.Response, chunks: AsyncIterator[bytes] | None) -> None:
    """Close the body iterator, then the response (which hands the connection back)."""
    with anyio.CancelScope(shield=True):
        try:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()
        finally:
            await response.aclose()


async def _close_dropped(response: httpx.Response, chunks: AsyncIterator[bytes] | None) -> None:
    try:
        await _close_response(response, chunks)
    except Exception as exc:  # a background clean-up has nobody to report to
        logger.debug("memories: closing a dropped stream failed: %s", _describe(exc))


def _current_library() -> str | None:
    """`"asyncio"`, `"trio"` or None (no loop runs in this thread), without needing sniffio."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return "asyncio"
    trio: Any = sys.modules.get("trio")
    if trio is not None:
        try:
            trio.lowlevel.current_trio_token()
        except RuntimeError:
            return None
        return "trio"
    return None


def _current_runner() -> tuple[str, Any] | None:
    """The running event loop (asyncio) or run token (trio), to close a dropped stream on."""
    library = _current_library()
    if library == "asyncio":
        return "asyncio", asyncio.get_running_loop()
    if library == "trio":
        trio: Any = sys.modules["trio"]
        return "trio", trio.lowlevel.current_trio_token()
    return None


def _schedule_close(
    runner: tuple[str, Any], response: httpx.Response, chunks: AsyncIterator[bytes] | None
) -> None:
    """Start closing `response` on its loop, from any thread; the coroutine is only created
    on the loop itself, so a loop that is gone leaves no never-awaited coroutine behind."""
    kind, handle = runner
    if kind == "asyncio":
        loop: asyncio.AbstractEventLoop = handle
        if loop.is_closed():
            return

        def spawn() -> None:
            task = loop.create_task(_close_dropped(response, chunks))
            _CLOSING.add(task)
            task.add_done_callback(_CLOSING.discard)

        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            spawn()
        else:
            loop.call_soon_threadsafe(spawn)
    elif kind == "trio":
        trio: Any = sys.modules["trio"]

        def spawn_trio() -> None:
            trio.lowlevel.spawn_system_task(_close_dropped, response, chunks)

        with contextlib.suppress(trio.RunFinishedError):
            handle.run_sync_soon(spawn_trio)


def chat_stream(
    pipeline: Pipeline,
    endpoint: Endpoint,
    body: dict[str, Any],
    decoder: EventDecoder,
    on_session: Callable[[str], None] | None = None,
) -> ChatStream:
    """The `ChatStream` of `endpoint`'s answer to the JSON `body`, through the pipeline's
    buckets, retries and limits; nothing is sent until it is entered or first iterated."""
    return ChatStream(
        lambda: pipeline.open_stream(endpoint, json=body, accept="text/event-stream"),
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
