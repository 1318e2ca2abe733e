"""What the generated sync shim stands on: the client base over one event loop run by the calling
threads themselves (`SharedLoop`, in `_loops`), and the sync twins of iterators and streams.

The generated `_sync.py` only describes methods; every blocking call goes through `SyncClientBase`
here, which knows about threads, forks and shutdown.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._answer import AnswerView
from ._client import UNCHANGED, AsyncMemories
from ._errors import ClientClosedError, MemoriesError
from ._loops import SharedLoop

if TYPE_CHECKING:
    import httpx
    from typing_extensions import Self

    # ChatEvent and AgentStream appear only in the string base classes below.
    from ._agent_stream import AgentStream  # noqa: F401
    from ._raw import SyncRawResponseClient
    from ._retry import RetryPolicy
    from ._stream import ChatStream, EventStream
    from .models.agents import AgentComplete, AgentEvent
    from .models.chat import ChatEvent, ChatResponse  # noqa: F401

__all__ = [
    "SharedLoop",
    "SyncAgentStream",
    "SyncChatStream",
    "SyncClientBase",
    "SyncIterator",
    "SyncResource",
    "SyncTextStream",
]

T = TypeVar("T")
A = TypeVar("A")
E = TypeVar("E")
S = TypeVar("S", bound="EventStream[Any, Any]")


class SyncClientBase:
    """Owns the async client and the shared loop behind a generated sync client.

    The loop starts on first use. After `fork()` the child gets a fresh loop and a fresh async
    client built from the same options, since neither an event loop nor pooled sockets can be
    shared with the parent process.
    """

    def __init__(
        self,
        options: dict[str, Any],
        *,
        parent: SyncClientBase | None = None,
        changes: dict[str, Any] | None = None,
    ) -> None:
        self._options = options
        self._lock = threading.Lock()
        self._loop: SharedLoop | None = None
        self._closed = False
        self._finalizer: weakref.finalize[Any, Any] | None = None
        # A copy made by `with_options` borrows its parent's loop and pool, and derives its async
        # client from the parent's (`_base`) with `changes`.
        self._parent = parent
        self._changes = changes or {}
        self._base: AsyncMemories | None = None
        if parent is None:
            self._async_client = AsyncMemories(**options)
        else:
            self._base = parent._async_client
            self._async_client = self._base.with_options(**self._changes)

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy of every call, as `AsyncMemories.retry`."""
        return self._async_client.retry

    @property
    def timeout(self) -> httpx.Timeout:
        """httpx's per-operation timeouts of every call, as `AsyncMemories.timeout`."""
        return self._async_client.timeout

    @property
    def with_raw_response(self) -> SyncRawResponseClient:
        """The same calls, each returning a `RawResponse`: the parsed result with the answer's
        status, headers and request id (`client.with_raw_response.search.videos(q)`)."""
        from ._raw import SyncRawResponseClient

        return SyncRawResponseClient(self)

    # -- the one road of every sync call ---------------------------------------------------

    def _ensure_loop(self) -> tuple[SharedLoop, AsyncMemories]:
        if self._parent is not None:
            return self._ensure_borrowed(self._parent)
        with self._lock:
            if self._closed:
                raise ClientClosedError("this Memories client is closed")
            loop = self._loop
            if loop is not None and loop.pid != os.getpid():
                if not self._async_client._owns_http:
                    raise MemoriesError(
                        "a Memories client with a caller-supplied http_client cannot be used "
                        "after fork(); create the client in the child process"
                    )
                self._async_client = AsyncMemories(**self._options)
                loop.abandon()
                loop = self._loop = None
            if loop is None or not loop.alive:
                loop = self._loop = SharedLoop()
                if self._finalizer is not None:
                    self._finalizer.detach()
                self._finalizer = weakref.finalize(self, loop.stop, self._async_client.aclose)
            return loop, self._async_client

    def _ensure_borrowed(self, parent: SyncClientBase) -> tuple[SharedLoop, AsyncMemories]:
        loop, base = parent._ensure_loop()
        with self._lock:
            if self._closed:
                raise ClientClosedError("this Memories client is closed")
            if base is not self._base:  # the parent rebuilt its client (after a fork)
                self._base = base
                self._async_client = base.with_options(**self._changes)
            return loop, self._async_client

    def with_options(
        self,
        *,
        unique_id: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | RetryPolicy | None = None,
        max_response_bytes: int | None = UNCHANGED,
        max_event_bytes: int | None = UNCHANGED,
        total_timeout: float | None = UNCHANGED,
        stream_idle_timeout: float | None = UNCHANGED,
        max_rate_wait: float | None = UNCHANGED,
    ) -> Self:
        """A client that shares this one's event loop, connection pool and buckets, with some
        options changed (see `AsyncMemories.with_options`). Closing the copy leaves them open;
        closing this one closes them for the copy too."""
        copy = object.__new__(type(self))  # past the generated __init__ and its arguments
        changes = {
            "unique_id": unique_id,
            "timeout": timeout,
            "max_retries": max_retries,
            "max_response_bytes": max_response_bytes,
            "max_event_bytes": max_event_bytes,
            "total_timeout": total_timeout,
            "stream_idle_timeout": stream_idle_timeout,
            "max_rate_wait": max_rate_wait,
        }
        SyncClientBase.__init__(copy, self._options, parent=self, changes=changes)
        return copy

    def _run(self, call: Callable[[AsyncMemories], Awaitable[T]]) -> T:
        """Run one async call of the async client on the shared loop and return its result."""
        loop, client = self._ensure_loop()
        return loop.call(lambda: call(client))

    def _iterate(self, start: Callable[[AsyncMemories], AsyncIterator[T]]) -> SyncIterator[T]:
        """Drive an async iterator from sync code, one item per blocking step."""
        loop, client = self._ensure_loop()
        return SyncIterator(loop, start(client))

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        """Whether `close()` has run."""
        return self._closed

    def close(self) -> None:
        """Close the connection pool and the event loop. Safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._parent is not None:
                return  # the loop and pool are the parent's
            loop, self._loop = self._loop, None
            if self._finalizer is not None:
                self._finalizer.detach()
        if loop is not None and loop.pid == os.getpid():
            loop.stop(self._async_client.aclose)

    def __enter__(self: T) -> T:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- configuration, read through to the async client -----------------------------------

    @property
    def async_client(self) -> AsyncMemories:
        """The async client behind this one, for code that mixes both."""
        return self._async_client

    @property
    def base_url(self) -> str:
        return self._async_client.base_url

    @property
    def caption_base_url(self) -> str:
        return self._async_client.caption_base_url

    @property
    def unique_id(self) -> str:
        return self._async_client.unique_id

    def __repr__(self) -> str:
        inner = repr(self._async_client).removeprefix("AsyncMemories(")
        return f"{type(self).__name__}({inner}"

    def __getstate__(self) -> Any:
        raise TypeError("Memories cannot be pickled: it holds a live connection pool")


class SyncResource(Generic[A]):
    """Base of the generated resource twins: finds its async twin on the current async client."""

    def __init__(self, client: SyncClientBase, target: Callable[[AsyncMemories], A]) -> None:
        self._client = client
        self._target = target

    def _run(self, call: Callable[[A], Awaitable[T]]) -> T:
        target = self._target
        return self._client._run(lambda c: call(target(c)))

    def _iterate(self, start: Callable[[A], AsyncIterator[T]]) -> SyncIterator[T]:
        target = self._target
        return self._client._iterate(lambda c: start(target(c)))


class SyncIterator(Iterator[T]):
    """A plain iterator over an async iterator that lives on the shared loop.

    Leaving a `with` block or calling `close()` closes the async iterator at once; one dropped
    without closing is closed by the loop when it is garbage-collected.
    """

    def __init__(self, loop: SharedLoop, source: AsyncIterator[T]) -> None:
        self._loop = loop
        self._source = source
        self._done = False

    def __iter__(self) -> SyncIterator[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        try:
            return self._loop.call(self._source.__anext__)
        except StopAsyncIteration:
            self._done = True
            raise StopIteration from None

    def close(self) -> None:
        """Stop iterating and release what the async iterator holds."""
        if self._done:
            return
        self._done = True
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            self._loop.call(aclose)

    def __enter__(self) -> SyncIterator[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _SyncEventStream(Generic[E, S]):
    """The blocking twin of an `EventStream`: a plain iterator of its events and a context
    manager. Leaving the `with` block, `close()`, or dropping the object (a `for` loop left early
    without `with`) closes the HTTP response on the loop, so no connection stays checked out."""

    def __init__(self, loop: SharedLoop, stream: S) -> None:
        self._loop = loop
        self._stream = stream
        self._closed = False

    def close(self) -> None:
        """Close the connection now; events not yet read are dropped."""
        if self._closed:
            return
        self._closed = True
        self._loop.call(self._stream.aclose)

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> E:
        try:
            event: E = self._loop.call(self._stream.__anext__)
        except StopAsyncIteration:
            raise StopIteration from None
        return event

    def __enter__(self) -> Self:
        self._loop.call(self._stream.__aenter__)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self._closed = True
            self._loop.submit(self._stream.aclose)

    def __repr__(self) -> str:
        return f"<Sync{repr(self._stream).removeprefix('<')}"


class SyncChatStream(_SyncEventStream["ChatEvent", "ChatStream"], AnswerView):
    """The blocking twin of `ChatStream`: a plain iterator of typed events and a context manager.

    ```python
    with client.chat.stream(video_nos, "Find the highlights") as stream:
        for event in stream:
            ...
        answer = stream.final()
    ```

    Leaving the `with` block, `close()`, or dropping the object (a `for` loop left early without
    `with`) closes the HTTP response on the loop, so no connection stays checked out. The answer
    so far (`text`, `refs`, `thinkings`, `session_id`, `done`) is the async stream's own state.
    """

    def __init__(self, loop: SharedLoop, stream: ChatStream) -> None:
        super().__init__(loop, stream)
        self._answer = stream._answer

    @property
    def text_stream(self) -> SyncTextStream:
        """Only the text pieces of the answer, as an iterator of `str`."""
        return SyncTextStream(self)

    def final(self) -> ChatResponse:
        """Read the rest of the stream and return the whole answer (as `send()` would)."""
        return self._loop.call(self._stream.final)


class SyncAgentStream(_SyncEventStream["AgentEvent", "AgentStream"]):
    """The blocking twin of `AgentStream`: the search agent's run as a plain iterator.

    ```python
    with client.agents.search("surfing in Bali", platforms=["tiktok"]) as run:
        for event in run:
            print(type(event).__name__)
        found = run.final()
    ```
    """

    @property
    def events(self) -> list[AgentEvent]:
        """The events handed out so far."""
        return self._stream.events

    @property
    def session_id(self) -> str | None:
        """The agent run's id, once `started` named it."""
        return self._stream.session_id

    @property
    def done(self) -> bool:
        """Whether `complete` has been handed out."""
        return self._stream.done

    def final(self) -> AgentComplete:
        """Read the rest of the run and return its `complete` event."""
        return self._loop.call(self._stream.final)


class SyncTextStream(Iterator[str]):
    """The text pieces of a `SyncChatStream`, skipping every other event."""

    def __init__(self, stream: SyncChatStream) -> None:
        self._stream = stream

    def __iter__(self) -> SyncTextStream:
        return self

    def __next__(self) -> str:
        from .models.chat import ContentEvent

        while True:
            event = next(self._stream)
            if isinstance(event, ContentEvent):
                return event.text

    def close(self) -> None:
        """Close the underlying stream."""
        self._stream.close()
