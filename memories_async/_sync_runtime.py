"""What the generated sync shim stands on: one event loop in a daemon thread, reached through an
anyio blocking portal, and the sync twins of async iterators and streams.

The generated `_sync.py` only describes methods; every blocking call goes through `SyncClientBase`
here, which knows about threads, forks and shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio
from anyio.from_thread import BlockingPortal

from ._client import AsyncMemories
from ._errors import MemoriesError

if TYPE_CHECKING:
    import httpx
    from typing_extensions import Self

    from ._retry import RetryPolicy
    from ._stream import ChatStream
    from .models.chat import ChatEvent, ChatRef, ChatResponse, Thinking

__all__ = [
    "LoopThread",
    "SyncChatStream",
    "SyncClientBase",
    "SyncIterator",
    "SyncResource",
    "SyncTextStream",
]

T = TypeVar("T")
A = TypeVar("A")

_SHUTDOWN_TIMEOUT = 5.0
# Clean-up tasks started by `LoopThread.submit`, held so they are not garbage-collected mid-run.
_BACKGROUND: set[asyncio.Task[Any]] = set()


class LoopThread:
    """An event loop running in a daemon thread, so a client never closed cannot block exit."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._portal: BlockingPortal | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._failure: BaseException | None = None
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._main, args=(ready,), name="memories-sync-loop", daemon=True
        )
        self._thread.start()
        ready.wait()
        if self._failure is not None:
            raise MemoriesError("the sync client's event loop failed to start") from self._failure

    def _main(self, ready: threading.Event) -> None:
        async def serve() -> None:
            async with BlockingPortal() as portal:
                self._portal = portal
                self._loop = asyncio.get_running_loop()
                ready.set()
                await portal.sleep_until_stopped()

        try:
            anyio.run(serve)
        except BaseException as exc:  # pragma: no cover - reported to the starting thread
            self._failure = exc
        finally:
            ready.set()

    @property
    def in_loop_thread(self) -> bool:
        """Whether the caller runs on this loop's own thread (where blocking would deadlock)."""
        return threading.get_ident() == self._thread.ident

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and self._portal is not None

    def call(self, func: Callable[[], Awaitable[T]]) -> T:
        """Run `func()` on the loop and block until it finishes."""
        if self.in_loop_thread:
            raise MemoriesError(
                "a sync Memories client was called from inside its own event loop; "
                "in async code use AsyncMemories and await its methods"
            )
        loop = self._loop
        assert loop is not None
        # Straight onto the asyncio loop with a bare lock as the wake-up, rather than through
        # `BlockingPortal.call` or `run_coroutine_threadsafe`: the same hand-off with less
        # bookkeeping (measured here: 188 and 139 us against about 80 us for a no-op call).
        # The portal still owns the loop's lifetime.
        done = threading.Lock()
        done.acquire()
        tasks: list[asyncio.Task[T]] = []

        def start() -> None:
            task = loop.create_task(_await(func))
            task.add_done_callback(lambda _: done.release())
            tasks.append(task)

        loop.call_soon_threadsafe(start)
        try:
            done.acquire()
        except BaseException:
            # Interrupted while waiting (Ctrl-C): cancel the call on the loop and wait for it.
            loop.call_soon_threadsafe(lambda: tasks[0].cancel() if tasks else None)
            done.acquire(timeout=_SHUTDOWN_TIMEOUT)
            raise
        return tasks[0].result()

    def submit(self, func: Callable[[], Awaitable[object]]) -> None:
        """Start `func()` on the loop without waiting for it: for clean-ups run from `__del__`,
        which may fire on any thread, the loop's own included. Does nothing once the loop is gone.
        """
        loop = self._loop
        if loop is None or not self.alive or loop.is_closed():
            return

        def start() -> None:
            task = loop.create_task(_await(func))
            _BACKGROUND.add(task)
            task.add_done_callback(_BACKGROUND.discard)

        with contextlib.suppress(RuntimeError):  # the loop closed in between
            loop.call_soon_threadsafe(start)

    def stop(self, before: Callable[[], Awaitable[None]] | None = None) -> None:
        """Run `before` on the loop (typically closing the pool), then end the loop and thread."""
        portal = self._portal
        if portal is None or not self._thread.is_alive():
            return
        if self.in_loop_thread:
            # Reached from a finalizer on the loop's own thread: ask, but do not wait for ourselves.
            portal.start_task_soon(_stop_after, portal, before)
            return
        try:
            future = portal.start_task_soon(_stop_after, portal, before)
            future.result(timeout=_SHUTDOWN_TIMEOUT)
        except (FutureTimeout, RuntimeError):
            pass
        self._thread.join(timeout=_SHUTDOWN_TIMEOUT)


async def _stop_after(portal: BlockingPortal, before: Callable[[], Awaitable[None]] | None) -> None:
    try:
        if before is not None:
            await before()
    finally:
        await portal.stop(cancel_remaining=True)


async def _await(func: Callable[[], Awaitable[T]]) -> T:
    return await func()


