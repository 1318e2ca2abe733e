"""`total_timeout`: one limit on the time a whole call spends with the server.

httpx's timeouts are per read and per write, so a server that trickles a byte of its headers
every few seconds keeps a call alive for ever. The call's deadline covers every attempt, from
sending the request to the answer's last byte (or, for a stream, to its first), and the waits
between retries. It pauses while the call waits for its rate slot (that wait is the caller's own
queue, not the server's doing) and while a request body is being sent (an upload takes as long
as the file is large; each write is still bounded by the write timeout).
"""

from __future__ import annotations

import math
from types import TracebackType

import anyio

__all__ = ["CallDeadline"]


class CallDeadline:
    """A cancel scope whose deadline can be paused; `with` it around the whole call."""

    __slots__ = ("_paused_by", "_remaining", "_scope", "seconds")

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._scope = anyio.CancelScope()
        self._remaining = math.inf if seconds is None else seconds
        self._paused_by: object | None = None

    @property
    def expired(self) -> bool:
        """Whether the deadline cancelled the call."""
        return self._scope.cancelled_caught

    def pause(self, owner: object) -> None:
        """Stop the clock until `resume(owner)`: the call is waiting on itself, not the server."""
        if self.seconds is None or self._paused_by is not None:
            return
        self._remaining = max(0.0, self._scope.deadline - anyio.current_time())
        self._scope.deadline = math.inf
        self._paused_by = owner

    def resume(self, owner: object) -> None:
        """Start the clock again, if `owner` is the one that paused it (stale calls are no-ops)."""
        if self._paused_by is owner:
            self._paused_by = None
            self._scope.deadline = anyio.current_time() + self._remaining

    def __enter__(self) -> CallDeadline:
        if self.seconds is not None:
            self._scope.deadline = anyio.current_time() + self.seconds
        self._scope.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        return bool(self._scope.__exit__(exc_type, exc, tb))
