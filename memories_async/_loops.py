"""Running work on the event loop that owns it, from any thread.

`SharedLoop` is the one asyncio loop of a sync client, run by the threads that call it (the
blocking calls of `Memories`). `current_owner` and `run_soon_on` let an object remember the loop
(asyncio) or run (trio) it was opened on and have work started there later, from any thread: a
stream dropped half-read is closed that way, by its finalizer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import anyio

from ._errors import ClientClosedError, MemoriesError

__all__ = ["SharedLoop", "current_owner", "load_async_backend", "run_soon_on"]

T = TypeVar("T")

_SHUTDOWN_TIMEOUT = 5.0
# Tasks started by `SharedLoop._schedule` and `run_soon_on`: held here so the event loop, which
# keeps only weak references to tasks, cannot lose one before it ran.
_BACKGROUND: set[asyncio.Task[Any]] = set()
_OWN_LOOP_MESSAGE = (
    "a sync Memories client was called from inside its own event loop (from a callback of one "
    "of its calls, say); in async code use AsyncMemories and await its methods"
)


class _Call:
    """One blocking call: its task on the loop, the thread waiting for it, and whether it ended."""

    __slots__ = ("done", "task", "thread")

    def __init__(self) -> None:
        self.thread = threading.get_ident()
        self.task: asyncio.Task[Any] | None = None
        self.done = False


class SharedLoop:
    """One asyncio event loop for a sync client, run by the threads that call it.

    A calling thread runs the loop itself until its own call is done, so a call from one thread
    costs no thread hand-off at all. Calls made meanwhile from other threads join the running
    loop as tasks and run concurrently; when the running thread's call is done it hands the loop
    on, and a thread whose call is still going runs it next. One loop and one connection pool
    serve every thread, as the account's rate buckets do. A thread whose own event loop is
    running (a Jupyter cell, a sync call inside async code) cannot run this one, so its call
    goes through a short-lived helper thread.
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._loop = asyncio.new_event_loop()
        self._turn = threading.Condition(threading.Lock())
        self._runner: int | None = None  # the thread running the loop now, if any
        self._closed = False

    @property
    def alive(self) -> bool:
        return not self._closed

    def call(self, func: Callable[[], Awaitable[T]]) -> T:
        """Run `func()` on the loop and block until it finishes."""
        running = _running_loop()
        if running is self._loop:
            raise MemoriesError(_OWN_LOOP_MESSAGE)
        if running is not None:
            return _in_helper_thread(lambda: self.call(func))
        call = _Call()
        loop = self._loop

        def start() -> None:
            call.task = task = loop.create_task(_await(func))
            task.add_done_callback(lambda _: self._finished(call))

        with self._turn:
            if self._closed:
                raise ClientClosedError("this Memories client is closed")
            leading = self._runner is None
            if leading:
                # The loop is idle and now ours to run: no need to wake it through its pipe.
                self._runner = call.thread
                loop.call_soon(start)
            else:
                loop.call_soon_threadsafe(start)
        try:
            self._wait_or_run(call, leading)
        except BaseException:
            # Interrupted (Ctrl-C): cancel the call; whoever runs the loop next finishes it.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(lambda: call.task.cancel() if call.task else None)
            raise
        assert call.task is not None
        if call.task.cancelled():
            raise MemoriesError("the call was cancelled: its Memories client was closed")
        return call.task.result()  # type: ignore[no-any-return]

    def _wait_or_run(self, call: _Call, leading: bool) -> None:
        while True:
            if not leading:
                with self._turn:
                    while not call.done and self._runner is not None:
                        self._turn.wait()
                    if call.done:
                        return
                    self._runner = call.thread
            leading = False
            try:
                self._loop.run_forever()  # until `_finished` stops it for this call
            finally:
                with self._turn:
                    self._runner = None
                    self._turn.notify_all()

    def _finished(self, call: _Call) -> None:
        # On the loop, in the thread running it.
        with self._turn:
            call.done = True
            self._turn.notify_all()
        if call.thread == threading.get_ident():
            self._loop.stop()

    def submit(self, func: Callable[[], Awaitable[object]]) -> None:
        """Run `func()` on the loop without waiting for it: for clean-ups run from `__del__`,
        which may fire on any thread, inside the loop too. A helper thread takes its turn like
        any caller, so the clean-up happens now even when no other call is running the loop."""
        if self._closed:
            return

        def run() -> None:
            with contextlib.suppress(Exception):  # a clean-up has nobody to report to
                self.call(func)

        with contextlib.suppress(RuntimeError):  # no new threads at interpreter shutdown
            threading.Thread(target=run, name="memories-sync-cleanup", daemon=True).start()

    def _schedule(self, func: Callable[[], Awaitable[object]]) -> None:
        """Start `func()` as a task of the running loop, from inside it."""
        task = self._loop.create_task(_await(func))
        _BACKGROUND.add(task)
        task.add_done_callback(_BACKGROUND.discard)

    def stop(self, before: Callable[[], Awaitable[None]] | None = None) -> None:
        """Run `before` on the loop (typically closing the pool), cancel what is left, close."""
        loop = self._loop
        running = _running_loop()
        if running is not None and running is not loop:
            _in_helper_thread(lambda: self.stop(before))  # this thread cannot run a second loop
            return
        if running is loop:
            # Reached from a finalizer inside the loop: it cannot be closed from in here.
            with self._turn:
                self._closed = True
            if before is not None:
                self._schedule(before)
            return
        with self._turn:
            if self._closed:
                return
            self._closed = True
            # A call still running elsewhere gets a moment to finish before the rest is cancelled.
            self._turn.wait_for(lambda: self._runner is None, timeout=_SHUTDOWN_TIMEOUT)
            if self._runner is not None:
                return  # stuck in another thread: the loop stays with it
            self._runner = threading.get_ident()
        try:
            _close_loop(loop, before)
        finally:
            with self._turn:
                self._runner = None
                self._turn.notify_all()

    def abandon(self) -> None:
        """After fork(): let go of this process's copy of the parent's loop without running it."""
        self._closed = True
        with contextlib.suppress(Exception):
            self._loop.close()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _in_helper_thread(work: Callable[[], T]) -> T:
    """Run blocking `work` in a new thread, which has no event loop of its own, and wait."""
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as exc:
            outcome.append((False, exc))

    thread = threading.Thread(target=run, name="memories-sync-call", daemon=True)
    thread.start()
    thread.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def _close_loop(
    loop: asyncio.AbstractEventLoop, before: Callable[[], Awaitable[None]] | None
) -> None:
    async def close_down() -> None:
        try:
            if before is not None:
                await before()
        finally:
            current = asyncio.current_task()
            rest = [task for task in asyncio.all_tasks() if task is not current]
            for task in rest:
                task.cancel()
            if rest:
                await asyncio.wait(rest, timeout=_SHUTDOWN_TIMEOUT)
            await loop.shutdown_asyncgens()

    try:
        loop.run_until_complete(close_down())
    finally:
        loop.close()


