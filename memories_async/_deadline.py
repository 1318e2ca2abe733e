"""`total_timeout`: one limit on the time a whole call spends with the server.

httpx's timeouts are per read and per write, so a server that trickles a byte of its headers
every few seconds keeps a call alive for ever. The call's deadline covers every attempt, from
sending the request to the answer's last byte (or, for a stream, to its first), and the waits
between retries. It pauses while the call waits for its rate slot (that wait is the caller's own
queue, not the server's doing) and while a request body is being sent (an upload takes as long
as the file is large; each write is still bounded by the write timeout).
"""

from __future__ import annotations

import asyncio
import math
import sys
import threading
import weakref
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import anyio
import httpx

__all__ = ["CallDeadline", "ResumingStream"]

# On asyncio (3.11+, which has `Task.uncancel`) a call's deadline is an entry in its loop's
# `_Sweeper`: a dict insert and delete per call, with one timer per loop checking the entries every
# `TICK` seconds while any is there. A timer handle per call cost 6-8 µs of a 105 µs call on the
# per-call benchmark (the handle, and the cancelled handles the loop's heap then sifts through);
# anyio's cancel scope, used under trio and on 3.10, about 9 µs.
_NATIVE = sys.version_info >= (3, 11)
TICK = 0.05
"""How late past its deadline a call on asyncio may be cancelled, at most."""


class _Sweeper:
    """The armed deadlines of one asyncio loop, and the one timer that checks them. It holds
    its loop weakly: the table of sweepers must not keep a finished loop alive."""

    __slots__ = ("_loop", "_ticking", "armed")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = weakref.ref(loop)
        self.armed: dict[CallDeadline, None] = {}
        self._ticking = False  # not the timer handle itself: it would hold the loop

    def add(self, deadline: CallDeadline, loop: asyncio.AbstractEventLoop) -> None:
        self.armed[deadline] = None
        if not self._ticking:
            self._ticking = True
            loop.call_at(loop.time() + TICK, self._sweep)

    def _sweep(self) -> None:
        loop = self._loop()
        if loop is None:  # pragma: no cover - a loop runs its own callbacks while alive
            return
        now = loop.time()
        for deadline in [d for d in self.armed if d._when <= now]:
            del self.armed[deadline]
            deadline._fire()
        self._ticking = bool(self.armed)
        if self._ticking:
            loop.call_at(now + TICK, self._sweep)


_sweepers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Sweeper] = (
    weakref.WeakKeyDictionary()
)
_last: tuple[weakref.ref[asyncio.AbstractEventLoop], _Sweeper] | None = None
_sweepers_lock = threading.Lock()


def _sweeper(loop: asyncio.AbstractEventLoop) -> _Sweeper:
    global _last
    last = _last
    if last is not None and last[0]() is loop:
        return last[1]
    with _sweepers_lock:
        sweeper = _sweepers.get(loop)
        if sweeper is None:
            sweeper = _sweepers[loop] = _Sweeper(loop)
        _last = (weakref.ref(loop), sweeper)
    return sweeper


class CallDeadline:
    """The whole-call limit, paused at will; `with` it around the whole call.

    With no limit (`seconds=None`) it is inert and costs nothing.
    """

    __slots__ = (
        "__weakref__",
        "_fired",
        "_loop",
        "_paused_by",
        "_remaining",
        "_scope",
        "_sweeper",
        "_task",
        "_timed_out",
        "_when",
        "seconds",
    )

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._sweeper: _Sweeper | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._when = math.inf
        self._fired = False
        self._scope: anyio.CancelScope | None = None
        self._remaining = math.inf
        self._paused_by: object | None = None
        self._timed_out = False

    @property
    def expired(self) -> bool:
        """Whether the deadline ended the call."""
        return self._timed_out

    def pause(self, owner: object) -> None:
        """Stop the clock until `resume(owner)`: the call is waiting on itself, not the server."""
        if self._paused_by is not None:
            return
        if self._loop is not None:
            self._remaining = max(0.0, self._when - self._loop.time())
            self._when = math.inf
        elif self._scope is not None:
            self._remaining = max(0.0, self._scope.deadline - anyio.current_time())
            self._scope.deadline = math.inf
        else:
            return
        self._paused_by = owner

    def resume(self, owner: object) -> None:
        """Start the clock again, if `owner` is the one that paused it (stale calls are no-ops)."""
        if self._paused_by is not owner:
            return
        self._paused_by = None
        if self._loop is not None:
            self._when = self._loop.time() + self._remaining
        elif self._scope is not None:
            self._scope.deadline = anyio.current_time() + self._remaining

    def _fire(self) -> None:
        if self._task is not None and not self._task.done():
            self._fired = True
            self._task.cancel()

    def __enter__(self) -> CallDeadline:
        if self.seconds is None:
            return self
        if _NATIVE:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                pass  # trio
            else:
                self._loop = loop
                self._task = asyncio.current_task(loop)
                self._when = loop.time() + self.seconds
                self._sweeper = sweeper = _sweeper(loop)
                sweeper.add(self, loop)
                return self
        self._scope = anyio.CancelScope(deadline=anyio.current_time() + self.seconds)
        self._scope.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if self._sweeper is not None:
            self._sweeper.armed.pop(self, None)
            # Ours to swallow only if no other cancellation of the task is pending.
            if (
                self._fired
                and self._task is not None
                and self._task.uncancel() == 0  # type: ignore[attr-defined,unused-ignore]
                and exc_type is asyncio.CancelledError
            ):
                self._timed_out = True
                return True
            return False
        if self._scope is not None:
            swallowed = bool(self._scope.__exit__(exc_type, exc, tb))
            self._timed_out = self._scope.cancelled_caught
            return swallowed
        return False


class ResumingStream(httpx.AsyncByteStream):
    """A streaming request body: its chunks, and the call's clock started again once the last
    one was handed over.

    It iterates without an async generator of its own, and `aclose()` closes the source at
    once: httpx never closes a request body it gave up on (a connection cut mid-upload), and a
    generator left to the garbage collector is finalized late on asyncio and with a
    `ResourceWarning` under trio.
    """

    __slots__ = ("_chunks", "_deadline", "_owner")

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self._deadline: CallDeadline | None = None
        self._owner: object = None

    def pause_clock(self, deadline: CallDeadline, owner: object) -> None:
        """Stop `deadline` while the body is sent; it starts again after the last chunk."""
        self._deadline, self._owner = deadline, owner
        deadline.pause(owner)

    def __aiter__(self) -> ResumingStream:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self._chunks.__anext__()
        except StopAsyncIteration:
            if self._deadline is not None:
                self._deadline.resume(self._owner)
            raise

    async def aclose(self) -> None:
        close = getattr(self._chunks, "aclose", None)
        if close is not None:
            with anyio.CancelScope(shield=True):
                await close()
