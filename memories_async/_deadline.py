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
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import anyio
import httpx

__all__ = ["CallDeadline", "ResumingStream"]

# On asyncio (3.11+, which has `Task.uncancel`) the deadline is one timer handle that cancels the
# task, about 2 µs a call; anyio's cancel scope with a deadline, used under trio and on 3.10,
# costs about 9 µs (measured on the per-call benchmark's loop, where a call costs about 110).
_NATIVE = sys.version_info >= (3, 11)


class CallDeadline:
    """The whole-call limit, paused at will; `with` it around the whole call.

    With no limit (`seconds=None`) it is inert and costs nothing: no timer is armed.
    """

    __slots__ = (
        "_fired",
        "_handle",
        "_loop",
        "_paused_by",
        "_remaining",
        "_scope",
        "_task",
        "_timed_out",
        "seconds",
    )

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._handle: asyncio.TimerHandle | None = None
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
        if self._handle is not None and self._loop is not None:
            self._remaining = max(0.0, self._handle.when() - self._loop.time())
            self._handle.cancel()
            self._handle = None
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
            self._handle = self._loop.call_at(self._loop.time() + self._remaining, self._fire)
        elif self._scope is not None:
            self._scope.deadline = anyio.current_time() + self._remaining

    def _fire(self) -> None:
        self._handle = None
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
                self._handle = loop.call_at(loop.time() + self.seconds, self._fire)
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
        if self._loop is not None:
            if self._handle is not None:
                self._handle.cancel()
                self._handle = None
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
    """A request body that starts the call's clock again once its last byte was handed over."""

    def __init__(
        self, stream: httpx.AsyncByteStream, deadline: CallDeadline, owner: object
    ) -> None:
        self._stream = stream
        self._deadline = deadline
        self._owner = owner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk
        self._deadline.resume(self._owner)

    async def aclose(self) -> None:
        await self._stream.aclose()