class SyncClientBase:
    """Owns the async client and the loop thread behind a generated sync client.

    The loop starts on first use. After `fork()` the child gets a fresh loop and a fresh async
    client built from the same options, since neither threads nor pooled sockets survive a fork.
    """

    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        self._async_client = AsyncMemories(**options)
        self._lock = threading.Lock()
        self._loop: LoopThread | None = None
        self._closed = False
        self._finalizer: weakref.finalize[Any, Any] | None = None
        # Set on copies made by `with_options`: they borrow the parent's loop and pool.
        self._parent: SyncClientBase | None = None
        self._changes: dict[str, Any] = {}
        self._base: AsyncMemories | None = None

    # -- the one road of every sync call ---------------------------------------------------

    def _ensure_loop(self) -> tuple[LoopThread, AsyncMemories]:
        if self._parent is not None:
            return self._ensure_borrowed(self._parent)
        with self._lock:
            if self._closed:
                raise MemoriesError("this Memories client is closed")
            loop = self._loop
            if loop is not None and loop.pid != os.getpid():
                if not self._async_client._owns_http:
                    raise MemoriesError(
                        "a Memories client with a caller-supplied http_client cannot be used "
                        "after fork(); create the client in the child process"
                    )
                self._async_client = AsyncMemories(**self._options)
                loop = self._loop = None
            if loop is None or not loop.alive:
                loop = self._loop = LoopThread()
                if self._finalizer is not None:
                    self._finalizer.detach()
                self._finalizer = weakref.finalize(self, loop.stop, self._async_client.aclose)
            return loop, self._async_client

    def _ensure_borrowed(self, parent: SyncClientBase) -> tuple[LoopThread, AsyncMemories]:
        loop, base = parent._ensure_loop()
        with self._lock:
            if self._closed:
                raise MemoriesError("this Memories client is closed")
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
    ) -> Self:
        """A client that shares this one's loop thread, connection pool and buckets, with some
        options changed (see `AsyncMemories.with_options`). Closing the copy leaves them open;
        closing this one closes them for the copy too."""
        copy = object.__new__(type(self))
        SyncClientBase._init_copy(
            copy, self, {"unique_id": unique_id, "timeout": timeout, "max_retries": max_retries}
        )
        return copy

    def _init_copy(self, parent: SyncClientBase, changes: dict[str, Any]) -> None:
        self._options = parent._options
        self._lock = threading.Lock()
        self._loop = None
        self._closed = False
        self._finalizer = None
        self._parent = parent
        self._changes = changes
        self._base = parent._async_client
        self._async_client = self._base.with_options(**changes)

    def _run(self, call: Callable[[AsyncMemories], Awaitable[T]]) -> T:
        """Run one async call of the async client on the loop thread and return its result."""
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
        """Close the connection pool and stop the loop thread. Safe to call twice."""
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
    """A plain iterator over an async iterator that lives on the loop thread.

    Leaving a `with` block or calling `close()` closes the async iterator at once; one dropped
    without closing is closed by the loop when it is garbage-collected.
    """

    def __init__(self, loop: LoopThread, source: AsyncIterator[T]) -> None:
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


class SyncChatStream(Iterator["ChatEvent"]):
    """The blocking twin of `ChatStream`: a plain iterator of typed events and a context manager.

    ```python
    with client.chat.stream(video_nos, "Find the highlights") as stream:
        for event in stream:
            ...
        answer = stream.final()
    ```

    Leaving the `with` block, `close()`, or dropping the object (a `for` loop left early without
    `with`) closes the HTTP response on the loop thread, so no connection stays checked out.
    """

    def __init__(self, loop: LoopThread, stream: ChatStream) -> None:
        self._loop = loop
        self._stream = stream
        self._closed = False

    @property
    def session_id(self) -> str | None:
        """The session this answer belongs to, once an event has named it."""
        return self._stream.session_id

    @property
    def text(self) -> str:
        """The answer's text handed out so far."""
        return self._stream.text

    @property
    def refs(self) -> list[ChatRef]:
        """The references handed out so far."""
        return self._stream.refs

    @property
    def thinkings(self) -> list[Thinking]:
        """The reasoning steps handed out so far."""
        return self._stream.thinkings

    @property
    def done(self) -> bool:
        """Whether the end marker has been handed out: the answer is complete."""
        return self._stream.done

    @property
    def text_stream(self) -> SyncTextStream:
        """Only the text pieces of the answer, as an iterator of `str`."""
        return SyncTextStream(self)

    def final(self) -> ChatResponse:
        """Read the rest of the stream and return the whole answer (as `send()` would)."""
        return self._loop.call(self._stream.final)

    def close(self) -> None:
        """Close the connection now; events not yet read are dropped."""
        if self._closed:
            return
        self._closed = True
        self._loop.call(self._stream.aclose)

    def __iter__(self) -> SyncChatStream:
        return self

    def __next__(self) -> ChatEvent:
        try:
            return self._loop.call(self._stream.__anext__)
        except StopAsyncIteration:
            raise StopIteration from None

    def __enter__(self) -> SyncChatStream:
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
