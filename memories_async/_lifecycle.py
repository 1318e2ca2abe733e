"""A client's connection pool and its lifetime: making the pool (or taking the caller's), the
`is_closed`/`aclose()`/`async with` every client shares, and the side clients' one-host base
(`AsyncPersonalAI`, `AsyncLegacyChat`). The pool is closed once, and only if the client made it.
"""

from __future__ import annotations

import functools
import platform
import ssl
from types import TracebackType
from typing import TYPE_CHECKING

import httpx

from ._errors import ClientClosedError
from ._limits import NoRateLimiter
from ._pipeline import HostConfig, Pipeline
from ._pools import Pools
from ._retry import RetryPolicy
from ._version import __version__

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["PoolLifecycle", "PoolOwner", "open_pools", "transport_settings", "user_agent"]


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Building a context costs tens of milliseconds; clients made per request share one.
    return httpx.create_ssl_context()


def user_agent() -> str:
    """What the SDK tells the server about itself (no secrets, no host details)."""
    return (
        f"memories-async/{__version__} python/{platform.python_version()} httpx/{httpx.__version__}"
    )


def transport_settings(
    timeout: float | httpx.Timeout, max_retries: int | RetryPolicy | None
) -> tuple[httpx.Timeout, RetryPolicy]:
    """A client's `timeout` and `max_retries` arguments as the pipeline takes them."""
    return (
        timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
        max_retries
        if isinstance(max_retries, RetryPolicy)
        else RetryPolicy.from_max_retries(max_retries),
    )


def open_pools(http_client: httpx.AsyncClient | None, timeout: httpx.Timeout) -> Pools:
    """The caller's httpx client, or pools of the SDK's own (one per event loop, `_pools`)."""

    def new_pool() -> httpx.AsyncClient:
        return httpx.AsyncClient(
            verify=_ssl_context(),
            timeout=timeout,
            headers={"User-Agent": user_agent()},
            follow_redirects=False,
        )

    return Pools(http_client, new_pool)


class PoolLifecycle:
    """Mixin of every client: `is_closed`, `aclose()` and `async with` over its connection pool,
    which is closed once, and only if the client made it (not when the caller supplied it), or
    if it is a `DefaultAioHttpClient`, which is closed with the client it was given to (as
    openai-python closes its own), since it belongs to that client's event loop anyway."""

    _pools: Pools
    _owns_http: bool
    _pipeline: Pipeline
    _closed: bool = False
    _closes_caller_http: bool = False  # a DefaultAioHttpClient given: closed with this client

    @property
    def is_closed(self) -> bool:
        """Whether `aclose()` has run."""
        return self._closed

    async def aclose(self) -> None:
        """Close the connection pool (unless it was supplied by the caller). Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._pipeline.closed = True
        if self._owns_http:
            await self._pools.aclose()
        elif self._closes_caller_http:
            await self._pools.first.aclose()

    async def __aenter__(self) -> Self:
        if self._closed:
            raise ClientClosedError(
                f"this {type(self).__name__} client is closed; create a new one"
            )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class PoolOwner(PoolLifecycle):
    """Mixin: one host behind one pipeline (`_open`, called by `__init__`), with the pool's
    lifecycle of every client (`PoolLifecycle`)."""

    timeout: httpx.Timeout
    retry: RetryPolicy
    _pipeline: Pipeline

    def _open(
        self,
        host: str,
        base_url: str,
        auth_headers: dict[str, str],
        *,
        timeout: float | httpx.Timeout,
        max_retries: int | RetryPolicy | None,
        http_client: httpx.AsyncClient | None,
    ) -> None:
        """Set up the pool and the pipeline to `base_url`; these hosts publish no rate limits."""
        self.timeout, self.retry = transport_settings(timeout, max_retries)
        self._pools = open_pools(http_client, self.timeout)
        self._owns_http = self._pools.owned
        self._closed = False
        self._pipeline = Pipeline(
            pools=self._pools,
            hosts={host: HostConfig(base_url, auth_headers, NoRateLimiter())},
            retry=self.retry,
            timeout=self.timeout,
        )
