"""The machinery under `RedisRateLimiter`: one Redis client per event loop (closed with its
loop), running the reservation script; whether Redis is up, and when to probe it again; and how
much longer than the network's own delay a round trip took."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    import redis.asyncio as aioredis

__all__ = ["Connections", "Health", "LoopClient", "RedisClock", "Unavailable", "redis_errors"]

logger = logging.getLogger("memories_async")


class RedisClock:
    """Redis's `TIME` mapped onto this process's monotonic clock, so that a slot Redis reserved
    is known here as the instant it is, however late our event loop read the reply.

    Redis ran the script after we wrote it, so `sent - redis time` is never more than the
    offset between the clocks, short of it by the request's way there; the largest of the
    recent ones (the quickest way there) is the estimate. A reply that sat in the socket while
    our loop was busy does not move it, so its caller, waking at the slot so mapped, measures
    all of its own lateness. Samples older than `HORIZON` seconds drop out, as the two clocks
    drift apart slowly; one below the estimate by more than `STEP` means Redis's clock was
    stepped forward (by NTP, say) and restarts it.
    """

    HORIZON = 10.0
    STEP = 0.5

    def __init__(self) -> None:
        self._samples: deque[tuple[float, float]] = deque()  # (sent, offset), offsets falling

    def slot(self, redis_now_us: int, wait_us: int, sent: float) -> float:
        """The local instant `wait_us` after Redis's `redis_now_us`, learning from a request
        written at `sent`."""
        offset = sent - redis_now_us / 1e6
        samples = self._samples
        if samples and offset < samples[0][1] - self.STEP:
            samples.clear()
        while samples and samples[-1][1] <= offset:
            samples.pop()
        samples.append((sent, offset))
        while samples[0][0] < sent - self.HORIZON:
            samples.popleft()
        return (redis_now_us + wait_us) / 1e6 + samples[0][1]


def redis_errors() -> tuple[type[Exception], ...]:
    """What a Redis call raises when Redis is away or broken (the package is loaded by then)."""
    import redis.exceptions

    return (redis.exceptions.RedisError,)


class Unavailable(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class Health:
    """Whether to ask Redis now. Up: always. Down: one caller at a time probes it, after a
    capped, doubling backoff; the others use the local buckets meanwhile."""

    FIRST_BACKOFF = 1.0
    MAX_BACKOFF = 30.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._backoff = self.FIRST_BACKOFF

    def should_try(self) -> bool | None:
        """True: Redis is up; None: it is down, and this caller probes it; False: it is down."""
        if self._down_since is None:  # the common case, without the lock
            return True
        with self._lock:
            if self._down_since is None:
                return True
            now = time.monotonic()
            if now < self._retry_at:
                return False
            self._retry_at = now + self._backoff  # others wait while this one probes
            return None

    def failed(self, reason: str, url: str, *, probe: bool) -> None:
        """A call failed. Only the first failure of an outage, or a failed probe, moves the
        backoff: calls that were already on their way when Redis went away do not."""
        with self._lock:
            now = time.monotonic()
            first = self._down_since is None
            if first:
                self._down_since = now
                self._backoff = self.FIRST_BACKOFF
            elif probe:
                self._backoff = min(self._backoff * 2, self.MAX_BACKOFF)
            else:
                return
            self._retry_at = now + self._backoff
        if first:
            logger.warning(
                "memories: the shared rate limiter at %s is unavailable (%s); using this "
                "process's own buckets until it answers again",
                url.split("@")[-1],
                reason,
            )

    def succeeded(self, url: str) -> None:
        if self._down_since is None:  # the common case, without the lock
            return
        with self._lock:
            if self._down_since is None:
                return
            down = time.monotonic() - self._down_since
            self._down_since = None
            self._backoff = self.FIRST_BACKOFF
        logger.info(
            "memories: the shared rate limiter at %s answers again after %.1fs; shared buckets"
            " resume",
            url.split("@")[-1],
            down,
        )


class Connections:
    """One Redis client per live asyncio event loop (a connection belongs to the loop that
    opened it), closed when its loop shuts down or on `aclose_current()`.

    The closing rides on `loop.shutdown_asyncgens()`, which `asyncio.run`, pytest-asyncio, uvicorn
    and the sync client's loop all call: a tiny async generator is started per loop and its
    `finally` closes that loop's client.
    """

    def __init__(self, url: str, timeout: float, max_connections: int, script: str) -> None:
        self._url = url
        self._timeout = timeout
        self._max_connections = max_connections
        self._script = script
        self._lock = threading.Lock()
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopClient] = (
            weakref.WeakKeyDictionary()
        )

    async def current(self) -> LoopClient:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise Unavailable("no asyncio event loop (trio?): Redis needs asyncio") from None
        with self._lock:
            entry = self._by_loop.get(loop)
            new = entry is None
            if entry is None:
                entry = self._by_loop[loop] = LoopClient.open(
                    self._url, self._timeout, self._max_connections, self._script
                )
        if new:
            opened = entry
            await opened.watch_loop_end(lambda: self._forget(loop, opened))
        return entry

    def _forget(self, loop: asyncio.AbstractEventLoop, entry: LoopClient) -> None:
        with self._lock:
            if self._by_loop.get(loop) is entry:
                del self._by_loop[loop]

    async def aclose_current(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        with self._lock:
            entry = self._by_loop.pop(loop, None)
        if entry is not None:
            await entry.aclose()


class LoopClient:
    """One event loop's Redis client, and the one script it runs."""

    def __init__(self, client: aioredis.Redis, script: str) -> None:
        self.client = client
        self.script = script
        self.script_sha = hashlib.sha1(script.encode()).hexdigest()
        self._sentinel: AsyncIterator[None] | None = None
        self._closed = False

    @classmethod
    def open(cls, url: str, timeout: float, max_connections: int, script: str) -> LoopClient:
        try:
            import redis.asyncio as aioredis
        except ImportError:
            raise Unavailable(
                "the redis package is missing: pip install 'memories-async[redis]'"
            ) from None
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=timeout,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
        client = aioredis.Redis.from_pool(pool)  # the client owns the pool and closes it
        return cls(client, script)

    async def reserve(
        self, key: str, args: Sequence[int], last_arg: Callable[[], int]
    ) -> tuple[int, int, float]:
        """Run the script by its digest on a connection of the pool (loading the script on
        NOSCRIPT: after a restart or a flush): the wait it answered and Redis's time, both in
        µs, and when (on our monotonic clock) the request that got them was written.

        `last_arg()`, the script's last argument, is asked once a connection is in hand, right
        before the request is written: callers decide in the order Redis will see them, however
        long each waited for its connection."""
        from redis.exceptions import NoScriptError

        pool = self.client.connection_pool
        connection = await pool.get_connection()  # type: ignore[no-untyped-call,unused-ignore]
        try:
            args = (*args, last_arg())
            sent = time.monotonic()
            try:
                await connection.send_command("EVALSHA", self.script_sha, 1, key, *args)
                answer = await connection.read_response()
            except NoScriptError:
                await connection.send_command("SCRIPT", "LOAD", self.script)
                await connection.read_response()
                sent = time.monotonic()
                await connection.send_command("EVALSHA", self.script_sha, 1, key, *args)
                answer = await connection.read_response()
        except BaseException:
            await connection.disconnect()  # a half-read reply must not be left for the next user
            raise
        finally:
            await pool.release(connection)
        wait, now = answer
        return int(wait), int(now), sent

    async def watch_loop_end(self, forget: Any) -> None:
        async def sentinel() -> AsyncIterator[None]:
            try:
                yield
            finally:
                forget()
                await self.aclose()

        self._sentinel = sentinel()
        await self._sentinel.__anext__()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        with anyio.CancelScope(shield=True):
            await self.client.aclose()