async def _await(func: Callable[[], Awaitable[T]]) -> T:
    return await func()


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


def current_owner() -> tuple[str, Any] | None:
    """The running event loop (asyncio) or run token (trio): where `run_soon_on` can reach."""
    library = _current_library()
    if library == "asyncio":
        return "asyncio", asyncio.get_running_loop()
    if library == "trio":
        trio: Any = sys.modules["trio"]
        return "trio", trio.lowlevel.current_trio_token()
    return None


def run_soon_on(
    owner: tuple[str, Any], work: Callable[..., Coroutine[Any, Any, None]], *args: Any
) -> None:
    """Start `work(*args)` on the loop `owner` names, from any thread (a finalizer, say).

    The coroutine is only created on that loop itself, so a loop that is gone leaves no
    never-awaited coroutine behind; a loop that is closed or finished is left alone.
    """
    kind, handle = owner
    if kind == "asyncio":
        loop: asyncio.AbstractEventLoop = handle
        if loop.is_closed():
            return

        def spawn() -> None:
            task = loop.create_task(work(*args))
            _BACKGROUND.add(task)
            task.add_done_callback(_BACKGROUND.discard)

        if _running_loop() is loop:
            spawn()
        else:
            loop.call_soon_threadsafe(spawn)
    elif kind == "trio":
        trio: Any = sys.modules["trio"]

        def spawn_trio() -> None:
            trio.lowlevel.spawn_system_task(work, *args)

        with contextlib.suppress(trio.RunFinishedError):
            handle.run_sync_soon(spawn_trio)


_backend_loaded = False


def load_async_backend() -> None:
    """Import anyio's backend for the running event loop now (the pipeline calls this before a
    request's rate slot). httpcore imports it on its first request, between the slot and the
    bytes leaving: 20 ms on an idle machine, 60-90 ms on a busy one, so a process's first
    request left that late and shared a window with the requests reserved after it."""
    global _backend_loaded
    if not _backend_loaded:
        anyio.Event()  # picks (and so imports) the backend of the running loop
        _backend_loaded = True
