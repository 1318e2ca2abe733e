"""When to retry and how long to wait: pure functions, testable without a network."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ._errors import (
    APIConnectionError,
    APIError,
    InternalServerError,
    MemoriesError,
    NotFoundError,
    RateLimitError,
)

__all__ = ["MAX_RETRY_AFTER", "RetryPolicy", "certainly_not_acted_on", "parse_retry_after"]

MAX_RETRY_AFTER = 60.0
"""A server hint longer than this is not waited out: `should_retry` says no."""


def certainly_not_acted_on(error: MemoriesError) -> bool:
    """The resend rule: whether the server certainly did not act on the request `error` ended.

    Only then may a request that is not idempotent (an upload, a chat turn, a scrape, a caption,
    a transcription update) be sent again. Certain are:

    - a rate-limit answer (`0429`, HTTP 429): the account's limiter refused it before any work;
    - a connection that never carried the request (connect errors, pool timeouts);
    - HTTP 503 *with* `Retry-After`: the server says it is not taking requests now and when to
      come back, which it would not say of one it is processing.

    Not certain, so never resent: 502, 504 and other 5xx (a gateway may have passed the request
    on before its upstream failed), a 503 without a hint, a connection that broke or timed out
    after the request was written, and any failure once an answer began to stream.
    """
    if isinstance(error, RateLimitError):
        return True
    if isinstance(error, APIConnectionError):
        return error.before_send
    if isinstance(error, InternalServerError):
        return error.status_code == 503 and error.retry_after is not None
    return False


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    Rate-limit answers (`0429`, HTTP 429) are retried up to `max_rate_limit_retries` times; server
    errors, dropped connections and timeouts up to `max_retries` times. The wait doubles from
    `initial_delay` up to `max_delay`, with jitter, unless the server said `Retry-After`.
    """

    max_retries: int = 2
    max_rate_limit_retries: int = 3
    initial_delay: float = 0.5
    max_delay: float = 8.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must not be negative")
        if self.max_rate_limit_retries < 0:
            raise ValueError("max_rate_limit_retries must not be negative")

    @classmethod
    def from_max_retries(cls, max_retries: int | None) -> RetryPolicy:
        """The default policy, or one where `max_retries` bounds every kind of retry."""
        if max_retries is None:
            return cls()
        return cls(max_retries=max_retries, max_rate_limit_retries=max_retries)

    def should_retry(self, error: MemoriesError, *, retries_done: int, idempotent: bool) -> bool:
        """Whether `error`, after `retries_done` retries, earns one more attempt.

        A request that is not idempotent is only resent when `certainly_not_acted_on(error)`.
        A server that asks to wait longer than `MAX_RETRY_AFTER` is not waited for: the caller
        gets the error (with `retry_after`).
        """
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None and retry_after > MAX_RETRY_AFTER:
            return False
        if not idempotent and not certainly_not_acted_on(error):
            return False
        if isinstance(error, RateLimitError):
            return retries_done < self.max_rate_limit_retries
        if retries_done >= self.max_retries:
            return False
        if isinstance(error, APIConnectionError | InternalServerError):
            return True
        if isinstance(error, APIError):
            # `0001` is also the vendor's "network abnormal" answer, worth one more try on a
            # request that may be repeated; its not-found wordings are `NotFoundError`s.
            transient = error.code == "0001" and not isinstance(error, NotFoundError)
            return error.status_code == 408 or (transient and idempotent and retries_done == 0)
        return False

    def delay(
        self,
        retries_done: int,
        retry_after: float | None = None,
        *,
        rand: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait before retry number `retries_done + 1`."""
        if retry_after is not None and 0 <= retry_after <= MAX_RETRY_AFTER:
            return retry_after
        ceiling = min(self.max_delay, self.initial_delay * 2.0**retries_done)
        # Keep at least half of the ceiling so a crowd of clients cannot all retry at once.
        return ceiling * (0.5 + 0.5 * rand())


def parse_retry_after(
    headers: Mapping[str, str], *, now: Callable[[], float] = time.time
) -> float | None:
    """The server's wait hint in seconds: `retry-after-ms`, or `Retry-After` (seconds or a date)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return max(0.0, email.utils.mktime_tz(parsed) - now())
