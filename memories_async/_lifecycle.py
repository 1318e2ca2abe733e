"""What the side clients (`AsyncPersonalAI`, `AsyncLegacyChat`) share: one host behind one
pipeline and connection pool, closed once by `aclose()` or by leaving `async with` (unless the
caller supplied the pool)."""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

import httpx

from ._client import open_pool, transport_settings
from ._errors import MemoriesError
from ._limits import NoRateLimiter
from ._pipeline import HostConfig, Pipeline
from ._retry import RetryPolicy

__all__ = ["PoolOwner"]

P = TypeVar("P", bound="PoolOwner")


class PoolOwner:
    """Mixin: one host behind one pipeline (`_open`, called by `__init__`), and `is_closed`,
    `aclose()` and `async with` over its connection pool."""

    timeout: httpx.Timeout
    retry: RetryPolicy
    _http: httpx.AsyncClient
    _owns_http: bool
    _closed: bool
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
        self._http, self._owns_http = open_pool(http_client, self.timeout)
        self._closed = False
        self._pipeline = Pipeline(
            http=self._http,
            hosts={host: HostConfig(base_url, auth_headers, NoRateLimiter())},
            retry=self.retry,
            timeout=self.timeout,
        )

    @property
    def is_closed(self) -> bool:
        """Whether `aclose()` has run."""
        return self._closed

    async def aclose(self) -> None:
        """Close the connection pool (unless it was supplied by the caller). Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self: P) -> P:
        if self._closed:
            raise MemoriesError(f"this {type(self).__name__} client is closed; create a new one")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
