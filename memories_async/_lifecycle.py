"""What the side clients (`AsyncPersonalAI`, `AsyncLegacyChat`) share: one host behind one
pipeline and connection pool, closed once by `aclose()` or by leaving `async with` (unless the
caller supplied the pool)."""

from __future__ import annotations

import httpx

from ._client import PoolLifecycle, open_pool, transport_settings
from ._limits import NoRateLimiter
from ._pipeline import HostConfig, Pipeline
from ._retry import RetryPolicy

__all__ = ["PoolOwner"]


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
        self._http, self._owns_http = open_pool(http_client, self.timeout)
        self._closed = False
        self._pipeline = Pipeline(
            http=self._http,
            hosts={host: HostConfig(base_url, auth_headers, NoRateLimiter())},
            retry=self.retry,
            timeout=self.timeout,
        )
