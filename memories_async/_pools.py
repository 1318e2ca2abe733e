"""The connection pools behind one client and the copies `with_options` makes of it.

A pool of httpx belongs to the event loop it first ran on: its sockets and locks live there. When
the SDK owns its pools it keeps one per live loop, so one client made at import time serves every
`asyncio.run`, notebook cell and per-test loop. Each pool is closed as its loop shuts down (an
async generator parked on the loop is finalized by `shutdown_asyncgens`, which `asyncio.run` and
`asyncio.Runner` call before closing the loop), or by the client's `aclose()`. A pool the caller
gave is used as it is, on the loop it first ran on; once that loop is closed it cannot work, and
a call says so instead of failing inside asyncio.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import weakref
from collections.abc import AsyncGenerator, Callable
from typing import Any

import httpcore
import httpx

from ._errors import ClientClosedError, InvalidArgumentError, MemoriesError

__all__ = ["Pools", "cold_probe"]


class Pools:
    """One client's connection pools: one per event loop when `owned`, else the caller's one."""

    def __init__(
        self, http_client: httpx.AsyncClient | None, new_pool: Callable[[], httpx.AsyncClient]
    ) -> None:
        if http_client is not None:
            if not isinstance(http_client, httpx.AsyncClient):
                raise InvalidArgumentError(
                    "http_client",
                    f"must be an httpx.AsyncClient, not {type(http_client).__module__}."
                    f"{type(http_client).__qualname__} (the sync Memories runs the async client "
                    "on a loop of its own, so it takes an AsyncClient too)",
                )
            if http_client.is_closed:
                raise ClientClosedError("http_client: the httpx.AsyncClient given is closed")
        self.owned = http_client is None
        self.closed = False
        """Set by `aclose()`: the client that owns these pools is closed."""
        self._first = http_client  # made on first use when owned: a copy never needs its own
        self._new_pool = new_pool
        self._first_loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )
        self._closers: dict[httpx.AsyncClient, AsyncGenerator[None, None]] = {}
        # The last loop and its pool, held strongly until that pool closes with its loop.
        self._last_loop: asyncio.AbstractEventLoop | None = None
        self._last_pool: httpx.AsyncClient | None = None
        self._lock = threading.RLock()

    @property
    def first(self) -> httpx.AsyncClient:
        """The pool made (or given) with the client, before any loop ran it."""
        first = self._first
        if first is None:
            with self._lock:
                first = self._first
                if first is None:
                    first = self._first = self._new_pool()
        return first

    def current(self) -> httpx.AsyncClient:
        """The pool of the running event loop (made on first use); outside asyncio (trio, or no
        loop at all) the first pool."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return self.first
        if loop is self._last_loop:
            return self._last_pool  # type: ignore[return-value]  # set with the loop
        return self._for_loop(loop)

    def _for_loop(self, loop: asyncio.AbstractEventLoop) -> httpx.AsyncClient:
        with self._lock:
            if not self.owned:
                bound = None if self._first_loop is None else self._first_loop()
                if self._first_loop is not None and (bound is None or bound.is_closed()):
                    raise MemoriesError(
                        "http_client: the httpx.AsyncClient given was first used on an event "
                        "loop that is now closed, and a pool cannot move to another loop. Make "
                        "one per loop, or leave http_client out and the client keeps one per loop"
                    )
                if self._first_loop is None:
                    self._first_loop = weakref.ref(loop)
                pool = self.first
            else:
                found = self._by_loop.get(loop)
                if found is not None and not found.is_closed:
                    pool = found
                elif self._first_loop is None and not self.first.is_closed:
                    pool = self.first
                    self._first_loop = weakref.ref(loop)
                    self._by_loop[loop] = pool
                    self._watch(loop, pool)
                else:
                    pool = self._new_pool()
                    self._by_loop[loop] = pool
                    self._watch(loop, pool)
            self._last_pool = pool
            self._last_loop = loop
            return pool

    def _watch(self, loop: asyncio.AbstractEventLoop, pool: httpx.AsyncClient) -> None:
        """Park an async generator on `loop` whose end closes `pool`: the loop finalizes it as
        it shuts down (or once this object is gone, while the loop still runs)."""
        loop_ref = weakref.ref(loop)

        async def closer() -> AsyncGenerator[None, None]:
            try:
                yield
            finally:
                self._forget(loop_ref, pool)
                await pool.aclose()

        generator = closer()
        step: Any = generator.__anext__()  # registers the generator with the running loop
        with contextlib.suppress(StopIteration):
            step.send(None)  # runs it to its `yield`, synchronously
        self._closers[pool] = generator

    def _forget(
        self, loop_ref: weakref.ref[asyncio.AbstractEventLoop], pool: httpx.AsyncClient
    ) -> None:
        with self._lock:
            loop = loop_ref()
            if loop is not None and self._by_loop.get(loop) is pool:
                del self._by_loop[loop]
            if self._last_pool is pool:
                self._last_loop = self._last_pool = None
            self._closers.pop(pool, None)

    async def aclose(self) -> None:
        """Close every pool this object made: the running loop's here, another running loop's
        on that loop; a pool whose loop is closed was closed as its loop shut down."""
        self.closed = True
        if not self.owned:
            return
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        with self._lock:
            pools = list(self._by_loop.items())
            first = self._first if self._first_loop is None or running is None else None
        if first is not None:
            await first.aclose()
        for loop, pool in pools:
            if pool.is_closed:
                continue
            if loop is running:
                await pool.aclose()
            elif loop.is_running() and not loop.is_closed():
                asyncio.run_coroutine_threadsafe(pool.aclose(), loop)


@functools.lru_cache(maxsize=32)
def _origin(base_url: str) -> httpcore.Origin:
    url = httpx.URL(base_url)
    port = url.port or (443 if url.scheme == "https" else 80)
    return httpcore.Origin(url.raw_scheme, url.raw_host, port)


def cold_probe(http: httpx.AsyncClient, base_url: str) -> Callable[[], bool] | None:
    """A question to ask as a request to `base_url` leaves: will it open a new connection?

    True when `http`'s pool holds no idle, unexpired connection to that origin (httpcore's
    public pool interface answers it). None when the transport is not httpx's own pool (an
    aiohttp or mock transport, a proxy mount), which cannot say.
    """
    if http._mounts:  # proxies: the transport depends on the URL, not worth resolving here
        return None
    pool = getattr(http._transport, "_pool", None)
    if not isinstance(pool, httpcore.AsyncConnectionPool):
        return None
    origin = _origin(base_url)

    def opens_a_connection() -> bool:
        return not any(
            connection.can_handle_request(origin)
            and connection.is_available()
            and not connection.has_expired()
            for connection in pool.connections
        )

    return opens_a_connection
